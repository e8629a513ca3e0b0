"""Plain data passed between the stages: documents, chunks, passages, answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Support = Literal["supported", "weak", "unsupported"]


def counted(n: int, noun: str) -> str:
    """``1 paper``, ``2 papers``, ``0 papers`` (the nouns the app counts take an ``s``)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass(slots=True)
class Block:
    """A run of text from one place in a source: a PDF page, a Markdown section, an abstract."""

    text: str
    page: int | None = None
    section: str | None = None
    # PDFs: the kind of section (front | abstract | body | references | acknowledgements |
    # appendix) and the role of the text (text | caption | table | small: footnotes, labels)
    section_kind: str | None = None
    role: str = "text"


@dataclass(slots=True)
class PaperDoc:
    """One paper as a reader found it, before chunking."""

    title: str
    blocks: list[Block]
    source: str
    kind: str  # pdf | text | markdown | html | listing
    authors: list[str] = field(default_factory=list)
    n_authors: int | None = None
    year: int | None = None
    date: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    code_url: str | None = None
    venue: str | None = None
    # metadata from a reference manager (BibTeX, Zotero): wins over what readers detect
    curated: bool = False

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)


@dataclass(slots=True)
class ReadResult:
    """What a reader returns for one file: its papers and any warnings."""

    papers: list[PaperDoc]
    warnings: list[str] = field(default_factory=list)
    # entries of a reference library that could not be read ("entry KEY: reason")
    failures: list[FileFailure] = field(default_factory=list)


@dataclass(slots=True)
class Chunk:
    """A piece of a paper small enough for the embedding model."""

    id: str
    paper_id: str
    text: str
    index: int
    page: int | None
    section: str | None
    start: int  # character span inside its block
    end: int
    section_kind: str | None = None  # see Block.section_kind
    role: str = "text"


@dataclass(slots=True)
class Paper:
    """A paper in the library.

    ``authors``: full names ("Kyle Lo") in the order the paper (or a reference manager) gives
    them; empty when unknown (listing entries only count them: ``n_authors``).
    """

    id: str
    title: str
    authors: list[str]
    year: int | None
    sources: list[str]
    chunks: int
    kind: str = ""
    n_authors: int | None = None
    date: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    code_url: str | None = None
    venue: str | None = None

    @property
    def source(self) -> str:
        return self.sources[0] if self.sources else ""

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "authors": self.authors,
            "year": self.year,
            "source": self.source,
            "sources": self.sources,
            "chunks": self.chunks,
            "doi": self.doi,
            "arxiv_id": self.arxiv_id,
            "code_url": self.code_url,
            "venue": self.venue,
            "n_authors": self.n_authors,
            "date": self.date,
        }


@dataclass(slots=True)
class Passage:
    """A retrieved chunk with its score and paper title."""

    chunk_id: str
    paper_id: str
    title: str
    text: str
    page: int | None
    section: str | None
    score: float
    section_kind: str | None = None  # see Block.section_kind
    role: str = "text"


@dataclass(slots=True)
class Citation:
    """A numbered source in an answer: the passage a marker [n] points to."""

    n: int
    paper_id: str
    title: str
    chunk_id: str
    page: int | None
    quote: str
    section: str | None = None

    def location(self, sep: str = ", ", section_mark: str = "") -> str:
        """Where the quote is: ``p. 3, Method`` (what is known of it); ``section_mark`` goes
        before the section (``"§ "`` in reference lists)."""
        parts = [f"p. {self.page}"] if self.page else []
        if self.section:
            parts.append(section_mark + " ".join(self.section.split()))
        return sep.join(parts)

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "paper_id": self.paper_id,
            "title": self.title,
            "chunk_id": self.chunk_id,
            "page": self.page,
            "section": self.section,
            "quote": self.quote,
        }


@dataclass(slots=True)
class Sentence:
    """One answer sentence with the markers it carries and how well they support it."""

    text: str
    citations: list[int]
    support: Support

    def to_json(self) -> dict:
        return {"text": self.text, "citations": self.citations, "support": self.support}


@dataclass(slots=True)
class Answer:
    """A grounded answer: text with [n] markers, its citations and per-sentence support."""

    text: str
    citations: list[Citation]
    sentences: list[Sentence]
    abstained: bool
    retrieved: list[Passage]
    engine: str
    table: list[dict] | None = None
    short_answer: str | None = None
    """The direct answer the text opens with: a span, one sentence, or "Yes"/"No" (None when
    abstaining, and for summaries, comparisons and which-papers lists)."""
    complete: bool = True
    """False when the model's reply was cut (length limit, full context, a repetition loop);
    the text then ends with a note saying so."""
    notes: list[str] = field(default_factory=list)
    """What the reader should know about how the answer was made (also in the text), e.g.
    that a model's table could not be read and the extractive one is shown."""

    def to_json(self) -> dict:
        seen: dict[str, Passage] = {}
        for p in self.retrieved:
            if p.paper_id not in seen or p.score > seen[p.paper_id].score:
                seen[p.paper_id] = p
        doc = {
            "answer": self.text,
            "short_answer": None if self.abstained else self.short_answer,
            "engine": self.engine,
            "abstained": self.abstained,
            "complete": self.complete,
            "notes": list(self.notes),
            "citations": [c.to_json() for c in self.citations],
            "sentences": [s.to_json() for s in self.sentences],
            "retrieved": [
                {"paper_id": p.paper_id, "title": p.title, "score": round(p.score, 4)}
                for p in seen.values()
            ],
        }
        if self.table is not None:
            doc["table"] = self.table
        return doc


@dataclass(slots=True)
class FileFailure:
    path: str
    error: str


@dataclass(slots=True)
class Skipped:
    """A file or folder a folder walk passed over on purpose (hidden, or the store itself)."""

    path: str
    reason: str


@dataclass(slots=True)
class IngestReport:
    """What an ingest did, per file."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    papers_added: int = 0
    chunks_added: int = 0
    papers_total: int = 0
    chunks_total: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "unchanged": self.unchanged,
            "updated": self.updated,
            "failed": [{"path": f.path, "error": f.error} for f in self.failed],
            "warnings": self.warnings,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "papers_added": self.papers_added,
            "chunks_added": self.chunks_added,
            "papers_total": self.papers_total,
            "chunks_total": self.chunks_total,
        }
