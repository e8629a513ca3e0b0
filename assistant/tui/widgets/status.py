"""Status lines: the question scope and the ingest progress bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar, Static

from ..render import scope_text
from ..state import IngestState

if TYPE_CHECKING:
    from ..app import PaperApp


class ScopeBar(Static):
    """Which papers the next question is limited to."""

    def on_mount(self) -> None:
        app: PaperApp = self.app  # type: ignore[assignment]
        self.watch(app, "scope", self._refresh_scope)
        self.watch(app, "papers", self._refresh_scope)

    def _refresh_scope(self, _: object = None) -> None:
        app: PaperApp = self.app  # type: ignore[assignment]
        self.update(scope_text(app.scoped_papers(), len(app.papers)))


class IngestBar(Horizontal):
    """A progress bar while an ingest runs (hidden otherwise)."""

    def compose(self) -> ComposeResult:
        yield Label("", classes="ingest-label", markup=False)
        yield ProgressBar(show_eta=False, classes="ingest-bar")

    def on_mount(self) -> None:
        self.display = False
        self.watch(self.app, "ingest", self._show)

    def _show(self, state: IngestState | None) -> None:
        self.display = state is not None
        if state is None:
            return
        self.query_one(Label).update(state.label)
        bar = self.query_one(ProgressBar)
        bar.update(total=state.files, progress=state.done)
