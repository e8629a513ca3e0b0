"""The contract every answer engine fulfils: the ask step, the summary step, the comparison
step. An engine writes raw text with ``[n]`` markers over the passages it was given; the
citation check that follows is the same for every engine (:mod:`assistant.answering.checking`).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ...search.retriever import Retrieval
    from ...types import Paper, Passage
    from ..salience import PaperText, Unit

__all__ = ["AnswerEngine", "ComparisonDraft", "SummaryDraft", "TopicDraft"]


@dataclass(slots=True)
class SummaryDraft:
    """One paper read in full and the sentences each summary heading gets (its plan)."""

    paper: Paper
    text: PaperText
    plan: dict[str, list[Unit]]
    length: str

    @property
    def passages(self) -> list[Passage]:
        """What the summary's markers number (``[1]`` is the first)."""
        return self.text.passages


@dataclass(slots=True)
class TopicDraft:
    """The papers on a topic: what retrieval found and those papers read in full."""

    topic: str
    retrieval: Retrieval
    texts: list[PaperText]
    passages: list[Passage]
    """The passages of ``texts``, one list (their units number into it)."""
    length: str


@dataclass(slots=True)
class ComparisonDraft:
    """A comparison laid out from the papers' own sentences: the extractive table and
    contrast, the passages they cite, and each paper's contrast sentences."""

    papers: list[Paper]
    aspects: list[str]
    passages: list[Passage]
    title: str
    table: str
    contrast: str
    sides: list[dict[str, Unit | None]]

    def extractive(self) -> str:
        """The comparison as laid out: title, table and contrast."""
        return "\n\n".join(part for part in (self.title, self.table, self.contrast) if part)


class AnswerEngine(ABC):
    """Writes answers, summaries and comparisons with ``[n]`` markers over given passages.

    Subclasses set :attr:`name` and register themselves in :mod:`assistant.answering.engines`.
    Every failure is an :class:`assistant.errors.AssistantError` with one line of user text.
    """

    name: ClassVar[str]
    """The engine's id in the registry, the CLI (``--llm``), the config and the app."""
    verbatim: ClassVar[bool] = False
    """Its sentences are copied from the passages: word overlap judges them (no embeddings)."""

    @property
    def description(self) -> str:
        """One line for the CLI header, e.g. ``openai: gpt-4o-mini @ https://...``."""
        return self.name

    @property
    def label(self) -> str:
        """A short name for the app's header, e.g. ``openai (gpt-4o-mini)``."""
        return self.name

    def warm(self) -> None:
        """Load what the first answer would (client libraries, a model); off the UI thread."""
        return None

    def answer_passages(self, retrieval: Retrieval) -> list[Passage]:
        """The passages an answer's markers number (all that retrieval found, by default)."""
        return list(retrieval.passages)

    @abstractmethod
    def stream_answer(self, question: str, retrieval: Retrieval) -> Iterator[str]:
        """The answer to ``question`` over ``retrieval.passages``, piece by piece."""

    async def astream_answer(self, question: str, retrieval: Retrieval) -> AsyncIterator[str]:
        """Async twin of :meth:`stream_answer` (by default: the whole answer from a thread)."""
        pieces = await asyncio.to_thread(lambda: list(self.stream_answer(question, retrieval)))
        for piece in pieces:
            yield piece

    @abstractmethod
    def summary(self, draft: SummaryDraft) -> str:
        """A structured summary (``## title``, ``### heading`` sections) of one paper."""

    @abstractmethod
    def topic(self, draft: TopicDraft) -> tuple[str, list[Passage]]:
        """A synthesis across the papers on a topic, and the passages its markers number."""

    @abstractmethod
    def comparison(self, draft: ComparisonDraft) -> str:
        """A comparison (title, Markdown table papers x aspects, contrast)."""

    def close(self) -> None:
        """Release clients and servers; safe to call twice."""
        return None
