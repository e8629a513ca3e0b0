"""Text clean-up for PDF text: ligatures, private-use glyphs, control characters, line-end
hyphens, and the DOI / year finders.

Words are judged with the `wordfreq` frequency list (bundled with the package, offline): a
private-use glyph becomes the ligature that makes real words ("\\ue104uorescent" ->
"fluorescent"), and a line-end hyphen is kept only when the joined word is not a word of its
own but the hyphenated one is ("post-hoc", "well-known"; "infor-mation" -> "information").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .pdf_lines import SOFT_HYPHEN

__all__ = [
    "clean_chars",
    "fix_private_use",
    "join_lines",
    "joiner",
    "resolve_hyphens",
    "find_doi",
    "find_year",
    "zipf",
    "SOFT_HYPHEN",
]

_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st",
     "\ufffe": SOFT_HYPHEN, "\x02": SOFT_HYPHEN, "\u2010": "-", "\u2011": "-"}
)
_PUA = re.compile(r"[\ue000-\uf8ff]")
_PUA_WORD = re.compile(r"\w*[\ue000-\uf8ff][\w\ue000-\uf8ff]*")
_LIGATURE_GUESSES = ("fi", "fl", "ff", "ffi", "ffl", "ft", "st", "Th", "")
_SPACES = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")  # two spaces stay: a gap
_URL_END = re.compile(r"(?:\bhttps?|\bwww)[^\s)]*[/.:_-]$")
_URL_GOES_ON = re.compile(r"[a-z0-9/][\w./-]*[./][\w./?=&%#-]*(?:\s|$)")
_CLOSED_SUFFIXES = frozenset({"less", "ness"})  # suffixes, not words of a compound
_SPLIT_WORD = re.compile(r"(\w+(?:-\w+)*)\u00ad\s*(\w+)")
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)")
_NEW_ARXIV = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")
_PDF_DATE = re.compile(r"^D?:?((?:19|20)\d{2})")


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How common an English word is (Zipf scale: 0 unknown, 3 = once per million words)."""
    from wordfreq import zipf_frequency  # loads its list on first use: lazy

    return zipf_frequency(word, "en")


def _bad(c: str) -> bool:
    cat = unicodedata.category(c)
    return (cat in ("Cc", "Cs", "Cn") and c not in "\n\t") or c == "\ufffd"


def clean_chars(text: str) -> str:
    """Ligatures to letters, hyphen codes unified, controls and non-characters made spaces,
    spaces unified (private-use glyphs are left for fix_private_use)."""
    text = text.translate(_LIGATURES)
    if not text.isprintable() and any(_bad(c) for c in text):  # printable: none is bad
        # a control code stands for a symbol (a math font's bracket, arrow or minus): a space,
        # so the tokens on either side stay apart ("g k\x8d;h" -> "g k ;h")
        text = "".join(" " if _bad(c) else c for c in text)
    return _SPACES.sub(" ", text)


def fix_private_use(text: str) -> str:
    """Map each private-use code point to the ligature that makes the most real words across
    the whole text; a glyph no guess explains is dropped (a math symbol without a meaning)."""
    points = set(_PUA.findall(text))
    if not points:
        return text
    found = _PUA_WORD.findall(text)
    choice: dict[str, str] = {}
    for point in points:
        words = [w for w in found if point in w and len(_PUA.sub("", w)) >= 2][:200]
        best, best_score = "", 0.0
        for guess in _LIGATURE_GUESSES:
            score = 0.0
            for w in words:
                candidate = _PUA.sub("", w.replace(point, guess))
                score += zipf(candidate.lower()) if candidate else 0.0
            if score > best_score + 1e-9:
                best, best_score = guess, score
        choice[point] = best
    return _PUA.sub(lambda m: choice.get(m.group(0), ""), text)


def join_lines(prev: str, line: str) -> str:
    """Join a line to the paragraph so far: no space after a line-end hyphen (a plain hyphen
    before a lower-case word is settled later, like a soft one)."""
    if prev.endswith(SOFT_HYPHEN):
        return prev + line
    if prev.endswith("-") and prev[-2:-1].isalpha() and line[:1].islower():
        return prev[:-1] + SOFT_HYPHEN + line
    if _URL_END.search(prev) and _URL_GOES_ON.match(line):
        return prev + line  # a link broken at a line end: "http://" + "allenai.org/..."
    return f"{prev} {line}" if prev else line


def keeps_hyphen(a: str, b: str, words: set[str], hyphened: set[str]) -> bool:
    """Whether "a-" at a line end followed by "b" is the compound "a-b" (else the word "ab")."""
    if "-" in a or b[0].isupper() or b[0].isdigit() or a[-1].isdigit():
        return True  # state-of-the-art, PaSa-GPT-4o, COVID-19
    if len(a) > 1 and a.isupper():
        return True  # PDF-specific
    joined, hyphen = (a + b).casefold(), f"{a}-{b}".casefold()
    if hyphen in hyphened and joined not in words:
        return True
    if b.casefold() in _CLOSED_SUFFIXES and not a.casefold().endswith("ll"):
        return False  # -less and -ness words are written solid (collisionless, awareness)
    if joined in words and hyphen not in hyphened:
        return False
    zj = zipf(joined)
    za, zb = zipf(a.casefold()), zipf(b.casefold())
    if zj == 0.0:
        return len(a) > 1 and len(b) > 1 and za >= 2.5 and zb >= 2.5
    return zj < min(za, zb) - 2.0


def resolve_hyphens(text: str, words: set[str], hyphened: set[str]) -> str:
    """Settle each "a<SHY>b" (see keeps_hyphen); ``words`` and ``hyphened`` are the document's
    own spellings (lower-case), which win over the word list."""

    def choose(m: re.Match[str]) -> str:
        a, b = m.group(1), m.group(2)
        return f"{a}-{b}" if keeps_hyphen(a, b, words, hyphened) else a + b

    return _SPLIT_WORD.sub(choose, text).replace(SOFT_HYPHEN, "")


def joiner(words: set[str], hyphened: set[str]):
    """A line joiner that settles a line-end hyphen as soon as the next line comes."""

    def join(prev: str, line: str) -> str:
        joined = join_lines(prev, line)
        if SOFT_HYPHEN not in joined:
            return joined
        cut = len(joined) - len(line)
        head = joined[:cut]
        m = re.search(r"(\w+(?:-\w+)*)\u00ad$", head)
        n = re.match(r"\w+", line)
        if m and n:
            a, b = m.group(1), n.group(0)
            dash = "-" if keeps_hyphen(a, b, words, hyphened) else ""
            return head[: m.end(1)] + dash + line
        return head.replace(SOFT_HYPHEN, "") + line

    return join


def find_doi(text: str) -> str | None:
    """The first DOI printed in text (10.xxxx/...), trailing punctuation removed."""
    m = _DOI.search(text)
    return m.group(1).rstrip(".,;:)]}'\"") if m else None


def find_year(arxiv_id: str | None, creation_date: str) -> int | None:
    """The year from a new-style arXiv id (2501.12345 -> 2025), else the PDF's creation date."""
    if arxiv_id and (m := _NEW_ARXIV.match(arxiv_id)) and 1 <= int(m.group(2)) <= 12:
        return 2000 + int(m.group(1))
    m = _PDF_DATE.match(creation_date.strip())
    return int(m.group(1)) if m else None
