"""The file readers on real files: the sample listings and PDFs, and hand-made bad inputs."""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from assistant.errors import IngestError
from assistant.ingest import normalize_title, paper_id, read_file
from assistant.types import PaperDoc
from tests.readers_fixtures import blank_pdf, encrypted_pdf, text_pdf

PAPERS = Path(__file__).resolve().parent.parent / "examples" / "papers"
LISTINGS = sorted((PAPERS / "daily-papers").glob("*.txt"))
PASA = PAPERS / "pdfs" / "pasa.pdf"
REVIEW = PAPERS / "pdfs" / "paper.pdf"
LIMIT = 50_000_000


def squash(text: str) -> str:
    return " ".join(text.split())


def read_one(path: Path, **kw) -> PaperDoc:
    result = read_file(path, max_bytes=kw.pop("max_bytes", LIMIT))
    assert len(result.papers) == 1
    return result.papers[0]


def reason_for(path: Path, max_bytes: int = LIMIT) -> str:
    with pytest.raises(IngestError) as info:
        read_file(path, max_bytes=max_bytes)
    assert info.value.path == str(path)
    assert str(info.value) == f"{path}: {info.value.reason}"
    return info.value.reason


# --- listing dumps -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def listing_docs() -> list[PaperDoc]:
    assert len(LISTINGS) == 5
    return [doc for path in LISTINGS for doc in read_file(path, max_bytes=LIMIT).papers]


def test_listings_hold_299_entries_and_264_papers(listing_docs):
    assert len(listing_docs) == 299
    assert len({paper_id(d) for d in listing_docs}) == 264
    assert all(d.kind == "listing" and d.n_authors and d.date for d in listing_docs)
    assert all(len(d.blocks) == 1 and d.blocks[0].section == "abstract" for d in listing_docs)


def test_listing_first_entry_fields(listing_docs):
    first = listing_docs[0]
    assert first.title == "Generative Marginalization Models"
    assert first.source == str(LISTINGS[0])
    assert first.n_authors == 3
    assert first.date == "Oct 19, 2023"
    assert first.year == 2023
    assert first.code_url == "https://github.com/PrincetonLIPS/MaM"
    assert first.arxiv_id is None
    assert first.blocks[0].text.startswith("We introduce marginalization models (MaMs)")
    assert first.blocks[0].text.endswith("Code is at https://github.com/PrincetonLIPS/MaM.")


def test_listing_page_chrome_is_not_a_paper(listing_docs):
    chrome = {"new", "Subscribe", "Daily Papers", "byAK and the research community"}
    assert not chrome & {d.title for d in listing_docs}
    assert not any(d.title.startswith("Get trending papers") for d in listing_docs)


def test_same_paper_in_two_listings_gets_one_id(listing_docs):
    by_id: dict[str, set[str]] = {}
    for doc in listing_docs:
        by_id.setdefault(paper_id(doc), set()).add(doc.source)
    assert any(len(sources) > 1 for sources in by_id.values())


LISTING = """new

Daily Papers

Mar 6

A Paper With Upvotes On Their Own Line

We study things. Code and data for the tool is available at https://bit.ly/Tool.

  • 1 author
·
Mar 6
12

Ünïcode Títle: Second Entry

Abstract with arXiv:2401.01234v2 and a dataset at https://example.org/data and code at https://gitlab.com/a/b).

  • 12 authors
·
Feb 16, 2024 3
"""


def test_listing_variants(tmp_path):
    path = tmp_path / "dump.md"  # content decides, not the extension
    path.write_text(LISTING, encoding="utf-8")
    first, second = read_file(path, max_bytes=LIMIT).papers
    assert (first.title, first.n_authors, first.date, first.year) == (
        "A Paper With Upvotes On Their Own Line",
        1,
        "Mar 6",
        None,
    )
    assert first.code_url == "https://bit.ly/Tool"
    assert (second.title, second.n_authors, second.date, second.year) == (
        "Ünïcode Títle: Second Entry",
        12,
        "Feb 16, 2024",
        2024,
    )
    assert second.arxiv_id == "2401.01234"
    assert second.code_url == "https://gitlab.com/a/b"


# --- identity -----------------------------------------------------------------------------


def test_normalize_title():
    assert normalize_title("  Über Café–Models:  the  “Best”!! ") == "uber cafe models the best"
    assert normalize_title("PaSa: An LLM Agent") == normalize_title("pasa — an LLM agent")


