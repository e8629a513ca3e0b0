"""HTML files: visible text without page chrome; h1-h3 headings become sections."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.types import Block, PaperDoc

from .textnorm import group_paragraphs, paragraphs, title_from_stem

__all__ = ["read_html", "looks_like_html"]

_DROP = frozenset({"script", "style", "nav", "header", "footer", "noscript", "template", "iframe",
                   "svg", "head", "title"})
_BLOCK_TAGS = frozenset({
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "section", "article", "main",
    "aside", "blockquote", "pre", "figure", "figcaption", "h4", "h5", "h6", "caption", "address",
})  # fmt: skip
_HEADINGS = frozenset({"h1", "h2", "h3"})
_PARA, _LINE, _HEAD, _END = "\ue000", "\ue001", "\ue002", "\ue003"
_HTML_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body|title|p|div|h[1-6])[\s>/]", re.I)
_WS = re.compile(r"\s+")
HEADING_MAX = 300  # characters: an unclosed heading does not swallow the page


def looks_like_html(text: str) -> bool:
    """True when the start of the text opens an HTML document or carries several HTML tags."""
    head = text[:4096].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")):
        return True
    return len(_HTML_TAG.findall(head)) >= 2


class _Flattener:
    """An lxml parser target: visible text with markers for paragraph breaks, line breaks and
    h1-h3 headings, plus the page's <title> and first <h1>.

    One pass over libxml2's parse events, no tree. Measured (benchmarks/attacks.py): flattening
    BeautifulSoup's tree was quadratic (a marker inserted before a tag looks the tag up among
    its siblings: 10,000 sibling paragraphs 31 s, 20,000 over 60 s; nested tags likewise), and
    the standard library's HTMLParser is quadratic on unclosed constructs (50,000 ``<!--``:
    39 s); libxml2 reads both in linear time.
    """

    def __init__(self) -> None:
        self.out: list[str] = []
        self.title: list[str] = []
        self.first_h1: str | None = None
        self._drop: list[str] = []  # open tags whose content is not shown
        self._in_title = False
        self._pre = 0
        self._heading: list[str] | None = None
        self._heading_tag = ""

    def start(self, tag: object, attrib: object) -> None:
        if not isinstance(tag, str):
            return
        if tag == "title":
            self._in_title = True
        if tag in _DROP:
            self._drop.append(tag)
            return
        if self._drop:
            return
        if tag == "br":
            self._text(_LINE)
        elif tag in _HEADINGS:
            self._end_heading()
            self._heading, self._heading_tag = [], tag
        elif tag in _BLOCK_TAGS:
            self._end_heading()
            self.out.append(_PARA)
            self._pre += tag == "pre"

    def end(self, tag: object) -> None:
        if not isinstance(tag, str):
            return
        if tag == "title":
            self._in_title = False
        if tag in _DROP:
            for i in range(len(self._drop) - 1, -1, -1):  # the innermost open one
                if self._drop[i] == tag:
                    del self._drop[i:]
                    break
            return
        if self._drop:
            return
        if tag == self._heading_tag:
            self._end_heading()
        elif tag in _BLOCK_TAGS:
            self.out.append(_PARA)
            if tag == "pre" and self._pre:
                self._pre -= 1

    def data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        if self._drop:
            return
        if self._pre:
            data = data.replace("\n", _LINE)
        self._text(data)

    def _text(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
            if sum(map(len, self._heading)) > HEADING_MAX:
                self._end_heading()
        else:
            self.out.append(data)

    def _end_heading(self) -> None:
        if self._heading is None:
            return
        text = _WS.sub(" ", "".join(self._heading).replace(_LINE, " ")).strip()
        if self._heading_tag == "h1" and self.first_h1 is None and text:
            self.first_h1 = text
        self.out.append(f"{_HEAD}{text}{_END}")
        self._heading, self._heading_tag = None, ""

    def comment(self, text: str) -> None:
        pass

    def close(self) -> str:
        self._end_heading()
        text = _WS.sub(" ", "".join(self.out))
        return text.replace(_PARA, "\n\n").replace(_LINE, "\n")


def read_html(text: str, source: str) -> PaperDoc:
    """An HTML page: title from <title> or the first <h1>, one section per h1-h3 heading."""
    from lxml import etree  # loads only when HTML comes

    target = _Flattener()
    parser = etree.HTMLParser(target=target, huge_tree=True, no_network=True, recover=True)
    try:
        parser.feed(text)
        flat = parser.close()
    except etree.LxmlError:  # nothing readable at all (recover=True keeps all else)
        flat = target.close()
    title = _WS.sub(" ", "".join(target.title)).strip() or target.first_h1 or ""
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
