"""Text measures shared by retrieval, answers and summaries: keyword-index terms, term
coverage, reference-list detection and the short names papers go by."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["coverage", "is_references", "short_names", "term_sets", "tokens"]


_REFERENCE = re.compile(
    r"\b[A-Z][\w'\-]+,\s(?:[A-Z]\.\s?){1,3}[;,]|\bIn Proceedings of\b|\barXiv preprint\b"
    r"|\barXiv:\d|\b(?:19|20)\d\d[a-z]?\.\s+[A-Z]|\bpages\s\d+\s?[-\u2013]\s?\d+")


def is_references(text: str, at_least: int = 3) -> bool:
    """Does ``text`` look like part of a reference list ("Hoffman, R. R.; Mueller, S. T.;",
    "In Proceedings of ...", "2023. Title")?"""
    return len(_REFERENCE.findall(text)) >= at_least


def short_names(titles: dict[str, str]) -> dict[str, str]:
    """Paper id by the short name its title opens with ("SOAP: Improving ..." -> "SOAP")."""
    names: dict[str, str] = {}
    for pid, title in titles.items():
        head = title.split(":", 1)[0].strip() if ":" in title else ""
        if 2 <= len(head) <= 30 and re.search(r"[A-Z0-9]", head[1:] or head):
            names[head] = pid
    return names


def tokens(texts: list[str]) -> list[set[str]]:
    """Stemmed keyword-index terms of each text (the keyword index's own tokenizer)."""
    from ..library.keyword import tokenize

    tokenized = tokenize(texts)
    words = {i: w for w, i in tokenized.vocab.items()}
    return [{words[i] for i in row} - {""} for row in tokenized.ids]


def term_sets(texts: list[str]) -> list[set[str]]:
    """Stemmed keyword-index terms of each text (the keyword index's own tokenizer)."""
    return tokens(texts) if texts else []


def coverage(terms: dict[str, float], words: Iterable[str] | set[str]) -> float:
    """Weighted share of ``terms`` found in ``words``."""
    total = sum(terms.values())
    if total <= 0:
        return 0.0
    present = words if isinstance(words, set) else set(words)
    return sum(w for t, w in terms.items() if t in present) / total