def test_paper_id_from_title_and_fallback():
    a = PaperDoc(title="PaSa: An LLM Agent for Search", blocks=[], source="a.pdf", kind="pdf")
    b = PaperDoc(title="PASA an llm agent for search", blocks=[], source="b.txt", kind="listing")
    assert paper_id(a) == paper_id(b)
    assert re.fullmatch(r"p[0-9a-f]{15}", paper_id(a))
    short = PaperDoc(title="Notes", blocks=[], source="x/notes.txt", kind="text")
    other = PaperDoc(title="Notes", blocks=[], source="y/notes.txt", kind="text")
    assert paper_id(short) != paper_id(other)


# --- PDFs ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pasa() -> PaperDoc:
    return read_one(PASA)


def test_pasa_pages_title_and_ids(pasa):
    assert pasa.kind == "pdf"
    assert sorted({b.page for b in pasa.blocks}) == list(range(1, 16))
    assert pasa.title == "PaSa: An LLM Agent for Comprehensive Academic Paper Search"
    assert pasa.arxiv_id == "2501.10120"
    assert pasa.year == 2025


def test_pasa_reads_columns_in_order(pasa):
    page1 = squash(" ".join(b.text for b in pasa.blocks if b.page == 1))
    abstract = [
        "We optimize PaSa using reinforcement learning with a synthetic dataset, "
        "AutoScholarQuery, which includes 35k fine-grained academic queries and corresponding "
        "papers sourced from top-tier AI conference publications.",
        "Despite being trained on synthetic data, PaSa significantly outperforms existing "
        "baselines on RealScholarQuery, including Google, Google Scholar, Google with GPT-4 for "
        "paraphrased queries, chatGPT (search-enabled GPT-4o), GPT-o1, and PaSa-GPT-4o (PaSa "
        "implemented by prompting GPT-4o).",
        "Model, datasets, and code are available at https://github.com/bytedance/pasa.",
    ]
    intro = (
        "It requires long-tail specialized knowledge, comprehensive survey-level coverage, "
        "and the ability to address fine-grained queries."
    )
    for sentence in [*abstract, intro]:
        assert sentence in page1
    # Title and authors (full width) first, then the left column, then the right one.
    assert page1.startswith("PaSa: An LLM Agent for Comprehensive Academic Paper Search")
    assert page1.index(abstract[0]) < page1.index(abstract[2]) < page1.index(intro)


def test_pasa_soft_hyphens_are_joined(pasa):
    text = pasa.text
    assert not {"\ufffe", "\u00ad", "\x02"} & set(text)
    page1 = squash(" ".join(b.text for b in pasa.blocks if b.page == 1))
    assert "reading papers" in page1  # "pa-" / "pers" at a line end
    assert "PaSa-GPT-4o" in page1  # a real hyphen at a line end stays


def test_review_pdf_title_and_pages():
    doc = read_one(REVIEW)
    assert doc.title == "A Perspective on Explanations of Molecular Prediction Models"
    assert sorted({b.page for b in doc.blocks}) == list(range(1, 42))
    page1 = " ".join(b.text for b in doc.blocks if b.page == 1)
    assert "Chemists can be skeptical in using deep learning (DL)" in squash(page1)


LEFT = [
    "The left column starts with a sentence that",
    "runs over three lines of text and ends with",
    "a full stop. Its second sentence has an infor-",
    "mation word split at the end of a line and",
    "then the left column ends with a full stop.",
]
RIGHT = [
    "The right column holds another sentence which",
    "must never be mixed with the left column text",
    "even though both are written row by row into",
    "the page content stream, one after the other,",
    "so only the layout can tell the columns apart.",
]


def test_two_columns_written_row_by_row(tmp_path):
    runs = [
        (150, 740, 18, "A Synthetic Study of Column Order"),
        (250, 715, 11, "Ada Lovelace"),
        (72, 690, 9, "See doi:10.1234/abc.5678. Preprint arXiv:2401.01234."),
    ]
    for i, (left, right) in enumerate(zip(LEFT, RIGHT, strict=True)):
        runs += [(72, 650 - 12 * i, 10, left), (320, 650 - 12 * i, 10, right)]
    path = tmp_path / "synthetic.pdf"
    path.write_bytes(text_pdf([runs]))
    naive = pdfium.PdfDocument(path.read_bytes())[0].get_textpage().get_text_range()
    assert "that The right column" in squash(naive)  # the content stream interleaves columns
    doc = read_one(path)
    text = squash(doc.text)
    left = squash(" ".join(LEFT)).replace("infor- mation", "information")
    assert left in text
    assert squash(" ".join(RIGHT)) in text
    assert text.index(left) < text.index("The right column")
    assert doc.title == "A Synthetic Study of Column Order"
    assert doc.doi == "10.1234/abc.5678"
    assert doc.arxiv_id == "2401.01234"


