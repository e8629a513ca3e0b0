"""Summaries: one paper read in full (map over its sections, reduce into TL;DR, problem,
approach, key results, limitations), or a topic synthesized across the papers that deal with it.

Map: every section of the paper (the abstract for a listing entry) keeps its best few sentences
per aspect. Reduce: each heading takes the strongest of those with evidence for it (cue phrases,
section, position, numbers), with MMR so the summary spreads over the paper; a heading with no
evidence is left out. The extractive engine writes those sentences verbatim with their markers;
``openai`` writes the summary from the passages that hold them (one call); ``local`` (a 135M
model) answers one short question per heading from at most three of them. Every answer goes
through the citation check; sentences of a language model without a marker are dropped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import RefError
from .checking import check_answer
from .engines.base import SummaryDraft, TopicDraft
from .salience import PaperText, Unit, aspect_score, pick, read_paper, short_name

if TYPE_CHECKING:
    from ..search.retriever import Retrieval
    from ..types import Answer, Paper, Passage
    from .engines.base import AnswerEngine
    from .shelf import Shelf

__all__ = ["HEADINGS", "LENGTHS", "plan_summary", "summarize", "summarize_paper",
           "summarize_topic", "summary_for_question"]

HEADINGS = (("tldr", "TL;DR"), ("overview", "Overview"), ("problem", "Problem"),
            ("approach", "Approach"), ("results", "Key results"), ("limitations", "Limitations"))
LENGTHS = {
    "short": {"tldr": 1, "overview": 0, "problem": 2, "approach": 2, "results": 2,
              "limitations": 1},
    "long": {"tldr": 1, "overview": 0, "problem": 2, "approach": 4, "results": 4,
             "limitations": 2},
}
"""Sentences per heading (at most; fewer when the paper gives less). Overview is filled only
when the other headings find fewer than :data:`OVERVIEW_BELOW` sentences (a short abstract of
unusual shape, a book): the most central sentences left, up to that number."""
OVERVIEW_BELOW = {"short": 5, "long": 8}
DIGEST = 3  # map step: sentences kept per section and aspect
TOPIC_PAPERS = {"short": 5, "long": 8}
ABSTRACT_ONLY = "**From the abstract only: the library holds no full text of this paper.**"


def summarize(shelf: Shelf, engine: AnswerEngine, ref: str, *, length: str = "short",
              topic: bool = False) -> Answer:
    """Summarize the paper ``ref`` names; a topic synthesis when ``topic`` is set or ``ref``
    names no single paper by title (an id, path, exact title or title prefix that matches
    several papers is still an error listing them)."""
    if length not in LENGTHS:
        raise ValueError(f"length must be one of {', '.join(LENGTHS)}, not {length!r}")
    if topic:
        return summarize_topic(shelf, engine, ref, length=length)
    try:
        paper = shelf.paper(ref)
    except RefError as exc:
        if _spelled_out(ref, shelf.papers()):
            raise RefError(f"{exc} (to summarize it as a topic: --topic, topic=True)",
                           exc.candidates) from None
        return summarize_topic(shelf, engine, ref, length=length, missing=exc)
    return summarize_paper(shelf, engine, paper, length=length)


_LONG = re.compile(r"\b(?:detailed|in[- ]depth|long|thorough|comprehensive|full)\b", re.I)


def summary_for_question(shelf: Shelf, engine: AnswerEngine, question: str,
                         paper_ids: list[str] | None = None) -> Answer | None:
    """For a summary request ("Summarize the paper on ..."): the full summary of the paper
    retrieval ranks first (``retrieved`` keeps the ranking); None for other questions or when
    retrieval abstains (ask answers those as usual)."""
    from ..search.question import question_kind

    if question_kind(question) != "summary":
        return None
    retrieval = shelf.retrieve(question, paper_ids)
    if retrieval.abstain or not retrieval.papers:
        return None
    paper = {p.id: p for p in shelf.papers()}.get(retrieval.papers[0][0])
    if paper is None:
        return None
    length = "long" if _LONG.search(question) else "short"
    answer = summarize_paper(shelf, engine, paper, length=length)
    answer.retrieved = _merged(retrieval, answer.retrieved)
    return answer


def _merged(retrieval: Retrieval, read: list[Passage]) -> list[Passage]:
    """The retrieval ranking, then the passages read in full that it lacks (each scored as its
    paper), so every citation is among ``Answer.retrieved``."""
    from dataclasses import replace

    score = {pid: s for pid, _, s in retrieval.papers}
    have = {p.chunk_id for p in retrieval.passages}
    return list(retrieval.passages) + [replace(p, score=score.get(p.paper_id, 0.0))
                                       for p in read if p.chunk_id not in have]


def _spelled_out(ref: str, papers: list[Paper]) -> bool:
    """Does ``ref`` spell out several titles exactly or as their common start?"""
    key = " ".join(ref.casefold().split())
    return sum(" ".join(p.title.casefold().split()).startswith(key) for p in papers) > 1


# -- one paper --------------------------------------------------------------------------------
def plan_summary(text: PaperText, length: str = "short") -> dict[str, list[Unit]]:
    """Map over the sections, reduce into the headings: the sentences each heading gets."""
    digest: dict[int, Unit] = {}
    for units in text.sections().values():
        for key, _ in HEADINGS:
            for u in pick(units, key, DIGEST * (2 if key == "overview" else 1), []):
                digest[id(u)] = u
    pool = sorted(digest.values(), key=lambda u: u.order)
    taken: list[Unit] = []
    plan: dict[str, list[Unit]] = {}
    rivals = ("problem", "approach", "data", "results", "limitations")
    for key, _ in HEADINGS:
        candidates = [u for u in pool if u.opening] if key == "tldr" else pool
        chosen = pick(candidates or pool, key, LENGTHS[length][key], taken,
                      rivals=rivals if key in rivals else ())
        plan[key] = sorted(chosen, key=lambda u: u.order)
    if len(taken) < OVERVIEW_BELOW[length]:
        extra = pick(pool, "overview", OVERVIEW_BELOW[length] - len(taken), taken)
        plan["overview"] = sorted(extra, key=lambda u: u.order)
    return plan


def summarize_paper(shelf: Shelf, engine: AnswerEngine, paper: Paper, *,
                    length: str = "short") -> Answer:
    """A structured, cited summary of one paper."""
    text = read_paper(shelf, paper)
    plan = plan_summary(text, length)
    if not any(plan.values()):
        return check_answer("The library holds no readable text of this paper.", [], engine,
                            shelf.embed, abstained=True)
    raw = engine.summary(SummaryDraft(paper, text, plan, length))
    return check_answer(raw, text.passages, engine, shelf.embed)


def render_summary(draft: SummaryDraft) -> str:
    """The summary as the plan lays it out: each heading's sentences verbatim, cited."""
    parts = [f"## {draft.paper.title}"]
    if draft.text.abstract_only:
        parts.append(ABSTRACT_ONLY)
    for key, label in HEADINGS:
        if draft.plan[key]:
            parts.append(f"### {label}\n\n"
                         + " ".join(f"{u.text} [{u.n}]" for u in draft.plan[key]))
    return "\n\n".join(parts)


