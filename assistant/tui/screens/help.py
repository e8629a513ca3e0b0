"""Help: the slash commands and every key binding with its id (for ``[ui] keys``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..bindings import KEYS, bindings_for, key_label
from ..commands import COMMANDS


class HelpScreen(ModalScreen[None]):
    """A scrollable sheet: commands, keys and their ids, where settings go."""

    BINDINGS = bindings_for("help")

    def __init__(self, keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = dict(keymap or {})
        """Keys remapped by ``[ui.keys]`` (binding id -> keys), shown instead of the defaults."""

    def compose(self) -> ComposeResult:
        rows: list[Content] = [Content.styled("Commands (type them in the chat input)", "bold"),
                               Content("")]
        rows += [Content.assemble((f"  {c.usage:<24}", "$accent"), c.help) for c in COMMANDS]
        rows += [
            Content(""),
            Content.styled("  REF: a paper id, (part of) a title, or a file name.", "dim"),
            Content.styled("  Tab completes titles from what is typed, quoted.", "dim"),
            Content.styled("  Typing always goes to the input; PgUp/PgDn scroll.", "dim"),
            Content(""),
            Content.styled("Keys", "bold"),
            Content(""),
        ]
        owner = ""
        for k in KEYS:
            if k.owner != owner:
                owner = k.owner
                rows.append(Content.styled(f"  {owner}", "italic"))
            rows.append(Content.assemble(
                (f"    {key_label(k, self.keymap):<16}", "bold $accent"),
                (f"{k.description:<22}", ""), (k.id, "dim")))
        rows += [
            Content(""),
            Content.styled("Remap keys in config.toml by binding id (several keys: comma), e.g.",
                           "dim"),
            Content.styled('  [ui.keys]\n  cancel = "escape,ctrl+g"\n  library = "f3,ctrl+l"',
                           "dim"),
            Content.styled("Conversations are kept in history.sqlite3 beside the store.",
                           "dim"),
        ]
        with Vertical(id="help-box") as box:
            box.border_title = "Help"
            box.border_subtitle = "escape closes"
            with VerticalScroll(id="help-scroll"):
                yield Static(Content("\n").join(rows), id="help-text")
        yield Footer(show_command_palette=False)
