"""Every key binding of the chat app, as data: id -> keys, action, description, owner.

This table is the one source: each screen and widget takes its ``BINDINGS`` from it
(:func:`bindings_for`), the help screen lists it, and ``[ui.keys]`` in the config remaps keys by
binding id (:func:`binding_ids`). The module imports nothing of the app, so anything may read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType

NAV = Binding.Group("Screens")
RECALL = Binding.Group("Recall")

OWNERS: tuple[str, ...] = (
    "everywhere",
    "chat",
    "chat input",
    "sources pane",
    "library",
    "library filter",
    "library table",
    "history",
    "history table",
    "help",
    "dialogs",
    "path prompt",
)
"""Who owns a binding (the app, a screen or a widget), in the order the help screen lists them."""


@dataclass(frozen=True, slots=True)
class KeyBinding:
    """One binding: its id (what ``[ui.keys]`` names), default keys, action and owner."""

    id: str
    keys: str  # the default keys, comma-separated
    action: str  # a Textual action string, run on the owner (or ``app.``/``screen.``)
    description: str  # the footer and help label
    owner: str  # one of OWNERS
    priority: bool = False
    group: Binding.Group | None = None
    show: bool = True  # in the footer (every binding is in the help)
    key_display: str | None = None  # how the footer writes the keys

    def binding(self) -> Binding:
        """The Textual binding."""
        return Binding(self.keys, self.action, self.description, id=self.id,
                       priority=self.priority, group=self.group, show=self.show,
                       key_display=self.key_display)


KEYS: tuple[KeyBinding, ...] = (
    KeyBinding("help", "f1", "help", "Help", "everywhere"),
    KeyBinding("chat", "f2", "show_chat", "Chat", "everywhere", group=NAV),
    KeyBinding("library", "f3", "show_library", "Library", "everywhere", group=NAV),
    KeyBinding("history", "f4", "show_sessions", "History", "everywhere", group=NAV),
    KeyBinding("command-palette", "ctrl+p", "command_palette", "Commands", "everywhere",
               priority=True),
    KeyBinding("quit", "ctrl+q", "quit", "Quit", "everywhere", priority=True),
    KeyBinding("cancel", "escape", "cancel", "Cancel", "chat"),
    KeyBinding("back-to-input", "escape", "back", "Back to input", "chat", show=False),
    KeyBinding("sources", "ctrl+o", "focus_sources", "To the sources", "chat", show=False),
    KeyBinding("toggle-sources", "f5", "toggle_sources", "Sources", "chat"),
    KeyBinding("maximize", "f6", "maximize_chat", "Full width", "chat"),
    KeyBinding("new-chat", "ctrl+n", "new_chat", "New chat", "chat"),
    KeyBinding("export", "ctrl+s", "export", "Export", "chat"),
    KeyBinding("complete", "tab", "complete", "Complete", "chat input"),
    KeyBinding("scroll-up", "pageup", "scroll('up')", "Scroll", "chat input",
               key_display="PgUp/PgDn"),
    KeyBinding("scroll-down", "pagedown", "scroll('down')", "Scroll down", "chat input",
               show=False),
    KeyBinding("scroll-top", "home", "scroll('top')", "Line start, then top", "chat input",
               show=False),
    KeyBinding("scroll-bottom", "end", "scroll('bottom')", "Line end, then bottom",
               "chat input", show=False),
    KeyBinding("recall-previous", "up", "recall(-1)", "Previous", "chat input", group=RECALL,
               show=False),
    KeyBinding("recall-next", "down", "recall(1)", "Next", "chat input", group=RECALL,
               show=False),
    KeyBinding("source-passage", "enter", "select", "Full passage", "sources pane"),
    KeyBinding("source-back", "escape", "app.focus_prompt", "Back to input", "sources pane"),
    KeyBinding("library-back", "escape", "app.show_chat", "Chat", "library"),
    KeyBinding("library-filter", "ctrl+f", "focus_filter", "Filter", "library"),
    KeyBinding("library-ingest", "ctrl+o", "app.ingest_prompt", "Ingest", "library"),
    KeyBinding("library-clear-scope", "ctrl+l", "clear_scope", "No scope", "library"),
    KeyBinding("library-to-table", "down", "screen.focus_table", "Table", "library filter"),
    KeyBinding("library-toggle", "space", "toggle_scope", "Scope", "library table"),
    KeyBinding("library-remove", "delete", "remove", "Remove", "library table"),
    KeyBinding("history-back", "escape", "app.show_chat", "Chat", "history"),
    KeyBinding("history-resume", "enter", "select_cursor", "Resume", "history table"),
    KeyBinding("history-delete", "delete", "delete", "Delete", "history table"),
    KeyBinding("help-close", "escape,f1,q", "dismiss", "Close", "help"),
    KeyBinding("dialog-yes", "y", "answer(True)", "Yes", "dialogs"),
    KeyBinding("dialog-no", "n,escape", "answer(False)", "No", "dialogs"),
    KeyBinding("dialog-cancel", "escape", "cancel", "Cancel", "path prompt"),
)
"""The table, in the order the help screen lists it (grouped by owner, OWNERS order)."""

BY_ID: dict[str, KeyBinding] = {k.id: k for k in KEYS}


def bindings_for(owner: str) -> list[BindingType]:
    """The ``BINDINGS`` of one owner (a screen, a widget or the app)."""
    if owner not in OWNERS:
        raise KeyError(f"unknown binding owner {owner!r}")
    return [k.binding() for k in KEYS if k.owner == owner]


def binding_ids() -> set[str]:
    """The ids ``[ui.keys]`` may remap."""
    return set(BY_ID)


def key_label(binding: KeyBinding, keymap: dict[str, str] | None = None) -> str:
    """The keys of ``binding`` as help lists them (``keymap``: remapped keys), ``^`` for ctrl."""
    keys = (keymap or {}).get(binding.id, binding.keys)
    return ", ".join(k.strip().replace("ctrl+", "^") for k in keys.split(","))
