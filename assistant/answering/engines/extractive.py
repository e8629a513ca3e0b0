"""The no-LLM answer engine: answers built only from verbatim sentences of retrieved passages.

Every sentence of an answer is a sentence of ``retrieval.passages[n - 1]`` (whitespace collapsed)
followed by its marker ``[n]``. Sentences are scored lexically (see :meth:`ExtractiveEngine.score`);
embedding similarity was measured and left out: ranking the sentences of the right paper by it put
a sentence holding the answer keywords first for 43% of 53 questions against 59% for the lexical
score (55% combined), at ~20 ms a sentence on CPU. Layouts by question kind: fact and number - the
short answer (a span cut from the chosen sentence, the sentence itself, or Yes/No before the
deciding sentence; see :mod:`assistant.answering.selection`), then the chosen sentence and up to
two supporting ones that speak of the question and add to it; method - the same with up to five,
MMR, in reading order; summary - up to seven of the paper, in reading order; compare - a section
per paper; which papers - a bullet per paper. Source text's bracketed references ("[7]") are
written "(ref. 7)" before any sentence is copied, so the only markers are the engine's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...search.retriever import Retrieval
from ...search.terms import term_sets
from ..markers import neutralise_source_markers
from ..signals import BACKGROUND, OWN, has_quantity, is_noise, names_paper, usable
from .base import AnswerEngine

__all__ = ["ABSTAIN_TEXT", "Candidate", "ExtractiveEngine", "candidates"]

if TYPE_CHECKING:
    from ...config import LLMSettings
    from ...types import Passage
    from .base import ComparisonDraft, SummaryDraft, TopicDraft

ABSTAIN_TEXT = "The library does not contain an answer to this question."

_YEAR_Q = re.compile(r"\b(?:what|which) year\b|\bwhen (?:was|were|did)\b", re.IGNORECASE)
_RESULT = re.compile(
    r"\b(?:experiment\w*|results?|outperform\w*|evaluat\w*|benchmark\w*|achiev\w*|"
    r"surpass\w*|state-of-the-art)\b", re.IGNORECASE)
_RESULT_Q = re.compile(r"\b(?:perform\w*|accura\w*|results?|better|faster|speed\w*|"
                       r"outperform\w*|evaluat\w*|benchmark\w*)\b", re.IGNORECASE)
FOCUS_WEIGHT = 3.0
TITLE_DISCOUNT = 0.5  # terms of the paper's own title identify the paper, not the asked detail
FACT_SENTENCES = 3
WHOLE = 0.9  # a short answer with this share of its sentence's words is the sentence
METHOD_SENTENCES = 5
SUMMARY_SENTENCES = 7
COMPARE_SENTENCES = 4  # per paper
OPENING_CHUNKS = 2  # a summary favours the first chunks of a paper (its abstract)
MIN_SHARE = 0.3  # a supporting sentence scores at least this share of the best


@dataclass(slots=True)
class Candidate:
    """One sentence of one passage, with what the scorer needs."""

    text: str  # the sentence, whitespace collapsed
    n: int  # 1-based passage index
    paper_id: str
    title: str
    order: tuple[str, int]  # (chunk id, sentence index): reading order inside a paper
    words: set[str]
    paper_score: float  # the best passage score of its paper
    section: str | None = None  # the section of its passage
    lex: float = 0.0  # weighted share of the question's terms in the sentence
    prior: float = 0.0  # everything else: passage relevance, bonuses, penalties
    score: float = 0.0  # lex + prior


def _split(text: str) -> list[str]:
    try:
        from ..sentences import split_sentences
    except ImportError:  # pragma: no cover - citations is built in parallel
        return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(])", text) if s]
    return split_sentences(text)


def candidates(retrieval: Retrieval) -> list[Candidate]:
    """The usable sentences of the retrieved passages, first occurrence of each kept."""
    out: list[Candidate] = []
    seen: set[str] = set()
    paper_score: dict[str, float] = {}
    for p in retrieval.passages:
        paper_score[p.paper_id] = max(paper_score.get(p.paper_id, 0.0), p.score)
    raw: list[tuple[str, int, int]] = []
    for n, p in enumerate(retrieval.passages, 1):
        for i, sentence in enumerate(_split(neutralise_source_markers(p.text))):
            text = " ".join(sentence.split())
            key = re.sub(r"\W+", " ", text.lower()).strip()
            if key in seen or not usable(text):
                continue
            seen.add(key)
            raw.append((text, n, i))
    words = term_sets([t for t, _, _ in raw])
    hyphenated = [k for k, (t, _, _) in enumerate(raw) if "-" in t]
    # "pre-trained" is also "pretrained": the keyword tokenizer splits hyphenated words
    for k, joined in zip(hyphenated, term_sets([re.sub(r"(?<=\w)-(?=\w)", "", raw[k][0])
                                                 for k in hyphenated]), strict=True):
        words[k] |= joined
    for (text, n, i), ws in zip(raw, words, strict=True):
        p = retrieval.passages[n - 1]
        out.append(Candidate(text, n, p.paper_id, p.title, (p.chunk_id, i), ws,
                             paper_score[p.paper_id], p.section))
    return out


def _pool_weights(terms: dict[str, float], cands: list[Candidate],
                  focus: set[str] | frozenset[str] = frozenset()) -> dict[str, float]:
    """Question terms found among the candidates, weighted library idf x idf among the
    candidates, times ``FOCUS_WEIGHT`` for the terms of the asking clauses."""
    df: dict[str, int] = {}
    for c in cands:
        for t in terms:
            if t in c.words:
                df[t] = df.get(t, 0) + 1
    n = len(cands)
    return {t: terms[t] * math.log(1 + n / d) * (FOCUS_WEIGHT if t in focus else 1.0)
            for t, d in df.items()}


def _background(cands: list[Candidate]) -> set[int]:
    """Background sentences: those opening with "However", "Existing ...", "Recently" and
    the like, and those before a paper's first contribution sentence ("we propose ...")."""
    out = {id(c) for c in cands if BACKGROUND.match(c.text)}
    by_paper: dict[str, list[Candidate]] = {}
    for c in cands:
        by_paper.setdefault(c.paper_id, []).append(c)
    for own in by_paper.values():
        own.sort(key=lambda c: c.order)
        first = next((i for i, c in enumerate(own)
                      if OWN.search(c.text) or names_paper(c.title, c.text)), None)
        if first:
            out.update(id(c) for c in own[:first])
    return out


