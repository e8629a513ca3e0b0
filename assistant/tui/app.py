"""The chat app: screens over one :class:`~assistant.api.Assistant`.

The first screen paints before anything heavy happens: the store, the embedding model and the
answer engine load in a worker thread afterwards (``ready`` says when). Every call into the
library runs in a worker, so typing never waits. Errors from workers go through one handler
(:meth:`PaperApp.report_error`) and become notifications.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.reactive import var
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ..display import ref_error_lines
from ..errors import AssistantError, ConfigError, IngestError, LLMError, RefError, StoreError
from ..paths import history_db, store_is_implicit, store_label
from ..records.history import History
from ..textsafe import safe_text
from ..types import IngestReport, Paper, counted
from .bindings import binding_ids, bindings_for
from .messages import (
    AskIngestPath,
    ChatLayout,
    ClearScope,
    IngestPaths,
    Navigate,
    Prefill,
    RemovePaper,
    ResumeSession,
    RunCommand,
    SessionForgotten,
    SwitchEngine,
    ToggleScope,
    WorkerFailed,
)
from .palette import Palette, PaperCommands
from .render import short_title
from .screens.chat import ChatScreen
from .state import AppState, IngestState, LibraryInfo

if TYPE_CHECKING:
    from ..api import Assistant


def _settle_memory() -> None:
    """Collect once, then exempt everything loaded so far from future collections.

    The store, the model and the engines leave ~300k long-lived objects; a full collection
    over them takes 200-300 ms and would otherwise land in the middle of a streaming answer
    every second or so (measured: benchmarks/tui_first_paint.py).
    """
    gc.collect()
    gc.freeze()


def warming_text(engine: str) -> str:
    """What the status line says while ``engine`` loads."""
    return "loading the local model" if engine == "local" else f"starting the {engine} engine"


class _UIProgress:
    """The ingest pipeline's Progress, forwarded from the worker thread to the app."""

    def __init__(self, app: PaperApp) -> None:
        self.app = app

    def _update(self, **changes: Any) -> None:
        def apply() -> None:
            if self.app.ingest is not None:
                state = self.app.ingest
                if "chunks" in changes:
                    changes["chunks"] += state.chunks
                self.app.ingest = replace(state, **changes)

        self.app.call_from_thread(apply)

    def start(self, files: int) -> None:
        self._update(files=files)

    def file_done(self, path: str, status: str) -> None:
        state = self.app.ingest
        done = (state.done if state else 0) + 1
        self._update(done=done, current=f"{os.path.basename(path)} {status}")

    def chunks_done(self, n: int) -> None:
        self._update(chunks=n)


class _Commands(PaperCommands):
    """The command palette over this app."""

    @property
    def state(self) -> AppState:
        app = self.app
        assert isinstance(app, PaperApp)
        return app


