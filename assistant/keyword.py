"""BM25 keyword index over chunks (bm25s), persisted beside the store and kept in step.

The index is derived data: it is saved with the store revision it was built from, and rebuilt
from the store whenever the revisions differ (a crash, another process, a damaged file).
"""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path

import numpy as np

STATE_FILE = "state.json"


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english").stemWords


def tokenize(texts: list[str]):
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)


class KeywordIndex:
    """Chunk ids and their BM25 index, saved in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ids: list[str] = []
        self.revision: str | None = None
        self._bm25 = None

    def load(self) -> bool:
        """Load the saved index; False when it is missing or unreadable."""
        import bm25s

        try:
            state = json.loads((self.folder / STATE_FILE).read_text())
            self.ids = list(state["ids"])
            self.revision = state["revision"]
            self._bm25 = (
                bm25s.BM25.load(str(self.folder / "bm25"), show_progress=False)
                if self.ids
                else None
            )
        except (OSError, ValueError, KeyError, TypeError):
            self.ids, self.revision, self._bm25 = [], None, None
            return False
        return True

    def build(self, ids: list[str], texts: list[str], revision: str) -> None:
        """Index ``texts`` (one per id) and save, replacing what was there."""
        import bm25s

        self.ids = list(ids)
        self.revision = revision
        self._bm25 = None
        if ids:
            self._bm25 = bm25s.BM25()
            self._bm25.index(tokenize(texts), show_progress=False)
        self._save()

    def _save(self) -> None:
        tmp = self.folder.with_name(self.folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._bm25 is not None:
            self._bm25.save(str(tmp / "bm25"), show_progress=False)
        (tmp / STATE_FILE).write_text(json.dumps({"revision": self.revision, "ids": self.ids}))
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            self.folder.rename(old)
        tmp.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)

    def search(
        self, query: str, k: int, allowed: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """Best ``k`` (chunk id, score) pairs with a positive score, optionally only ``allowed``."""
        if self._bm25 is None or not self.ids:
            return []
        tokens = tokenize([query])
        if not tokens.vocab:
            return []
        words = [w for w in tokens.vocab if w]
        scores = self._bm25.get_scores(words)
        if allowed is not None:
            mask = np.fromiter((i in allowed for i in self.ids), dtype=bool, count=len(self.ids))
            scores = np.where(mask, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
