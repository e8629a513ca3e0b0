"""The words the support checks compare: stopwords, the English stemmer, and numbers
normalised ("1,000" -> "1000", "0.50" -> "0.5", "three" -> "3"). One copy for citations.py,
support.py and short.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from .sentences import wordset

__all__ = ["NUMBER", "STOPWORDS", "numbers_in", "stemmer"]

STOPWORDS = wordset(
    "a an the and or but nor of to in on at by for with from as into onto over under than then "
    "that this these those there here it its it's they them their we our us you your he she his "
    "her i me my is are was were be been being am do does did has have had having can could may "
    "might must shall should will would not no so such very also only just both each all any "
    "some more most other which who whom whose what when where why how while about above below "
    "between through during before after again further once same own too s t via per using use "
    "used paper papers passage passages propose proposes proposed authors author study work "
    "show shows shown present presents introduce introduces new approach method"
)
"""Words that say nothing about a claim's content."""
NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?")
_NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                 "eleven", "twelve")
_SPELLED = {w: str(i) for i, w in enumerate(_NUMBER_WORDS, 2)}
_SPELLED_RE = re.compile(r"\b(?:" + "|".join(_SPELLED) + r")\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def stemmer() -> Callable[[list[str]], list[str]]:
    """PyStemmer's English stemWords (bm25s brings it); a crude suffix strip without it."""
    try:
        import Stemmer

        return Stemmer.Stemmer("english").stemWords
    except ImportError:
        return lambda words: [re.sub(r"(?:ing|ed|es|s)$", "", w) if len(w) > 4 else w
                              for w in words]


def numbers_in(text: str) -> set[str]:
    """Numbers in ``text``, normalised ("1,000" -> "1000", "0.50" -> "0.5", "three" -> "3")."""
    out = {_SPELLED[w.lower()] for w in _SPELLED_RE.findall(text)}
    for m in NUMBER.finditer(text):
        n = m.group(0).replace(",", "")
        out.add(n.rstrip("0").rstrip(".") if "." in n else n)
    return out
