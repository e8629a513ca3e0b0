"""The chat: questions and slash commands in, streamed cited answers and their sources out."""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass, field
from pathlib import Path

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Markdown, Static, TextArea

from ...answering.engines.registry import engine_names
from ...errors import AssistantError, RefError
from ...paths import export_folder
from ...records.export import conversation_markdown
from ...records.history import Exchange
from ...types import Answer, counted
from ..bindings import bindings_for
from ..commands import COMMANDS, CommandError, Parsed, parse
from ..messages import IngestPaths, Navigate, ScrollConversation, SwitchEngine
from ..render import CITE_SCHEME, SUPPORT_LABEL, SUPPORT_MARK, SUPPORT_STYLE, slug
from ..state import AppState
from ..widgets.exchange import ExchangeView
from ..widgets.prompt import CompletionHints, PromptInput
from ..widgets.sources import SourcesList
from ..widgets.status import IngestBar, ScopeBar
from .base import AppScreen


@dataclass(frozen=True, slots=True)
class Request:
    """What the user asked for: a question, a summary or a comparison."""

    kind: str  # ask | summarize | compare
    question: str = ""
    refs: list[str] = field(default_factory=list)


SOURCES_MIN_WIDTH = 100
"""Below this many columns the sources pane starts hidden (F5 or a citation shows it)."""
WELCOME_KEYS = ("F3 library · F4 history · F1 help", "ctrl+p commands · PgUp/PgDn scroll",
                "F5 sources pane · F6 full width")


def _welcome(library: str = "") -> Content:
    """The first screen: what to do, the commands, the keys; ``library`` is a line about the
    library (where it is, or that it is empty and how to fill it). Lines are short (at most
    50 characters) so that they never wrap from 100 columns up, even beside the sources."""
    lines = [
        Content.styled("Ask a question about your papers.", "bold"),
        Content("Each claim in an answer cites its source as [n];"),
        Content("click one (or press ctrl+o) to read its passage."),
        Content.assemble("Marks: ", Content(" · ").join(
            Content.styled(f"{SUPPORT_MARK[k]} {SUPPORT_LABEL[k]}", SUPPORT_STYLE[k])
            for k in ("supported", "weak", "unsupported"))),
    ]
    if library:
        lines += [Content(""), Content.styled(library, "$text-warning")]
    lines += [Content(""), Content.styled("Commands", "bold")]
    lines += [Content.assemble((f"  {c.usage:<23}", "$accent"), c.help) for c in COMMANDS]
    lines += [Content(""), Content.styled("Keys", "bold")]
    lines += [Content.styled(f"  {keys}", "dim") for keys in WELCOME_KEYS]
    return Content("\n").join(lines)


class Conversation(VerticalScroll, can_focus=False):
    """The exchanges. Scrolled from the input (PgUp/PgDn, Home/End) or with the mouse; a click
    (on a citation, say) never takes the focus from the input."""

    FOCUS_ON_CLICK = False


