"""How well real PDFs are read: the project's reader next to plain pypdfium2, same run.

    python benchmarks/pdf_quality.py [SHARED] [--ingest [--repeat N]]

SHARED is the shared folder (default ../shared beside the repository, else /work/shared); the
PDFs are its corpus/real-pdfs/ (manifest.json holds the true titles, reference-text/ holds
reference text for three of them). Printed per file and in total:

- token recall / precision against the reference text (bag of lower-case words);
- reference sentences intact: the share of reference sentences (six words or more) whose words
  appear in the same order, contiguous, in the extracted text;
- artefacts: citation digits glued to words ("reconstruction5", "algorithm.107 Next"),
  repeated header/footer lines (text that sits in the top/bottom/side margin at the same place
  on three or more pages, counted each time the output holds it more often than the page bodies
  do), private-use / control / non-characters, wrong hyphen joins (a line-end hyphen settled
  differently from the reference text or the document's own spelling elsewhere; the reference
  tools join some real compounds themselves, "metaanalysis", "finegrained", and those count as
  the truth here);
- title and first-author accuracy (titles from the manifest, first authors read off the PDFs'
  first pages by hand, below). Plain pypdfium2 has no title finder: its "title" is the PDF's
  metadata title, and it has no authors.

With --ingest the five PDFs are also ingested into a fresh store and the time compared with the
pure embedding time of their chunks (as benchmarks/ingest.py does; goal <= 1.3), and the dev PDF
questions (eval/dev_pdf_questions.json) are asked: the share answered with the right paper
cited, all keywords in the answer, and a citation of that paper on a gold page.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.ingest.pdf import read_pdf  # noqa: E402

# First authors as printed on each PDF's first page (read by hand; the manifest has titles only).
FIRST_AUTHORS = {
    "s2orc_N18-3011.pdf": "Waleed Ammar",
    "grobid_0908.0054.pdf": "Ivan Rodriguez Montoya",
    "grobid_Wang-paperAVE2008.pdf": "Rui Wang",
    "papermage_papermage.pdf": "Kyle Lo",
    "litqa_pnas_2322520121.pdf": "Yamin Gong",
}
MARGIN = 0.08  # share of the page height/width counted as top/bottom/side margin
REPEAT_PAGES = 3  # margin text on this many pages at the same place is a header/footer
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
_LINE_END_HYPHEN = re.compile(r"(\w+)(?:[\u00ad\ufffe\x02]|-(?=\r?\n))\r?\n?(\w+)")
_MARKER = set("0123456789,\u2013-*\u2020\u2021")


@dataclass
class Figures:
    """What one extractor gave for one file."""

    text: str
    title: str = ""
    first_author: str = ""
    seconds: float = 0.0
    recall: float | None = None
    precision: float | None = None
    intact: tuple[int, int] | None = None
    glued: int = 0
    repeated: int = 0
    bad_chars: int = 0
    hyphen_wrong: int = 0
    hyphen_checked: int = 0
    notes: list[str] = field(default_factory=list)


def shared_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    beside = ROOT.parent / "shared"
    return beside if beside.exists() else Path("/work/shared")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return " ".join(words("".join(c for c in text if not unicodedata.combining(c))))


# -- extractors ----------------------------------------------------------------------------------
def plain(data: bytes) -> Figures:
    t = time.perf_counter()
    doc = pdfium.PdfDocument(data)
    pages = []
    for i in range(len(doc)):
        page = doc[i]
        textpage = page.get_textpage()
        pages.append(textpage.get_text_range())
        textpage.close()
        page.close()
    title = doc.get_metadata_dict(skip_empty=True).get("Title", "")
    doc.close()
    return Figures("\n".join(pages), title=title, seconds=time.perf_counter() - t)


def reader(data: bytes, name: str) -> Figures:
    t = time.perf_counter()
    doc, _ = read_pdf(data, name)
    took = time.perf_counter() - t
    first = doc.authors[0] if doc.authors else ""
    return Figures("\n\n".join(b.text for b in doc.blocks), doc.title, first, took)


# -- measures ------------------------------------------------------------------------------------
def token_overlap(ref: str, out: str) -> tuple[float, float]:
    a, b = Counter(words(ref)), Counter(words(out))
    common = sum((a & b).values())
    return common / max(1, sum(a.values())), common / max(1, sum(b.values()))


def reference_sentences(ref: str) -> list[str]:
    out = []
    for para in ref.split("\n"):
        for sentence in _SENTENCE_END.split(para.strip()):
            tokens = words(sentence)
            if len(tokens) >= 6:
                out.append(" ".join(tokens))
    return out


def intact(ref: str, out: str) -> tuple[int, int]:
    haystack = f" {' '.join(words(out))} "
    sentences = reference_sentences(ref)
    return sum(f" {s} " in haystack for s in sentences), len(sentences)


def bad_chars(text: str) -> int:
    n = 0
    for c in text:
        cat = unicodedata.category(c)
        if cat in ("Co", "Cs", "Cn") or (cat == "Cc" and c not in "\n\t\r"):
            n += 1
    return n


def margin_repeats(data: bytes) -> tuple[list[re.Pattern[str]], str]:
    """Header/footer text found from the page geometry (independent of the reader): text in the
    margins that recurs at the same place on REPEAT_PAGES pages or more. Also the text of the
    page bodies, where such strings may occur legitimately."""
    doc = pdfium.PdfDocument(data)
    seen: dict[tuple[str, int, int], set[int]] = {}
    raw: dict[tuple[str, int, int], str] = {}
    body = []
    for i in range(len(doc)):
        page = doc[i]
        width, height = page.get_width(), page.get_height()
        textpage = page.get_textpage()
        for k in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(k)
            text = " ".join(textpage.get_text_bounded(left, bottom, right, top).split())
            cx, cy = (left + right) / 2, (bottom + top) / 2
            in_margin = (cy < MARGIN * height or cy > (1 - MARGIN) * height
                         or cx < MARGIN * width or cx > (1 - MARGIN) * width)
            if not in_margin:
                body.append(text)
                continue
            if len(text) < 8 or sum(c.isalpha() for c in text) < 4:
                continue
            key = (re.sub(r"\d+", "#", text.lower()), round(cx / 20), round(cy / 20))
            seen.setdefault(key, set()).add(i)
            raw.setdefault(key, text)
        textpage.close()
        page.close()
    doc.close()
    patterns = []
    for key, pages in seen.items():
        if len(pages) >= REPEAT_PAGES:
            parts = [re.escape(w) for w in words(re.sub(r"\d+", " 0 ", raw[key]))]
            pattern = r"\b" + r"\W*".join(p if p != "0" else r"\d+" for p in parts) + r"\b"
            patterns.append(re.compile(pattern, re.IGNORECASE))
    return patterns, "\n".join(body)


def superscript_citations(data: bytes) -> list[re.Pattern[str]]:
    """Superscript citation numbers found from the characters' size and baseline (independent
    of the reader): digits set smaller and higher than the word right before them. Each gives
    the pattern of that word glued to the number ("reconstruction5", "algorithm.107")."""
    import ctypes

    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument(data)
    found: list[tuple[str, str]] = []
    x, y = ctypes.c_double(), ctypes.c_double()
    for i in range(len(doc)):
        page = doc[i]
        textpage = page.get_textpage()
        tp = textpage.raw
        chars = []
        for k in range(raw.FPDFText_CountChars(tp)):
            raw.FPDFText_GetCharOrigin(tp, k, x, y)
            chars.append((chr(raw.FPDFText_GetUnicode(tp, k)), raw.FPDFText_GetFontSize(tp, k),
                          y.value))
        textpage.close()
        page.close()
        k = 0
        while k < len(chars):
            ch, size, base = chars[k]
            prev = chars[k - 1] if k else None
            if not (ch.isdigit() and prev and (prev[0].isalpha() or prev[0] in ".,;:)")):
                k += 1
                continue
            j = k - 1
            while j >= 0 and (chars[j][0].isalpha() or chars[j][0] in ".,;:)"):
                j -= 1
            anchor = chars[k - 1]
            if not (size < 0.85 * anchor[1] and base > anchor[2] + 0.2 * anchor[1]):
                k += 1
                continue
            end = k
            small = 0.85 * anchor[1]
            while end < len(chars) and chars[end][0] in _MARKER and chars[end][1] < small:
                end += 1
            word = "".join(c[0] for c in chars[j + 1 : k])
            if sum(c.isalpha() for c in word) >= 2:
                found.append((word, "".join(c[0] for c in chars[k:end]).rstrip(",-")))
            k = end
    doc.close()
    return [re.compile(rf"(?<!\w){re.escape(w)}{re.escape(m)}(?!\d)") for w, m in set(found)]


def repeated(patterns: list[re.Pattern[str]], body: str, out: str) -> int:
    return sum(max(0, len(p.findall(out)) - len(p.findall(body))) for p in patterns)


def hyphen_truth(plain_text: str, ref: str | None) -> list[tuple[str, str, bool]]:
    """Line-end hyphen splits (a, b) with whether the true word keeps the hyphen, decided by
    the reference text, else by the document's own spelling away from line ends."""
    elsewhere = _LINE_END_HYPHEN.sub(" ", plain_text).lower()
    source = (ref or "").lower()
    truths = []
    for m in _LINE_END_HYPHEN.finditer(plain_text):
        a, b = m.group(1).lower(), m.group(2).lower()
        if not b[0].isalpha():
            continue
        joined, hyphened = rf"\b{a}{b}\b", rf"\b{a}-{b}\b"
        for text in (source, elsewhere):
            j, h = len(re.findall(joined, text)), len(re.findall(hyphened, text))
            if j != h:
                truths.append((a, b, h > j))
                break
    return truths


