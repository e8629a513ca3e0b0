"""Every key binding of the app, by id: for remapping in config (``[ui] keys``) and for help."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """One binding as the help screen lists it."""

    id: str
    keys: str  # the default keys
    description: str
    where: str


def _owners() -> list[tuple[str, type]]:
    from .app import PaperApp
    from .screens.chat import ChatScreen
    from .screens.dialogs import ConfirmScreen, PathPrompt
    from .screens.help import HelpScreen
    from .screens.library import FilterInput, LibraryScreen, PaperTable
    from .screens.sessions import SessionsScreen, SessionTable
    from .widgets.prompt import PromptInput
    from .widgets.sources import SourcesList

    return [
        ("everywhere", PaperApp),
        ("chat", ChatScreen),
        ("chat input", PromptInput),
        ("sources pane", SourcesList),
        ("library", LibraryScreen),
        ("library filter", FilterInput),
        ("library table", PaperTable),
        ("history", SessionsScreen),
        ("history table", SessionTable),
        ("help", HelpScreen),
        ("dialogs", ConfirmScreen),
        ("path prompt", PathPrompt),
    ]


def all_keys() -> list[KeyInfo]:
    """The app's own bindings (those with an id), in the order the help screen shows them."""
    out: list[KeyInfo] = []
    seen: set[str] = set()
    for where, owner in _owners():
        for binding in owner.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding) and binding.id and binding.id not in seen:
                seen.add(binding.id)
                out.append(KeyInfo(binding.id, binding.key, binding.description, where))
    return out


def binding_ids() -> set[str]:
    """The ids ``[ui] keys`` may remap."""
    return {k.id for k in all_keys()}
