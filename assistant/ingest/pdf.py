"""PDF files with pypdfium2: text per page in reading order (columns kept apart), title, ids."""

from __future__ import annotations

import ctypes
import re
from pathlib import Path
from statistics import median

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from assistant.errors import IngestError
from assistant.types import Block, PaperDoc

from .pdf_layout import Line, Region, layout, paragraph_breaks, runs_on
from .pdf_text import clean_line, find_doi, find_year, join_lines, resolve_hyphens

__all__ = ["read_pdf"]

_OPEN_ERRORS = {
    pdfium_c.FPDF_ERR_PASSWORD: "encrypted PDF (password required)",
    pdfium_c.FPDF_ERR_SECURITY: "encrypted PDF (unsupported security handler)",
    pdfium_c.FPDF_ERR_FILE: "corrupt PDF: cannot be opened",
    pdfium_c.FPDF_ERR_PAGE: "corrupt PDF: page tree unreadable",
}
_PAGE_NUMBER = re.compile(r"^(?:\d{1,4}|[ivxlc]{1,6})$", re.IGNORECASE)
_ARXIV = re.compile(r"arXiv\s*:\s*(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})", re.IGNORECASE)
_TITLE_MARKS = "*∗†‡§¶ "


def _open_reason(exc: pdfium.PdfiumError, data: bytes) -> str:
    if exc.err_code in _OPEN_ERRORS:
        return _OPEN_ERRORS[exc.err_code]
    if b" obj" not in data[:1_000_000] and b"\robj" not in data[:1_000_000]:
        return "corrupt PDF: no objects after the header"
    return "corrupt PDF: damaged or truncated file"


def _read_lines(textpage: pdfium.PdfTextPage, regions: list[Region]) -> None:
    """Fill in each line's text and font size; page numbers at the very top or bottom are
    blanked."""
    lines = [line for region in regions for line in region.lines]
    for line in lines:
        pad = min(0.3, line.height / 4)
        line.font_size = _effective_size(textpage, line)
        line.text = clean_line(
            textpage.get_text_bounded(
                line.left - 0.5, line.bottom + pad, line.right + 0.5, line.top - pad
            )
        )
    if lines:
        lowest = min(line.bottom for line in lines)
        highest = max(line.top for line in lines)
        for line in lines:
            if _PAGE_NUMBER.match(line.text) and (
                line.bottom <= lowest + 1 or line.top >= highest - 1
            ):
                line.text = ""


def _page_paragraphs(textpage: pdfium.PdfTextPage, width: float) -> tuple[list[str], list[Region]]:
    """Paragraphs of one page in reading order; the regions are returned for the title finder."""
    rects = [textpage.get_rect(i) for i in range(textpage.count_rects())]
    regions = layout(rects, width)
    _read_lines(textpage, regions)
    paras: list[str] = []
    run_on = False  # the last paragraph may continue into the next region
    for region in regions:
        for i, (line, new) in enumerate(zip(region.lines, paragraph_breaks(region), strict=True)):
            if not line.text:
                continue
            if paras and (not new or (i == 0 and run_on)):
                paras[-1] = join_lines(paras[-1], line.text)
            else:
                paras.append(line.text)
        run_on = bool(paras) and region.column and runs_on(region)
        run_on = run_on and not paras[-1].endswith((".", ":"))
    return paras, regions


def _effective_size(textpage: pdfium.PdfTextPage, line: Line) -> float:
    """Font size times the text's scale, sampled inside the line's widest rectangle."""
    r = max(line.rects, key=lambda r: r[2] - r[0])
    y, half, width = (r[1] + r[3]) / 2, (r[3] - r[1]) / 2, r[2] - r[0]
    for share in (0.02, 0.5, 0.25, 0.75):
        index = pdfium_c.FPDFText_GetCharIndexAtPos(textpage, r[0] + share * width, y, 2.0, half)
        if index >= 0:
            matrix = pdfium_c.FS_MATRIX()
            scale = 1.0
            if pdfium_c.FPDFText_GetMatrix(textpage, index, ctypes.byref(matrix)):
                scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5 or 1.0
            return pdfium_c.FPDFText_GetFontSize(textpage, index) * scale
    return 0.0


