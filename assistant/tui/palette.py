"""The command palette (ctrl+p): the slash commands and screens, plus one entry per paper."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from textual import on, work
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.style import Style
from textual.widgets import Input

from ..answering.engines.registry import engine_names
from ..textsafe import safe_line
from .commands import BY_NAME, Parsed
from .messages import (
    AskIngestPath,
    ChatLayout,
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


class Palette(CommandPalette):
    """The command palette, which never runs a stale hit: enter pressed while the hits for
    what was typed are still being gathered waits for them, then runs the best one (the stock
    palette runs whatever the list showed for the earlier, shorter query)."""

    def _gathering(self) -> bool:
        return any(w.group == self._GATHER_COMMANDS_GROUP and not w.is_finished
                   for w in self.workers)

    @on(Input.Submitted)
    def _enter_when_gathered(self, event: Input.Submitted) -> None:
        if self._gathering():
            event.stop()
            event.prevent_default()  # the stock handler would pick from the stale list
            self._select_when_gathered()

    @work(group="select-when-gathered", exclusive=True, exit_on_error=False)
    async def _select_when_gathered(self) -> None:
        while self._gathering():
            await asyncio.sleep(0.02)
        if self.is_attached:
            self._select_or_command()


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
            ("Hide or show the sources pane", partial(ChatLayout, "toggle-sources"), "F5"),
            ("Maximize the chat (full width, no sources pane)",
             partial(ChatLayout, "maximize"), "F6"),
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
        entries = self._fixed() + self._papers()
        for i in _best(query, [text for text, _, _ in entries]):
            text, make, help_text = entries[i]
            score, offsets = matcher.fuzzy_search.match(query, text)
            if score > 0:
                yield Hit(score, _highlight(text, offsets, matcher.match_style),
                          partial(self._send, make), text=text,
                          help=escape(help_text) if help_text else None)


SEARCH_KEEP = 40
"""Entries scored by the palette's own (slow, ~2 ms each) fuzzy matcher per query."""


def _best(query: str, texts: list[str], keep: int = SEARCH_KEEP) -> list[int]:
    """Indexes of the entries worth scoring for ``query``: those holding its letters in order,
    the ``keep`` best by rapidfuzz. With Textual's matcher over every entry (2 per paper) the
    hits for "scope gen" settled 0.58 s after the last key on the sample library, with this
    filter 0.16 s ("summarize pasa": 0.31 -> 0.15 s; benchmarks/palette.py, same run)."""
    letters = [c for c in query.casefold() if not c.isspace()]

    def in_order(text: str) -> bool:
        rest = iter(text.casefold())
        return all(c in rest for c in letters)

    found = [i for i, text in enumerate(texts) if in_order(text)]
    if len(found) <= keep:
        return found
    from rapidfuzz import fuzz, process

    ranked = process.extract(query.casefold(), {i: texts[i].casefold() for i in found},
                             scorer=fuzz.WRatio, limit=keep)
    return [i for _, _, i in ranked]


def _highlight(text: str, offsets: Sequence[int], style: Style) -> Content:
    """``text`` as plain content with the matched letters styled.

    (``Matcher.highlight`` parses its input as markup, which a paper title must never be.)
    """
    content = Content(text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(style, offset, offset + 1)
    return content
