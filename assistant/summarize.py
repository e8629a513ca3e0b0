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

from .composing import complete, finish, local_passages, local_reply, remap_markers
from .errors import RefError
from .salience import PaperText, Unit, aspect_score, pick, read_paper, short_name

if TYPE_CHECKING:
    from .api import Assistant
    from .retrieval import Retrieval
    from .types import Answer, Paper, Passage

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
LLM_PASSAGES = {"short": 8, "long": 12}  # openai: passages in the one summarize call
TOPIC_PAPERS = {"short": 5, "long": 8}
ABSTRACT_ONLY = "**From the abstract only: the library holds no full text of this paper.**"
LOCAL_QUESTIONS = {
    "tldr": "In one sentence, what does the paper {name} do?",
    "overview": "What is the paper {name} about?",
    "problem": "What problem does the paper {name} address?",
    "approach": "What approach or method does the paper {name} propose?",
    "results": "What are the key results of the paper {name}, with their numbers?",
    "limitations": "What limitations or future work does the paper {name} mention?",
}
LOCAL_TOKENS = 100  # the reply is cut to two sentences anyway


def summarize(a: Assistant, ref: str, *, engine: str, length: str = "short",
              topic: bool = False) -> Answer:
    """Summarize the paper ``ref`` names; a topic synthesis when ``topic`` is set or ``ref``
    names no single paper by title (an id, path, exact title or title prefix that matches
    several papers is still an error listing them)."""
    if length not in LENGTHS:
        raise ValueError(f"length must be one of {', '.join(LENGTHS)}, not {length!r}")
    if topic:
        return summarize_topic(a, ref, engine=engine, length=length)
    from .resolve import resolve_ref

    papers = a.papers()
    try:
        paper = resolve_ref(ref, papers)
    except RefError as exc:
        if _spelled_out(ref, papers):
            raise RefError(f"{exc} (to summarize it as a topic: --topic, topic=True)",
                           exc.candidates) from None
        return summarize_topic(a, ref, engine=engine, length=length, missing=exc)
    return summarize_paper(a, paper, engine=engine, length=length)


_LONG = re.compile(r"\b(?:detailed|in[- ]depth|long|thorough|comprehensive|full)\b", re.I)


def summary_for_question(a: Assistant, question: str, engine: str,
                         paper_ids: list[str] | None = None) -> Answer | None:
    """For a summary request ("Summarize the paper on ..."): the full summary of the paper
    retrieval ranks first (``retrieved`` keeps the ranking); None for other questions or when
    retrieval abstains (ask answers those as usual)."""
    from .retrieval import question_kind

    if question_kind(question) != "summary":
        return None
    retrieval = a.reader.retrieve(question, paper_ids)
    if retrieval.abstain or not retrieval.papers:
        return None
    paper = {p.id: p for p in a.papers()}.get(retrieval.papers[0][0])
    if paper is None:
        return None
    length = "long" if _LONG.search(question) else "short"
    answer = summarize_paper(a, paper, engine=engine, length=length)
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
    for key, _ in HEADINGS:
        candidates = [u for u in pool if u.opening] if key == "tldr" else pool
        chosen = pick(candidates or pool, key, LENGTHS[length][key], taken)
        plan[key] = sorted(chosen, key=lambda u: u.order)
    if len(taken) < OVERVIEW_BELOW[length]:
        extra = pick(pool, "overview", OVERVIEW_BELOW[length] - len(taken), taken)
        plan["overview"] = sorted(extra, key=lambda u: u.order)
    return plan


def summarize_paper(a: Assistant, paper: Paper, *, engine: str, length: str = "short",
                    retrieved: list[Passage] | None = None) -> Answer:
    """A structured, cited summary of one paper."""
    text = read_paper(a.store, paper)
    plan = plan_summary(text, length)
    if not any(plan.values()):
        answer = finish(a, "The library holds no readable text of this paper.", [], engine,
                        abstained=True)
    elif engine == "extractive":
        answer = finish(a, _render(paper, plan, text.abstract_only), text.passages, engine)
    elif engine == "local":
        answer = _local_summary(a, paper, plan, text)
    else:
        answer = _openai_summary(a, paper, plan, text, length)
    if retrieved is not None:
        answer.retrieved = retrieved
    return answer


def _render(paper: Paper, plan: dict[str, list[Unit]], abstract_only: bool) -> str:
    parts = [f"## {paper.title}"]
    if abstract_only:
        parts.append(ABSTRACT_ONLY)
    for key, label in HEADINGS:
        if plan[key]:
            parts.append(f"### {label}\n\n" + " ".join(f"{u.text} [{u.n}]" for u in plan[key]))
    return "\n\n".join(parts)


def _passages_of(units: list[Unit], passages: list[Passage]) -> list[Passage]:
    return [passages[n - 1] for n in dict.fromkeys(u.n for u in units)]