def hyphen_wrong(truths: list[tuple[str, str, bool]], out: str) -> int:
    low = out.lower()
    wrong = 0
    for a, b, keep in truths:
        bad = rf"\b{a}{b}\b" if keep else rf"\b{a}-{b}\b"
        good = rf"\b{a}-{b}\b" if keep else rf"\b{a}{b}\b"
        wrong += bool(re.search(bad, low)) and not re.search(good, low)
    return wrong


def measure(fig: Figures, ref: str | None, patterns, body: str, truths, glued) -> None:
    if ref is not None:
        fig.recall, fig.precision = token_overlap(ref, fig.text)
        fig.intact = intact(ref, fig.text)
    fig.glued = sum(len(p.findall(fig.text)) for p in glued)
    fig.repeated = repeated(patterns, body, fig.text)
    fig.bad_chars = bad_chars(fig.text)
    fig.hyphen_wrong = hyphen_wrong(truths, fig.text)
    fig.hyphen_checked = len(truths)


# -- report --------------------------------------------------------------------------------------
def _pct(x: float | None) -> str:
    return "   -  " if x is None else f"{x:6.3f}"


def _row(label: str, fig: Figures, title_ok: bool, author_ok: bool | None) -> str:
    it = "   -   " if fig.intact is None else f"{fig.intact[0]:3}/{fig.intact[1]:<3}"
    author = "-" if author_ok is None else ("y" if author_ok else "n")
    return (f"  {label:8} rec {_pct(fig.recall)} prec {_pct(fig.precision)} intact {it} "
            f"glued {fig.glued:4} hdr {fig.repeated:3} badch {fig.bad_chars:4} "
            f"hyph {fig.hyphen_wrong:2}/{fig.hyphen_checked:<3} title {'y' if title_ok else 'n'} "
            f"author {author} {fig.seconds:5.2f}s")


