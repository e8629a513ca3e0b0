"""The library: a filterable table of papers; choose the scope, ingest, remove."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Static

from ...textsafe import safe_line
from ...types import Paper, counted
from ..bindings import bindings_for
from ..messages import ClearScope, DeleteRow, RemovePaper, ToggleRow, ToggleScope
from ..render import paper_source
from ..state import AppState
from ..widgets.status import IngestBar, ScopeBar
from .base import AppScreen

IN_SCOPE = "●"
FILTER_DELAY = 0.12  # seconds of no typing before the table is filtered
FIXED_COLUMNS = 3 + 6 + 28 + 8 + 10  # mark, year, source, chunks, padding


def matches(paper: Paper, words: list[str]) -> bool:
    """Whether every filter word occurs in the title, authors, year, id or source."""
    hay = " ".join([paper.title, " ".join(paper.authors), str(paper.year or ""), paper.id,
                    *paper.sources]).casefold()
    return all(w in hay for w in words)


class FilterInput(Input):
    """The filter box; down moves into the table."""

    BINDINGS = bindings_for("library filter")


class PaperTable(DataTable[Text]):
    """Papers, one a row; space adds to or removes from the scope."""

    BINDINGS = bindings_for("library table")

    def action_toggle_scope(self) -> None:
        self.post_message(ToggleRow())

    def action_remove(self) -> None:
        self.post_message(DeleteRow())


class LibraryScreen(AppScreen):
    """Filter box, paper table, scope and ingest progress."""

    BINDINGS = bindings_for("library")

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.shown: list[Paper] = []
        self._pending_filter = ""
        self._refilter: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="library-top"):
            yield FilterInput(placeholder="Filter by title, author, year or file…",
                              id="filter")
            yield Static("", id="library-count")
        yield PaperTable(id="papers", cursor_type="row", zebra_stripes=True)
        yield Static(Content.styled(
            "space: add to / remove from the scope · enter: same · delete: remove a paper · "
            "escape: back to the chat", "dim"), id="library-hint")
        yield IngestBar()
        yield ScopeBar(self.state, id="library-scope")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.watch(self.app, "papers", self._populate)
        self.watch(self.app, "scope", self._mark_scope)
        self.query_one(FilterInput).focus()
        if self._pending_filter:
            self.query_one(FilterInput).value = self._pending_filter
            self._pending_filter = ""

    def on_resize(self) -> None:
        self._populate()

    @property
    def table(self) -> PaperTable:
        return self.query_one(PaperTable)

    def set_filter(self, text: str) -> None:
        """Show only papers matching ``text``."""
        if not self.is_mounted:
            self._pending_filter = text
            return
        self.query_one(FilterInput).value = text
        self._populate()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":  # re-filter when typing pauses (large libraries)
            if self._refilter is not None:
                self._refilter.stop()
            self._refilter = self.set_timer(FILTER_DELAY, self._populate)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.action_focus_table()

    def _populate(self, _: object = None) -> None:
        table = self.table
        words = self.query_one(FilterInput).value.casefold().split()
        papers = list(self.state.papers)
        self.shown = [p for p in papers if matches(p, words)]
        selected = table.cursor_row if table.row_count else 0
        width = max(30, self.size.width - FIXED_COLUMNS)
        table.clear(columns=True)
        table.add_column(" ", key="mark", width=1)
        table.add_column("Title", key="title", width=width)
        table.add_column("Year", key="year", width=4)
        table.add_column("Source", key="source", width=28)
        table.add_column("Chunks", key="chunks", width=6)
        scope = set(self.state.scope)
        for p in self.shown:
            table.add_row(
                Text(IN_SCOPE if p.id in scope else "", style="bold"),
                Text(safe_line(" ".join(p.title.split())), overflow="ellipsis", no_wrap=True),
                Text(str(p.year or "")),
                Text(paper_source(p), overflow="ellipsis", no_wrap=True),
                Text(str(p.chunks), justify="right"),
                key=p.id,
            )
        if self.shown:
            table.move_cursor(row=min(selected, len(self.shown) - 1))
        total = len(papers)
        count = (f"{len(self.shown)} of {counted(total, 'paper')}" if words
                 else counted(total, "paper"))
        if not self.state.library.loaded and not total:
            count = "loading…"
        self.query_one("#library-count", Static).update(count)

    def _mark_scope(self, scope: tuple[str, ...]) -> None:
        table = self.table
        chosen = set(scope)
        for p in self.shown:
            table.update_cell(p.id, "mark", Text(IN_SCOPE if p.id in chosen else "",
                                                 style="bold"))

    def current_paper(self) -> Paper | None:
        """The paper under the table cursor."""
        table = self.table
        if not self.shown or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def toggle_current(self) -> None:
        """Put the paper under the cursor into the scope or take it out."""
        paper = self.current_paper()
        if paper is not None:
            self.post_message(ToggleScope(paper))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.toggle_current()

    def on_toggle_row(self, message: ToggleRow) -> None:
        message.stop()
        self.toggle_current()

    def on_delete_row(self, message: DeleteRow) -> None:
        message.stop()
        self.remove_current()

    def remove_current(self) -> None:
        """Ask, then remove the paper under the cursor."""
        from .dialogs import ConfirmScreen

        paper = self.current_paper()
        if paper is None:
            return
        message = Content.assemble(
            "Remove ", ("“" + " ".join(paper.title.split()) + "”", "bold"),
            f" and its {counted(paper.chunks, 'chunk')} from the library? "
            "The files are not touched.")

        def done(yes: bool | None) -> None:
            if yes:
                self.post_message(RemovePaper(paper))

        self.app.push_screen(ConfirmScreen(message, "Remove"), done)

    def action_focus_filter(self) -> None:
        self.query_one(FilterInput).focus()

    def action_focus_table(self) -> None:
        self.table.focus()

    def action_clear_scope(self) -> None:
        self.post_message(ClearScope())
