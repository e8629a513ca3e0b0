"""Text that reaches a terminal, made inert: the one sanitiser for paper text, titles, authors,
file names, model output and error lines.

A paper (or a file name, or a model) can hold terminal control sequences: clear-screen, set the
window title, OSC 52 (write the user's clipboard), OSC 8 hyperlinks, bidirectional overrides
that reorder what is shown. Every control character except newline and tab is shown as a
visible stand-in instead (ESC as ``␛``, C1 controls as ``\\x9b``, bidi controls as ``\\u202e``), so
no sequence can start. Markup is a separate matter: printers hand these strings to Rich as
``Text`` objects (never parsed as markup). JSON keeps the original text: :func:`json_text`
escapes the same characters as JSON escapes, which decode back to the original.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["json_text", "safe_line", "safe_text"]

_PICTURES = {c: chr(0x2400 + c) for c in range(0x20)} | {0x7F: "\u2421"}
"""C0 controls and DEL -> Unicode control pictures (␀ ... ␟, ␡): visible, one cell each."""

# C0 (except tab and newline), DEL, C1, and the format characters that reorder or hide text:
# bidi embeddings/overrides/isolates, the line/paragraph separators, BOM-like and other
# invisible format controls that terminals may act on.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ufff9-\ufffb]"
)
_UNSAFE_LINE = re.compile(_UNSAFE.pattern[:-1] + "\t\n]")


def _visible(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if code in _PICTURES:
        return _PICTURES[code]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: object) -> str:
    """``text`` for a terminal: line breaks and tabs kept (CRLF and lone CR become newlines),
    every other control character shown as a visible stand-in."""
    s = str(text)
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE.sub(_visible, s)


def safe_line(text: object) -> str:
    """``text`` on one line: as :func:`safe_text`, and newlines and tabs shown too (``␊``,
    ``␉``), so a file name or title can never forge a second output line."""
    return _UNSAFE_LINE.sub(_visible, str(text))


_JSON_EXTRA = re.compile(_UNSAFE.pattern)


def json_text(doc: Any, *, indent: int | None = 2) -> str:
    """``doc`` as JSON, non-ASCII text kept readable, every control character escaped as
    ``\\uXXXX`` (JSON's own escapes, so parsing gives back the original text)."""
    out = json.dumps(doc, ensure_ascii=False, indent=indent)
    return _JSON_EXTRA.sub(lambda m: f"\\u{ord(m.group()):04x}", out)
