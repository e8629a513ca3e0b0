"""What children ask of their parents: small dataclass messages (posting-style).

A widget asks its screen, a screen (or the command palette) asks the app, by posting one of
these; nobody calls a parent's method by name. Messages bubble from a widget to its screen and
from a screen to the app, whose ``on_<name>`` handlers do the work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from textual.message import Message

if TYPE_CHECKING:
    from ..types import Paper
    from .commands import Parsed

Place = Literal["chat", "library", "sessions", "help"]


# -- a table asks its screen -----------------------------------------------------------------------
@dataclass
class ToggleRow(Message):
    """Put the row under the cursor into the scope or take it out (library table)."""


@dataclass
class DeleteRow(Message):
    """Ask, then remove the row under the cursor (library: a paper; history: a session)."""


# -- the chat input asks its screen ----------------------------------------------------------------
@dataclass
class ScrollConversation(Message):
    """Scroll the conversation (the input keeps the focus): up, down, top or bottom."""

    where: Literal["up", "down", "top", "bottom"]


# -- a screen or the palette asks the app ----------------------------------------------------------
@dataclass
class Navigate(Message):
    """Show a screen (the library optionally filtered)."""

    to: Place
    filter: str = ""


@dataclass
class Prefill(Message):
    """Go to the chat and put ``text`` in the input."""

    text: str


@dataclass
class RunCommand(Message):
    """Run a slash command in the chat (summarize and compare go to the chat first)."""

    parsed: Parsed


@dataclass
class SwitchEngine(Message):
    """Use another answer engine for the next questions."""

    name: str


@dataclass
class IngestPaths(Message):
    """Ingest files or folders, with a progress bar."""

    paths: list[str] = field(default_factory=list)


@dataclass
class AskIngestPath(Message):
    """Ask for a path, then ingest it."""


@dataclass
class ToggleScope(Message):
    """Add a paper to the question scope or take it out (``announce``: say which)."""

    paper: Paper
    announce: bool = False


@dataclass
class ClearScope(Message):
    """Ask the whole library again."""


@dataclass
class RemovePaper(Message):
    """Remove a paper from the library (already confirmed)."""

    paper: Paper


@dataclass
class ResumeSession(Message):
    """Go to the chat and show a past conversation; new questions continue it."""

    session_id: int


@dataclass
class SessionForgotten(Message):
    """A conversation was deleted from the history (the chat drops it if it is the current)."""

    session_id: int


@dataclass
class ChatLayout(Message):
    """Show or hide the sources pane, or give the conversation the whole screen."""

    change: Literal["toggle-sources", "maximize"]


@dataclass
class WorkerFailed(Message):
    """A screen's worker raised: the app's one error handler reports it."""

    error: BaseException
