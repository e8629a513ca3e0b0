"""Spotting a model that repeats itself: the same words over and over at the end of its text.

Small models under greedy decoding fall into loops (one sentence 39 times until the token
limit). :func:`loop_start` finds the tail where a run of words repeats back to back at least
:data:`MIN_COPIES` times; the text is cut there, keeping the first copy.
"""

from __future__ import annotations

import re

__all__ = ["MIN_COPIES", "MIN_LOOP_WORDS", "loop_start"]

MIN_COPIES = 3
"""Copies of the repeated run (first one included) that make a loop."""
MIN_LOOP_WORDS = 16
"""Words the copies must span together, so "very very very" or a few "not stated" cells are
no loop (punctuation-only tokens such as "|" or "-" are not words)."""
MAX_PERIOD = 80
"""Longest repeated run looked for, in words (a long sentence or two)."""
WINDOW = 600
"""Words at the end of the text that are looked at."""

_WORD = re.compile(r"\S+")
_PUNCT = re.compile(r"^\W+|\W+$")


MIN_LOOP_CHARS = 64
"""Characters a loop inside one "word" must span ("1.1.1.1..." has no spaces to split at)."""
MAX_CHAR_PERIOD = 16


def _char_loop(text: str) -> int | None:
    """Where a short run of characters starts repeating back to back at the end."""
    tail = text[-4 * MIN_LOOP_CHARS:]
    n = len(tail)
    for period in range(1, MAX_CHAR_PERIOD + 1):
        run = 0
        while run < n - period and tail[n - 1 - run] == tail[n - 1 - run - period]:
            run += 1
        unit = tail[n - period:]
        if run + period >= MIN_LOOP_CHARS and run >= 3 * period and any(
                c.isalnum() for c in unit):  # a rule of dashes or a table border is no loop
            return len(text) - run
    return None


def loop_start(text: str) -> int | None:
    """Character offset where the text starts repeating (the start of the second copy), or
    None. Words compare case- and punctuation-insensitively; a partial last copy counts."""
    words = _word_loop(text)
    chars = _char_loop(text)
    found = [x for x in (words, chars) if x is not None]
    return min(found) if found else None


def _word_loop(text: str) -> int | None:
    spans = [(m.start(), _PUNCT.sub("", m.group(0).lower())) for m in _WORD.finditer(text)]
    if spans and not text[-1:].isspace():
        spans.pop()  # the last word may still be growing ("crawl" of "crawler")
    spans = [(at, w) for at, w in spans if w][-WINDOW:]
    words = [w for _, w in spans]
    n = len(words)
    best: int | None = None
    for period in range(1, min(MAX_PERIOD, n // MIN_COPIES) + 1):
        run = 0  # words at the end equal to the word one period earlier
        while run < n - period and words[n - 1 - run] == words[n - 1 - run - period]:
            run += 1
        if run >= (MIN_COPIES - 1) * period and run + period >= MIN_LOOP_WORDS:
            start = n - run  # the second copy begins here
            if best is None or start < best:
                best = start
    return None if best is None else spans[best][0]