def _local_summary(a: Assistant, paper: Paper, plan: dict[str, list[Unit]],
                   text: PaperText) -> Answer:
    """One short question per heading, each over the passage of the heading's best sentence."""
    parts = [f"## {paper.title}"] + ([ABSTRACT_ONLY] if text.abstract_only else [])
    name = f'"{short_name(paper.title)}"'
    for key, label in HEADINGS:
        if not plan[key]:
            continue
        best = max(plan[key], key=lambda u: aspect_score(u, key)[0])
        question = LOCAL_QUESTIONS[key].format(name=name)
        reply = local_reply(a, question, text.passages[best.n - 1], text.passages,
                            sentences=1 if key == "tldr" else 2,
                            max_tokens=LOCAL_TOKENS // 2 if key == "tldr" else LOCAL_TOKENS)
        if reply:
            parts.append(f"### {label}\n\n{reply}")
    return finish(a, "\n\n".join(parts), text.passages, "local")


def _openai_summary(a: Assistant, paper: Paper, plan: dict[str, list[Unit]], text: PaperText,
                    length: str) -> Answer:
    """One summarize call over the passages that hold the planned sentences."""
    from .prompts import build_messages

    units = sorted((u for key, _ in HEADINGS for u in plan[key]), key=lambda u: u.order)
    chosen = _passages_of(units, text.passages)[: LLM_PASSAGES[length]]  # reading order
    request = ("Summarize the paper briefly: one or two sentences per heading." if
               length == "short" else "Summarize the paper in depth: up to four sentences per "
               "heading, keeping the numbers of the key results.")
    if text.abstract_only:
        request += " Only the abstract is available."
    reply = complete(a, "openai", build_messages("summarize", request, chosen, title=paper.title))
    body = re.sub(r"(?m)^\s{0,3}#{1,2}(?!#)\s*", "### ", reply.strip())  # ## TL;DR -> ###
    head = [f"## {paper.title}"] + ([ABSTRACT_ONLY] if text.abstract_only else [])
    raw = "\n\n".join([*head, remap_markers(body, local_passages(chosen, text.passages))])
    return finish(a, raw, text.passages, "openai")


# -- a topic ----------------------------------------------------------------------------------
def summarize_topic(a: Assistant, topic: str, *, engine: str, length: str = "short",
                    missing: RefError | None = None) -> Answer:
    """A cited synthesis across the papers that deal with ``topic`` (approaches, findings,
    open problems). If none does: ``missing`` is raised when given, else an abstention."""
    retrieval = a.reader.retrieve(f"Which papers are about {topic}?", None)
    if retrieval.abstain or not retrieval.papers:
        if missing is not None:
            raise missing
        names = "; ".join(f"*{t}*" for _, t, _ in retrieval.papers[:3])
        raw = f"The library holds no papers on {topic}." + (
            f" The nearest papers are: {names}." if names else "")
        answer = finish(a, raw, [], engine, abstained=True)
        answer.retrieved = list(retrieval.passages)
        return answer
    if engine != "extractive":
        return _llm_topic(a, topic, retrieval, engine)
    texts: list[PaperText] = []
    passages: list[Passage] = []
    library = {p.id: p for p in a.papers()}
    for pid, _, _ in retrieval.papers[: TOPIC_PAPERS[length]]:
        text = read_paper(a.store, library[pid], offset=len(passages))
        if text.units:
            texts.append(text)
            passages += text.passages
    raw = _render_topic(topic, texts, retrieval.terms, length)
    answer = finish(a, raw, passages, engine)
    answer.retrieved = _merged(retrieval, passages)
    return answer


def _render_topic(topic: str, texts: list[PaperText], terms: dict[str, float],
                  length: str) -> str:
    from .retrieval import coverage

    groups = (("approach", "Approaches"), ("results", "Findings"),
              ("limitations", "Open problems"))
    blocks = {key: [] for key, _ in groups}
    for text in texts:
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
            if best is not None and (key != "limitations" or length == "long"):
                taken.append(best)
                blocks[key].append(f"- **{name}**: {best.text} [{best.n}]")
    lead = f"**{len(texts)} papers in the library deal with this topic.**"
    parts = [f"## Topic: {topic}", lead]
    parts += [f"### {label}\n\n" + "\n".join(blocks[key]) for key, label in groups
              if blocks[key]]
    return "\n\n".join(parts)


def _llm_topic(a: Assistant, topic: str, retrieval: Retrieval, engine: str) -> Answer:
    """``openai``: one synthesis call over the retrieved passages; ``local``: one question per
    paper (the three best) over its best passage."""
    from .prompts import LOCAL_MAX_PASSAGES, build_messages

    passages = list(retrieval.passages)
    if engine == "local":
        lines = []
        for pid, title, _ in retrieval.papers[:LOCAL_MAX_PASSAGES]:
            best = next(p for p in passages if p.paper_id == pid)
            question = f'What does the paper "{short_name(title)}" say about {topic}?'
            reply = local_reply(a, question, best, passages, max_tokens=LOCAL_TOKENS)
            if reply:
                lines.append(f"- **{short_name(title)}**: {reply}")
        body = "\n".join(lines)
    else:
        request = (f"Write a short cited synthesis of what these papers say about {topic}: "
                   "the problems they address, their approaches and findings, and how they "
                   "relate. Name each paper.")
        body = complete(a, engine, build_messages("answer", request, passages)).strip()
    answer = finish(a, f"## Topic: {topic}\n\n{body}", passages, engine)
    answer.retrieved = passages
    return answer
