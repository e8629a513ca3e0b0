"""The sources pane: the passages an answer cites, with their support marks."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...types import Answer, Support
from ..bindings import bindings_for
from ..render import citation_support, source_card


class SourcesList(OptionList):
    """Cited passages of one answer; enter (or a click on ``[n]``) shows the whole passage."""

    BINDINGS = bindings_for("sources pane")

    def __init__(self) -> None:
        super().__init__(id="sources", markup=False)
        self.answer: Answer | None = None
        self.passages: dict[str, str] = {}
        self.support: dict[int, Support] = {}
        self.expanded: set[int] = set()

    def show(self, answer: Answer | None, passages: dict[str, str] | None = None) -> None:
        """List the citations of ``answer`` (None clears the pane)."""
        self.answer = answer
        self.passages = passages or {}
        self.expanded = set()
        self.support = citation_support(answer) if answer else {}
        options: list[Option | None] = []
        for i, c in enumerate(answer.citations if answer else []):
            if i:
                options.append(None)
            options.append(Option(self._card(c.n), id=f"c{c.n}"))
        self.set_options(options)
        self.highlighted = 0 if options else None
        self.scroll_home(animate=False)
        self.border_subtitle = f"{len(answer.citations)} cited" if answer else ""

    def _card(self, n: int) -> Content:
        assert self.answer is not None
        c = next(c for c in self.answer.citations if c.n == n)
        return source_card(c, self.support.get(n), self.passages.get(c.chunk_id, ""),
                           expanded=n in self.expanded)

    def _refresh_card(self, n: int) -> None:
        self.replace_option_prompt(f"c{n}", self._card(n))

    def select_citation(self, n: int) -> bool:
        """Highlight citation ``n``, show its whole passage and scroll it into view."""
        if self.answer is None or all(c.n != n for c in self.answer.citations):
            return False
        self.expanded.add(n)
        self._refresh_card(n)
        self.highlighted = self.get_option_index(f"c{n}")
        self.call_after_refresh(self.scroll_to_highlight, top=True)
        return True

    @property
    def selected_citation(self) -> int | None:
        """The number of the highlighted citation."""
        option = self.highlighted_option
        return int(option.id[1:]) if option is not None and option.id else None

    def action_toggle_passage(self) -> None:
        n = self.selected_citation
        if n is None:
            return
        self.expanded.symmetric_difference_update({n})
        self._refresh_card(n)
        self.call_after_refresh(self.scroll_to_highlight)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle_passage()
