"""Choosing the sentence that answers: what the question asks decides which sentences can.

On top of the extractive engine's lexical score (weighted coverage of the question's terms,
passage relevance, own-work and background cues) every candidate gets a fit for the kind of
answer the question wants (:func:`assistant.search.question.answer_kind`):

- a number question wants a quantity, a name question a name the question does not already
  use, an acronym question the long form, a definition question a copula after the asked
  subject, a limitation question a limitation cue or a Limitations section;
- the section counts: a heading that shares the question's words is where the answer is;
  related work and background answer nothing about the paper; an abstract or introduction
  only restates what the body details (unless only the abstract is there);
- a sentence that only restates the question (few words of its own) answers little, and the
  sentence right after one that matches the question inherits part of its match ("It holds
  17,833 sentences" after "We collect a dataset of pathology reports").

The short answer is then cut from the best sentence that has a span of the wanted kind
(:mod:`assistant.answering.short`); else it is the best sentence itself (a clipped sentence
scored lower on QASPER than the whole one, 23.3 against 23.7, and reads worse).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from ..search.question import answer_kind, asked_acronym, main_clause
from .short import (
    MAX_WORDS,
    acronym_expansion,
    boolean_verdict,
    cut_span,
    definition_span,
    has_answer_quantity,
    words_of,
)


class Candidate(Protocol):
    """What choosing reads of a sentence (the extractive engine's candidates)."""

    text: str
    n: int  # 1-based passage index
    paper_id: str
    order: tuple[str, int]  # (chunk id, sentence index)
    section: str | None
    lex: float  # weighted share of the question's terms
    score: float

__all__ = ["Choice", "choose", "fit"]

# Fits (added to the engine's score, which is about 0..1.5).
TYPE_FIT = {"number": 0.3, "name": 0.2, "acronym": 0.8, "definition": 0.2, "limitation": 0.3}
MISSING_TYPE = 0.3  # a number/name question's sentence without a number/name
SECTION_FIT = 0.1  # the section heading shares the question's words
BACK_SECTION = 0.15  # related work, background
OVERVIEW = 0.15  # abstract, introduction, conclusion when the body is there too
ECHO = 0.15  # fewer than ECHO_WORDS words of its own
ECHO_WORDS = 4
LONG = 0.1  # over LONG_WORDS words
LONG_WORDS = 45
CITING = 0.1  # cites two or more works: about them, not about the paper
MARKUP = 0.3  # formulas, LaTeX commands, code, placeholders: no prose answer
CAPTION = 0.15  # "Table 4: ...", "Figure 2: ..."
PREVIOUS = 0.6  # share of the previous sentence's match a sentence inherits

REFERENCES = 0.5  # a sentence of the reference list or acknowledgements
_REFERENCE_SECTIONS = re.compile(r"^\W*(?:\d+\.?\s*)?(?:references|bibliography|"
                                 r"acknowledge?ments?)\b", re.IGNORECASE)
_BACK_SECTIONS = re.compile(r"related work|background|previous work|prior work|literature",
                            re.IGNORECASE)
_OVERVIEW_SECTIONS = re.compile(r"^\W*(?:\d+\.?\s*)?(?:abstract|introduction|conclusions?|"
                                r"summary|concluding)\b", re.IGNORECASE)
_LIMITATION_SECTIONS = re.compile(r"limitation|discussion|future|conclusion|error analysis",
                                  re.IGNORECASE)
_LIMITATION_CUE = re.compile(
    r"\b(?:limitations?|limited|drawbacks?|fails?|failures?|cannot|can not|does not|do not|"
    r"struggles?|shortcomings?|weakness\w*|future work|remains?|not (?:yet|always|able)|"
    r"only (?:works|applies|handles))\b", re.IGNORECASE)
_METRIC_Q = re.compile(r"\b(?:f1|f-?measure|f-?score|accuracy|precision|recall|bleu|rouge|auc|"
                       r"score|percentage|percent|rate|perplexity|error|ratio)s?\b", re.IGNORECASE)
_MARKUP = re.compile(r"\$|\\[A-Za-z]+|\bINLINEFORM\d|[{}]|~~|>>>|\s=\s|\w\(\)|\(\s\)|\^|"
                     r"[\u221d\u223c\u2248\u2264\u2265\u2208\u2211\u220f]")
_CAPTION = re.compile(r"^(?:Table|Figure|Fig\.|Algorithm)\s*\w*\d+[.:]", re.IGNORECASE)
_CITES = re.compile(r"\bBIBREF\d+|\(ref\.?s?\s[\d,\s\u2013-]+\)|\([A-Z][^()]{0,40}\b(?:19|20)\d\d"
                    r"[a-z]?\)")
_NEW_NAME = re.compile(r"(?<=\s)[\w.+-]*(?:[A-Z][\w.+-]*[A-Z0-9]|[A-Za-z]+\d|[a-z]+[A-Z])"
                       r"[\w.+-]*|(?<=\s)[A-Z][a-z]{2,}\w*")


def _has_new_name(text: str, asked: set[str]) -> bool:
    for m in _NEW_NAME.finditer(text):
        word = m.group(0).strip(".-")
        if len(word) > 1 and word.lower() not in asked and not re.match(
                r"(?:BIBREF|TABREF|FIGREF|SECREF|INLINEFORM)\d", word):
            return True
    return False


def fit(question: str, kind: str, cands: Sequence[Candidate]) -> None:
    """Add the answer-kind, section and shape fits to every candidate's ``score``."""
    asked_words = words_of(question)
    asked_lower = {w.lower() for w in re.findall(r"[\w.+-]+", question)}
    acronym = asked_acronym(question) if kind == "acronym" else None
    subject = _subject(question)
    count = not _METRIC_Q.search(question)  # "two runs" answers no "what F-measure"
    with_body = {c.paper_id for c in cands
                 if c.section and not _OVERVIEW_SECTIONS.search(c.section)}
    by_place = {(c.n, c.order[1]): c for c in cands}
    base = {id(c): c.lex for c in cands}
    for c in cands:
        f = 0.0
        text, section = c.text, c.section or ""
        if kind == "number":
            f += TYPE_FIT["number"] if has_answer_quantity(text, words=count) else -MISSING_TYPE
        elif kind == "name":
            f += TYPE_FIT["name"] if _has_new_name(text, asked_lower) else -MISSING_TYPE
        elif kind == "acronym" and acronym and acronym_expansion(acronym, text):
            f += TYPE_FIT["acronym"]
        elif kind == "definition" and subject and definition_span(subject, text):
            f += TYPE_FIT["definition"]
        elif kind == "limitation":
            f += TYPE_FIT["limitation"] * (bool(_LIMITATION_CUE.search(text))
                                           + bool(_LIMITATION_SECTIONS.search(section)))
        if section and words_of(section) & asked_words:
            f += SECTION_FIT
        if _BACK_SECTIONS.search(section):
            f -= BACK_SECTION
        if _REFERENCE_SECTIONS.search(section):
            f -= REFERENCES
        if (_OVERVIEW_SECTIONS.search(section) and c.paper_id in with_body
                and kind not in ("reason", "limitation")):
            f -= OVERVIEW
        if len(words_of(text) - asked_words) < ECHO_WORDS and kind != "boolean":
            f -= ECHO
        if len(text.split()) > LONG_WORDS:
            f -= LONG
        if len(_CITES.findall(text)) >= 2:
            f -= CITING
        if len(_MARKUP.findall(text)) >= 2:
            f -= MARKUP
        if _CAPTION.match(text):
            f -= CAPTION
        before = by_place.get((c.n, c.order[1] - 1))
        if before is not None and base[id(before)] * PREVIOUS > c.lex:
            f += base[id(before)] * PREVIOUS - c.lex
        c.score += f


C = TypeVar("C", bound=Candidate)


@dataclass(slots=True)
class Choice(Generic[C]):
    """The chosen sentence and the short answer cut from ``source`` (None: no short answer
    better than the sentence itself)."""

    kind: str
    best: C
    source: C
    short: str | None
    verdict: str | None = None  # "Yes" / "No" for a yes/no question


def choose(question: str, cands: list[C]) -> Choice[C]:
    """Rank ``cands`` (scores already set by the engine), then cut the short answer: from the
    best sentence that holds a span of the wanted kind among the best few, else the best."""
    kind = answer_kind(question)
    fit(question, kind, cands)
    ranked = sorted(cands, key=lambda c: -c.score)
    best = ranked[0]
    if kind == "boolean":
        return Choice(kind, best, best, None, boolean_verdict(question, best.text, best.lex))
    subject = _subject(question)
    acronym = asked_acronym(question) if kind == "acronym" else None
    near = [c for c in ranked[:3] if c.score >= best.score - 0.25]
    if kind == "acronym" and acronym:  # worth looking for further down; a full long form first
        near = sorted(ranked[:10], key=lambda c: -_full_form(acronym, c.text))
    for c in near:
        span = cut_span(kind, question, c.text, subject=subject, acronym=acronym)
        if span and 0 < len(span.split()) <= MAX_WORDS and span != c.text:
            return Choice(kind, best, c, span)
    return Choice(kind, best, best, None)


def _full_form(acronym: str, text: str) -> int:
    """2: the text spells ``acronym`` out one word a letter; 1: some expansion; 0: none."""
    found = acronym_expansion(acronym, text)
    if not found:
        return 0
    letters = [ch for ch in acronym if ch.isalnum() and not ch.islower()] or list(acronym)
    return 2 if len(found.replace("-", " ").split()) >= len(letters) else 1


def _subject(question: str) -> str:
    m = re.match(r"^(?:what|who)\s+(?:is|are|was|were)\s+(?:the\s+|a\s+|an\s+)?(.+?)\??$"
                 r"|^how\s+(?:is|are|was|were)\s+(?:the\s+)?(.+?)\s+defined\b",
                 main_clause(question), re.IGNORECASE)
    return (m.group(1) or m.group(2) or "") if m else ""