class ChatScreen(AppScreen):
    """Conversation on the left, sources of the selected answer on the right, input below."""

    BINDINGS = bindings_for("chat")

    busy: reactive[bool] = reactive(False, bindings=True)
    """An answer is being produced."""

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.session_id: int | None = None
        """The conversation new questions continue (None: the next question starts one)."""
        self.current: ExchangeView | None = None
        self._follower: Timer | None = None
        self.sources_wanted: bool | None = None
        """Sources pane shown (True) or hidden (False) by the user; None: by the width."""
        self.full_width = False
        """The conversation has the screen to itself (F6)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Conversation(id="conversation"):
                yield Static(_welcome(), id="welcome")
            with Vertical(id="sources-pane") as pane:
                pane.border_title = "Sources"
                yield Static(Content.styled("The passages an answer cites appear here.",
                                            "dim italic"), id="sources-empty")
                yield SourcesList()
        yield IngestBar()
        yield ScopeBar(self.state, id="scope")
        yield CompletionHints(id="hints")
        yield PromptInput(self.state.titles)
        yield Footer(show_command_palette=False)

    def on_unmount(self) -> None:
        gc.enable()  # never leave the collector paused (see watch_busy)

    def on_mount(self) -> None:
        self.query_one(CompletionHints).display = False
        self.query_one(SourcesList).display = False
        self.watch(self.app, "library", self._library_changed, init=False)
        self.focus_prompt()

    def _library_changed(self, _: object = None) -> None:
        """The welcome says where an implicit library is, or that the library is empty."""
        welcome = self.query("#welcome")
        if welcome:
            welcome.first(Static).update(_welcome(self._library_line()))

    def _library_line(self) -> str:
        info = self.state.library
        if not info.loaded or info.error:
            return ""
        where = self.state.library_label
        if not info.papers:
            return (f"The library at {where} is empty: add papers with /ingest PATH "
                    "(a file or a folder), or F3 then ctrl+o.")
        return f"Library: {where}." if self.state.library_implicit else ""

    # -- layout --------------------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout()

    @property
    def sources_shown(self) -> bool:
        """Whether the sources pane is on screen."""
        if self.full_width:
            return False
        if self.sources_wanted is not None:
            return self.sources_wanted
        return self.size.width >= SOURCES_MIN_WIDTH

    def _apply_layout(self) -> None:
        self.set_class(self.full_width, "-full-width")
        self.query_one("#sources-pane").display = self.sources_shown

    def action_toggle_sources(self) -> None:
        """Hide the sources pane (the conversation takes its room), or show it again."""
        shown = self.sources_shown
        self.full_width = False
        self.sources_wanted = not shown
        self._apply_layout()
        if shown and self.focused is self.sources:
            self.focus_prompt()

    def action_maximize_chat(self) -> None:
        """Give the conversation the whole screen (no header, sources or scope), or undo it."""
        self.full_width = not self.full_width
        self._apply_layout()
        if self.full_width:
            self.focus_prompt()

    def show_sources_pane(self) -> None:
        """Bring the sources pane on screen (a citation was chosen)."""
        if not self.sources_shown:
            self.full_width = False
            self.sources_wanted = True
            self._apply_layout()

    # -- keys: the input gets what is typed ------------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        """A printable key always reaches the input unless a text widget has the focus (so
        nothing typed is lost to a list or a scroll view)."""
        if not event.is_printable or event.character is None:
            return
        if isinstance(self.focused, Input | TextArea):
            return
        event.stop()
        event.prevent_default()
        self.focus_prompt()
        self.prompt.insert_text_at_cursor(event.character)

    def action_back(self) -> None:
        """Escape when no answer runs: back to the input (and out of the full-width view)."""
        if self.focused is not self.prompt:
            self.focus_prompt()
        elif self.full_width:
            self.action_maximize_chat()

    def on_scroll_conversation(self, message: ScrollConversation) -> None:
        message.stop()
        conversation = self.conversation
        if message.where == "up":
            conversation.scroll_page_up(animate=False)
        elif message.where == "down":
            conversation.scroll_page_down(animate=False)
        elif message.where == "top":
            conversation.scroll_home(animate=False)
        else:
            conversation.scroll_end(animate=False)

    # -- helpers -----------------------------------------------------------------------------------
    @property
    def prompt(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def conversation(self) -> Conversation:
        return self.query_one(Conversation)

    @property
    def sources(self) -> SourcesList:
        return self.query_one(SourcesList)

    def focus_prompt(self) -> None:
        """Put the cursor in the input."""
        self.prompt.focus()

    def prefill(self, text: str) -> None:
        """Put ``text`` in the input (used by the command palette)."""
        self.prompt.value = text
        self.prompt.cursor_position = len(text)
        self.focus_prompt()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":  # else escape falls through to "back" (to the input)
            return self.busy
        return True

    def on_prompt_input_completions(self, event: PromptInput.Completions) -> None:
        self.query_one(CompletionHints).show(event.candidates, event.index)

    # -- input -------------------------------------------------------------------------------------
    async def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self.prompt:
            return
        line = event.value.strip()
        if not line:
            return
        if line.startswith("/"):
            try:
                parsed = parse(line)
            except CommandError as exc:
                self.notify(str(exc), severity="warning", markup=False)
                return
            self.prompt.remember(line)
            if parsed.command.name in ("summarize", "compare") and self.refuse_if_busy():
                return
            self.prompt.value = ""
            self.run_command(parsed)
            return
        if self.refuse_if_busy():
            return
        self.prompt.remember(line)
        self.prompt.value = ""
        self.ask(line)

    def refuse_if_busy(self) -> bool:
        """While an answer is being written, say so and return True."""
        if self.busy:
            self.notify("An answer is still being written: esc cancels it.",
                        severity="warning")
        return self.busy

    def run_command(self, parsed: Parsed) -> None:
        """Do what a slash command says (what the app does is asked for with a message)."""
        name, args = parsed.command.name, parsed.args
        if name == "summarize":
            self.summarize(args[0])
        elif name == "compare":
            self._start(Request("compare", refs=args))
        elif name == "papers":
            self.post_message(Navigate("library", args[0] if args else ""))
        elif name == "ingest":
            self.post_message(IngestPaths(args))
        elif name == "engine":
            if args:
                self.post_message(SwitchEngine(args[0]))
            else:
                others = ", ".join(n for n in engine_names(auto=False) if n != self.state.engine)
                self.notify(f"Engine: {self.state.engine_label}. Others: {others} "
                            "(/engine NAME)", markup=False)
        elif name == "export":
            self.action_export(args[0] if args else None)
        elif name == "clear":
            self.action_new_chat()
        elif name == "help":
            self.post_message(Navigate("help"))

    # -- questions ---------------------------------------------------------------------------------
    def ask(self, question: str) -> None:
        """Answer a question (in a worker)."""
        self._start(Request("ask", question=question))

    def summarize(self, ref: str) -> None:
        """Summarize one paper (in a worker)."""
        self._start(Request("summarize", refs=[ref]))

    def _start(self, request: Request) -> None:
        self.busy = True
        self._exchange(request)

    @work(exclusive=True, group="answer", exit_on_error=False)
    async def _exchange(self, request: Request) -> None:
        """Run one exchange; errors are shown on it and reported by the app's one handler."""
        state = self.state
        view: ExchangeView | None = None
        scope = list(state.scope) if request.kind == "ask" else []
        question = request.question
        try:
            if request.kind == "ask":  # show the question at once, even while loading
                view = ExchangeView(question)
                await self._mount_exchange(view)
                view.start("searching the library")
            await self._until_ready(view)
            if not state.papers:
                raise AssistantError("the library is empty: add papers with /ingest PATH (a "
                                     "file or a folder), or F3 then ctrl+o")
            a = state.assistant
            refs = list(request.refs)
            if request.kind == "summarize":
                # A REF naming no paper is summarized as a topic across the library (the API's
                # rule), so only look up the title to show.
                try:
                    paper = await asyncio.to_thread(a.paper, refs[0])
                    refs, question = [paper.id], paper.title
                except RefError:
                    question = f"topic “{refs[0]}”"
            elif request.kind == "compare":
                papers = [await asyncio.to_thread(a.paper, ref) for ref in refs]
                refs = [p.id for p in papers]
                question = " · ".join(p.title for p in papers)
            if view is None:
                view = ExchangeView(question, kind=request.kind)
                await self._mount_exchange(view)
                view.start("reading")
            else:
                view.set_status("searching the library")
            await self._until_ready(view)  # an engine switched meanwhile may still load
            engine = state.engine
            answer: Answer | None = None
            if request.kind == "ask":
                async for event in a.astream(question, papers=scope or None, llm=engine):
                    if isinstance(event, Answer):
                        answer = event
                    else:
                        await view.write(event)
            elif request.kind == "summarize":
                answer = await asyncio.to_thread(a.summarize, refs[0], llm=engine)
            else:
                answer = await asyncio.to_thread(a.compare, refs, llm=engine)
            assert answer is not None
            await view.show_answer(answer, state.engine_label if answer.engine == engine
                                   else answer.engine)
            self.show_sources(view)
            exchange = await asyncio.to_thread(state.history.record, self.session_id, question,
                                               answer, kind=request.kind, scope=scope)
            self.session_id = exchange.session_id
        except asyncio.CancelledError:
            if view is not None:
                await view.fail("Cancelled.", cancelled=True)
            raise
        except Exception as exc:
            if view is not None:
                await view.fail(f"Failed: {exc}" if isinstance(exc, AssistantError)
                                else f"Failed: {type(exc).__name__}")
            raise
        finally:
            self.busy = False

    def _waiting_for(self) -> str:
        """What an answer waits for before it can start ("" when nothing)."""
        if self.state.warming:
            return self.state.warming
        return "" if self.state.is_ready else "opening the library"

    async def _until_ready(self, view: ExchangeView | None) -> None:
        """Wait for the library and the engine, the status line saying which and how long."""
        since = time.monotonic()
        status = view.status if view is not None else ""
        waited = False
        while waiting := self._waiting_for():
            waited = True
            if view is not None:
                view.set_status(waiting, since)
            await asyncio.sleep(0.1)
        await self.state.wait_ready()
        if view is not None and waited:
            view.set_status(status if status not in ("opening the library", "") else
                            "searching the library")

    async def _mount_exchange(self, view: ExchangeView) -> None:
        welcome = self.query("#welcome")
        if welcome:
            await welcome.remove()
        await self.conversation.mount(view)
        self.conversation.scroll_end(animate=False)
        self._follow()

    def _follow(self) -> None:
        """Keep the newest text in view once the conversation is taller than the window.

        (An anchored scroll view bottom-aligns short content, so anchor only when needed.)
        """
        conversation = self.conversation
        if conversation.max_scroll_y > 0 and not conversation.is_anchored:
            conversation.anchor()

    def watch_busy(self, busy: bool) -> None:
        # A full garbage collection over the loaded library takes 100-300 ms: pause the cyclic
        # collector while an answer streams so it cannot stall the frames (reference counting
        # still frees almost everything); it runs again as soon as the answer is done.
        if busy:
            gc.disable()
        else:  # after the final answer is painted
            self.set_timer(0.5, lambda: None if self.busy else gc.enable())
        if busy:
            self._follower = self.set_interval(0.2, self._follow)
        elif self._follower is not None:
            self._follower.stop()
            self._follower = None
            self.call_after_refresh(self._follow)

    def action_cancel(self) -> None:
        """Stop the answer being written (what came so far stays)."""
        self.workers.cancel_group(self, "answer")
        self.busy = False

    # -- sources -----------------------------------------------------------------------------------
    def show_sources(self, view: ExchangeView) -> None:
        """Show the citations of ``view`` in the sources pane."""
        if self.current is not None:
            self.current.remove_class("-current")
        self.current = view
        view.add_class("-current")
        self.query_one("#sources-empty").display = False
        sources = self.sources
        sources.display = True
        sources.show(view.answer, view.passages)
        pane = self.query_one("#sources-pane")
        n = len(self.query(ExchangeView))
        index = list(self.query(ExchangeView)).index(view) + 1 if n else 0
        pane.border_title = f"Sources · answer {index}"
        if view.answer is not None and not view.answer.citations:
            self.query_one("#sources-empty", Static).update(Content.styled(
                "This answer cites nothing." if not view.answer.abstained else
                "No passage in the library answers this.", "dim italic"))
            self.query_one("#sources-empty").display = True
            sources.display = False

    def on_exchange_view_selected(self, event: ExchangeView.Selected) -> None:
        if event.view is not self.current:
            self.show_sources(event.view)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        href = event.href
        view = next((a for a in event.markdown.ancestors if isinstance(a, ExchangeView)), None)
        if href.startswith(CITE_SCHEME) and view is not None:
            try:
                n = int(href[len(CITE_SCHEME):])
            except ValueError:
                return
            self.select_citation(view, n)
        else:
            self.notify(f"Link: {href}", markup=False)

    def select_citation(self, view: ExchangeView, n: int) -> bool:
        """Show citation ``n`` of ``view``'s answer: its passage comes into view (the sources
        pane too, if it was hidden); the focus stays where it was."""
        if view is not self.current:
            self.show_sources(view)
        self.show_sources_pane()
        return self.sources.select_citation(n)

    def action_focus_sources(self) -> None:
        """Move the focus to the sources pane (escape comes back)."""
        if self.sources.display and self.sources.option_count:
            self.show_sources_pane()
            self.sources.focus()
        else:
            self.notify("No sources to show yet.", severity="information")

    # -- conversation ------------------------------------------------------------------------------
    def action_new_chat(self) -> None:
        """Start a new conversation (the old one stays in the history)."""
        self.action_cancel()
        self._reset()
        self.session_id = None
        self.focus_prompt()

    def _reset(self) -> None:
        self.query(ExchangeView).remove()
        self.conversation.anchor(False)
        if not self.query("#welcome"):
            self.conversation.mount(Static(_welcome(), id="welcome"))
        self.current = None
        self.sources.show(None)
        self.sources.display = False
        empty = self.query_one("#sources-empty", Static)
        empty.update(Content.styled("The passages an answer cites appear here.", "dim italic"))
        empty.display = True
        self.query_one("#sources-pane").border_title = "Sources"

    @work(exclusive=True, group="resume", exit_on_error=False)
    async def resume(self, session_id: int) -> None:
        """Load a past conversation from the history and show it."""
        exchanges = await asyncio.to_thread(self.state.history.exchanges, session_id)
        await self.load_session(session_id, exchanges)

    async def load_session(self, session_id: int, exchanges: list[Exchange]) -> None:
        """Show a past conversation; new questions continue it."""
        self.action_cancel()
        self._reset()
        welcome = self.query("#welcome")
        if welcome and exchanges:
            await welcome.remove()
        last = None
        for ex in exchanges:
            view = ExchangeView(ex.question, kind=ex.kind)
            await self.conversation.mount(view)
            await view.show_answer(ex.answer, ex.answer.engine, ex.passages)
            last = view
        self.session_id = session_id
        if last is not None:
            self.show_sources(last)
        self.conversation.scroll_end(animate=False)
        self.call_after_refresh(self._follow)
        self.focus_prompt()

    def action_export(self, filename: str | None = None) -> None:
        """Write the conversation to Markdown (default: a file in the export folder, ``[ui]
        export_dir``; a relative FILE is taken from there too)."""
        self._export(filename)

    @work(group="export", exit_on_error=False)
    async def _export(self, filename: str | None) -> None:
        session_id = self.session_id
        if session_id is None:
            self.notify("Nothing to export yet: ask a question first.", severity="warning")
            return
        history = self.state.history
        session = await asyncio.to_thread(history.session, session_id)
        exchanges = await asyncio.to_thread(history.exchanges, session_id)
        text = conversation_markdown(session, exchanges)
        folder = export_folder(self.state.assistant.settings.ui.export_dir)
        stamp = time.strftime("%Y%m%d-%H%M", time.localtime(session.created))
        path = folder / (Path(filename).expanduser() if filename else
                         Path(f"{slug(session.title)}-{stamp}.md"))
        if path.is_dir():
            path = path / f"{slug(session.title)}-{stamp}.md"
        try:
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(path.write_text, text, encoding="utf-8")
        except OSError as exc:
            raise AssistantError(f"cannot write {path}: {exc.strerror or exc}") from None
        self.notify(f"Exported {counted(len(exchanges), 'exchange')} to {path}", markup=False)
