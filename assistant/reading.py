"""Ask: retrieve, answer with the chosen engine, check citations. Sync, streaming and async.

Every engine produces text with [n] markers over the retrieved passages; the citation layer
then drops unknown markers, maps the rest to passages and marks each sentence's support.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from functools import cached_property
from typing import TYPE_CHECKING

from .types import Answer

if TYPE_CHECKING:
    from .config import Settings
    from .embedding import Embedder
    from .llm import ChatEngine
    from .retrieval import Retrieval, Retriever
    from .store import Store


class Reader:
    """Answers questions over a store with one of the engines (built lazily, then kept)."""

    def __init__(self, store: Store, embedder: Embedder, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._chat: dict[str, ChatEngine] = {}

    @cached_property
    def retriever(self) -> Retriever:
        from .retrieval import Retriever

        return Retriever(self.store, self.embedder, self.settings.retrieval)

    @cached_property
    def extractive(self):
        from .extractive import ExtractiveEngine

        return ExtractiveEngine()

    def chat_engine(self, name: str) -> ChatEngine:
        if name not in self._chat:
            from .engines import make_chat_engine

            self._chat[name] = make_chat_engine(name, self.settings.llm)
        return self._chat[name]

    def describe(self, name: str) -> str:
        if name == "extractive":
            return "extractive: verbatim cited sentences (no LLM)"
        return self.chat_engine(name).description

    def close(self) -> None:
        for engine in self._chat.values():
            engine.close()
        self._chat.clear()

    # -- the pieces ------------------------------------------------------------------------------
    def retrieve(self, question: str, paper_ids: list[str] | None) -> Retrieval:
        return self.retriever.retrieve(question, paper_ids=paper_ids or None)

    def _finish(self, raw: str, retrieval: Retrieval, engine: str, passages=None) -> Answer:
        from .citations import build_answer

        passages = retrieval.passages if passages is None else passages
        # Extractive sentences are verbatim, so word overlap judges them; LLM text gets embeddings.
        embed = None if engine == "extractive" else self.embedder.embed
        answer = build_answer(raw, passages, engine=engine, embed=embed,
                              abstained=retrieval.abstain)
        answer.retrieved = list(retrieval.passages)
        return answer

    def _messages(self, engine: str, question: str, retrieval: Retrieval):
        from .prompts import LOCAL_MAX_PASSAGES, build_messages

        kind = "local_answer" if engine == "local" else "answer"
        passages = retrieval.passages[:LOCAL_MAX_PASSAGES] if engine == "local" else None
        return build_messages(kind, question, retrieval.passages), passages

    # -- ask -------------------------------------------------------------------------------------
    def stream(self, question: str, engine: str, paper_ids: list[str] | None = None
               ) -> Iterator[str | Answer]:
        """Text pieces as they come, then the checked Answer (always last)."""
        retrieval = self.retrieve(question, paper_ids)
        if engine == "extractive" or retrieval.abstain:
            raw = self.extractive.answer(question, retrieval)
            yield raw
            yield self._finish(raw, retrieval, "extractive" if engine == "extractive" else engine)
            return
        messages, passages = self._messages(engine, question, retrieval)
        pieces: list[str] = []
        for piece in self.chat_engine(engine).stream(messages):
            pieces.append(piece)
            yield piece
        yield self._finish("".join(pieces), retrieval, engine, passages)

    def ask(self, question: str, engine: str, paper_ids: list[str] | None = None) -> Answer:
        answer = None
        for event in self.stream(question, engine, paper_ids):
            answer = event
        assert isinstance(answer, Answer)
        return answer

    async def astream(self, question: str, engine: str, paper_ids: list[str] | None = None
                      ) -> AsyncIterator[str | Answer]:
        """Async twin of :meth:`stream`: retrieval and checks run in a worker thread."""
        retrieval = await asyncio.to_thread(self.retrieve, question, paper_ids)
        if engine == "extractive" or retrieval.abstain:
            raw = self.extractive.answer(question, retrieval)
            yield raw
            yield await asyncio.to_thread(self._finish, raw, retrieval,
                                          "extractive" if engine == "extractive" else engine)
            return
        messages, passages = self._messages(engine, question, retrieval)
        pieces: list[str] = []
        async for piece in self.chat_engine(engine).astream(messages):
            pieces.append(piece)
            yield piece
        yield await asyncio.to_thread(self._finish, "".join(pieces), retrieval, engine, passages)
