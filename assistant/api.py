"""The Assistant facade: the one object the CLI, the TUI and scripts talk to."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings, load_settings
from .paths import default_store
from .types import Answer, IngestReport, Paper

if TYPE_CHECKING:
    from .chunking import Chunker
    from .embedding import OnnxMiniLM, OpenAIEmbedder
    from .ingest.pipeline import Progress
    from .reading import Reader
    from .store import Store


class Assistant:
    """A paper library with cited question answering.

    ``store`` is the library folder (default: configured, else ./store or the user data dir);
    ``llm`` picks the answer engine for this object: extractive, local or openai.
    """

    def __init__(
        self,
        store: str | Path | None = None,
        *,
        llm: str | None = None,
        config: str | Path | None = None,
        settings: Settings | None = None,
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

    # -- components (built on first use, so construction is instant) ------------------------
    @cached_property
    def embedder(self) -> OnnxMiniLM | OpenAIEmbedder:
        from .embedding import make_embedder

        return make_embedder(self.settings.embedding)

    @cached_property
    def chunker(self) -> Chunker:
        from .chunking import Chunker

        c = self.settings.chunking
        return Chunker(self.embedder.tokenizer, c.max_tokens, c.overlap)

    @cached_property
    def store(self) -> Store:
        from .store import Store

        return Store(self.settings, self.store_dir, self.embedder.name, self.embedder.dim)

    def _write_lock(self):
        """One writer per store (a server store: per machine); a second waits, saying why."""
        from .locking import store_lock
        from .store import lock_folder

        return store_lock(lock_folder(self.settings, self.store_dir))

    # -- library -----------------------------------------------------------------------------
    def ingest(
        self, paths: list[str | Path] | str | Path, progress: Progress | None = None
    ) -> IngestReport:
        """Add files and folders (recursively); unchanged files are skipped."""
        if isinstance(paths, str | Path):
            paths = [paths]
        with self._write_lock():
            return self._ingest_unlocked(list(paths), progress)

    def _ingest_unlocked(self, paths: list[str | Path], progress: Progress | None) -> IngestReport:
        from .ingest.pipeline import Ingestor

        max_bytes = int(self.settings.store.max_file_mb * 1e6)
        self.store.recover()  # a writer cleans up what an interrupted one left
        return Ingestor(self.store, self.embedder, self.chunker, max_bytes).run(paths, progress)

    def papers(self) -> list[Paper]:
        """Every paper in the library, by title."""
        return self.store.list_papers()

    def paper(self, ref: str) -> Paper:
        """The paper a REF names: id, source path, or title (exact, prefix, fuzzy)."""
        from .resolve import resolve_ref

        return resolve_ref(ref, self.papers())

    def remove(self, ref: str) -> Paper:
        """Remove a paper and its chunks; files that held only it are forgotten too."""
        paper = self.paper(ref)
        with self._write_lock():
            self.store.begin_write()
            for record in self.store.file_records().values():
                if paper.id in record.paper_ids:
                    record.paper_ids.remove(paper.id)
                    if record.paper_ids:
                        self.store.put_file(record)
                    else:
                        self.store.delete_file(record.path)
            self.store.delete_paper(paper.id)
            self.store.sync_keyword_index()
        return paper

    def reindex(self, progress: Progress | None = None) -> IngestReport:
        """Rebuild the library with the current embedding and chunk settings."""
        from .locking import data_lock
        from .reindex import reindex
        from .store import lock_folder

        # Readers wait for the whole rebuild: it drops and recreates the collections.
        with self._write_lock(), data_lock(lock_folder(self.settings, self.store_dir)).exclusive():
            self.__dict__.pop("store", None)
            report = reindex(self, progress)
            self.__dict__.pop("store", None)
        return report

    # -- questions -----------------------------------------------------------------------------
    @cached_property
    def reader(self) -> Reader:
        from .reading import Reader

        return Reader(self.store, self.embedder, self.settings)

    def engine_name(self, llm: str | None = None) -> str:
        """The engine a call will use: ``llm``, else this object's or the configured one."""
        from .engines import choose_engine

        return choose_engine(self.settings.llm, llm)

    def _scope(self, papers: list[str] | None) -> list[str] | None:
        return [self.paper(ref).id for ref in papers] if papers else None

    def ask(self, question: str, *, papers: list[str] | None = None, llm: str | None = None
            ) -> Answer:
        """A cited answer from the library (or an abstention). ``papers``: REFs to scope to."""
        engine, scope = self.engine_name(llm), self._scope(papers)
        return self._summary(question, engine, scope) or self.reader.ask(question, engine, scope)

    def stream(self, question: str, *, papers: list[str] | None = None, llm: str | None = None
               ) -> Iterator[str | Answer]:
        """Text pieces as they are generated, then the final checked Answer."""
        engine, scope = self.engine_name(llm), self._scope(papers)
        summary = self._summary(question, engine, scope)
        if summary is not None:
            return iter([summary.text, summary])
        return self.reader.stream(question, engine, scope)

    def _summary(self, question: str, engine: str, scope: list[str] | None) -> Answer | None:
        """A summary request ("Summarize the paper on ...") is answered with the full summary
        of the paper retrieval ranks first; None for any other question."""
        from .summarize import summary_for_question

        return summary_for_question(self, question, engine, scope)

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
        engine = self.engine_name(llm)
        summary = await asyncio.to_thread(self._summary, question, engine, scope)
        if summary is not None:
            yield summary.text
            yield summary
            return
        async for event in self.reader.astream(question, engine, scope):
            yield event

    # -- summaries and comparisons ------------------------------------------------------------
    def summarize(self, ref: str, *, length: str = "short", topic: bool = False,
                  llm: str | None = None) -> Answer:
        """A structured, cited summary of the paper ``ref`` names (TL;DR, problem, approach,
        key results, limitations; ``length`` short or long), or with ``topic`` (or when ``ref``
        names no single paper) a cited synthesis across the papers on that topic."""
        from .summarize import summarize

        return summarize(self, ref, engine=self.engine_name(llm), length=length, topic=topic)

    def compare(self, refs: list[str], *, aspects: list[str] | None = None,
                llm: str | None = None) -> Answer:
        """Compare 2-5 papers: a cited table papers x aspects (``Answer.table``) and a short
        cited contrast. Default aspects: problem, approach, data/benchmarks, results,
        limitations."""
        from .compare import compare

        return compare(self, refs, engine=self.engine_name(llm), aspects=aspects)

    def close(self) -> None:
        """Release the engines (the local model server, if started)."""
        reader = self.__dict__.get("reader")
        if reader is not None:
            reader.close()
