"""Paper -> chunks: sentence-aware, at most ``max_tokens`` of the embedding model's tokens."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from ..types import Chunk, PaperDoc

if TYPE_CHECKING:
    from .embedding import WordPieceTokenizer


CHARS_PER_TOKEN = 8
"""A chunk holds at most this many characters per token of budget: English runs ~4-5 a token,
so this never binds on text; it binds on a 'word' the tokenizer counts as one unknown token
whatever its length (a 10 MB run of letters was one 10-million-character chunk)."""


def chunk_id(paper_id: str, index: int) -> str:
    return f"{paper_id}:{index:04d}"


def embed_text(title: str, text: str) -> str:
    """What is embedded and keyword-indexed for a chunk: its paper's title, then the text."""
    return f"{title}\n{text}" if title else text


class Chunker:
    """Splits each block of a paper with LlamaIndex's SentenceSplitter, counting model tokens.

    The paper's title is embedded with every chunk, so its tokens are reserved in the budget.
    """

    def __init__(self, tokenizer: WordPieceTokenizer, max_tokens: int = 254, overlap: int = 24):
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.overlap = overlap

    @cached_property
    def _splitter_cls(self):
        from llama_index.core.node_parser import SentenceSplitter  # slow import: lazy

        return SentenceSplitter

    def _splitter(self, budget: int):
        return self._splitter_cls(
            chunk_size=budget,
            chunk_overlap=min(self.overlap, budget // 4),
            tokenizer=self.tokenizer.ids,
        )

    def chunk(self, paper_id: str, doc: PaperDoc) -> list[Chunk]:
        """Chunks of ``doc`` in reading order, each with page, section and character span."""
        title_tokens = self.tokenizer.count(doc.title) + 1 if doc.title else 0
        budget = max(self.max_tokens - title_tokens, 64)
        splitter = self._splitter(budget)
        chunks: list[Chunk] = []
        for block in doc.blocks:
            if not block.text.strip():
                continue
            cursor = 0
            for piece in self._split(splitter, block.text, budget):
                start = block.text.find(piece, cursor)
                if start < 0:
                    start = cursor
                end = start + len(piece)
                cursor = start + 1
                chunks.append(
                    Chunk(
                        id=chunk_id(paper_id, len(chunks)),
                        paper_id=paper_id,
                        text=piece,
                        index=len(chunks),
                        page=block.page,
                        section=block.section,
                        start=start,
                        end=end,
                        section_kind=block.section_kind,
                        role=block.role,
                    )
                )
        return chunks

    def _split(self, splitter, text: str, budget: int) -> list[str]:
        """Split, then re-split any piece still over budget (very long 'sentences'), then cut
        any piece still over the character cap."""
        out: list[str] = []
        for piece in splitter.split_text(text):
            piece = piece.strip()
            if not piece:
                continue
            if self.tokenizer.count(piece) <= budget:
                out.append(piece)
            else:
                out.extend(self._hard_split(piece, budget))
        limit = budget * CHARS_PER_TOKEN
        return [part for piece in out for part in _cut(piece, limit)]

    def _hard_split(self, text: str, budget: int) -> list[str]:
        """Cut by words where no sentence boundary keeps a piece within budget."""
        pieces, current = [], []
        for word in text.split(" "):
            current.append(word)
            if self.tokenizer.count(" ".join(current)) > budget and len(current) > 1:
                current.pop()
                pieces.append(" ".join(current))
                current = [word]
        if current:
            pieces.append(" ".join(current))
        return pieces


def _cut(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at a space where there is one in
    the second half of a piece."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        pieces.append(text)
    return [p for p in pieces if p]