def _title_from_layout(regions: list[Region], height: float) -> str:
    """The largest text in the top third of the first page, with the lines of the same size
    right below it (a title set on two lines)."""
    lines = [(line, region) for region in regions for line in region.lines if line.text]
    if not lines:
        return ""
    body = median(line.size for line, _ in lines)
    top = [
        (line, region)
        for line, region in lines
        if line.top >= height * 2 / 3
        and sum(c.isalpha() for c in line.text) >= 4
        and "arxiv" not in line.text.lower()
    ]
    if not top:
        return ""
    best, region = max(top, key=lambda item: (round(item[0].size, 1), item[0].top))
    if best.size < 1.1 * body:
        return ""
    parts = [best.text]
    start = region.lines.index(best)
    for prev, line in zip(region.lines[start:], region.lines[start + 1 :], strict=False):
        close = prev.bottom - line.top < 1.5 * prev.height
        if not (close and line.text and abs(line.size - best.size) <= 0.6):
            break
        parts.append(line.text)
    return resolve_hyphens(" ".join(parts).strip(_TITLE_MARKS), set(), set())


def _authors(field: str) -> list[str]:
    return [a.strip() for a in re.split(r"[;,]| and ", field) if a.strip()]


def _first_line(regions: list[Region]) -> str:
    """The first substantial line of a page (two words, ten characters)."""
    for region in regions:
        for line in region.lines:
            if len(line.text) >= 10 and len(line.text.split()) >= 2:
                return line.text[:200]
    return ""


def read_pdf(data: bytes, source: str) -> tuple[PaperDoc, list[str]]:
    """Read a PDF's text: one Block per page with text (1-based page numbers).

    Raises IngestError for encrypted, corrupt and image-only PDFs.
    """
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise IngestError(source, _open_reason(exc, data)) from None
    try:
        return _read_document(doc, source)
    finally:
        doc.close()


def _read_document(doc: pdfium.PdfDocument, source: str) -> tuple[PaperDoc, list[str]]:
    if len(doc) == 0:
        raise IngestError(source, "corrupt PDF: no pages")
    warnings: list[str] = []
    pages: list[tuple[int, list[str]]] = []
    title = first_line = ""
    for number in range(1, len(doc) + 1):
        try:
            page = doc[number - 1]
        except pdfium.PdfiumError:
            warnings.append(f"{source}: page {number} unreadable, skipped")
            continue
        try:
            textpage = page.get_textpage()
            try:
                paras, regions = _page_paragraphs(textpage, page.get_width())
                if number == 1:
                    title = _title_from_layout(regions, page.get_height())
                    first_line = _first_line(regions)
            finally:
                textpage.close()
        finally:
            page.close()
        if paras:
            pages.append((number, paras))
    if not pages:
        if warnings:
            raise IngestError(source, "corrupt PDF: no readable page")
        raise IngestError(source, "image-only PDF (no text layer)")
    blocks = [Block(text=text, page=n) for n, text in _resolve_pages(pages)]
    meta = doc.get_metadata_dict(skip_empty=True)
    first = pages[0][1] if pages[0][0] == 1 else []
    title = title or meta.get("Title", "").strip() or first_line or Path(source).stem
    head = "\n".join(first)
    arxiv = _ARXIV.search(head)
    return (
        PaperDoc(
            title=title,
            blocks=blocks,
            source=source,
            kind="pdf",
            authors=_authors(meta.get("Author", "")),
            doi=find_doi(head),
            arxiv_id=arxiv.group(1) if arxiv else None,
            year=find_year(arxiv.group(1) if arxiv else None, meta.get("CreationDate", "")),
        ),
        warnings,
    )


def _resolve_pages(pages: list[tuple[int, list[str]]]) -> list[tuple[int, str]]:
    """Join each page's paragraphs and settle line-end hyphens with the document's vocabulary."""
    texts = [(n, "\n\n".join(paras)) for n, paras in pages]
    whole = "\n".join(text for _, text in texts)
    words = {w.casefold() for w in re.findall(r"\w+", whole)}
    hyphened = {w.casefold() for w in re.findall(r"\w+(?:-\w+)+", whole)}
    return [(n, resolve_hyphens(text, words, hyphened)) for n, text in texts]
