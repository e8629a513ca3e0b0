"""The command palette (ctrl+p): the slash commands and screens, plus one entry per paper."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape
from textual.style import Style

from ..answering.engines.registry import engine_names

if TYPE_CHECKING:
    from .app import PaperApp

Entry = tuple[str, Callable[[], object], str]


class PaperCommands(Provider):
    """Actions of the app; paper titles are matched as plain text (never markup)."""

    @property
    def _app(self) -> PaperApp:
        return self.app  # type: ignore[return-value]

    def _fixed(self) -> list[Entry]:
        app = self._app
        chat = app.chat
        entries: list[Entry] = [
            ("Library: browse, filter, scope papers", app.action_show_library,
             "F3 · /papers"),
            ("History: resume a conversation", app.action_show_sessions, "F4"),
            ("Help: commands and keys", app.action_help, "F1 · /help"),
            ("New conversation", chat.action_new_chat, "ctrl+n · /clear"),
            ("Export conversation to Markdown", chat.action_export, "ctrl+s · /export [FILE]"),
            ("Ingest a file or folder…", app.action_ingest_prompt, "/ingest PATH"),
            ("Summarize a paper…", partial(chat.prefill, "/summarize "), "/summarize REF"),
            ("Compare papers…", partial(chat.prefill, "/compare "), "/compare REF REF"),
            ("Clear the paper scope (ask the whole library)", app.clear_scope, ""),
        ]
        entries += [(f"Engine: {name}", partial(app.switch_engine, name), f"/engine {name}")
                    for name in engine_names(auto=False)]
        return entries

    def _papers(self) -> list[Entry]:
        app = self._app
        out: list[Entry] = []
        for p in app.papers:
            out.append((f"Summarize: {p.title}", partial(_summarize, app, p.id), "/summarize"))
            out.append((f"Scope: {p.title}", partial(_toggle_scope, app, p.id, p.title),
                        "add to or remove from the question scope"))
        return out

    async def discover(self) -> Hits:
        for text, callback, help_text in self._fixed():
            yield DiscoveryHit(escape(text), callback, text=text,
                               help=escape(help_text) if help_text else None)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        matcher = self.matcher(query)
        for text, callback, help_text in self._fixed() + self._papers():
            score, offsets = matcher.fuzzy_search.match(query, text)
            if score > 0:
                yield Hit(score, _highlight(text, offsets, matcher.match_style), callback,
                          text=text, help=escape(help_text) if help_text else None)


def _summarize(app: PaperApp, paper_id: str) -> None:
    app.action_show_chat()
    if not app.chat.busy:
        app.chat.summarize(paper_id)
    else:
        app.notify("An answer is still being written: esc cancels it.", severity="warning")


def _toggle_scope(app: PaperApp, paper_id: str, title: str) -> None:
    added = app.toggle_scope(paper_id)
    app.notify(f"{'Added to' if added else 'Removed from'} the scope: {title}", markup=False)


def _highlight(text: str, offsets: Sequence[int], style: Style) -> Content:
    """``text`` as plain content with the matched letters styled.

    (``Matcher.highlight`` parses its input as markup, which a paper title must never be.)
    """
    content = Content(text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(style, offset, offset + 1)
    return content
