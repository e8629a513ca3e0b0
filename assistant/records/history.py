"""Conversation history: every exchange kept in SQLite beside the store.

A core module (it never imports the UI): the chat app records into it and scripts can read it::

    from assistant.records.export import conversation_markdown
    from assistant.records.history import History
    from assistant.paths import history_db

    h = History(history_db(a.store_dir))
    ex = h.record(None, "What is X?", a.ask("What is X?"))   # None: start a new session
    print(conversation_markdown(h.session(ex.session_id), h.exchanges(ex.session_id)))

One row per exchange holds the question, the answer text, its citations (with the cited passage
text, so a resumed answer can still show it), per-sentence support, the engine and the time.
Each call opens its own short connection, so worker threads and several app instances can
share the file (WAL journal).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..types import Answer, Citation, Sentence

__all__ = [
    "Exchange",
    "History",
    "Session",
]

SCHEMA_VERSION = 2
TITLE_MAX = 80

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS exchanges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    sentences TEXT NOT NULL,
    engine TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    scope TEXT NOT NULL,
    answer_table TEXT,
    created REAL NOT NULL,
    details TEXT
);
CREATE INDEX IF NOT EXISTS exchanges_session ON exchanges(session_id, id);
"""

# A citation group as the citation layer writes it: [1], [1, 2], [1-3] (not a Markdown link).


@dataclass(slots=True)
class Session:
    """One conversation: its title (the first question), times and number of exchanges."""

    id: int
    title: str
    created: float
    updated: float
    exchanges: int = 0


@dataclass(slots=True)
class Exchange:
    """One question and its answer, as recorded."""

    id: int
    session_id: int
    kind: str  # ask | summarize | compare
    question: str
    answer: Answer
    scope: list[str] = field(default_factory=list)  # paper ids the question was limited to
    created: float = 0.0
    passages: dict[str, str] = field(default_factory=dict)  # chunk_id -> passage text


