"""The library: a filterable table of papers with a detail pane; choose the scope, ingest,
remove."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Static

from ...display import authors_short, tidy
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
DETAIL_DELAY = 0.15  # seconds the cursor rests on a row before its abstract is read
WIDE = 140  # from this many columns the detail pane stands beside the table, else below it
ABSTRACT_CHARS = 900


def columns(width: int) -> dict[str, int]:
    """Column widths for a table ``width`` characters wide: the title gets what is left after
    the mark, authors, year, source (and chunks, when there is room); each column also takes
    two characters of padding, the scrollbar two more."""
    wide = width >= 90
    fixed = {"mark": 1, "authors": 18 if wide else 14, "year": 4, "source": 18 if wide else 14}
    if wide:
        fixed["chunks"] = 6
    title = max(20, width - sum(fixed.values()) - 2 * (len(fixed) + 1) - 2)
    return {"mark": 1, "title": title, **{k: v for k, v in fixed.items() if k != "mark"}}


def detail_text(paper: Paper, abstract: str | None) -> Content:
    """The detail pane: title, authors, year and identifiers, sources, chunks, abstract."""
    dim = "dim"
    lines = [Content.styled(safe_line(tidy(" ".join(paper.title.split()))), "bold")]
    names, is_count = authors_short(paper.authors, paper.n_authors)
    if paper.authors:
        shown = ", ".join(" ".join(a.split()) for a in paper.authors[:8])
        more = f" and {len(paper.authors) - 8} more" if len(paper.authors) > 8 else ""
        lines.append(Content(safe_line(shown + more)))
    elif is_count:
        lines.append(Content.styled(f"{names} (the source gives no names)", dim))
    facts = []
    if paper.year:
        facts.append(str(paper.year))
    if paper.date and str(paper.year or "") not in paper.date:
        facts.append(paper.date)
    if paper.doi:
        facts.append(f"DOI {paper.doi}")
    if paper.arxiv_id:
        facts.append(f"arXiv {paper.arxiv_id}")
    if paper.code_url:
        facts.append(f"code {paper.code_url}")
    facts.append(f"{counted(paper.chunks, 'chunk')} · {paper.kind or 'paper'} · {paper.id}")
    lines.append(Content.styled(safe_line(" · ".join(facts)), dim))
    lines.append(Content(""))
    if abstract is None:
        lines.append(Content.styled("reading…", "dim italic"))
    elif abstract:
        lines.append(Content(safe_line(tidy(abstract))))
    lines.append(Content(""))
    lines.append(Content.styled(counted(len(paper.sources), "source"), "bold"))
    lines += [Content.styled(f"  {safe_line(path)}", dim) for path in paper.sources[:6]]
    if len(paper.sources) > 6:
        lines.append(Content.styled(f"  … and {len(paper.sources) - 6} more", dim))
    return Content("\n").join(lines)


def first_paragraph(texts: list[tuple[str | None, str]], limit: int = ABSTRACT_CHARS) -> str:
    """The abstract (chunks in a section named so), else the opening text; at most ``limit``
    characters, cut at a word."""
    chosen = [t for section, t in texts if section and "abstract" in section.casefold()]
    text = " ".join(" ".join(chosen or [t for _, t in texts[:2]]).split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit] + " …"


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


class PaperDetail(VerticalScroll, can_focus=False):
    """The paper under the cursor: title, authors, year, DOI/arXiv, abstract, sources."""

    def compose(self) -> ComposeResult:
        yield Static("", id="paper-detail-text")

    def show(self, paper: Paper | None, abstract: str | None) -> None:
        text = detail_text(paper, abstract) if paper is not None else Content.styled(
            "No paper selected.", "dim italic")
        self.query_one(Static).update(text)


class LibraryScreen(AppScreen):
    """Filter box, paper table with the paper's details, scope and ingest progress."""

    BINDINGS = bindings_for("library")

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.shown: list[Paper] = []
        self._pending_filter = ""
        self._refilter: Timer | None = None
        self._detail: Timer | None = None
        self._abstracts: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="library-top"):
            yield FilterInput(placeholder="Filter by title, author, year or file…",
                              id="filter", select_on_focus=False)
            yield Static("", id="library-count")
        with Horizontal(id="library-body"):
            yield PaperTable(id="papers", cursor_type="row", zebra_stripes=True)
            yield PaperDetail(id="paper-detail")
        yield Static(Content.styled(
            "space/enter: scope · delete: remove · type: filter · esc: chat", "dim"),
            id="library-hint")
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

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < WIDE, "-narrow")
        self._populate()

    def on_key(self, event: events.Key) -> None:
        """Typing in the table goes to the filter (space still toggles the scope)."""
        if (event.is_printable and event.character and event.character != " "
                and self.focused is self.table):
            event.stop()
            event.prevent_default()
            box = self.query_one(FilterInput)
            box.focus()
            box.insert_text_at_cursor(event.character)

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
        wide = self.size.width >= WIDE
        width = columns(round(self.size.width * 0.62) if wide else self.size.width)
        table.clear(columns=True)
        labels = {"mark": " ", "title": "Title", "authors": "Authors", "year": "Year",
                  "source": "Source", "chunks": "Chunks"}
        for key, w in width.items():
            table.add_column(labels[key], key=key, width=w)
        scope = set(self.state.scope)
        for p in self.shown:
            names, is_count = authors_short(p.authors, p.n_authors)
            cells = {
                "mark": Text(IN_SCOPE if p.id in scope else "", style="bold"),
                "title": Text(safe_line(tidy(" ".join(p.title.split()))),
                              overflow="ellipsis", no_wrap=True),
                "authors": Text(safe_line(names), style="dim" if is_count else "",
                                overflow="ellipsis", no_wrap=True),
                "year": Text(str(p.year or "")),
                "source": Text(paper_source(p), overflow="ellipsis", no_wrap=True),
                "chunks": Text(str(p.chunks), justify="right"),
            }
            table.add_row(*(cells[k] for k in width), key=p.id)
        if self.shown:
            table.move_cursor(row=min(selected, len(self.shown) - 1))
        total = len(papers)
        count = (f"{len(self.shown)} of {counted(total, 'paper')}" if words
                 else counted(total, "paper"))
        if not self.state.library.loaded and not total:
            count = "loading…"
        self.query_one("#library-count", Static).update(count)
        self._show_detail()

    # -- the detail pane ---------------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()

    def _show_detail(self) -> None:
        paper = self.current_paper()
        detail = self.query_one(PaperDetail)
        if paper is None:
            detail.show(None, None)
            return
        detail.show(paper, self._abstracts.get(paper.id))
        if paper.id not in self._abstracts:
            if self._detail is not None:
                self._detail.stop()
            self._detail = self.set_timer(DETAIL_DELAY, lambda: self._read_abstract(paper))

    @work(exclusive=True, group="detail", exit_on_error=False)
    async def _read_abstract(self, paper: Paper) -> None:
        """Read the paper's abstract (or opening text) from the store, off the event loop."""
        try:
            chunks = await asyncio.to_thread(self.state.assistant.library.paper_chunks,
                                             paper.id)
        except Exception:  # removed meanwhile, or the store is busy: the pane just says less
            chunks = []
        self._abstracts[paper.id] = first_paragraph([(c.section, c.text) for c in chunks])
        current = self.current_paper()
        if current is not None and current.id == paper.id:
            self.query_one(PaperDetail).show(paper, self._abstracts[paper.id])

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
