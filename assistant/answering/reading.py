"""Ask: retrieve, answer with the chosen engine, check citations. Sync, streaming and async.

Every engine writes text with [n] markers over the retrieved passages; the citation layer
then drops unknown markers, maps the rest to passages and marks each sentence's support. The
Reader is also the :class:`~assistant.answering.shelf.Shelf` that summaries and comparisons
read from, and keeps the engines it built (one of each) until :meth:`Reader.close`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING

from ..types import Answer

if TYPE_CHECKING:
    import numpy as np

    from ..config import Settings
    from ..library import Library
    from ..search.retriever import Retrieval, Retriever
    from ..types import Paper, Passage
    from .engines.base import AnswerEngine


def first_cited(answer: Answer) -> str | None:
    """The first cited sentence (markers and emphasis removed) of an answer that opened with no
    short answer, when it is short enough to be one."""
    from .markers import strip_markers
    from .short import MAX_WORDS

    if answer.abstained:
        return None
    for sentence in answer.sentences:
        if sentence.citations:
            text = " ".join(strip_markers(sentence.text).replace("**", "").split())
            return text if len(text.split()) <= MAX_WORDS else None
    return None


class Reader:
    """Answers questions over a library with the registered engines.

    ``engines`` are ready-made engines by name; they take the place of the registry's for
    those names (another endpoint's client, or a fake in tests).
    """

    def __init__(self, library: Library, settings: Settings,
                 engines: Mapping[str, AnswerEngine] | None = None) -> None:
        self.library = library
        self.settings = settings
        self._engines: dict[str, AnswerEngine] = dict(engines or {})
        self._retriever: Retriever | None = None

    @property
    def retriever(self) -> Retriever:
        """The retriever over the library's current store (a reindex opens a new one)."""
        from ..search.retriever import Retriever

        store = self.library.store
        if self._retriever is None or self._retriever.store is not store:
            self._retriever = Retriever(store, self.library.embedder, self.settings.retrieval)
        return self._retriever

    def engine(self, name: str) -> AnswerEngine:
        """The engine ``name`` (``auto`` resolved), built on first use and then kept."""
        from .engines import build_engine, resolve_engine

        name = resolve_engine(self.settings.llm, name)
        if name not in self._engines:
            self._engines[name] = build_engine(name, self.settings.llm)
        return self._engines[name]

    def close(self) -> None:
        """Close the engines (a local model server stops); they are rebuilt on next use."""
        for engine in self._engines.values():
            engine.close()

    # -- the shelf ------------------------------------------------------------------------------
    def papers(self) -> list[Paper]:
        return self.library.papers()

    def paper(self, ref: str) -> Paper:
        return self.library.paper(ref)

    def paper_chunks(self, paper_id: str) -> list[Passage]:
        return self.library.paper_chunks(paper_id)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.library.embed(texts)

    def retrieve(self, question: str, paper_ids: list[str] | None = None) -> Retrieval:
        return self.retriever.retrieve(question, paper_ids=paper_ids or None)

    # -- ask -------------------------------------------------------------------------------------
    def _writer(self, engine: AnswerEngine, retrieval: Retrieval) -> AnswerEngine:
        """Who writes the answer: the extractive engine says when the library holds none."""
        return self.engine("extractive") if retrieval.abstain else engine

    def _finish(self, raw: str, retrieval: Retrieval, engine: AnswerEngine) -> Answer:
        from .checking import check_reply
        from .engines.extractive import ABSTAIN_TEXT
        from .short import normalise_labelled

        writer = self._writer(engine, retrieval)
        passages = writer.answer_passages(retrieval)
        # Verbatim sentences are judged by word overlap; a model's text with embeddings too.
        # The extractive engine also abstains when no passage holds a usable sentence.
        abstained = retrieval.abstain or raw.lstrip().startswith(ABSTAIN_TEXT)
        answer = check_reply(normalise_labelled(raw), passages, engine=engine.name,
                             embed=None if writer.verbatim else self.embed,
                             abstained=abstained, model=not writer.verbatim,
                             question=retrieval.question)
        answer.retrieved = list(retrieval.passages)
        if answer.short_answer is None and retrieval.kind not in ("topic", "summary", "compare"):
            answer.short_answer = first_cited(answer)
        return answer

    def stream(self, question: str, engine: str, paper_ids: list[str] | None = None
               ) -> Iterator[str | Answer]:
        """Text pieces as they come, then the checked Answer (always last)."""
        chosen = self.engine(engine)
        retrieval = self.retrieve(question, paper_ids)
        pieces: list[str] = []
        for piece in self._writer(chosen, retrieval).stream_answer(question, retrieval):
            pieces.append(piece)
            yield piece
        yield self._finish("".join(pieces), retrieval, chosen)

    def ask(self, question: str, engine: str, paper_ids: list[str] | None = None) -> Answer:
        answer = None
        for event in self.stream(question, engine, paper_ids):
            answer = event
        assert isinstance(answer, Answer)
        return answer

    async def astream(self, question: str, engine: str, paper_ids: list[str] | None = None
                      ) -> AsyncIterator[str | Answer]:
        """Async twin of :meth:`stream`: retrieval and checks run in a worker thread."""
        chosen = await asyncio.to_thread(self.engine, engine)
        retrieval = await asyncio.to_thread(self.retrieve, question, paper_ids)
        pieces: list[str] = []
        async for piece in self._writer(chosen, retrieval).astream_answer(question, retrieval):
            pieces.append(piece)
            yield piece
        yield await asyncio.to_thread(self._finish, "".join(pieces), retrieval, chosen)
