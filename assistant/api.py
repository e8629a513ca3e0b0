"""The Assistant facade: the one object the CLI, the TUI and scripts talk to. It is thin: the
library (store, embedding, chunking) is :class:`~assistant.library.Library`, answering is
:class:`~assistant.answering.reading.Reader` with the engine registry, and summaries and
comparisons read through the reader as their :class:`~assistant.answering.shelf.Shelf`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings, load_settings
from .paths import default_store
from .types import Answer, IngestReport, Paper

if TYPE_CHECKING:
    from .answering.engines.base import AnswerEngine
    from .answering.reading import Reader
    from .library import Library
    from .library.embedding import Embedder
    from .library.ingestor import Progress


class Assistant:
    """A paper library with cited question answering.

    ``store`` is the library folder (default: configured, else ./store or the user data dir);
    ``llm`` picks the answer engine for this object (a name from the engine registry, or
    ``auto``); ``engines`` hands in ready-made engines by name (another client, a test fake);
    ``embedder`` hands in the embedding model (the store's signature records its name).
    """

    def __init__(
        self,
        store: str | Path | None = None,
        *,
        llm: str | None = None,
        config: str | Path | None = None,
        settings: Settings | None = None,
        engines: Mapping[str, AnswerEngine] | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        overrides: dict[str, Any] = {}
        if store is not None:
            overrides["store"] = {"path": str(store)}
        if llm is not None:
            overrides["llm"] = {"engine": llm}
        self.settings = settings or load_settings(config, **overrides)
        if settings is not None and overrides:
            self.settings = settings.model_copy(
                update={k: getattr(settings, k).model_copy(update=v) for k, v in overrides.items()}
            )
        path = self.settings.store.path
        self.store_dir = Path(path).expanduser() if path else default_store()
        self._engines = dict(engines or {})
        self._embedder = embedder

    # -- the parts (built on first use, so construction is instant) --------------------------
    @cached_property
    def library(self) -> Library:
        from .library import Library

        return Library(self.settings, self.store_dir, embedder=self._embedder)

    @cached_property
    def reader(self) -> Reader:
        from .answering.reading import Reader

        return Reader(self.library, self.settings, self._engines)

    def engine(self, llm: str | None = None) -> AnswerEngine:
        """The answer engine a call will use: ``llm``, else this object's or the configured."""
        return self.reader.engine(llm or self.settings.llm.engine)

    def engine_name(self, llm: str | None = None) -> str:
        """The name of the engine a call will use (``auto`` resolved)."""
        from .answering.engines import resolve_engine

        return resolve_engine(self.settings.llm, llm)

    # -- library -----------------------------------------------------------------------------
    def ingest(
        self, paths: list[str | Path] | str | Path, progress: Progress | None = None
    ) -> IngestReport:
        """Add files and folders (recursively); unchanged files are skipped."""
        if isinstance(paths, str | Path):
            paths = [paths]
        return self.library.ingest(list(paths), progress)

    def papers(self) -> list[Paper]:
        """Every paper in the library, by title."""
        return self.library.papers()

    def paper(self, ref: str) -> Paper:
        """The paper a REF names: id, source path, or title (exact, prefix, fuzzy)."""
        return self.library.paper(ref)

    def remove(self, ref: str) -> Paper:
        """Remove a paper and its chunks; files that held only it are forgotten too."""
        return self.library.remove(ref)

    def reindex(self, progress: Progress | None = None) -> IngestReport:
        """Rebuild the library with the current embedding and chunk settings."""
        return self.library.reindex(progress)

    # -- questions -----------------------------------------------------------------------------
    def _scope(self, papers: list[str] | None) -> list[str] | None:
        return [self.paper(ref).id for ref in papers] if papers else None

    def ask(self, question: str, *, papers: list[str] | None = None, llm: str | None = None
            ) -> Answer:
        """A cited answer from the library (or an abstention). ``papers``: REFs to scope to."""
        answer = None
        for event in self.stream(question, papers=papers, llm=llm):
            answer = event
        assert isinstance(answer, Answer)
        return answer

    def stream(self, question: str, *, papers: list[str] | None = None, llm: str | None = None
               ) -> Iterator[str | Answer]:
        """Text pieces as they are generated, then the final checked Answer."""
        engine, scope = self.engine(llm), self._scope(papers)
        summary = self._summary(question, engine, scope)
        if summary is not None:
            return iter([summary.text, summary])
        return self.reader.stream(question, engine.name, scope)

    def _summary(self, question: str, engine: AnswerEngine, scope: list[str] | None
                 ) -> Answer | None:
        """A summary request ("Summarize the paper on ...") is answered with the full summary
        of the paper retrieval ranks first; None for any other question."""
        from .answering.summarize import summary_for_question

        return summary_for_question(self.reader, engine, question, scope)

    async def aask(self, question: str, *, papers: list[str] | None = None,
                   llm: str | None = None) -> Answer:
        """Async twin of :meth:`ask`."""
        answer = None
        async for event in self.astream(question, papers=papers, llm=llm):
            answer = event
        assert isinstance(answer, Answer)
        return answer

    async def astream(self, question: str, *, papers: list[str] | None = None,
                      llm: str | None = None) -> AsyncIterator[str | Answer]:
        """Async twin of :meth:`stream`."""
        import asyncio

        scope = await asyncio.to_thread(self._scope, papers)
        engine = await asyncio.to_thread(self.engine, llm)
        summary = await asyncio.to_thread(self._summary, question, engine, scope)
        if summary is not None:
            yield summary.text
            yield summary
            return
        async for event in self.reader.astream(question, engine.name, scope):
            yield event

    # -- summaries and comparisons ------------------------------------------------------------
    def summarize(self, ref: str, *, length: str = "short", topic: bool = False,
                  llm: str | None = None) -> Answer:
        """A structured, cited summary of the paper ``ref`` names (TL;DR, problem, approach,
        key results, limitations; ``length`` short or long), or with ``topic`` (or when ``ref``
        names no single paper) a cited synthesis across the papers on that topic."""
        from .answering.summarize import summarize

        return summarize(self.reader, self.engine(llm), ref, length=length, topic=topic)

    def compare(self, refs: list[str], *, aspects: list[str] | None = None,
                llm: str | None = None) -> Answer:
        """Compare 2-5 papers: a cited table papers x aspects (``Answer.table``) and a short
        cited contrast. Default aspects: problem, approach, data/benchmarks, results,
        limitations."""
        from .answering.compare import compare

        return compare(self.reader, self.engine(llm), refs, aspects=aspects)

    def close(self) -> None:
        """Release the engines (the local model server, if started)."""
        reader = self.__dict__.get("reader")
        if reader is not None:
            reader.close()
