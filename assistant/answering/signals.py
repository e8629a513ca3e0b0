"""Signals of a sentence that answer selection and summaries both read: is it prose, noise
(URLs, affiliations, references), does it hold a quantity, speak of the paper's own work, or
set out background."""

from __future__ import annotations

import re

from ..search.terms import is_references

__all__ = ["BACKGROUND", "DEPENDENT", "MAX_WORDS", "MIN_WORDS", "OWN", "QUANTITY", "has_quantity",
           "is_noise", "names_paper", "usable"]

# A quantity: 86.81%, 2.0-10.6x, 18GB, 21K, 0.611, 3x, 8 times, 1676.
QUANTITY = re.compile(
    r"(?<![\w.])\d+(?:[.,]\d+)*(?:\s*[-\u2013]\s*\d+(?:\.\d+)?)?"
    r"(?:\s*(?:\\?%|x\b|\u00d7|times\b|-?fold\b|[KMB]\b|GB\b|MB\b|TB\b|points?\b|pts\b))?"
)

OWN = re.compile(r"\b(?:we|our|this (?:paper|work|article|book|note))\b", re.IGNORECASE)
BACKGROUND = re.compile(
    r"(?:however|existing|the existing|recent(?:ly)?|prior|previous(?:ly)?|traditional(?:ly)?|"
    r"current|conventional(?:ly)?|despite|although)\b", re.IGNORECASE)

# A sentence that leans on the one before: an anaphoric or additive opener.
DEPENDENT = re.compile(
    r"(?:(?:to|in order to)\s+(?:\w+\s+){1,2}(?:this|these|that|it|them)\b|"
    r"(?:this|these|those|that|such|it|they|them|its|their)\b(?!\s+(?:paper|work|article|"
    r"study|survey|book|note|thesis|chapter)\b)|"
    r"(?:additionally|moreover|furthermore|also|besides|likewise|similarly|then|thus|hence|"
    r"therefore|consequently|accordingly|otherwise|instead|here|there|finally|lastly|"
    r"in addition|in this (?:case|way|setting)|in (?:both|either) cases?|for (?:this|that|"
    r"these) reasons?|as a result|on the other hand)\b)", re.IGNORECASE)

NOISE = re.compile(r"https?://|www\.|github\.com|@\w+\.\w+|\be-?mail\b|\bcorresponding "
                   r"author\b|\bequal contribution\b|\barXiv\b|\buniversity\b|\bdepartment "
                   r"of\b", re.IGNORECASE)

MIN_WORDS = 5
MAX_WORDS = 90


def usable(sentence: str) -> bool:
    """A prose sentence: 5-90 words, mostly lower case (not a title, author or heading line)."""
    words = re.findall(r"[^\W\d_]{2,}", sentence)
    lower = sum(1 for w in words if w.islower())
    return (MIN_WORDS <= len(words) <= MAX_WORDS and lower >= 3 and lower >= 0.4 * len(words)
            and not sentence.lstrip().startswith("#"))


def is_noise(text: str) -> bool:
    """URLs, e-mail addresses, affiliations and reference-list entries."""
    return bool(NOISE.search(text)) or is_references(text, 2)


def has_quantity(text: str) -> bool:
    """Does ``text`` hold a quantity (a citation year such as "(Smith, 2023)" is none)?"""
    for m in QUANTITY.finditer(text):
        token = m.group(0)
        if re.fullmatch(r"(?:19|20)\d\d", token) and "(" in text[max(0, m.start() - 30):m.start()]:
            continue
        return True
    return False


def names_paper(title: str, text: str) -> bool:
    """Does ``text`` mention the paper's short name (the title before a colon)?"""
    head = title.split(":", 1)[0].strip() if ":" in title else ""
    return bool(head) and len(head) <= 30 and head in text
