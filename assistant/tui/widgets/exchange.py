"""One question and its answer in the conversation."""

from __future__ import annotations

import time

from markdown_it import MarkdownIt
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from ...display import comparison_layout, split_table, tidy
from ...textsafe import safe_text
from ...types import Answer
from ..render import answer_meta, flagged_sentences, link_citations, table_markdown

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
KIND_LABEL = {"ask": "", "summarize": "Summary", "compare": "Comparison"}


def comparison_markdown(answer: Answer, width: int) -> str:
    """A comparison's text with its table laid out for ``width`` columns: aspects as rows and
    one column per paper, or one card per paper when the columns would be too narrow. Cells
    hold the key clause and its ``[n]``; the cited passage (the sources pane) has the rest."""
    before, after = split_table(tidy(answer.text))
    layout = comparison_layout(answer.table or [], width)

    def cell(aspect: str, i: int) -> str:
        text, marks = layout.cells[aspect][i]
        text = text.replace("|", "\\|")
        return (f"{text} " + "".join(f"[{n}]" for n in marks)) if marks else f"*{text}*"

    def label(aspect: str) -> str:
        return aspect[:1].upper() + aspect[1:]

    papers = range(len(layout.names))
    if layout.table:
        names = [n.replace("|", "\\|") for n in layout.names]
        lines = ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        lines += ["| " + f"**{label(a)}** | " + " | ".join(cell(a, i) for i in papers) + " |"
                  for a in layout.aspects]
        body = "\n".join(lines)
    else:
        cards = [f"#### {' '.join(layout.titles[i].split())}\n\n"
                 + "\n".join(f"- *{label(a)}*: {cell(a, i)}" for a in layout.aspects)
                 for i in papers]
        body = "\n\n".join(cards)
    return "\n\n".join(part for part in (before, body, after) if part)


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
        self._since: float | None = None
        self._pieces = 0
        self._table_layout: bool | None = None  # a comparison's layout as drawn (table/cards)

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
        waited = f" {time.monotonic() - self._since:.0f} s" if self._since is not None else ""
        self.meta.update(Content.styled(
            f"{SPINNER[self._spin]} {self._status}…{waited}  (esc cancels)", "dim italic"))

    @property
    def status(self) -> str:
        """What the spinner line says the answer is doing."""
        return self._status

    def set_status(self, status: str, since: float | None = None) -> None:
        """What the answer is waiting for; ``since`` (a monotonic time) shows the seconds
        waited so far."""
        self._status = status
        self._since = since

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
        if answer.table and isinstance(answer.table[0].get("cells"), dict):
            await self._draw_comparison()
        else:
            text = link_citations(tidy(answer.text))
            if answer.table and "|" not in answer.text:
                text += "\n\n" + table_markdown(answer.table)
            await self.markdown.update(text)
        self.meta.update(answer_meta(answer, engine_label))
        flags = flagged_sentences(answer)
        flag_widget = self.query_one(".flags", Static)
        flag_widget.update(flags)
        flag_widget.display = bool(flags.plain)
        self.add_class("-done")

    def _answer_width(self) -> int:
        return self.markdown.content_region.width or self.content_region.width

    async def _draw_comparison(self) -> None:
        assert self.answer is not None and self.answer.table
        width = self._answer_width()
        layout = comparison_layout(self.answer.table, width)
        self._table_layout = layout.table
        await self.markdown.update(link_citations(comparison_markdown(self.answer, width)))
        if layout.table:  # paper columns share the width evenly (not by text length)
            label = max(len(a) for a in layout.aspects) + 2
            for grid in self.markdown.query("MarkdownTableContent"):
                grid.styles.grid_columns = f"{label} " + " ".join(["1fr"] * len(layout.names))

    def on_resize(self, event: events.Resize) -> None:
        """A comparison changes between table and cards when the width calls for it."""
        answer = self.answer
        if answer is None or not answer.table or self._table_layout is None:
            return
        if comparison_layout(answer.table, self._answer_width()).table != self._table_layout:
            self.call_after_refresh(self._draw_comparison)

    async def fail(self, message: str, *, cancelled: bool = False) -> None:
        """Keep what was streamed and say why the answer stopped."""
        await self._stop()
        self.add_class("-cancelled" if cancelled else "-failed")
        style = "$text-warning" if cancelled else "$text-error"
        self.meta.update(Content.styled(safe_text(message), style))

    def on_click(self) -> None:
        if self.answer is not None:
            self.post_message(self.Selected(self))