# -- a topic ----------------------------------------------------------------------------------
def summarize_topic(shelf: Shelf, engine: AnswerEngine, topic: str, *,
                    length: str = "short", missing: RefError | None = None) -> Answer:
    """A cited synthesis across the papers that deal with ``topic`` (approaches, findings,
    open problems). If none does: ``missing`` is raised when given, else an abstention."""
    retrieval = shelf.retrieve(f"Which papers are about {topic}?", None)
    if retrieval.abstain or not retrieval.papers:
        if missing is not None:
            raise missing
        names = "; ".join(f"*{t}*" for _, t, _ in retrieval.papers[:3])
        raw = f"The library holds no papers on {topic}." + (
            f" The nearest papers are: {names}." if names else "")
        answer = check_answer(raw, [], engine, shelf.embed, abstained=True)
        answer.retrieved = list(retrieval.passages)
        return answer
    texts: list[PaperText] = []
    passages: list[Passage] = []
    library = {p.id: p for p in shelf.papers()}
    for pid, _, _ in retrieval.papers[: TOPIC_PAPERS[length]]:
        text = read_paper(shelf, library[pid], offset=len(passages))
        if text.units:
            texts.append(text)
            passages += text.passages
    raw, numbered = engine.topic(TopicDraft(topic, retrieval, texts, passages, length))
    answer = check_answer(raw, numbered, engine, shelf.embed)
    answer.retrieved = _merged(retrieval, numbered)
    return answer


def render_topic(draft: TopicDraft) -> str:
    """Approaches, findings (and, long, open problems): each paper's strongest sentence for
    each, verbatim and cited."""
    from ..search.terms import coverage

    groups = (("approach", "Approaches"), ("results", "Findings"),
              ("limitations", "Open problems"))
    blocks: dict[str, list[str]] = {key: [] for key, _ in groups}
    terms = draft.retrieval.terms
    for text in draft.texts:
        taken: list[Unit] = []
        name = short_name(text.paper.title)
        for key, _ in groups:
            best, best_score = None, 0.0
            for u in text.units:
                score, evidence = aspect_score(u, key)
                if evidence and not u.noise and all(u is not t for t in taken):
                    score += coverage(terms, u.words)
                    if best is None or score > best_score:
                        best, best_score = u, score
            if best is not None and (key != "limitations" or draft.length == "long"):
                taken.append(best)
                blocks[key].append(f"- **{name}**: {best.text} [{best.n}]")
    lead = f"**{len(draft.texts)} papers in the library deal with this topic.**"
    parts = [f"## Topic: {draft.topic}", lead]
    parts += [f"### {label}\n\n" + "\n".join(blocks[key]) for key, label in groups
              if blocks[key]]
    return "\n\n".join(parts)
