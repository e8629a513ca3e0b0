"""The conversation log (assistant.history, a core module the chat app writes to), the slash
command parser and completion, and the rule that the core never imports textual."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from assistant.answering.markers import rewrite_markers
from assistant.records.export import conversation_markdown
from assistant.records.history import History
from assistant.tui.commands import CommandError, complete, match_titles, parse
from assistant.types import Answer, Citation, Passage, Sentence


def _answer(text: str, cites: list[tuple[int, str, str]], engine: str = "extractive") -> Answer:
    citations = [Citation(n, pid, f"Title {pid}", cid, 3, f"quote {cid}", "Method")
                 for n, pid, cid in cites]
    retrieved = [Passage(cid, pid, f"Title {pid}", f"passage text of {cid}", 3, "Method", 0.5)
                 for _, pid, cid in cites]
    return Answer(text, citations, [Sentence(text, [c[0] for c in cites], "supported")], False,
                  retrieved, engine)


def test_record_sessions_and_read_back(tmp_path):
    h = History(tmp_path / "store" / "history.sqlite3")
    assert h.sessions() == []  # no file yet: nothing, and nothing created
    assert not h.path.exists()
    first = h.record(None, "What is [bold]X[/bold]?", _answer("X is a thing [1].",
                                                              [(1, "p1", "c1")]),
                     scope=["p1"])
    h.record(first.session_id, "And Y?", _answer("Y [1] and X [2].",
                                                 [(1, "p2", "c2"), (2, "p1", "c1")]),
             kind="compare")
    other = h.record(None, "Another session", _answer("Z [1].", [(1, "p3", "c3")]))
    assert other.session_id != first.session_id
    sessions = h.sessions()
    assert [s.id for s in sessions] == [other.session_id, first.session_id]  # recent first
    assert sessions[1].title == "What is [bold]X[/bold]?" and sessions[1].exchanges == 2
    exchanges = h.exchanges(first.session_id)
    assert [e.question for e in exchanges] == ["What is [bold]X[/bold]?", "And Y?"]
    assert exchanges[0].scope == ["p1"] and exchanges[1].kind == "compare"
    back = exchanges[1].answer
    assert back.text == "Y [1] and X [2]." and back.engine == "extractive"
    assert [(c.n, c.paper_id, c.page, c.section) for c in back.citations] == [
        (1, "p2", 3, "Method"), (2, "p1", 3, "Method")]
    assert back.sentences[0].support == "supported"
    assert exchanges[1].passages == {"c2": "passage text of c2", "c1": "passage text of c1"}
    with sqlite3.connect(h.path) as db:  # the columns a script would read
        row = db.execute("SELECT question, answer, citations, engine, created FROM exchanges"
                         " ORDER BY id LIMIT 1").fetchone()
    assert row[0] == "What is [bold]X[/bold]?" and json.loads(row[2])[0]["chunk_id"] == "c1"
    assert row[3] == "extractive" and row[4] > 0
    h.delete_session(first.session_id)
    assert [s.id for s in h.sessions()] == [other.session_id]
    assert h.exchanges(first.session_id) == []
    with pytest.raises(KeyError):
        h.session(first.session_id)


def test_short_answer_completeness_and_notes_survive_a_resume(tmp_path):
    h = History(tmp_path / "history.sqlite3")
    answer = _answer("**Yes.** It is [1].", [(1, "p1", "c1")], engine="openai")
    answer.short_answer, answer.complete = "Yes", False
    answer.notes = ["Incomplete answer: the model reached its token limit."]
    first = h.record(None, "Is it?", answer)
    back = h.exchanges(first.session_id)[0].answer
    assert (back.short_answer, back.complete, back.notes) == (
        "Yes", False, ["Incomplete answer: the model reached its token limit."])


def test_a_version_1_history_is_upgraded_in_place(tmp_path):
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:  # the schema of the first release, one exchange in it
        db.executescript(
            "CREATE TABLE sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL,"
            " created REAL NOT NULL, updated REAL NOT NULL);"
            "CREATE TABLE exchanges (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id INTEGER"
            " NOT NULL, kind TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,"
            " citations TEXT NOT NULL, sentences TEXT NOT NULL, engine TEXT NOT NULL,"
            " abstained INTEGER NOT NULL, scope TEXT NOT NULL, answer_table TEXT,"
            " created REAL NOT NULL);"
            "INSERT INTO sessions VALUES (1, 'Old', 1.0, 1.0);"
            "INSERT INTO exchanges VALUES (1, 1, 'ask', 'Old?', 'Old [1].', '[]', '[]',"
            " 'extractive', 0, '[]', NULL, 1.0);"
            "PRAGMA user_version = 1;")
    h = History(path)
    h.record(1, "New?", _answer("New [1].", [(1, "p1", "c1")]))
    old, new = h.exchanges(1)
    assert (old.answer.text, old.answer.short_answer, old.answer.complete) == ("Old [1].", None,
                                                                               True)
    assert new.answer.text == "New [1]."


def test_markdown_export_numbers_references_once(tmp_path):
    h = History(tmp_path / "history.sqlite3")
    a = h.record(None, "Q1", _answer("One [1]. Two [2].", [(1, "p1", "c1"), (2, "p2", "c2")]))
    h.record(a.session_id, "Q2", _answer("Again [1, 2]. New [3].",
                                         [(1, "p2", "c2"), (2, "p1", "c1"), (3, "p3", "c3")]))
    text = conversation_markdown(h.session(a.session_id), h.exchanges(a.session_id))
    assert text.startswith("# Q1\n")
    assert "## 1. Q1" in text and "## 2. Q2" in text
    assert "One [1]. Two [2]." in text
    assert "Again [2, 1]. New [3]." in text  # the same passages keep their numbers
    refs = text.split("## References", 1)[1]
    assert refs.count("*Title p1*") == 1
    assert "- [3] *Title p3* — p. 3, § Method — “quote c3”" in refs  # one reference-line shape


def test_rewrite_markers_keeps_links_and_brackets():
    text = "A [1]. B [2, 3]. C [4-6]. Not [x]. Link [1](http://x). Interval [0.5, 1]."
    out = rewrite_markers(text, lambda ns: "{" + ",".join(map(str, ns)) + "}")
    assert out == "A {1}. B {2,3}. C {4,5,6}. Not [x]. Link [1](http://x). Interval [0.5, 1]."


def test_slash_commands_parse():
    assert parse("/summarize Generative Marginalization Models").args == [
        "Generative Marginalization Models"]
    assert parse('/summarize "A: B"').args == ["A: B"]
    assert parse('/compare "A B" C').args == ["A B", "C"]
    assert parse("/export").args == [] and parse("/export out file.md").args == ["out file.md"]
    assert parse("/ENGINE local").command.name == "engine"
    with pytest.raises(CommandError, match="usage: /compare"):
        parse("/compare one")
    with pytest.raises(CommandError, match="unknown command /sumarize.*did you mean /summarize"):
        parse("/sumarize x")
    with pytest.raises(CommandError, match="usage: /ingest PATH"):
        parse("/ingest")


def test_completion_of_commands_titles_engines_and_paths(tmp_path):
    titles = ["Generative Marginalization Models", "PaSa: An LLM Agent", "Generic Things",
              "A General Framework"]
    assert complete("/su", titles) == ["/summarize "]
    assert "/compare " in complete("/", titles) and "/help" in complete("/", titles)
    assert complete("/summarize gen mar", titles) == [
        '/summarize "Generative Marginalization Models"']
    assert complete("/summarize gen", titles)[:2] == [
        '/summarize "Generative Marginalization Models"', '/summarize "Generic Things"']
    assert complete('/compare "Generative Marginalization Models" pa', titles) == [
        '/compare "Generative Marginalization Models" "PaSa: An LLM Agent" ']
    assert complete("/engine l", titles) == ["/engine local"]
    (tmp_path / "papers").mkdir()
    (tmp_path / "paper one.pdf").write_text("x")
    assert complete("/ingest pa", titles, cwd=tmp_path) == ['/ingest "paper one.pdf"',
                                                          "/ingest papers/"]
    assert complete("what is", titles) == []
    assert match_titles("agent", titles) == ["PaSa: An LLM Agent"]


def test_the_core_never_imports_textual():
    code = ("import sys, assistant, assistant.api, assistant.answering.reading, assistant.cli, "
            "assistant.records.history; from assistant import Assistant; "
            "print('textual' in sys.modules, any(m.startswith('textual.') for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == ["False", "False"], done.stdout
