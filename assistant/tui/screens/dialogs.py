"""Small modal dialogs: confirm, and ask for a path."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Static

from ..bindings import bindings_for
from ..commands import complete


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; returns True for yes."""

    BINDINGS = bindings_for("dialogs")

    def __init__(self, message: Content, yes: str = "Yes") -> None:
        super().__init__(classes="dialog")
        self.message = message
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.message, classes="dialog-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class _PathSuggester(Suggester):
    async def get_suggestion(self, value: str) -> str | None:
        found = complete("/ingest " + value, [])
        return found[0][len("/ingest "):] if found else None


class PathPrompt(ModalScreen[str | None]):
    """Ask for a file or folder path; returns it, or None."""

    BINDINGS = bindings_for("path prompt")

    def __init__(self, title: str, placeholder: str) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(Content.styled(self.title_text, "bold"), classes="dialog-message")
            yield Input(placeholder=self.placeholder, suggester=_PathSuggester(
                use_cache=False, case_sensitive=True), id="path")
            yield Static(Content.styled("enter: start · right arrow: take the completion · "
                                        "escape: cancel", "dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip().strip("\"'")
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