class History:
    """The conversation log in one SQLite file (created on first write)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _db(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        if write:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=10)) as db:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            if write:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version < SCHEMA_VERSION:
                    db.execute("PRAGMA journal_mode = WAL")
                    db.executescript(_SCHEMA)
                    columns = {r[1] for r in db.execute("PRAGMA table_info(exchanges)")}
                    if "details" not in columns:  # a version 1 history: answers kept whole
                        db.execute("ALTER TABLE exchanges ADD COLUMN details TEXT")
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            with db:
                yield db

    def _readable(self) -> bool:
        return self.path.is_file()

    # -- writing ---------------------------------------------------------------------------------
    def new_session(self, title: str = "") -> int:
        """Start an empty session; returns its id."""
        now = time.time()
        with self._db(write=True) as db:
            cur = db.execute(
                "INSERT INTO sessions (title, created, updated) VALUES (?, ?, ?)",
                (_title(title), now, now),
            )
            return int(cur.lastrowid or 0)

    def record(
        self,
        session_id: int | None,
        question: str,
        answer: Answer,
        *,
        kind: str = "ask",
        scope: Sequence[str] = (),
    ) -> Exchange:
        """Append one exchange; ``session_id`` None starts a session titled by the question."""
        now = time.time()
        passages = _cited_passages(answer)
        citations = [{**c.to_json(), "passage": passages.get(c.chunk_id, "")}
                     for c in answer.citations]
        with self._db(write=True) as db:
            if session_id is None or not db.execute(
                "SELECT 1 FROM sessions WHERE id = ?", (session_id,)
            ).fetchone():
                cur = db.execute(
                    "INSERT INTO sessions (title, created, updated) VALUES (?, ?, ?)",
                    (_title(question), now, now),
                )
                session_id = int(cur.lastrowid or 0)
            else:
                db.execute(
                    "UPDATE sessions SET updated = ?, title = CASE WHEN title = '' THEN ? "
                    "ELSE title END WHERE id = ?",
                    (now, _title(question), session_id),
                )
            cur = db.execute(
                "INSERT INTO exchanges (session_id, kind, question, answer, citations, sentences,"
                " engine, abstained, scope, answer_table, created, details)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    kind,
                    question,
                    answer.text,
                    json.dumps(citations, ensure_ascii=False),
                    json.dumps([s.to_json() for s in answer.sentences], ensure_ascii=False),
                    answer.engine,
                    int(answer.abstained),
                    json.dumps(list(scope)),
                    None if answer.table is None else json.dumps(answer.table, ensure_ascii=False),
                    now,
                    json.dumps({"short_answer": answer.short_answer, "complete": answer.complete,
                                "notes": answer.notes}, ensure_ascii=False),
                ),
            )
            ex_id = int(cur.lastrowid or 0)
        return Exchange(ex_id, session_id, kind, question, answer, list(scope), now, passages)

    def delete_session(self, session_id: int) -> None:
        """Forget a session and its exchanges."""
        if not self._readable():
            return
        with self._db(write=True) as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    # -- reading ---------------------------------------------------------------------------------
    def sessions(self, limit: int = 200) -> list[Session]:
        """Sessions with at least one exchange, most recently used first."""
        if not self._readable():
            return []
        with self._db() as db:
            if not _has_tables(db):
                return []
            rows = db.execute(
                "SELECT s.id, s.title, s.created, s.updated, COUNT(e.id) AS n FROM sessions s"
                " JOIN exchanges e ON e.session_id = s.id GROUP BY s.id"
                " ORDER BY s.updated DESC, s.id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Session(r["id"], r["title"], r["created"], r["updated"], r["n"]) for r in rows]

    def session(self, session_id: int) -> Session:
        """One session; KeyError if there is none with that id."""
        if self._readable():
            with self._db() as db:
                if _has_tables(db):
                    r = db.execute(
                        "SELECT s.id, s.title, s.created, s.updated,"
                        " (SELECT COUNT(*) FROM exchanges e WHERE e.session_id = s.id) AS n"
                        " FROM sessions s WHERE s.id = ?",
                        (session_id,),
                    ).fetchone()
                    if r is not None:
                        return Session(r["id"], r["title"], r["created"], r["updated"], r["n"])
        raise KeyError(session_id)

    def exchanges(self, session_id: int) -> list[Exchange]:
        """The exchanges of a session, oldest first."""
        if not self._readable():
            return []
        with self._db() as db:
            if not _has_tables(db):
                return []
            rows = db.execute(
                "SELECT * FROM exchanges WHERE session_id = ? ORDER BY id", (session_id,)
            ).fetchall()
        return [_exchange(r) for r in rows]


def _has_tables(db: sqlite3.Connection) -> bool:
    return db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'exchanges'"
    ).fetchone() is not None


def _title(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1].rstrip() + "…"


def _cited_passages(answer: Answer) -> dict[str, str]:
    cited = {c.chunk_id for c in answer.citations}
    return {p.chunk_id: p.text for p in answer.retrieved if p.chunk_id in cited}


def _exchange(r: sqlite3.Row) -> Exchange:
    citations_doc = json.loads(r["citations"])
    citations = [
        Citation(
            n=c["n"],
            paper_id=c["paper_id"],
            title=c["title"],
            chunk_id=c["chunk_id"],
            page=c.get("page"),
            quote=c.get("quote", ""),
            section=c.get("section"),
        )
        for c in citations_doc
    ]
    sentences = [Sentence(s["text"], list(s["citations"]), s["support"])
                 for s in json.loads(r["sentences"])]
    answer = Answer(
        text=r["answer"],
        citations=citations,
        sentences=sentences,
        abstained=bool(r["abstained"]),
        retrieved=[],
        engine=r["engine"],
        table=json.loads(r["answer_table"]) if r["answer_table"] else None,
    )
    has_details = "details" in r.keys()  # noqa: SIM118 - a Row's "in" looks at values
    details = json.loads(r["details"]) if has_details and r["details"] else {}
    answer.short_answer = details.get("short_answer")
    answer.complete = details.get("complete", True)
    answer.notes = list(details.get("notes", []))
    passages = {c["chunk_id"]: c["passage"] for c in citations_doc if c.get("passage")}
    return Exchange(r["id"], r["session_id"], r["kind"], r["question"], answer,
                    json.loads(r["scope"]), r["created"], passages)
