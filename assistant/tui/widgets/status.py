"""Status lines: the question scope and the ingest progress bar."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar, Static

from ..render import scope_text
from ..state import AppState, IngestState


class ScopeBar(Static):
    """Which papers the next question is limited to."""

    def __init__(self, state: AppState, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = state

    def on_mount(self) -> None:
        self.watch(self.app, "scope", self._refresh_scope)
        self.watch(self.app, "papers", self._refresh_scope)

    def _refresh_scope(self, _: object = None) -> None:
        self.update(scope_text(self.state.scoped_papers(), len(self.state.papers)))


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
