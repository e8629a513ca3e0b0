"""One question and its answer in the conversation."""

from __future__ import annotations

from markdown_it import MarkdownIt
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from ...textsafe import safe_text
from ...types import Answer
from ..render import answer_meta, flagged_sentences, link_citations, table_markdown

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
KIND_LABEL = {"ask": "", "summarize": "Summary", "compare": "Comparison"}


def _parser() -> MarkdownIt:
    """CommonMark + tables, without turning bare URLs in paper text into links."""
    return MarkdownIt("gfm-like", {"linkify": False, "html": False})  # tags show as text


class AnswerMarkdown(Markdown):
    """The answer text. Links are never opened: ``cite:N`` links select a source instead."""

    def __init__(self) -> None:
        super().__init__("", open_links=False, classes="answer", parser_factory=_parser)


class ExchangeView(Vertical):
    """A question, its answer (streamed as Markdown, then the checked text) and a status line."""

    class Selected(Message):
        """The user clicked this exchange: show its sources."""

        def __init__(self, view: ExchangeView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, question: str, *, kind: str = "ask") -> None:
        super().__init__(classes="exchange")
        self.question = question
        self.kind = kind
        self.answer: Answer | None = None
        self.passages: dict[str, str] = {}
        self._stream: MarkdownStream | None = None
        self._spinner: Timer | None = None
        self._spin = 0
        self._status = "searching the library"
        self._pieces = 0

    def compose(self) -> ComposeResult:
        label = KIND_LABEL.get(self.kind, "")
        yield Static(
            Content.assemble(("❯ ", "bold $accent"), (f"{label}: ", "bold") if label else "",
                             safe_text(self.question)),
            classes="question",
        )
        yield AnswerMarkdown()
        yield Static("", classes="meta")
        yield Static("", classes="flags")

    @property
    def markdown(self) -> AnswerMarkdown:
        return self.query_one(AnswerMarkdown)

    @property
    def meta(self) -> Static:
        return self.query_one(".meta", Static)

    # -- while the answer is produced --------------------------------------------------------------
    def start(self, status: str = "searching the library") -> None:
        """Show a spinner until the answer is done."""
        self._status = status
        self.add_class("-running")
        self._tick()
        self._spinner = self.set_interval(0.1, self._tick)

    def _tick(self) -> None:
        self._spin = (self._spin + 1) % len(SPINNER)
        self.meta.update(Content.styled(f"{SPINNER[self._spin]} {self._status}…  (esc cancels)",
                                        "dim italic"))

    def set_status(self, status: str) -> None:
        self._status = status

    async def write(self, piece: str) -> None:
        """Append streamed text (the Markdown stream opens with the first piece)."""
        if self._stream is None:
            self._stream = Markdown.get_stream(self.markdown)
            self._status = "writing"
        self._pieces += 1
        await self._stream.write(safe_text(piece))

    async def _stop(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None
        self.remove_class("-running")
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()

    # -- the end -----------------------------------------------------------------------------------
    async def show_answer(self, answer: Answer, engine_label: str,
                          passages: dict[str, str] | None = None) -> None:
        """Replace the streamed text by the checked answer, citations as links."""
        await self._stop()
        self.answer = answer
        if passages is not None:
            self.passages = passages
        else:
            cited = {c.chunk_id for c in answer.citations}
            self.passages = {p.chunk_id: p.text for p in answer.retrieved if p.chunk_id in cited}
        text = link_citations(answer.text)
        if answer.table and "|" not in answer.text:
            text += "\n\n" + table_markdown(answer.table)
        await self.markdown.update(text)
        self.meta.update(answer_meta(answer, engine_label))
        flags = flagged_sentences(answer)
        flag_widget = self.query_one(".flags", Static)
        flag_widget.update(flags)
        flag_widget.display = bool(flags.plain)
        self.add_class("-done")

    async def fail(self, message: str, *, cancelled: bool = False) -> None:
        """Keep what was streamed and say why the answer stopped."""
        await self._stop()
        self.add_class("-cancelled" if cancelled else "-failed")
        style = "$text-warning" if cancelled else "$text-error"
        self.meta.update(Content.styled(safe_text(message), style))

    def on_click(self) -> None:
        if self.answer is not None:
            self.post_message(self.Selected(self))
