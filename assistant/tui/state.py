"""Small state objects shared by the app and its screens (posting-style dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass


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
        return f"Ingesting {what}: {self.done}/{self.files} files · {self.chunks} chunks{tail}"


@dataclass(frozen=True, slots=True)
class LibraryInfo:
    """What the header shows about the library."""

    papers: int = 0
    chunks: int = 0
    loaded: bool = False
    error: str = ""
