"""Sentence windows: reading a long paper closely for one question.

A full paper has far more chunks than an answer can take, and the chunk that holds the answer
often ranks low as a whole (its other sentences are about something else). Here every sentence
of the paper is scored with its neighbours (one each side) by the idf-weighted share of the
question's terms it holds - the asking clause's terms counting more - plus the cosine of its
chunk to the question; the best windows are taken until a budget of words, merged into runs,
and handed on as one passage per chunk (its runs joined by paragraph breaks), best first.
Measured on the QASPER dev papers (benchmarks/qasper.py, "bearing"): see README.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from ..types import Passage
from .terms import term_sets

__all__ = ["LONG_PAPER", "WINDOW_WORDS", "SentenceCache", "windows"]

LONG_PAPER = 8  # a paper with more chunks than this is read by sentence windows
WINDOW_WORDS = 3000  # words of windows handed to the answer engine
FOCUS_WEIGHT = 2.0  # the asking clause's terms count this much more
SIDE = 1  # neighbours on each side of a sentence
REFERENCE_FACTOR = 0.3  # a reference list matches many questions and answers none
_BACK_MATTER = re.compile(r"^\W*(?:\d+\.?\s*)?(?:references|bibliography|acknowledge?ments?)\b",
                          re.IGNORECASE)
WANTED_BONUS = 1.0


@dataclass(slots=True)
class _Sentence:
    text: str
    chunk: int  # index of its chunk in the list read
    words: set[str]


class SentenceCache:
    """Each chunk's sentences and their terms, kept while the store does not change."""

    LIMIT = 20_000

    def __init__(self) -> None:
        self._by_chunk: dict[str, list[tuple[str, set[str]]]] = {}

    def clear(self) -> None:
        self._by_chunk.clear()

    def sentences(self, chunks: list[Passage]) -> list[list[tuple[str, set[str]]]]:
        from ..answering.markers import neutralise_source_markers
        from ..answering.sentences import split_sentences

        if len(self._by_chunk) > self.LIMIT:
            self._by_chunk.clear()
        todo = [c for c in chunks if c.chunk_id not in self._by_chunk]
        split = [[" ".join(s.split()) for s in split_sentences(
            neutralise_source_markers(c.text)) if s.strip()] for c in todo]
        flat = term_sets([s for row in split for s in row])
        at = 0
        for c, row in zip(todo, split, strict=True):
            self._by_chunk[c.chunk_id] = list(zip(row, flat[at:at + len(row)], strict=True))
            at += len(row)
        return [self._by_chunk[c.chunk_id] for c in chunks]


def windows(chunks: list[Passage], cosine: dict[str, float], terms: dict[str, float],
            focus: set[str], cache: SentenceCache, budget: int,
            wanted: re.Pattern[str] | None = None) -> list[Passage]:
    """The best sentence windows of ``chunks`` (one or a few papers in reading order) for a
    question with content ``terms`` (library idf weights) and asking-clause terms ``focus``;
    a sentence matching ``wanted`` (the definition of an asked acronym) comes first."""
    from .terms import is_references

    sents: list[_Sentence] = []
    seen: set[str] = set()
    for i, rows in enumerate(cache.sentences(chunks)):
        for text, words in rows:
            if text not in seen:  # neighbouring chunks overlap by a sentence or two
                seen.add(text)
                sents.append(_Sentence(text, i, words))
    if not sents:
        return []
    weight = _weights(terms, focus, sents)
    total = sum(weight.values()) or 1.0
    refs = {i for i, c in enumerate(chunks) if is_references(c.text)
            or _BACK_MATTER.match(c.section or "")}
    scores = []
    for j in range(len(sents)):
        around = set().union(*(s.words for s in sents[max(0, j - SIDE):j + SIDE + 1]))
        lex = sum(w for t, w in weight.items() if t in around) / total
        own = sum(w for t, w in weight.items() if t in sents[j].words) / total
        score = lex + 0.5 * own + cosine.get(chunks[sents[j].chunk].chunk_id, 0.0)
        if wanted is not None and wanted.search(sents[j].text):
            score += WANTED_BONUS
        scores.append(score * (REFERENCE_FACTOR if sents[j].chunk in refs else 1.0))
    covered: dict[int, float] = {}
    used = 0
    for j in sorted(range(len(sents)), key=lambda j: -scores[j]):
        new = [x for x in range(max(0, j - SIDE), min(len(sents), j + SIDE + 1))
               if x not in covered and sents[x].chunk == sents[j].chunk]
        cost = sum(len(sents[x].text.split()) for x in new)
        if not new or used + cost > budget:
            continue
        used += cost
        for x in new:
            covered[x] = scores[j]
    return _passages(chunks, sents, covered, max(scores) or 1.0)


def _weights(terms: dict[str, float], focus: set[str], sents: list[_Sentence]
             ) -> dict[str, float]:
    """Library idf x idf among the paper's sentences; asking-clause terms count more."""
    n = len(sents)
    out = {}
    for t, idf in terms.items():
        df = sum(1 for s in sents if t in s.words)
        if df:
            out[t] = max(idf, 0.1) * math.log(1 + n / df) * (FOCUS_WEIGHT if t in focus else 1.0)
    return out


def _passages(chunks: list[Passage], sents: list[_Sentence], covered: dict[int, float],
              top: float) -> list[Passage]:
    """Runs of covered sentences, one passage per chunk (runs joined by a paragraph break),
    best chunk first; the score is the best window's, as a share of the best of all."""
    runs: dict[int, list[list[int]]] = {}
    for x in sorted(covered):
        chunk_runs = runs.setdefault(sents[x].chunk, [])
        if chunk_runs and chunk_runs[-1][-1] == x - 1:
            chunk_runs[-1].append(x)
        else:
            chunk_runs.append([x])
    out = []
    for i, chunk_runs in runs.items():
        text = "\n\n".join(" ".join(sents[x].text for x in run) for run in chunk_runs)
        best = max(covered[x] for run in chunk_runs for x in run)
        out.append(replace(chunks[i], text=text, score=round(best / top, 4)))
    return sorted(out, key=lambda p: -p.score)
