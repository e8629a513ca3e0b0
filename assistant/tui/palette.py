"""The command palette (ctrl+p): the slash commands and screens, plus one entry per paper."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.style import Style

from ..answering.engines.registry import engine_names
from ..textsafe import safe_line
from .commands import BY_NAME, Parsed
from .messages import (
    AskIngestPath,
    ClearScope,
    Navigate,
    Prefill,
    RunCommand,
    SwitchEngine,
    ToggleScope,
)

if TYPE_CHECKING:
    from .state import AppState

Entry = tuple[str, Callable[[], Message], str]  # text, the message it sends the app, help


def _command(name: str, *args: str) -> RunCommand:
    return RunCommand(Parsed(BY_NAME[name], list(args)))


class PaperCommands(Provider):
    """Actions of the app; paper titles are matched as plain text (never markup).

    Each entry posts a message to the app (:mod:`assistant.tui.messages`). The app subclasses
    this to say where its state is (:attr:`state`), so the palette never imports the app.
    """

    @property
    def state(self) -> AppState:
        """The app's state (the paper list)."""
        raise NotImplementedError

    def _fixed(self) -> list[Entry]:
        entries: list[Entry] = [
            ("Library: browse, filter, scope papers", partial(Navigate, "library"),
             "F3 · /papers"),
            ("History: resume a conversation", partial(Navigate, "sessions"), "F4"),
            ("Help: commands and keys", partial(Navigate, "help"), "F1 · /help"),
            ("New conversation", partial(_command, "clear"), "ctrl+n · /clear"),
            ("Export conversation to Markdown", partial(_command, "export"),
             "ctrl+s · /export [FILE]"),
            ("Ingest a file or folder…", AskIngestPath, "/ingest PATH"),
            ("Summarize a paper…", partial(Prefill, "/summarize "), "/summarize REF"),
            ("Compare papers…", partial(Prefill, "/compare "), "/compare REF REF"),
            ("Clear the paper scope (ask the whole library)", ClearScope, ""),
        ]
        entries += [(f"Engine: {name}", partial(SwitchEngine, name), f"/engine {name}")
                    for name in engine_names(auto=False)]
        return entries

    def _papers(self) -> list[Entry]:
        out: list[Entry] = []
        for p in self.state.papers:
            title = safe_line(p.title)
            out.append((f"Summarize: {title}", partial(_command, "summarize", p.id),
                        "/summarize"))
            out.append((f"Scope: {title}", partial(ToggleScope, p, announce=True),
                        "add to or remove from the question scope"))
        return out

    def _send(self, make: Callable[[], Message]) -> None:
        self.app.post_message(make())

    async def discover(self) -> Hits:
        for text, make, help_text in self._fixed():
            yield DiscoveryHit(escape(text), partial(self._send, make), text=text,
                               help=escape(help_text) if help_text else None)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        matcher = self.matcher(query)
        for text, make, help_text in self._fixed() + self._papers():
            score, offsets = matcher.fuzzy_search.match(query, text)
            if score > 0:
                yield Hit(score, _highlight(text, offsets, matcher.match_style),
                          partial(self._send, make), text=text,
                          help=escape(help_text) if help_text else None)


def _highlight(text: str, offsets: Sequence[int], style: Style) -> Content:
    """``text`` as plain content with the matched letters styled.

    (``Matcher.highlight`` parses its input as markup, which a paper title must never be.)
    """
    content = Content(text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(style, offset, offset + 1)
    return content
