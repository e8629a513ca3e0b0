"""Which library a command uses, and what to say when it is not the obvious one or is empty."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..api import Assistant
    from ..types import Paper

ADD_PAPERS = "add papers with `assistant ingest PATH` (files or folders)"


def where(a: Assistant) -> str:
    """The library a command uses, as the user would name it."""
    from ..paths import store_label

    return store_label(a.store_dir, a.settings.store.url, a.settings.store.name)


def implicit(a: Assistant) -> bool:
    """The library was picked by default from the user data dir (not named, not ./store)."""
    from ..paths import store_is_implicit

    return store_is_implicit(a.store_dir, a.settings.store.path, a.settings.store.url)


def missing(a: Assistant) -> bool:
    """No library there yet (embedded store folder absent): reading commands do not create one."""
    return not a.settings.store.url and not a.store_dir.exists()


def papers_or_hint(a: Assistant) -> list[Paper]:
    """The papers, or an error saying the library is empty and how to add papers."""
    from ..errors import AssistantError

    papers = [] if missing(a) else a.papers()
    if not papers:
        state = "does not exist yet" if missing(a) else "has no papers yet"
        raise AssistantError(f"the library at {where(a)} {state}: {ADD_PAPERS}, "
                             "or choose another with --store DIR")
    return papers


def with_store(a: Assistant, doc: dict) -> dict:
    """A JSON document naming the library it came from."""
    return {**doc, "store": where(a)}


def header(a: Assistant, engine: str) -> str:
    """The line above an answer: the engine, and the library when it was picked by default."""
    head = a.engine(engine).description
    return head + (f" · library: {where(a)}" if implicit(a) else "")