def test_pdf_title_falls_back_to_metadata_then_first_line(tmp_path):
    body = [(72, 700 - 14 * i, 10, f"Plain body line number {i} of the page") for i in range(5)]
    with_meta = tmp_path / "meta.pdf"
    with_meta.write_bytes(text_pdf([body], info_title="Title From Metadata"))
    assert read_one(with_meta).title == "Title From Metadata"
    bare = tmp_path / "bare.pdf"
    ended = [*body[:-1], (*body[-1][:3], body[-1][3] + ".")]  # the page ends a sentence
    other = [(72, 650 - 14 * i, 10, f"Other body line number {i} here") for i in range(5)]
    bare.write_bytes(text_pdf([ended, other]))
    doc = read_one(bare)
    assert doc.title == "Plain body line number 0 of the page"
    assert sorted({b.page for b in doc.blocks}) == [1, 2]


def test_pdf_pages_without_text_are_skipped(tmp_path):
    path = tmp_path / "gap.pdf"
    path.write_bytes(text_pdf([[(72, 700, 12, "Only the first page has text")], []]))
    assert [b.page for b in read_one(path).blocks] == [1]


# --- bad input: one reason each -------------------------------------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pdf"
    path.touch()
    assert reason_for(path) == "empty file"


def random_bytes(n: int = 4096, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(n)


def test_random_bytes_named_pdf(tmp_path):
    path = tmp_path / "noise.pdf"
    path.write_bytes(random_bytes())
    assert reason_for(path) == "not a PDF (no %PDF header)"


def test_random_bytes_named_txt(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(random_bytes())
    assert reason_for(path) == "unsupported or binary file"
    no_nul = tmp_path / "noise2.txt"
    no_nul.write_bytes(random_bytes().replace(b"\x00", b"x"))
    assert reason_for(no_nul) == "unsupported or binary file"


def test_truncated_pdf(tmp_path):
    data = PASA.read_bytes()
    path = tmp_path / "half.pdf"
    path.write_bytes(data[: len(data) // 2])
    assert reason_for(path) == "corrupt PDF: damaged or truncated file"


def test_header_only_pdf(tmp_path):
    path = tmp_path / "header.pdf"
    path.write_bytes(b"%PDF-1.7\n")
    assert reason_for(path) == "corrupt PDF: no objects after the header"


def test_encrypted_pdf(tmp_path):
    data = encrypted_pdf(user_password="secret")
    opened = pdfium.PdfDocument(data, password="secret")  # really encrypted, and valid
    try:
        assert "Secret findings" in opened[0].get_textpage().get_text_range()
    finally:
        opened.close()
    path = tmp_path / "locked.pdf"
    path.write_bytes(data)
    assert reason_for(path) == "encrypted PDF (password required)"


def test_image_only_pdf(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(blank_pdf(pages=2))
    assert reason_for(path) == "image-only PDF (no text layer)"


def test_non_utf8_text_is_decoded_with_warning(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Café résumé – naïve\n\nSecond paragraph “quoted”.\n".encode("cp1252"))
    result = read_file(path, max_bytes=LIMIT)
    assert result.warnings == [f"{path}: not valid UTF-8, decoded as cp1252"]
    doc = result.papers[0]
    assert doc.title == "Café résumé – naïve"
    assert "Second paragraph “quoted”." in doc.text


def test_utf8_bom_is_dropped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffA Title Line\n\nBody.".encode())
    result = read_file(path, max_bytes=LIMIT)
    assert result.warnings == []
    assert result.papers[0].title == "A Title Line"


def test_file_over_the_size_limit(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("word " * 600_000)
    assert reason_for(path, max_bytes=2_000_000) == "file too large (3 MB > limit 2 MB)"
    assert read_file(path, max_bytes=3_000_000).papers


@pytest.mark.parametrize("name", ["paper.docx", "figure.png", "archive.zip"])
def test_unsupported_type(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04 not really")
    assert reason_for(path) == f"unsupported file type {Path(name).suffix}"


def test_directory_given_as_file(tmp_path):
    path = tmp_path / "x.txt"
    path.mkdir()
    assert reason_for(path) == "is a directory"


def test_missing_file(tmp_path):
    assert reason_for(tmp_path / "gone.pdf") == "no such file or directory"


def test_fifo_is_not_read(tmp_path):
    # As root every permission check passes, so a FIFO stands in for a file that cannot be
    # read: it must be refused without blocking on open().
    path = tmp_path / "pipe.txt"
    os.mkfifo(path)
    assert reason_for(path) == "not a regular file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files without read permission")
def test_permission_denied(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("hidden")
    path.chmod(0)
    assert reason_for(path) == "permission denied"


# --- text, Markdown, HTML -------------------------------------------------------------------


def test_plain_text_paragraphs(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("On Reading Papers\n\nFirst   paragraph\nwraps here.\n\n\n\nSecond one.\n")
    doc = read_one(path)
    assert doc.kind == "text"
    assert doc.title == "On Reading Papers"
    assert [b.section for b in doc.blocks] == [None]
    assert doc.text == "On Reading Papers\n\nFirst paragraph\nwraps here.\n\nSecond one."


def test_plain_text_long_first_line_uses_file_name(tmp_path):
    path = tmp_path / "my_long-notes.txt"
    path.write_text(("word " * 80) + "\n\nmore")
    assert read_one(path).title == "my long notes"


MARKDOWN = """Preamble before any heading.

# A Study of Markdown Papers

The abstract paragraph.

## Methods

We used *tools*.

```python
# not a heading
x = 1
```

Results
-------

It worked.
"""


def test_markdown_sections(tmp_path):
    path = tmp_path / "paper.md"
    path.write_text(MARKDOWN)
    doc = read_one(path)
    assert doc.kind == "markdown"
    assert doc.title == "A Study of Markdown Papers"
    sections = [(b.section, b.text.split("\n")[0]) for b in doc.blocks]
    assert sections == [
        (None, "Preamble before any heading."),
        ("A Study of Markdown Papers", "The abstract paragraph."),
        ("Methods", "We used *tools*."),
        ("Results", "It worked."),
    ]
    assert "# not a heading" in doc.blocks[2].text


def test_markdown_detected_by_headings_in_txt(tmp_path):
    path = tmp_path / "readme.txt"
    path.write_text("# Heading Title\n\nBody text.\n\n## Part\n\nMore.\n")
    doc = read_one(path)
    assert doc.kind == "markdown"
    assert [b.section for b in doc.blocks] == ["Heading Title", "Part"]


HTML = """<!DOCTYPE html>
<html><head><title>An HTML Paper</title><style>body { color: red }</style>
<script>var tracking = "do not index me";</script></head>
<body>
<header><nav><a href="/">Home</a> | <a href="/about">About</a></nav></header>
<h1>An HTML Paper</h1>
<p>The   opening paragraph
   wraps in the source.</p>
<h2>Method</h2>
<p>We read <em>carefully</em>.<br>Then again.</p>
<script>alert("nope")</script>
<footer>Copyright footer text</footer>
</body></html>
"""


def test_html_drops_scripts_and_chrome(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(HTML)
    doc = read_one(path)
    assert doc.kind == "html"
    assert doc.title == "An HTML Paper"
    for junk in ("tracking", "alert", "color: red", "Home", "Copyright"):
        assert junk not in doc.text
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("An HTML Paper", "The opening paragraph wraps in the source."),
        ("Method", "We read carefully.\nThen again."),
    ]


def test_html_detected_by_tags_and_h1_title(tmp_path):
    path = tmp_path / "saved.txt"
    path.write_text("<html><body><h1>Heading As Title</h1><p>Text.</p></body></html>")
    doc = read_one(path)
    assert doc.kind == "html"
    assert doc.title == "Heading As Title"


def test_text_mentioning_pdf_magic_is_text(tmp_path):
    path = tmp_path / "about.txt"
    path.write_text("Notes on PDF files\n\nEvery PDF starts with %PDF-1.7 on its first line.\n")
    assert read_one(path).kind == "text"