def _new_name(text: str, known: set[str]) -> bool:
    """Does ``text`` name something the question does not: a capitalised or mixed
    letter-digit word past the first (PyTorch, GPT-4o, CoordConv)?"""
    for m in re.finditer(r"(?<=\s)[\w.+-]*(?:[A-Z][\w.+-]*[A-Z0-9]|[A-Za-z]+\d)[\w.+-]*", text):
        word = m.group(0).strip(".-")
        if word.lower() not in known and len(word) > 1:
            return True
    return False


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


REPEATS = 0.6  # a supporting sentence whose words are this much inside the chosen ones adds nothing


def _repeats(c: Candidate, chosen: list[Candidate]) -> bool:
    """Does ``c`` say little the chosen sentences do not (most of its words are theirs)?"""
    if not c.words:
        return True
    seen = set().union(*(o.words for o in chosen)) if chosen else set()
    return len(c.words & seen) / len(c.words) >= REPEATS


class ExtractiveEngine(AnswerEngine):
    """Answers from retrieved sentences, laid out by question kind; no language model."""

    name = "extractive"
    verbatim = True

    def __init__(self, settings: LLMSettings | None = None) -> None:
        self.settings = settings

    @property
    def description(self) -> str:
        return "extractive: verbatim cited sentences (no LLM)"

    def stream_answer(self, question: str, retrieval: Retrieval) -> Iterator[str]:
        yield self.answer(question, retrieval)

    def summary(self, draft: SummaryDraft) -> str:
        from ..summarize import render_summary

        return render_summary(draft)

    def topic(self, draft: TopicDraft) -> tuple[str, list[Passage]]:
        from ..summarize import render_topic

        return render_topic(draft), draft.passages

    def comparison(self, draft: ComparisonDraft) -> str:
        return draft.extractive()

    def score(self, question: str, retrieval: Retrieval, cands: list[Candidate]) -> None:
        """Set ``Candidate.score``: weighted term coverage plus half the passage relevance,
        a quantity bonus for number questions, a bonus for the paper's own contribution
        sentences and a penalty for background sentences and noise (URLs, affiliations).

        A question term weighs its library idf times its idf among the candidate sentences,
        so the terms that single out a sentence (the asked detail) count more than those
        shared by the whole paper (its description)."""
        wants_number = retrieval.kind == "number" or bool(_YEAR_Q.search(question))
        wants_name = retrieval.kind == "fact" and not wants_number
        weights = _pool_weights(retrieval.terms, cands, retrieval.focus)
        total = sum(weights.values()) or 1.0
        background = _background(cands)
        asked = set(re.findall(r"[\w.+-]+", question.lower()))
        titles = sorted({c.title for c in cands})
        title_words = dict(zip(titles, term_sets(titles), strict=True))
        for c in cands:
            named = title_words[c.title]
            c.lex = sum(w * (TITLE_DISCOUNT if t in named else 1.0)
                        for t, w in weights.items() if t in c.words) / total
            prior = 0.5 * c.paper_score
            if wants_number and has_quantity(c.text):
                prior += 0.3
            if wants_name and _new_name(c.text, asked | set(c.title.lower().split())):
                prior += 0.15
            if OWN.search(c.text) or names_paper(c.title, c.text):
                prior += 0.1
            if id(c) in background and retrieval.kind != "summary":
                prior -= 0.15
            if is_noise(c.text):
                prior -= 0.3
            c.prior, c.score = prior, c.lex + prior

    # -- layouts -----------------------------------------------------------------------------
    def answer(self, question: str, retrieval: Retrieval) -> str:
        """Markdown whose every sentence is a cited verbatim sentence, or the abstention."""
        if retrieval.abstain or not retrieval.passages:
            return self.abstention(retrieval)
        cands = candidates(retrieval)
        if not cands:
            return self.abstention(retrieval)
        self.score(question, retrieval, cands)
        layout = {
            "topic": self._topic,
            "summary": self._summary,
            "compare": self._compare,
            "method": self._method,
        }.get(retrieval.kind, self._fact)
        return layout(retrieval, cands).strip()

    @staticmethod
    def abstention(retrieval: Retrieval) -> str:
        names = "; ".join(f"*{title}*" for _, title, _ in retrieval.papers[:3])
        if not names:
            return ABSTAIN_TEXT
        return f"{ABSTAIN_TEXT} The nearest papers are: {names}."

    @staticmethod
    def _cite(c: Candidate) -> str:
        return f"{c.text} [{c.n}]"

    def _fact(self, retrieval: Retrieval, cands: list[Candidate]) -> str:
        """The short answer, then the sentence it comes from and up to two supporting ones."""
        return self._direct(retrieval, cands, FACT_SENTENCES, reading_order=False)

    def _method(self, retrieval: Retrieval, cands: list[Candidate]) -> str:
        """The short answer, then the best sentences of the best paper (MMR), in reading order."""
        return self._direct(retrieval, cands, METHOD_SENTENCES, reading_order=True)

    def _direct(self, retrieval: Retrieval, cands: list[Candidate], limit: int, *,
                reading_order: bool) -> str:
        """The direct answer first (a span, the sentence itself, or Yes/No before the deciding
        sentence), then the sentences that support it - the chosen one, and the best of the
        lexical ranking when it differs - each only when it says something the others do not."""
        from ..citations import speaks_of
        from ..selection import choose
        from ..short import render_short

        lexical = {id(c): c.score for c in cands}
        today, _ = self._best_of_paper(cands, 1)
        choice = choose(retrieval.question, cands, retrieval.focus)
        best = choice.best
        lead: list[Candidate] = [best]
        if choice.source is not best:
            lead.append(choice.source)
        question = retrieval.question
        if (today is not best and today is not choice.source
                and speaks_of(today.text, question) and not _repeats(today, lead)):
            lead.append(today)
        for c in cands:  # MMR below ranks by the lexical score, the choice aside
            c.score = lexical[id(c)]
        same = [c for c in cands if c.paper_id == best.paper_id and c not in lead]
        more = [c for c in _diverse(same, lead, limit - len(lead), MIN_SHARE * best.score)
                if speaks_of(c.text, question) and not _repeats(c, lead)]
        body = lead + (sorted(more, key=lambda c: c.order) if reading_order else more)
        if choice.verdict:
            head = render_short(choice.verdict, "")
            return f"{head} " + " ".join(self._cite(c) for c in body)
        if choice.short:
            head = render_short(choice.short, f"[{choice.source.n}]")
            # a short answer that is nearly its whole sentence ("The seed lexicon consists of
            # ...") is not said twice
            body = [c for c in body if c is not choice.source
                    or len(choice.short.split()) < WHOLE * len(c.text.split())]
            return head + ("\n\n" + " ".join(self._cite(c) for c in body) if body else "")
        first = f"**{best.text}** [{best.n}]"
        rest = " ".join(self._cite(c) for c in body[1:])
        return first + ("\n\n" + rest if rest else "")

    @staticmethod
    def _best_of_paper(cands: list[Candidate], n: int) -> tuple[Candidate, list[Candidate]]:
        best = max(cands, key=lambda c: c.score)
        same = [c for c in cands if c.paper_id == best.paper_id and c is not best]
        return best, _diverse(same, [best], n - 1, min_score=MIN_SHARE * best.score)

    def _summary(self, retrieval: Retrieval, cands: list[Candidate]) -> str:
        """The paper's opening sentence and up to six more, in reading order: central ones,
        its own contributions ("we ...") and results (quantities) before background."""
        pid = retrieval.papers[0][0] if retrieval.papers else cands[0].paper_id
        own = sorted((c for c in cands if c.paper_id == pid), key=lambda c: c.order) or cands
        bag: dict[str, int] = {}
        for c in own:
            for w in c.words:
                bag[w] = bag.get(w, 0) + 1
        background = _background(own)
        opening = sorted({c.order[0] for c in own})[:OPENING_CHUNKS]  # the abstract, usually
        for c in own:
            centrality = sum(1 for w in c.words if bag[w] > 1) / max(len(c.words), 1)
            c.score = (0.3 * c.lex + centrality
                       + (0.3 if c.order[0] in opening else 0.0)
                       + (0.3 if OWN.search(c.text) or names_paper(c.title, c.text) else 0.0)
                       + (0.3 if has_quantity(c.text) else 0.0)
                       - (0.2 if id(c) in background else 0.0)
                       - (1.0 if is_noise(c.text) else 0.0))
        first = next((c for c in own if not is_noise(c.text)), own[0])  # sets the problem
        rest = [c for c in own if c is not first]
        picked = _diverse(rest, [first], SUMMARY_SENTENCES - 1, min_score=-0.5, redundancy=0.3)
        return " ".join(self._cite(c) for c in sorted([first, *picked], key=lambda c: c.order))

    def _compare(self, retrieval: Retrieval, cands: list[Candidate]) -> str:
        """A section per compared paper (the two best, three for "A, B and C"): the sentences
        that describe its approach (its contribution sentence and those after it) first."""
        wanted = 3 if re.search(r",[^,]+,?\s+and\s", retrieval.question) else 2
        papers = [pid for pid, _, _ in retrieval.papers[:wanted]]
        for c in sorted(cands, key=lambda c: -c.score):
            if len(papers) >= wanted:
                break
            if c.paper_id not in papers:
                papers.append(c.paper_id)
        background = _background(cands)
        about_results = bool(_RESULT_Q.search(retrieval.question))
        blocks = []
        for pid in papers:
            own = sorted((c for c in cands if c.paper_id == pid), key=lambda c: c.order)
            if not own:
                continue
            for c in own:
                if _RESULT.search(c.text):
                    c.score += 0.0 if about_results else -0.2
                elif id(c) not in background:
                    c.score += 0.2  # describes the approach
            best = max(own, key=lambda c: c.score)
            rest = [c for c in own if c is not best]
            chosen = [best, *_diverse(rest, [best], COMPARE_SENTENCES - 1, 0.0, redundancy=0.3)]
            body = " ".join(self._cite(c) for c in sorted(chosen, key=lambda c: c.order))
            blocks.append(f"### {own[0].title}\n\n{body}")
        return "\n\n".join(blocks)

    def _topic(self, retrieval: Retrieval, cands: list[Candidate]) -> str:
        """One bullet per relevant paper: its title and most relevant sentence."""
        lines = []
        for pid, title, _ in retrieval.papers:
            own = [c for c in cands if c.paper_id == pid]
            if own:
                best = max(own, key=lambda c: c.score)
                lines.append(f"- **{title}** \u2014 {self._cite(best)}")
        return "\n".join(lines)


def _diverse(pool: list[Candidate], chosen: list[Candidate], limit: int,
             min_score: float, redundancy: float = 0.5) -> list[Candidate]:
    """Greedy MMR: up to ``limit`` more sentences, each scored minus its overlap with the chosen."""
    picked: list[Candidate] = []
    rest = [c for c in pool if c.score >= min_score]
    while rest and len(picked) < limit:
        def mmr(c: Candidate) -> float:
            return c.score - redundancy * max(_jaccard(c.words, o.words)
                                              for o in [*chosen, *picked])

        best = max(rest, key=mmr)
        rest.remove(best)
        picked.append(best)
    return picked
