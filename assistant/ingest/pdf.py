"""PDF files with pypdfium2: layout-aware reading of text, sections and metadata.

pdf_chars reads each page's characters, pdf_lines makes text lines (superscript markers out),
pdf_clean drops headers, footers and page/line numbers, pdf_tables takes out tables (read row
by row), pdf_layout groups the other lines into blocks in reading order, pdf_meta finds
title/authors/year/venue/ids on page 1, pdf_structure makes paragraphs, sections and the
paper's Blocks (a sentence that crosses a page stays whole).
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from assistant.errors import IngestError
from assistant.types import PaperDoc

from .pdf_chars import page_chars
from .pdf_clean import remove_furniture
from .pdf_layout import Block, blocks_of, merge_labels, reading_order, rejoin_rows
from .pdf_lines import Line, build_lines
from .pdf_meta import _norm, read_meta
from .pdf_structure import assign_sections, body_size, doc_blocks, units_of
from .pdf_tables import find_tables
from .pdf_text import clean_chars, fix_private_use, joiner

__all__ = ["read_pdf"]

_OPEN_ERRORS = {
    pdfium_c.FPDF_ERR_PASSWORD: "encrypted PDF (password required)",
    pdfium_c.FPDF_ERR_SECURITY: "encrypted PDF (unsupported security handler)",
    pdfium_c.FPDF_ERR_FILE: "corrupt PDF: cannot be opened",
    pdfium_c.FPDF_ERR_PAGE: "corrupt PDF: page tree unreadable",
}


def _open_reason(exc: pdfium.PdfiumError, data: bytes) -> str:
    if exc.err_code in _OPEN_ERRORS:
        return _OPEN_ERRORS[exc.err_code]
    if b" obj" not in data[:1_000_000] and b"\robj" not in data[:1_000_000]:
        return "corrupt PDF: no objects after the header"
    return "corrupt PDF: damaged or truncated file"


def read_pdf(data: bytes, source: str) -> tuple[PaperDoc, list[str]]:
    """Read a PDF: Blocks of paragraphs per page and section (1-based pages), metadata.

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


def _read_pages(doc: pdfium.PdfDocument, source: str, warnings: list[str]
                ) -> tuple[list[int], list[list[Line]], list[float], list[str]]:
    numbers, pages, heights, stamps = [], [], [], []
    for number in range(1, len(doc) + 1):
        try:
            page = doc[number - 1]
        except pdfium.PdfiumError:
            warnings.append(f"{source}: page {number} unreadable, skipped")
            continue
        try:
            textpage = page.get_textpage()
            try:
                upright, rotated = page_chars(textpage)
            finally:
                textpage.close()
            height = page.get_height()
        finally:
            page.close()
        if len(rotated) > len(upright):  # a page set sideways: read its turned text
            upright, rotated = rotated, []
        if number == 1 and rotated:
            stamps.append(" ".join("".join(c.text for c in rotated).split()))
        numbers.append(number)
        pages.append(build_lines(upright, number))
        heights.append(height)
    return numbers, pages, heights, stamps


def _read_document(doc: pdfium.PdfDocument, source: str) -> tuple[PaperDoc, list[str]]:
    if len(doc) == 0:
        raise IngestError(source, "corrupt PDF: no pages")
    warnings: list[str] = []
    numbers, pages, heights, stamps = _read_pages(doc, source, warnings)
    if not any(pages):
        if warnings and not numbers:
            raise IngestError(source, "corrupt PDF: no readable page")
        raise IngestError(source, "image-only PDF (no text layer)")
    kept = remove_furniture(pages, heights)
    furniture = [ln for page in pages for ln in page if "furniture" in ln.tags]
    lines = [ln for page in kept for ln in page]
    _fix_text(lines)
    words, hyphened = _spellings(lines)
    body = body_size(lines)
    ordered: list[tuple[int, list[Block]]] = []
    for number, page_lines in zip(numbers, kept, strict=True):
        rest, tables = find_tables(page_lines)
        ordered.append((number, reading_order(blocks_of(merge_labels(rejoin_rows(rest)))
                                              + tables)))
    first = ordered[0][1] if ordered and ordered[0][0] == 1 else []
    info = doc.get_metadata_dict(skip_empty=True)
    meta = read_meta(
        first,
        [ln for ln in furniture if ln.page == 1],
        stamps,
        heights[0] if numbers and numbers[0] == 1 else 792.0,
        body,
        info,
        source,
        {_norm(ln.text) for ln in furniture if ln.page != 1},
    )
    front = {id(meta.title_block)} if meta.title_block is not None else set()
    units = assign_sections(units_of(ordered, body, front, joiner(words, hyphened)))
    blocks = doc_blocks(units)
    if not blocks:
        raise IngestError(source, "image-only PDF (no text layer)")
    title = meta.title or _first_line(first) or Path(source).stem
    return (
        PaperDoc(
            title=title,
            blocks=blocks,
            source=source,
            kind="pdf",
            authors=meta.authors,
            year=meta.year,
            doi=meta.doi,
            arxiv_id=meta.arxiv_id,
            venue=meta.venue,
        ),
        warnings,
    )


def _fix_text(lines: list[Line]) -> None:
    """Clean each line's characters; map private-use glyphs with the whole paper's words."""
    for ln in lines:
        ln.text = clean_chars(ln.text).strip()
    whole = "\n".join(ln.text for ln in lines)
    fixed = fix_private_use(whole)
    if fixed != whole:
        for ln, text in zip(lines, fixed.split("\n"), strict=True):
            ln.text = text


def _spellings(lines: list[Line]) -> tuple[set[str], set[str]]:
    """The paper's own words and hyphenated compounds (not counting line-end splits)."""
    whole = "\n".join(ln.text.rstrip("\u00ad-") for ln in lines)
    words = {w.casefold() for w in re.findall(r"\w+", whole)}
    hyphened = {w.casefold() for w in re.findall(r"\w+(?:-\w+)+", whole)}
    return words, hyphened


def _first_line(blocks: list[Block]) -> str:
    """The first substantial line of page 1 (two words, ten characters)."""
    for block in blocks:
        for line in block.lines:
            text = " ".join(line.text.split())
            if len(text) >= 10 and len(text.split()) >= 2:
                return text[:200]
    return ""
