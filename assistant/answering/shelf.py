"""What summaries and comparisons read from: a narrow view of the library and its search."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from ..search.retriever import Retrieval
    from ..types import Paper, Passage

__all__ = ["Shelf"]


class Shelf(Protocol):
    """The papers, their chunks in reading order, retrieval over them, and the embedding."""

    def papers(self) -> list[Paper]:
        """Every paper, by title."""
        ...

    def paper(self, ref: str) -> Paper:
        """The paper a REF names (a RefError when none or several)."""
        ...

    def paper_chunks(self, paper_id: str) -> list[Passage]:
        """A paper's chunks in reading order."""
        ...

    def retrieve(self, question: str, paper_ids: list[str] | None = None) -> Retrieval:
        """Passages for ``question`` (within ``paper_ids`` when given)."""
        ...

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts`` (the library's embedding model)."""
        ...
