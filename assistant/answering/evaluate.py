"""Run a question file (format of tests/data/dev_questions.json) through ask and score it.

A question is ``{"id", "kind", "question", "gold_titles", "answer_keywords"}``; ``kind``
"unanswerable" (or no gold titles) means the right answer is an abstention. Per question:
recall@5 of the gold papers among the first five distinct retrieved papers, whether a gold paper
is cited, whether every answer keyword occurs in the answer (case-insensitive, whitespace
collapsed), the share of cited papers that are gold, abstention and latency.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from ..types import Answer

__all__ = ["EvalResult", "QuestionResult", "evaluate", "normalise_title"]


def normalise_title(title: str) -> str:
    """Lower case, punctuation and LaTeX/Markdown marks dropped, whitespace collapsed."""
    return " ".join(re.findall(r"[^\W_]+", title.casefold()))


def _normalise_text(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(slots=True)
class QuestionResult:
    """How one question went."""

    id: str
    kind: str
    question: str
    answerable: bool
    abstained: bool
    recall_at_5: float | None
    gold_cited: bool | None
    keyword_hit: bool | None  # None: the question has no keywords
    missing_keywords: list[str]
    cited_gold_share: float | None  # None: nothing cited
    cited_titles: list[str]
    latency_ms: float
    answer: str = ""


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


@dataclass(slots=True)
class EvalResult:
    """Per-question results and the aggregate figures."""

    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def aggregate(self) -> dict:
        """Means over answerable questions (keywords: over those that have keywords)."""
        qs = self.questions
        ans = [q for q in qs if q.answerable]
        unans = [q for q in qs if not q.answerable]
        with_kw = [q for q in ans if q.keyword_hit is not None]
        by_kind: dict[str, dict] = {}
        for kind in sorted({q.kind for q in qs}):
            mine = [q for q in qs if q.kind == kind]
            kw = [float(q.keyword_hit) for q in mine if q.keyword_hit is not None]
            cited = [float(q.gold_cited) for q in mine if q.gold_cited is not None]
            by_kind[kind] = {"n": len(mine), "keyword_hit": _mean(kw), "gold_cited": _mean(cited)}
        latencies = [q.latency_ms for q in qs]
        return {
            "n": len(qs),
            "answerable": len(ans),
            "unanswerable": len(unans),
            "recall_at_5": _mean([q.recall_at_5 for q in ans if q.recall_at_5 is not None]),
            "gold_cited": _mean([float(q.gold_cited) for q in ans if q.gold_cited is not None]),
            "keyword_hit": _mean([float(bool(q.keyword_hit)) for q in with_kw]),
            "keyword_questions": len(with_kw),
            "cited_gold_share": _mean([q.cited_gold_share for q in ans
                                       if q.cited_gold_share is not None]),
            "unanswerable_abstained": _mean([float(q.abstained) for q in unans]),
            "answerable_abstained": sum(q.abstained for q in ans),
            "latency_p50_ms": round(_percentile(latencies, 0.5), 1),
            "latency_p95_ms": round(_percentile(latencies, 0.95), 1),
            "by_kind": by_kind,
        }

    def to_json(self) -> dict:
        return {"aggregate": self.aggregate, "questions": [asdict(q) for q in self.questions]}

    def report(self) -> str:
        """A plain-text table of the questions and the aggregate figures."""

        def mark(value: bool | None) -> str:
            return "-" if value is None else ("y" if value else "n")

        lines = [f"{'id':6} {'kind':12} {'abst':4} {'r@5':>4} {'cite':4} {'kw':3} {'gold%':>5} "
                 f"{'ms':>6}  missing"]
        for q in self.questions:
            r5 = "-" if q.recall_at_5 is None else f"{q.recall_at_5:.2f}"
            share = "-" if q.cited_gold_share is None else f"{q.cited_gold_share:.2f}"
            lines.append(
                f"{q.id:6} {q.kind:12} {mark(q.abstained):4} {r5:>4} {mark(q.gold_cited):4} "
                f"{mark(q.keyword_hit):3} {share:>5} {q.latency_ms:6.0f}  "
                f"{', '.join(q.missing_keywords)}"
            )
        agg = self.aggregate
        lines.append("")
        for key, value in agg.items():
            if key != "by_kind":
                lines.append(f"{key:24} {value}")
        for kind, row in agg["by_kind"].items():
            lines.append(f"  {kind:14} n={row['n']:<3} keyword_hit={row['keyword_hit']} "
                         f"gold_cited={row['gold_cited']}")
        return "\n".join(lines)


def score_answer(item: dict, answer: Answer, latency_ms: float) -> QuestionResult:
    """Score one answer against its question record."""
    gold = {normalise_title(t) for t in item.get("gold_titles", [])}
    answerable = bool(gold) and item.get("kind") != "unanswerable"
    papers: list[str] = []
    for p in answer.retrieved:
        if normalise_title(p.title) not in papers:
            papers.append(normalise_title(p.title))
    cited = list(dict.fromkeys(normalise_title(c.title) for c in answer.citations))
    text = _normalise_text(answer.text)
    keywords = item.get("answer_keywords", [])
    missing = [k for k in keywords if _normalise_text(k) not in text]
    return QuestionResult(
        id=str(item.get("id", "")),
        kind=str(item.get("kind", "")),
        question=item["question"],
        answerable=answerable,
        abstained=answer.abstained,
        recall_at_5=len(gold & set(papers[:5])) / len(gold) if answerable else None,
        gold_cited=bool(gold & set(cited)) if answerable else None,
        keyword_hit=(not missing) if answerable and keywords else None,
        missing_keywords=missing,
        cited_gold_share=(sum(t in gold for t in cited) / len(cited)) if cited and answerable
        else None,
        cited_titles=cited,
        latency_ms=round(latency_ms, 1),
        answer=answer.text,
    )


def evaluate(ask: Callable[[str], Answer], questions: list[dict]) -> EvalResult:
    """Ask every question (timing each call) and score the answers."""
    result = EvalResult()
    for item in questions:
        start = time.perf_counter()
        answer = ask(item["question"])
        elapsed = (time.perf_counter() - start) * 1000
        result.questions.append(score_answer(item, answer, elapsed))
    return result
