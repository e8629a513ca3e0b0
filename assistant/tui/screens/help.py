"""Help: the slash commands and every key binding with its id (for ``[ui] keys``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..commands import COMMANDS
from ..keys import all_keys


def _key_label(app_keymap: dict[str, str], binding_id: str, default: str) -> str:
    keys = app_keymap.get(binding_id, default)
    return ", ".join(k.strip().replace("ctrl+", "^") for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    """A scrollable sheet: commands, keys and their ids, where settings go."""

    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help-close")]

    def compose(self) -> ComposeResult:
        keymap: dict[str, str] = getattr(self.app, "_keymap", {})
        rows: list[Content] = [Content.styled("Commands (type them in the chat input)", "bold"),
                               Content("")]
        rows += [Content.assemble((f"  {c.usage:<24}", "$accent"), c.help) for c in COMMANDS]
        rows += [
            Content(""),
            Content.styled("  REF is a paper id, a title (or its start), or a file name; "
                           "quote titles with spaces in /compare. Tab completes.", "dim"),
            Content(""),
            Content.styled("Keys", "bold"),
            Content(""),
        ]
        where = ""
        for k in all_keys():
            if k.where != where:
                where = k.where
                rows.append(Content.styled(f"  {where}", "italic"))
            rows.append(Content.assemble(
                (f"    {_key_label(keymap, k.id, k.keys):<16}", "bold $accent"),
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
