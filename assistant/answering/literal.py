"""Answer text as Markdown that shows every character it holds.

Answers are Markdown (headings, bold labels, tables), but model and paper text inside them may
hold HTML-like tags (``<passage n="4">``), comments (``<!-- -->``), autolinks and entities
(``&amp;``). A Markdown renderer treats those as HTML and hides them (rich drops inline and block
HTML; a tag can swallow a whole answer). :func:`literal_markdown` backslash-escapes each ``<``
that could open one and each ``&`` that could start an entity, outside code spans and fenced
code (where nothing is interpreted), so the rendered answer shows them as characters.
"""

from __future__ import annotations

import re

__all__ = ["literal_markdown"]

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_HTML_START = re.compile(r"(?<!\\)<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"(?<!\\)&(?=#?[A-Za-z0-9]+;)")


def _escape(text: str) -> str:
    return _ENTITY.sub(r"\\&", _HTML_START.sub(r"\\<", text))


def _escape_inline(text: str) -> str:
    """Escape outside inline code spans."""
    out, pos = [], 0
    for m in _CODE_SPAN.finditer(text):
        out += [_escape(text[pos:m.start()]), m.group(0)]
        pos = m.end()
    out.append(_escape(text[pos:]))
    return "".join(out)


def literal_markdown(text: str) -> str:
    """``text`` with HTML-like tags and entities escaped so Markdown shows them literally."""
    if "<" not in text and "&" not in text:
        return text
    out: list[str] = []
    paragraph: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        opener = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
        elif opener:
            out.append(_escape_inline("".join(paragraph)))
            paragraph = []
            out.append(line)
            fence = opener.group(1)
        else:
            paragraph.append(line)
    out.append(_escape_inline("".join(paragraph)))
    return "".join(out)
