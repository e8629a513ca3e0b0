"""What the app shares with its screens: small state objects and the app as screens see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..types import counted

if TYPE_CHECKING:
    from ..api import Assistant
    from ..records.history import History
    from ..types import Paper


@dataclass(frozen=True, slots=True)
class IngestState:
    """A running ingest: what was asked for and how far it got."""

    paths: tuple[str, ...]
    files: int | None = None  # files found (None until the pipeline says)
    done: int = 0  # files finished
    chunks: int = 0  # chunks embedded
    current: str = ""  # the last file finished

    @property
    def label(self) -> str:
        what = ", ".join(self.paths)
        if self.files is None:
            return f"Ingesting {what}: looking for files…"
        tail = f" · {self.current}" if self.current else ""
        return (f"Ingesting {what}: {self.done}/{counted(self.files, 'file')} · "
                f"{counted(self.chunks, 'chunk')}{tail}")


@dataclass(frozen=True, slots=True)
class LibraryInfo:
    """What the header shows about the library."""

    papers: int = 0
    chunks: int = 0
    loaded: bool = False
    error: str = ""


class AppState(Protocol):
    """The app as its screens and widgets see it: they read this and ask for changes with the
    messages of :mod:`assistant.tui.messages`. (The app passes itself; screens never import it.)
    """

    @property
    def assistant(self) -> Assistant: ...

    @property
    def history(self) -> History: ...

    @property
    def papers(self) -> tuple[Paper, ...]:
        """The library, by title (empty until loaded)."""
        ...

    @property
    def scope(self) -> tuple[str, ...]:
        """Ids of the papers the next questions are limited to (empty: all)."""
        ...

    @property
    def engine(self) -> str:
        """The answer engine in use."""
        ...

    @property
    def engine_label(self) -> str:
        """How the header names the engine."""
        ...

    @property
    def library(self) -> LibraryInfo: ...

    @property
    def library_label(self) -> str:
        """Where the library is (its folder, or its name on a server)."""
        ...

    @property
    def library_implicit(self) -> bool:
        """The library was picked by default in the user data dir (so the app names it)."""
        ...

    @property
    def warming(self) -> str:
        """What is loading before answers can start ("loading the local model"), or ""."""
        ...

    @property
    def session_id(self) -> int | None:
        """The conversation new questions continue (None: a new one)."""
        ...

    @property
    def is_ready(self) -> bool:
        """The library is loaded (or failed to load)."""
        ...

    async def wait_ready(self) -> None:
        """Wait for the library to load; raise its error if it could not."""
        ...

    def titles(self) -> list[str]:
        """Paper titles, for completion."""
        ...

    def scoped_papers(self) -> list[Paper]:
        """The papers in scope, in library order."""
        ...
