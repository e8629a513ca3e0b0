"""The chat input: questions and slash commands, with completion and a recall history."""

from __future__ import annotations

from collections.abc import Callable

from textual.content import Content
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Static

from ..bindings import bindings_for
from ..commands import complete
from ..messages import ScrollConversation

PLACEHOLDER = "Ask about your papers…  (/ for commands · tab completes · F1 help)"


class _CommandSuggester(Suggester):
    """Inline (ghost text) completion, only when it is the one way to go on: a single
    candidate that extends what is typed, and never right after tab took a completion (a
    ghost there would invite a second tab into an unrelated entry)."""

    def __init__(self, prompt: PromptInput) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._prompt = prompt

    async def get_suggestion(self, value: str) -> str | None:
        if value == self._prompt.completed:
            return None
        found = complete(value, self._prompt.titles())
        if len(found) == 1 and found[0].startswith(value) and found[0] != value:
            return found[0]
        return None


class PromptInput(Input):
    """Where questions and ``/commands`` are typed. Tab completes; up/down recall."""

    BINDINGS = bindings_for("chat input")

    class Completions(Message):
        """The completion candidates changed (``index`` is the one shown, or -1)."""

        def __init__(self, candidates: list[str], index: int) -> None:
            super().__init__()
            self.candidates = candidates
            self.index = index

    def __init__(self, titles: Callable[[], list[str]]) -> None:
        super().__init__(placeholder=PLACEHOLDER, suggester=_CommandSuggester(self),
                         id="prompt", select_on_focus=False)
        self.titles = titles
        self.candidates: list[str] = []
        self._index = -1
        self._applied: str | None = None
        self.completed: str | None = None
        """The value tab last put in (no ghost suggestion is offered for it)."""
        self.recall: list[str] = []
        self._recall_at: int | None = None

    def remember(self, line: str) -> None:
        """Add a submitted line to the recall list."""
        if line and (not self.recall or self.recall[-1] != line):
            self.recall.append(line)
        self._recall_at = None

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is not self or event.value == self._applied:
            return
        self._applied = None
        if event.value != self.completed:
            self.completed = None
        self.candidates = complete(event.value, self.titles())
        self._index = -1
        self.post_message(self.Completions(self.candidates, -1))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "complete":
            return bool(self.candidates)
        if action == "recall":
            return bool(self.recall)
        return True

    def action_complete(self) -> None:
        """Take the next candidate (a single one is taken and completion goes on from it)."""
        if not self.candidates:
            return
        if len(self.candidates) == 1:
            self.completed = self.candidates[0]
            self.value = self.completed
            self.cursor_position = len(self.value)
            return
        self._index = (self._index + 1) % len(self.candidates)
        self._applied = self.completed = self.candidates[self._index]
        self.value = self._applied
        self.cursor_position = len(self.value)
        self.post_message(self.Completions(self.candidates, self._index))

    def action_scroll(self, where: str) -> None:
        """Scroll the conversation; home and end first move the cursor to the line's start
        or end, and scroll once it is there (an empty input scrolls at once)."""
        if where == "top" and self.cursor_position > 0:
            self.cursor_position = 0
        elif where == "bottom" and self.cursor_position < len(self.value):
            self.cursor_position = len(self.value)
        else:
            self.post_message(ScrollConversation(where))  # type: ignore[arg-type]

    def action_recall(self, step: int) -> None:
        """Step through earlier lines (like a shell)."""
        if not self.recall:
            return
        at = len(self.recall) if self._recall_at is None else self._recall_at
        at = max(0, min(len(self.recall), at + step))
        self._recall_at = at
        self.value = self.recall[at] if at < len(self.recall) else ""
        self.cursor_position = len(self.value)


class CompletionHints(Static):
    """The candidates for tab, shown above the input while there are any."""

    def show(self, candidates: list[str], index: int) -> None:
        """Display up to eight candidates, the current one highlighted."""
        self.display = bool(candidates)
        lines = [
            Content.styled(f" {c} ", "reverse bold" if i == index else "")
            for i, c in enumerate(candidates)
        ]
        self.update(Content("\n").join(lines))
