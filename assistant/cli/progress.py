"""Rich progress bar and summary table for ingest (only the CLI imports this)."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

from ..textsafe import safe_line
from ..types import IngestReport

if TYPE_CHECKING:
    from rich.progress import Progress

LINE_EVERY = 5.0  # seconds between progress lines when stderr is not a terminal


class IngestDisplay:
    """A Progress for the pipeline: files and chunks, with ETA on a terminal (``live``), else a
    plain line on stderr every few seconds (a log, a pipe); silent when disabled."""

    def __init__(self, enabled: bool, live: bool = True) -> None:
        self.enabled = enabled
        self.live = live
        self._progress: Progress | None = None
        self._lines = enabled and not live
        self._files = 0
        self._total: int | None = None
        self._chunks = 0
        self._said = time.monotonic()  # the first line comes after LINE_EVERY seconds
        self._spoke = False

    def _line(self, last: bool = False) -> None:
        """A line every LINE_EVERY seconds, and a last one if any came before (short runs
        stay quiet)."""
        now = time.monotonic()
        if self._lines and (now - self._said >= LINE_EVERY or (last and self._spoke)):
            self._said, self._spoke = now, True
            total = "?" if self._total is None else str(self._total)
            print(f"progress: {self._files}/{total} files · {self._chunks} chunks embedded",
                  file=sys.stderr, flush=True)

    def __enter__(self) -> IngestDisplay:
        if self.enabled and self.live:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[extra]}", markup=False),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("files", total=None, extra="")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def start(self, files: int) -> None:
        self._total = files
        if self._progress is not None:
            self._progress.update(self._task, total=files)
        self._line()

    def file_done(self, path: str, status: str) -> None:
        self._files += 1
        if self._progress is not None:
            self._progress.update(
                self._task, advance=1,
                extra=f"{self._chunks} chunks · {safe_line(os.path.basename(path))}",
            )
        self._line(last=self._files == self._total)

    def chunks_done(self, n: int) -> None:
        self._chunks += n
        if self._progress is not None:
            self._progress.update(self._task, extra=f"{self._chunks} chunks embedded")
        self._line()


def print_report(report: IngestReport, where: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    title = f"ingest into {where}" if where else "ingest"
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("files added", len(report.added)),
        ("files updated", len(report.updated)),
        ("files unchanged", len(report.unchanged)),
        ("files failed", len(report.failed)),
        ("files skipped (hidden, or the store)", len(report.skipped)),
        ("papers added", report.papers_added),
        ("chunks added", report.chunks_added),
        ("papers in library", report.papers_total),
        ("chunks in library", report.chunks_total),
    ):
        table.add_row(label, str(value))
    Console().print(table)
