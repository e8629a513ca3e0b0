"""The layout-aware PDF reader on two real CC BY papers and on small generated PDFs, one rule
each: columns beside a full-width figure caption, running headers, superscript markers,
page-crossing sentences, private-use ligature glyphs."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from assistant.ingest import read_file
from assistant.ingest.pdf_text import fix_private_use, keeps_hyphen
from assistant.types import PaperDoc

from .readers_fixtures import text_pdf

DATA = Path(__file__).parent / "data" / "pdfs"
PNAS = DATA / "litqa_pnas_2322520121.pdf"  # PNAS 2024, CC BY 4.0
NAACL = DATA / "s2orc_N18-3011.pdf"  # NAACL-HLT 2018, ACL Anthology, CC BY 4.0


def read_one(path: Path) -> PaperDoc:
    (doc,) = read_file(path, max_bytes=50_000_000).papers
    return doc


def squash(text: str) -> str:
    return " ".join(text.split())


def bad_chars(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in ("Co", "Cs", "Cn")
            or (unicodedata.category(c) == "Cc" and c not in "\n\t")]


@pytest.fixture(scope="module")
def pnas() -> PaperDoc:
    return read_one(PNAS)


@pytest.fixture(scope="module")
def naacl() -> PaperDoc:
    return read_one(NAACL)


def test_pnas_metadata(pnas):
    assert pnas.title == "PARP1 UFMylation ensures the stability of stalled replication forks"
    assert pnas.authors[:3] == ["Yamin Gong", "Zhifeng Wang", "Wen Zong"]
    assert pnas.doi == "10.1073/pnas.2322520121"
    assert pnas.year == 2024


def test_pnas_has_no_banner_footer_or_odd_characters(pnas):
    text = pnas.text
    assert "Downloaded from" not in text  # the rotated side stamp on every page
    assert not re.search(r"PNAS\s+2024\s+Vol\. 121", text)  # the running footer
    assert not re.search(r"\b\d+ of 11\b", text)  # page numbers
    assert bad_chars(text) == []


def test_naacl_metadata_and_sections(naacl):
    assert naacl.title == "Construction of the Literature Graph in Semantic Scholar"
    assert naacl.authors[0] == "Waleed Ammar"
    assert naacl.year == 2018
    assert "NAACL" in (naacl.venue or "")
    kinds = {b.section_kind for b in naacl.blocks}
    assert {"front", "abstract", "body", "references"} <= kinds
    refs = [b for b in naacl.blocks if b.section_kind == "references"]
    assert refs and all(b.page >= 7 for b in refs)
    assert any(b.section and "Introduction" in b.section for b in naacl.blocks)


def test_naacl_superscripts_and_hyphens(naacl):
    text = squash(naacl.text)
    assert bad_chars(naacl.text) == []
    assert "facilitate algorithmic manipulation and discovery" in text  # faci-/litate joined
    assert not re.search(r"[a-z]{3,}\d\b", text.split("References")[0].replace("CoNLL", ""))


def test_naacl_sentence_crossing_pages_is_whole_on_its_first_page(naacl):
    sentence = ("For example, most research on named entity recognition tasks report results "
                "on large labeled datasets such as CoNLL-2003 and ACE-2005 (e.g., Lample et al., "
                "2016), and assume that entity types in the test set match those labeled in the "
                "training set (including work on domain adaptation, e.g., Daumé, 2007).")
    holders = [b for b in naacl.blocks if sentence in squash(b.text)]
    assert [b.page for b in holders] == [1]


# --- generated PDFs: one rule each ---------------------------------------------------------

LEFT = [f"Left column line {i} tells the first half of the story" for i in range(8)]
RIGHT = [f"Right column line {i} tells the second half too" for i in range(8)]


def test_columns_beside_a_full_width_caption_never_interleave(tmp_path):
    runs = [(150, 740, 18, "Columns Around A Wide Figure Caption")]
    for i in range(4):  # two columns, written row by row into the content stream
        runs += [(72, 690 - 12 * i, 10, LEFT[i]), (320, 690 - 12 * i, 10, RIGHT[i])]
    runs.append((72, 600, 10, "Figure 1: A wide caption that runs across both of the columns "
                              "of this page and says what the figure shows."))
    for i in range(4, 8):
        runs += [(72, 560 - 12 * (i - 4), 10, LEFT[i]), (320, 560 - 12 * (i - 4), 10, RIGHT[i])]
    path = tmp_path / "wide.pdf"
    path.write_bytes(text_pdf([runs]))
    doc = read_one(path)
    text = squash(doc.text)
    top_left = squash(" ".join(LEFT[:4]))
    top_right = squash(" ".join(RIGHT[:4]))
    low_left = squash(" ".join(LEFT[4:]))
    assert top_left in text and top_right in text and low_left in text
    caption = [b for b in doc.blocks if b.role == "caption"]
    assert len(caption) == 1 and caption[0].text.startswith("Figure 1: A wide caption")
    assert text.index(top_left) < text.index(top_right) < text.index(low_left)


def test_running_header_and_page_numbers_are_removed(tmp_path):
    pages = []
    for p in range(3):
        runs = [(72, 760, 9, "Journal of Synthetic Results 12 (2024) 100-130")]
        runs += [(72, 700 - 14 * i, 10, f"Page {p} says something new in line {i}.")
                 for i in range(4)]
        runs.append((300, 40, 9, str(101 + p)))
        pages.append(runs)
    path = tmp_path / "header.pdf"
    path.write_bytes(text_pdf(pages))
    doc = read_one(path)
    assert "Journal of Synthetic Results" not in doc.text
    assert not re.search(r"\b10[123]\b", doc.text)
    assert "Page 2 says something new in line 3." in doc.text


def test_superscript_citation_marker_is_kept_out_of_the_sentence(tmp_path):
    runs = [
        (72, 700, 10, "Ancestral proteins were resurrected by reconstruction"),
        (319.5, 704, 6, "5"),
        (72, 686, 10, "and the optimal temperature was measured again."),
    ]
    path = tmp_path / "marker.pdf"
    path.write_bytes(text_pdf([runs]))
    text = squash(read_one(path).text)
    assert "by reconstruction and the optimal temperature" in text
    assert "reconstruction5" not in text


def test_sentence_crossing_a_page_is_one_sentence_on_its_first_page(tmp_path):
    page1 = [(72, 700 - 14 * i, 10, f"Opening line {i} of the first page is plain.")
             for i in range(3)]
    page1.append((72, 658, 10, "The crossing sentence starts at the bottom of page one and"))
    page2 = [(72, 700, 10, "ends at the top of page two."),
             (72, 686, 10, "Then page two has a sentence of its own.")]
    path = tmp_path / "cross.pdf"
    path.write_bytes(text_pdf([page1, page2]))
    doc = read_one(path)
    whole = ("The crossing sentence starts at the bottom of page one and ends at the top of "
             "page two.")
    assert [b.page for b in doc.blocks if whole in squash(b.text)] == [1]
    assert [b.page for b in doc.blocks if "a sentence of its own" in b.text] == [2]


def test_private_use_ligature_glyphs_become_letters():
    text = "The \ue104uorescent signal and the \ue104ow were \ue104uorescent; \ue001 = 3."
    fixed = fix_private_use(text)
    assert fixed == "The fluorescent signal and the flow were fluorescent;  = 3."


def test_line_end_hyphens_use_word_frequencies():
    assert not keeps_hyphen("infor", "mation", set(), set())
    assert keeps_hyphen("post", "hoc", set(), set())
    assert not keeps_hyphen("collision", "less", set(), set())  # -less words are solid
    assert keeps_hyphen("bell", "less", set(), set())


def test_control_codes_of_math_fonts_become_spaces_and_links_rejoin():
    from assistant.ingest.pdf_text import clean_chars, join_lines

    assert clean_chars("g k\x8d;h k\x00!p2") == "g k ;h k !p2"
    assert join_lines("found at http://", "allenai.org/software/.") == (
        "found at http://allenai.org/software/.")
    assert join_lines("see https://x.org.", "Then we go") == "see https://x.org. Then we go"
    assert keeps_hyphen("well", "known", set(), set())
    assert keeps_hyphen("PDF", "specific", set(), set())
    assert not keeps_hyphen("papers", "mage", {"papersmage"}, set())  # the paper's own word


def test_table_beside_a_column_is_read_row_by_row(tmp_path):
    """A table in the left column, its caption under it, written row by row into the content
    stream together with the right column's text: one table block, rows kept, the right
    column's paragraph whole, no column header taken for a section heading."""
    table = [("Method", "Precision", "Recall"), ("Baseline", "84.2", "54.2"),
             ("Neural", "84.6", "85.8"), ("Ensemble", "86.1", "86.0")]
    right = [f"Right column sentence part {i} keeps going on and on" for i in range(6)]
    runs = [(72, 740, 16, "A Small Study With One Table")]
    for i in range(6):
        y = 690 - 14 * i
        if i < len(table):
            runs += [(72, y, 10, table[i][0]), (150, y, 10, table[i][1]),
                     (210, y, 10, table[i][2])]
        runs.append((320, y, 10, right[i] + ("." if i == 5 else "")))
    runs.append((72, 620, 10, "Table 1: Scores of three systems."))
    path = tmp_path / "table.pdf"
    path.write_bytes(text_pdf([runs]))
    doc = read_one(path)
    (tab,) = [b for b in doc.blocks if b.role == "table"]
    assert tab.text.splitlines() == [" | ".join(row) for row in table]
    assert squash(" ".join(right)) + "." in squash(doc.text)
    assert not any(b.section in ("Precision", "Recall") for b in doc.blocks)
    assert any(b.role == "caption" and b.text.startswith("Table 1:") for b in doc.blocks)
