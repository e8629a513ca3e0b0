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

from ..search.question import answer_kind, asked_acronym, asked_head, main_clause
from .short import (
    MAX_WORDS,
    POINTER,
    acronym_expansion,
    boolean_verdict,
    cut_span,
    definition_span,
    has_answer_quantity,
    has_rate,
    quantity_of,
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
    words: set[str]  # its terms (as the question's are stemmed)

__all__ = ["Choice", "choose", "fit"]

# Fits (added to the engine's score, which is about 0..1.5).
TYPE_FIT = {"number": 0.3, "name": 0.2, "acronym": 0.8, "definition": 0.3, "limitation": 0.3}
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
HEAD_FIT = 0.15  # the quantity counts what the question asks about ("corpus of 100 million")
NOT_RATE = 0.15  # "how often / what share" answered by a quantity that is no rate or share
# "By how much must X exceed Y?", "How much faster is X?": a difference, which a sentence
# states with a comparative ("five orders of magnitude greater than", "2x faster than")
_DEGREE_Q = re.compile(r"^(?:by\s+how\s+much\b|how\s+much\s+(?:more|less|larger|smaller|"
                       r"higher|lower|faster|slower|better|worse|bigger|greater)\b)",
                       re.IGNORECASE)
_COMPARATIVE = re.compile(r"\b(?:greater|larger|bigger|higher|lower|smaller|more|less|fewer|"
                          r"faster|slower|better|worse)\s+than\b|\bexceed\w*|\boutperform\w*",
                          re.IGNORECASE)
DEGREE_FIT = 0.15
_SIZE_Q = re.compile(r"^how\s+(?:big|large|small|long)\b", re.IGNORECASE)
_RATE_Q = re.compile(r"^how\s+(?:often|frequently)\b|^(?:what|which)\s+(?:\w+\s+)?(?:share|"
                     r"fraction|proportion|percentage|percent|rate)\b", re.IGNORECASE)

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
                r"(?:BIBREF|TABREF|FIGREF|SECREF|INLINEFORM)\d", word) and not POINTER.match(
                    text, m.start()):
            return True
    return False


def fit(question: str, kind: str, cands: Sequence[Candidate]) -> None:
    """Add the answer-kind, section and shape fits to every candidate's ``score``."""
    asked_words = words_of(question)
    asked_lower = {w.lower() for w in re.findall(r"[\w.+-]+", question)}
    acronym = asked_acronym(question) if kind == "acronym" else None
    subject = _subject(question)
    # "two runs" answers no "what F-measure", "one main predicate" no "how big is the data"
    count = not _METRIC_Q.search(question) and not _SIZE_Q.match(main_clause(question).strip())
    head = words_of(asked_head(question).noun)
    rate = kind == "number" and bool(_RATE_Q.match(main_clause(question).strip()))
    degree = kind == "number" and bool(_DEGREE_Q.match(" ".join(question.split())))
    with_body = {c.paper_id for c in cands
                 if c.section and not _OVERVIEW_SECTIONS.search(c.section)}
    by_place = {(c.n, c.order[1]): c for c in cands}
    base = {id(c): c.lex for c in cands}
    for c in cands:
        f = 0.0
        text, section = c.text, c.section or ""
        if kind == "number":
            if has_answer_quantity(text, words=count):
                f += TYPE_FIT["number"]
                f += HEAD_FIT if quantity_of(head, text) else 0.0
                f -= NOT_RATE if rate and not has_rate(text) else 0.0
                f += DEGREE_FIT if degree and _COMPARATIVE.search(text) else 0.0
            else:
                f -= MISSING_TYPE
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
                and kind not in ("reason", "limitation", "definition")):
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


def choose(question: str, cands: list[C], focus: set[str] | None = None) -> Choice[C]:
    """Rank ``cands`` (scores already set by the engine), then cut the short answer: from the
    best sentence that holds a span of the wanted kind among the best few, else the best.
    A yes/no question is answered "No" when a term of its asking clause (``focus``) occurs in
    no sentence of the deciding paper ("only on English data?" of a paper that never says
    "English")."""
    kind = answer_kind(question)
    fit(question, kind, cands)
    ranked = sorted(cands, key=lambda c: -c.score)
    best = ranked[0]
    if kind == "boolean":
        said = set().union(*(c.words for c in cands if c.paper_id == best.paper_id))
        unsaid = (focus or set()) - said
        verdict = ("No" if unsaid & words_of(question)  # content words, not "across"
                   else boolean_verdict(question, best.text, best.lex))
        return Choice(kind, best, best, None, verdict)
    subject = _subject(question)
    head = words_of(asked_head(question).noun)
    acronym = asked_acronym(question) if kind == "acronym" else None
    near = [c for c in ranked[:3] if c.score >= best.score - 0.25]
    if kind == "acronym" and acronym:  # worth looking for further down; a full long form first
        near = sorted(ranked[:10], key=lambda c: -_full_form(acronym, c.text))
    for c in near:
        span = cut_span(kind, question, c.text, subject=subject, acronym=acronym, head=head)
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
