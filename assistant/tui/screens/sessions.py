"""The history: past conversations, newest first; enter resumes one."""

from __future__ import annotations

import asyncio
import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import DataTable, Footer, Header, Static

from ...records.history import Session
from ...textsafe import safe_line
from ...types import counted
from ..bindings import bindings_for
from ..messages import DeleteRow, ResumeSession, SessionForgotten
from ..state import AppState
from .base import AppScreen


def when(ts: float) -> str:
    """A compact local time: today's as HH:MM, older as YYYY-MM-DD HH:MM."""
    t = time.localtime(ts)
    if time.strftime("%Y%m%d", t) == time.strftime("%Y%m%d"):
        return time.strftime("today %H:%M", t)
    return time.strftime("%Y-%m-%d %H:%M", t)


class SessionTable(DataTable[Text]):
    """Sessions, one a row."""

    BINDINGS = bindings_for("history table")

    def action_delete(self) -> None:
        self.post_message(DeleteRow())


class SessionsScreen(AppScreen):
    """Past conversations kept in the history file beside the store."""

    BINDINGS = bindings_for("history")

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.sessions: list[Session] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content.styled("Conversations", "bold"), id="sessions-title")
        yield SessionTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static("", id="sessions-hint")
        yield Footer(show_command_palette=False)

    def on_screen_resume(self) -> None:
        self.refresh_sessions()
        self.query_one(SessionTable).focus()

    @work(exclusive=True, group="sessions", exit_on_error=False)
    async def refresh_sessions(self) -> None:
        """Reload the list from the history file."""
        history = self.state.history
        self.sessions = await asyncio.to_thread(history.sessions)
        table = self.query_one(SessionTable)
        table.clear(columns=True)
        table.add_column("When", width=16)
        table.add_column("Q&A", width=4)
        table.add_column("First question", width=max(30, self.size.width - 30))
        for s in self.sessions:
            mark = " ●" if s.id == self.state.session_id else ""
            table.add_row(Text(when(s.updated)), Text(str(s.exchanges), justify="right"),
                          Text(safe_line(s.title) + mark, overflow="ellipsis", no_wrap=True),
                          key=str(s.id))
        hint = (f"{counted(len(self.sessions), 'conversation')} in {history.path}. enter: resume · "
                "delete: forget · escape: back" if self.sessions else
                "No conversations yet: answers are kept here as you ask.")
        self.query_one("#sessions-hint", Static).update(Content.styled(hint, "dim"))

    def _current(self) -> Session | None:
        table = self.query_one(SessionTable)
        if not self.sessions or table.cursor_row >= len(self.sessions):
            return None
        return self.sessions[table.cursor_row]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        session = self._current()
        if session is not None:
            self.post_message(ResumeSession(session.id))

    def on_delete_row(self, message: DeleteRow) -> None:
        message.stop()
        self.delete_current()

    def delete_current(self) -> None:
        """Ask, then forget the session under the cursor."""
        from .dialogs import ConfirmScreen

        session = self._current()
        if session is None:
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.state.history.delete_session(session.id)
                self.post_message(SessionForgotten(session.id))
                self.refresh_sessions()

        self.app.push_screen(ConfirmScreen(Content.assemble(
            "Forget the conversation ", (f"“{session.title}”", "bold"), "?"), "Forget"), done)