def same_name(a: str, b: str) -> bool:
    return bool(a) and norm(a) == norm(b)


def quality(shared: Path) -> list[Path]:
    folder = shared / "corpus" / "real-pdfs"
    manifest = json.loads((folder / "manifest.json").read_text())
    totals = {"plain": Counter(), "reader": Counter()}
    files = []
    for entry in manifest:
        path = folder / entry["file"]
        files.append(path)
        data = path.read_bytes()
        ref_path = folder / "reference-text" / (path.stem + ".txt")
        ref = ref_path.read_text() if ref_path.exists() else None
        patterns, body = margin_repeats(data)
        base = plain(data)
        ours = reader(data, str(path))
        truths = hyphen_truth(base.text, ref)
        glued = superscript_citations(data)
        print(f"{entry['file']}  ({entry['pages']} pages, {len(patterns)} header/footer strings, "
              f"{len(glued)} superscript markers, {len(truths)} line-end hyphens decided)")
        for label, fig in (("pypdfium", base), ("reader", ours)):
            measure(fig, ref, patterns, body, truths, glued)
            title_ok = same_name(fig.title, entry["title"])
            author_ok = None if label == "pypdfium" else same_name(
                fig.first_author, FIRST_AUTHORS[entry["file"]])
            print(_row(label, fig, title_ok, author_ok))
            t = totals["plain" if label == "pypdfium" else "reader"]
            t["files"] += 1
            t["titles"] += title_ok
            t["authors"] += bool(author_ok)
            t["glued"] += fig.glued
            t["repeated"] += fig.repeated
            t["bad"] += fig.bad_chars
            t["hyph_wrong"] += fig.hyphen_wrong
            t["hyph"] += fig.hyphen_checked
            t["ms"] += int(fig.seconds * 1000)
            if fig.intact:
                t["intact"] += fig.intact[0]
                t["sentences"] += fig.intact[1]
                t["rec_sum"] += int(fig.recall * 1000)
                t["prec_sum"] += int(fig.precision * 1000)
                t["refs"] += 1
        print(f"    reader title: {ours.title!r}  first author: {ours.first_author!r}")
    print("\ntotals (reference files for recall/precision/intact)")
    for label, t in totals.items():
        refs = max(1, t["refs"])
        share = t["intact"] / max(1, t["sentences"])
        print(f"  {label:8} recall {t['rec_sum'] / refs / 1000:.3f}  precision "
              f"{t['prec_sum'] / refs / 1000:.3f}  sentences intact {share:.3f} "
              f"({t['intact']}/{t['sentences']})  glued {t['glued']}  header/footer {t['repeated']}"
              f"  bad chars {t['bad']}  wrong hyphens {t['hyph_wrong']}/{t['hyph']}  "
              f"titles {t['titles']}/{t['files']}  first authors {t['authors']}/{t['files']}  "
              f"read {t['ms'] / 1000:.1f} s")
    p, r = totals["plain"], totals["reader"]
    print(f"\nglued citation digits, reader / pypdfium2: {r['glued'] / max(1, p['glued']):.3f} "
          "(goal <= 0.10)")
    return files