class PaperApp(App[int]):
    """Chat with a paper library: cited answers, sources, library, history."""

    CSS_PATH = "app.tcss"
    TITLE = "Paper Assistant"
    COMMANDS = App.COMMANDS | {_Commands}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    BINDINGS = bindings_for("everywhere")

    papers: var[tuple[Paper, ...]] = var(())
    """The library, by title (empty until loaded)."""
    scope: var[tuple[str, ...]] = var(())
    """Ids of the papers the next questions are limited to (empty: all)."""
    engine: var[str] = var("extractive")
    """The answer engine in use."""
    engine_label: var[str] = var("extractive")
    """How the header names the engine."""
    library: var[LibraryInfo] = var(LibraryInfo())
    """Library size for the header."""
    ingest: var[IngestState | None] = var(None)
    """The running ingest, if any."""
    warming: var[str] = var("")
    """What is loading before answers can start ("loading the local model"), or ""."""

    def __init__(
        self,
        assistant: Assistant,
        *,
        ingest_if_empty: str | None = None,
        history: History | None = None,
    ) -> None:
        super().__init__()
        self.assistant = assistant
        self.seed = ingest_if_empty
        self.history = history or History(history_db(assistant.store_dir))
        self.keymap: dict[str, str] = {}
        """The keys remapped by ``[ui.keys]`` (binding id -> keys)."""
        self._chat: ChatScreen | None = None
        self.load_error: AssistantError | None = None
        self._loaded_event: asyncio.Event | None = None
        engine = assistant.engine_name()
        self.set_reactive(PaperApp.engine, engine)
        self.set_reactive(PaperApp.engine_label, engine)
        store = assistant.settings.store
        self.library_label = store_label(assistant.store_dir, store.url, store.name)
        self.library_implicit = store_is_implicit(assistant.store_dir, store.path, store.url)

    # -- start-up ----------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._loaded_event = asyncio.Event()
        ui = self.assistant.settings.ui
        if ui.theme in self.available_themes:
            self.theme = ui.theme
        else:
            self.notify(f"unknown theme {ui.theme!r} in [ui] theme; using {self.theme}",
                        severity="warning", markup=False)
        self._apply_keymap(ui.keys)
        self.call_after_refresh(self._start_loading)

    def _apply_keymap(self, keys: dict[str, str]) -> None:
        known = binding_ids()
        unknown = sorted(k for k in keys if k not in known)
        if unknown:
            self.notify(f"[ui] keys: unknown binding ids {', '.join(unknown)} "
                        f"(see F1 for the ids)", severity="warning", markup=False)
        self.keymap = {k: v for k, v in keys.items() if k in known}
        self.set_keymap(self.keymap)

    def _start_loading(self) -> None:
        self.run_worker(self._load, thread=True, name="load", group="load",
                        exit_on_error=False)

    def _load(self) -> None:
        """(worker thread) Open the store, ingest the seed if empty, warm the engine. A store
        folder that does not exist yet is not created until something is ingested."""
        a = self.assistant
        try:
            notice = a.library.pending_reindex()
            if notice:
                self.call_from_thread(self.notify, notice, severity="warning", markup=False,
                                      timeout=15)
            missing = not a.settings.store.url and not a.store_dir.exists()
            papers = [] if missing and not self.seed else a.papers()
            self.call_from_thread(self._set_papers, papers)
            if not papers and self.seed:
                self.call_from_thread(self.notify, f"The library is empty: ingesting {self.seed}",
                                      markup=False)
                self._ingest_blocking([self.seed])
                papers = a.papers()
            self.call_from_thread(setattr, self, "warming", warming_text(self.engine))
            try:
                label = self._describe(self.engine)
            finally:
                self.call_from_thread(setattr, self, "warming", "")
            self.call_from_thread(setattr, self, "engine_label", label)
            if papers:
                a.ask("warm up", llm="extractive")  # embedding model and indexes, off the UI
            _settle_memory()
        except Exception as exc:
            reason = str(exc) if isinstance(exc, AssistantError) else (
                f"{type(exc).__name__}: {exc}")
            self.load_error = StoreError(f"could not open the library: {reason}")
            self.call_from_thread(self._loaded, str(self.load_error))
            raise
        self.call_from_thread(self._loaded, "")

    def _describe(self, engine: str) -> str:
        """(worker thread) Build and warm the engine (its client library is imported here, off
        the event loop) and return its short name for the header, e.g. ``openai (gpt-4o)``.
        The caller sets :attr:`warming` around it (answers wait, saying what for)."""
        built = self.assistant.engine(engine)
        built.warm()
        return built.label

    def _loaded(self, error: str) -> None:
        self.library = replace(self.library, loaded=True, error=error)
        if self._loaded_event is not None:
            self._loaded_event.set()

    def _set_papers(self, papers: Iterable[Paper]) -> None:
        papers = tuple(papers)
        self.papers = papers
        known = {p.id for p in papers}
        if any(pid not in known for pid in self.scope):
            self.scope = tuple(pid for pid in self.scope if pid in known)
        self.library = replace(self.library, papers=len(papers),
                               chunks=sum(p.chunks for p in papers))

    async def wait_ready(self) -> None:
        """Wait for the library to load; raise its error if it could not."""
        if self._loaded_event is not None:
            await self._loaded_event.wait()
        if self.load_error is not None:
            raise self.load_error

    @property
    def is_ready(self) -> bool:
        return self._loaded_event is not None and self._loaded_event.is_set()

    # -- header ------------------------------------------------------------------------------------
    def _update_sub_title(self) -> None:
        info = self.library
        if info.error:
            size = "library unavailable"
        elif not info.loaded and not info.papers:
            size = "opening the library…"
        else:
            size = f"{counted(info.papers, 'paper')} · {counted(info.chunks, 'chunk')}"
        engine = f"{self.engine_label} (loading…)" if self.warming else self.engine_label
        self.sub_title = f"{engine} · {size}"

    def watch_library(self) -> None:
        self._update_sub_title()

    def watch_engine_label(self) -> None:
        self._update_sub_title()

    def watch_warming(self) -> None:
        self._update_sub_title()

    # -- scope -------------------------------------------------------------------------------------
    def scoped_papers(self) -> list[Paper]:
        """The papers in scope, in library order."""
        chosen = set(self.scope)
        return [p for p in self.papers if p.id in chosen]

    def toggle_scope(self, paper_id: str) -> bool:
        """Add a paper to the scope or take it out; True if it is now in."""
        if paper_id in self.scope:
            self.scope = tuple(p for p in self.scope if p != paper_id)
            return False
        self.scope = (*self.scope, paper_id)
        return True

    def clear_scope(self) -> None:
        self.scope = ()

    @property
    def session_id(self) -> int | None:
        """The conversation new questions continue (the chat's; None: a new one)."""
        return self._chat.session_id if self._chat is not None else None

    def titles(self) -> list[str]:
        """Paper titles, for completion."""
        return [p.title for p in self.papers]

    # -- engine ------------------------------------------------------------------------------------
    def switch_engine(self, name: str) -> None:
        """Use another answer engine for the next questions (checked and warmed in a worker;
        questions asked meanwhile wait for it, saying so)."""
        self.warming = warming_text(name)
        self.run_worker(partial(self._switch_engine, name), thread=True, group="engine",
                        exclusive=True, exit_on_error=False)

    def _switch_engine(self, name: str) -> None:
        try:
            engine = self.assistant.engine_name(name)  # ConfigError for an unknown name
            label = self._describe(engine)
            description = self.assistant.engine(engine).description
        except BaseException:
            self.call_from_thread(setattr, self, "warming", "")
            raise
        gc.freeze()

        def apply() -> None:
            self.engine = engine
            self.engine_label = label
            self.warming = ""  # after the engine is set: a waiting question takes the new one
            self.notify(f"Engine: {description}", markup=False)

        self.call_from_thread(apply)

    # -- library changes ---------------------------------------------------------------------------
    def start_ingest(self, paths: list[str]) -> bool:
        """Ingest files or folders in a worker, with a progress bar; False if one runs."""
        if self.ingest is not None:
            self.notify("An ingest is already running.", severity="warning")
            return False
        missing = [p for p in paths if not Path(p).expanduser().exists()]
        if missing:
            self.notify(f"No such file or folder: {', '.join(missing)}", severity="error",
                        markup=False)
            return False
        self.ingest = IngestState(tuple(paths))
        self.run_worker(partial(self._ingest_worker, paths), thread=True, group="ingest",
                        exit_on_error=False)
        return True

    def _ingest_worker(self, paths: list[str]) -> None:
        self._ingest_blocking(paths)

    def _ingest_blocking(self, paths: list[str]) -> IngestReport:
        """(worker thread) Run the ingest, then refresh the library and report."""
        self.call_from_thread(self._begin_ingest, paths)
        try:
            report = self.assistant.ingest(
                [str(Path(p).expanduser()) for p in paths], progress=_UIProgress(self))
        finally:
            self.call_from_thread(setattr, self, "ingest", None)
        papers = self.assistant.papers()
        self.call_from_thread(self._set_papers, papers)
        self.call_from_thread(self._report_ingest, report)
        return report

    def _begin_ingest(self, paths: list[str]) -> None:
        if self.ingest is None:
            self.ingest = IngestState(tuple(paths))

    def _report_ingest(self, report: IngestReport) -> None:
        files = len(report.added) + len(report.updated) + len(report.unchanged)
        done = (f"{counted(files, 'file')}: {len(report.added)} added, {len(report.updated)} "
                f"updated, {len(report.unchanged)} unchanged; "
                f"{counted(report.papers_added, 'paper')} and "
                f"{counted(report.chunks_added, 'chunk')} added. "
                f"Library: {counted(report.papers_total, 'paper')}.")
        self.notify(done, title="Ingest finished", markup=False,
                    severity="warning" if report.failed else "information")
        for failure in report.failed[:5]:
            self.notify(safe_text(f"{failure.path}: {failure.error}"), title="Could not ingest",
                        severity="error", markup=False, timeout=10)
        if len(report.failed) > 5:
            self.notify(f"… and {len(report.failed) - 5} more files failed", severity="error")

    def remove_paper(self, paper: Paper) -> None:
        """Remove a paper (already confirmed) in a worker."""

        def work() -> None:
            removed = self.assistant.remove(paper.id)
            papers = self.assistant.papers()
            self.call_from_thread(self._set_papers, papers)
            self.call_from_thread(self.notify, f"Removed “{short_title(removed.title, 60)}”",
                                  markup=False)

        self.run_worker(work, thread=True, group="remove", exit_on_error=False)

    # -- errors ------------------------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.error)

    def on_worker_failed(self, message: WorkerFailed) -> None:
        self.report_error(message.error)

    def report_error(self, error: BaseException) -> None:
        """The one place errors become user text: a notification; the UI stays usable."""
        titles = {LLMError: "Answer engine error", RefError: "Paper not found",
                  IngestError: "Ingest failed", StoreError: "Library error",
                  ConfigError: "Configuration error"}
        if isinstance(error, AssistantError):
            title = next((t for cls, t in titles.items() if isinstance(error, cls)), "Error")
            text = "\n".join(ref_error_lines(error)) if isinstance(error, RefError) else str(error)
            self.notify(safe_text(text), title=title, severity="error", markup=False,
                        timeout=10)
        else:
            self.log.error(error)
            self.notify(safe_text(f"{type(error).__name__}: {error}"), title="Unexpected error",
                        severity="error", markup=False, timeout=10)

    # -- navigation --------------------------------------------------------------------------------
    def get_default_screen(self) -> ChatScreen:
        self._chat = ChatScreen(self)
        return self._chat

    @property
    def chat(self) -> ChatScreen:
        """The chat screen (always at the bottom of the stack)."""
        if self._chat is None:
            raise RuntimeError("the chat screen exists once the app runs")
        return self._chat

    def _show(self, name: str, factory: Callable[[], Screen[None]]) -> None:
        if not self.is_screen_installed(name):
            self.install_screen(factory(), name)
        target = self.get_screen(name)
        if self.screen is target:
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(target)

    def action_show_chat(self) -> None:
        """Go to the chat."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.chat.focus_prompt()

    def action_show_library(self, filter: str = "") -> None:
        """Open the library (optionally with a filter)."""
        from .screens.library import LibraryScreen

        self._show("library", partial(LibraryScreen, self))
        library = self.get_screen("library")
        if filter and isinstance(library, LibraryScreen):
            library.set_filter(filter)

    def action_show_sessions(self) -> None:
        """Open the list of past conversations."""
        from .screens.sessions import SessionsScreen

        self._show("sessions", partial(SessionsScreen, self))

    def action_help(self) -> None:
        """Show commands and key bindings."""
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.keymap))

    def action_focus_prompt(self) -> None:
        self.chat.focus_prompt()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own palette entries, but not its Maximize/Minimize (they would blow the
        focused widget, the input, up to the whole screen): the palette's "Maximize the chat"
        entry does what a user means."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Maximize", "Minimize"):
                yield command

    def action_command_palette(self) -> None:
        """The command palette (one that never runs a stale hit)."""
        if self.use_command_palette and not any(isinstance(s, Palette)
                                                for s in self.screen_stack):
            self.push_screen(Palette(id="--command-palette"))

    def action_ingest_prompt(self) -> None:
        """Ask for a path, then ingest it."""
        from .screens.dialogs import PathPrompt

        def done(path: str | None) -> None:
            if path:
                self.start_ingest([path])

        self.push_screen(PathPrompt("Ingest a file or folder", "path to a PDF, text, "
                                    "Markdown, HTML file or a folder"), done)

    # -- what screens and the palette ask for (assistant.tui.messages) ---------------------------
    def on_navigate(self, message: Navigate) -> None:
        if message.to == "chat":
            self.action_show_chat()
        elif message.to == "library":
            self.action_show_library(message.filter)
        elif message.to == "sessions":
            self.action_show_sessions()
        else:
            self.action_help()

    def on_prefill(self, message: Prefill) -> None:
        self.action_show_chat()
        self.chat.prefill(message.text)

    def on_run_command(self, message: RunCommand) -> None:
        if message.parsed.command.name in ("summarize", "compare"):
            self.action_show_chat()
            if self.chat.refuse_if_busy():
                return
        self.chat.run_command(message.parsed)

    def on_chat_layout(self, message: ChatLayout) -> None:
        self.action_show_chat()
        if message.change == "toggle-sources":
            self.chat.action_toggle_sources()
        else:
            self.chat.action_maximize_chat()

    def on_switch_engine(self, message: SwitchEngine) -> None:
        self.switch_engine(message.name)

    def on_ingest_paths(self, message: IngestPaths) -> None:
        self.start_ingest(message.paths)

    def on_ask_ingest_path(self, _: AskIngestPath) -> None:
        self.action_ingest_prompt()

    def on_toggle_scope(self, message: ToggleScope) -> None:
        added = self.toggle_scope(message.paper.id)
        if message.announce:
            self.notify(f"{'Added to' if added else 'Removed from'} the scope: "
                        f"{message.paper.title}", markup=False)

    def on_clear_scope(self, _: ClearScope) -> None:
        self.clear_scope()

    def on_remove_paper(self, message: RemovePaper) -> None:
        self.remove_paper(message.paper)

    def on_resume_session(self, message: ResumeSession) -> None:
        self.action_show_chat()
        self.chat.resume(message.session_id)

    def on_session_forgotten(self, message: SessionForgotten) -> None:
        if self.chat.session_id == message.session_id:
            self.chat.session_id = None


def run_app(assistant: Assistant, ingest_if_empty: str | None = None) -> int:
    """Run the chat app until the user quits; returns the exit code."""
    app = PaperApp(assistant, ingest_if_empty=ingest_if_empty)
    try:
        app.run()
    finally:
        gc.enable()
        assistant.close()
    if app.return_code not in (None, 0):
        print("The chat app stopped with an error.", file=sys.stderr)
    return app.return_code or 0
