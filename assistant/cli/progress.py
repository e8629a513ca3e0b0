"""Rich progress bar and summary table for ingest (only the CLI imports this)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..textsafe import safe_line
from ..types import IngestReport

if TYPE_CHECKING:
    from rich.progress import Progress


class IngestDisplay:
    """A Progress for the pipeline: files and chunks, with ETA; silent when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Progress | None = None

    def __enter__(self) -> IngestDisplay:
        if self.enabled:
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
            self._files = self._progress.add_task("files", total=None, extra="")
            self._chunks = 0
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def start(self, files: int) -> None:
        if self._progress is not None:
            self._progress.update(self._files, total=files)

    def file_done(self, path: str, status: str) -> None:
        if self._progress is not None:
            self._progress.update(
                self._files, advance=1,
                extra=f"{self._chunks} chunks · {safe_line(os.path.basename(path))}",
            )

    def chunks_done(self, n: int) -> None:
        if self._progress is not None:
            self._chunks += n
            self._progress.update(self._files, extra=f"{self._chunks} chunks embedded")


def print_report(report: IngestReport) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ingest", title_justify="left", show_header=False)
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