# -- ingest time and dev questions -----------------------------------------------------------------
def ingest_and_ask(files: list[Path], shared: Path, repeat: int = 1) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ingest import EMBED_ONLY, INGEST, run  # benchmarks/ingest.py

    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pdfs"
        folder.mkdir()
        for f in files:
            shutil.copy(f, folder / f.name)
        for r in range(repeat):  # a shared machine's load drifts: pairs, then the median
            store = str(Path(tmp) / f"store{r}")
            first = run(INGEST, store, str(folder))
            embed_a = run(EMBED_ONLY, store)
            embed_b = run(EMBED_ONLY, store)
            embed = (embed_a["seconds"] + embed_b["seconds"]) / 2
            ratios.append(first["seconds"] / embed)
            print(f"\ningest of {first['papers']} papers, {first['chunks']} chunks: "
                  f"{first['seconds']:.1f} s; embedding only {embed:.1f} s "
                  f"({embed_a['seconds']:.1f} / {embed_b['seconds']:.1f}); ratio "
                  f"{ratios[-1]:.2f} (goal <= 1.3)", flush=True)
        if repeat > 1:
            print(f"median ratio over {repeat} runs: {sorted(ratios)[len(ratios) // 2]:.2f} "
                  f"(all: {', '.join(f'{x:.2f}' for x in ratios)})")
        questions = shared / "eval" / "dev_pdf_questions.json"
        if questions.exists():
            ask_questions(store, json.loads(questions.read_text()))


def ask_questions(store: str, items: list[dict]) -> None:
    from assistant import Assistant

    a = Assistant(store=store, llm="extractive")
    paper = keyword = page = allthree = 0
    for item in items:
        ans = a.ask(item["question"])
        gold = {norm(t) for t in item["gold_titles"]}
        cites = [c for c in ans.citations if norm(c.title) in gold]
        kw = all(k.lower() in ans.text.lower() for k in item["answer_keywords"])
        on_page = any(c.page in item["gold_pages"] for c in cites)
        paper += bool(cites)
        keyword += kw
        page += on_page
        allthree += bool(cites) and kw and on_page
    n = len(items)
    print(f"dev PDF questions ({n}): right paper cited {paper}/{n}, keywords {keyword}/{n}, "
          f"gold page cited {page}/{n}, all three {allthree}/{n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("shared", nargs="?", help="the shared folder (default ../shared)")
    parser.add_argument("--ingest", action="store_true",
                        help="also time the ingest and ask the dev PDF questions")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time the ingest this many times (median ratio)")
    args = parser.parse_args()
    shared = shared_dir(args.shared)
    files = quality(shared)
    if args.ingest:
        ingest_and_ask(files, shared, max(1, args.repeat))


if __name__ == "__main__":
    main()
