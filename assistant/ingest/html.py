"""HTML files: visible text without page chrome; h1-h3 headings become sections."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.types import Block, PaperDoc

from .textnorm import group_paragraphs, paragraphs, title_from_stem

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

__all__ = ["read_html", "looks_like_html"]

_DROP = ["script", "style", "nav", "header", "footer", "noscript", "template", "iframe", "svg"]
_BLOCK_TAGS = [
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "section", "article", "main",
    "aside", "blockquote", "pre", "figure", "figcaption", "h4", "h5", "h6", "caption", "address",
]  # fmt: skip
_PARA, _LINE, _HEAD, _END = "\ue000", "\ue001", "\ue002", "\ue003"
_HTML_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body|title|p|div|h[1-6])[\s>/]", re.I)
_WS = re.compile(r"\s+")


def looks_like_html(text: str) -> bool:
    """True when the start of the text opens an HTML document or carries several HTML tags."""
    head = text[:4096].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")):
        return True
    return len(_HTML_TAG.findall(head)) >= 2


def _flatten(soup: BeautifulSoup) -> str:
    """Visible text with markers for paragraph breaks, line breaks and h1-h3 headings."""
    from bs4 import NavigableString

    for tag in soup(_DROP):
        tag.decompose()
    for br in soup("br"):
        br.replace_with(NavigableString(_LINE))
    for pre in soup("pre"):
        pre.string = pre.get_text().replace("\n", _LINE)
    for h in soup(["h1", "h2", "h3"]):
        h.replace_with(NavigableString(f"{_HEAD}{_WS.sub(' ', h.get_text()).strip()}{_END}"))
    for tag in soup(_BLOCK_TAGS):
        tag.insert_before(NavigableString(_PARA))
        tag.insert_after(NavigableString(_PARA))
    root = soup.body or soup
    text = _WS.sub(" ", root.get_text())
    return text.replace(_PARA, "\n\n").replace(_LINE, "\n")


def read_html(text: str, source: str) -> PaperDoc:
    """An HTML page: title from <title> or the first <h1>, one section per h1-h3 heading."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    title_tag = soup.find("title")
    title = _WS.sub(" ", title_tag.get_text()).strip() if title_tag else ""
    if not title and (h1 := soup.find("h1")):
        title = _WS.sub(" ", h1.get_text()).strip()
    flat = _flatten(soup)
    blocks: list[Block] = []
    section: str | None = None
    for i, part in enumerate(flat.split(_HEAD)):
        body = part
        if i > 0:
            heading, _, body = part.partition(_END)
            section = heading.strip() or section
        blocks += [Block(text=g, section=section) for g in group_paragraphs(paragraphs(body))]
    return PaperDoc(
        title=title or title_from_stem(Path(source).stem),
        blocks=blocks,
        source=source,
        kind="html",
    )
