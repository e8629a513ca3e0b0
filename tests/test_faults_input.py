"""Bad configuration, store paths and inputs through the real CLI: one `error:` line and its exit
code, never a traceback; folders of any depth, the store itself, hidden files, huge 'words' and
control characters handled."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.storecheck import driver_env
from tests.test_faults import NOTE


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 300, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "assistant", *args],
                          capture_output=True, text=True, timeout=timeout,
                          env=env or driver_env(), cwd=cwd)


def as_nobody() -> tuple[str, ...] | None:
    """A command prefix that runs as an unprivileged user (root ignores permissions); None
    when this cannot be done here."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = (setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")
    probe = subprocess.run([*prefix, sys.executable, "-c", "import assistant"],
                           capture_output=True, env=driver_env())
    return prefix if probe.returncode == 0 else None


def one_error(proc: subprocess.CompletedProcess, code: int, *words: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_a_store_path_that_is_a_file_or_not_writable_is_one_line(tmp_path):
    note = tmp_path / "note.md"
    note.write_text(NOTE)
    afile = tmp_path / "store.txt"
    afile.write_text("not a folder")
    for command in (["ingest", str(note)], ["papers"], ["reindex"]):
        one_error(run("--store", str(afile), *command), 3, "not a folder")
    # A read-only folder: as root permissions do not bind, so the CLI runs as nobody.
    prefix = as_nobody()
    if prefix is None:
        pytest.skip("cannot run as an unprivileged user here")
    base = Path(tempfile.mkdtemp(prefix="ro-store-"))
    try:
        base.chmod(0o755)
        (base / "ro").mkdir(mode=0o555)
        (base / "ro").chmod(0o555)
        shutil.copy(note, base / "note.md")
        (base / "note.md").chmod(0o644)
        env = driver_env(HOME=str(base), XDG_CACHE_HOME=str(base / "cache"))
        for store in (base / "ro", base / "ro" / "inside"):
            proc = run("--store", str(store), "ingest", str(base / "note.md"), env=env,
                       prefix=prefix)
            one_error(proc, 3, "permission denied")
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("content,words", [
    (b"[store]\nname = \"caf\xe9\"\n", ["not UTF-8"]),
    ("dir", ["is a directory"]),
    ("/dev/zero", ["too large"]),
    (b"[store]\nmax_file_mb = nan\n", ["store.max_file_mb", "finite"]),
    (b"[store]\nmax_file_mb = inf\n", ["store.max_file_mb", "finite"]),
    (b"[store]\nmax_file_mb = -5\n", ["store.max_file_mb", "greater than 0"]),
    (b"[store]\nread_timeout = 0\n", ["store.read_timeout"]),
    (b"[retrieval]\ncandidates = 100000000\n", ["retrieval.candidates"]),
    (b"[llm]\ntimeout = nan\n", ["llm.timeout"]),
])
def test_bad_config_files_and_values_are_one_line(tmp_path, content, words):
    if content == "dir":
        config = tmp_path / "conf.d"
        config.mkdir()
    elif content == "/dev/zero":
        config = Path("/dev/zero")
    else:
        config = tmp_path / "bad.toml"
        config.write_bytes(content)
    start = time.monotonic()
    proc = run("--store", str(tmp_path / "store"), "--config", str(config), "papers")
    one_error(proc, 2, *words)
    assert time.monotonic() - start < 60  # /dev/zero is not read to the end


@pytest.mark.parametrize("name", ["ASSISTANT_FOO", "ASSISTANT_STORE_BOGUS", "ASSISTANT_LLM",
                                  "ASSISTANT_UI_NOPE"])
def test_unknown_assistant_variables_are_rejected_by_name(tmp_path, name):
    proc = run("--store", str(tmp_path / "store"), "papers", env=driver_env(**{name: "1"}))
    one_error(proc, 2, name)
    ok = run("--store", str(tmp_path / "store"), "papers",
             env=driver_env(ASSISTANT_STORE_MAX_FILE_MB="5"))
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("doc,words", [
    ({"questions": []}, ["JSON list"]),
    ([1, 2], ["question 1", "object"]),
    ([{"question": 3}], ["'question'"]),
    ([{"question": "Why?", "gold_titles": "A Title"}], ["'gold_titles'"]),
])
def test_eval_with_a_wrongly_shaped_file_is_one_line(tmp_path, doc, words):
    questions = tmp_path / "q.json"
    questions.write_text(json.dumps(doc))
    one_error(run("--store", str(tmp_path / "store"), "eval", str(questions)), 2, *words)
    questions.write_bytes(b"\xff\xfe\x00garbage")
    one_error(run("--store", str(tmp_path / "store"), "eval", str(questions)), 2)


def test_a_damaged_revision_marker_is_ignored(tmp_path):
    store = tmp_path / "store"
    (tmp_path / "note.md").write_text(NOTE)
    assert run("--store", str(store), "ingest", str(tmp_path / "note.md")).returncode == 0
    (store / ".revision").write_bytes(os.urandom(64))
    proc = run("--store", str(store), "papers", "--json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == 1


def test_walks_of_any_depth_skip_the_store_and_hidden_entries(tmp_path):
    work = tmp_path / "work"
    deep = work
    for i in range(700):
        deep = deep / f"d{i % 10}"
    deep.mkdir(parents=True)
    (deep / "bottom.md").write_text(NOTE)
    (work / "top.md").write_text(NOTE.replace("Graph Sparsification", "Edge Pruning"))
    (work / ".git").mkdir()
    (work / ".git" / "notes.md").write_text("# Hidden Repository Notes\n\nNot a paper.\n")
    (work / ".hidden.md").write_text("# Hidden Note\n\nNot a paper either.\n")
    first = run("--store", "store", "ingest", "--json", ".", cwd=work)
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr[-2000:]
    doc = json.loads(first.stdout)
    assert doc["papers_total"] == 2 and doc["failed"] == []
    assert len(doc["added"]) == 2 and any(p.endswith("bottom.md") for p in doc["added"])
    assert {s["path"] for s in doc["skipped"]} == {".git", ".hidden.md", "store"}
    again = run("--store", "store", "ingest", "--json", ".", cwd=work)  # the store is in .
    doc = json.loads(again.stdout)
    assert again.returncode == 0 and doc["failed"] == [] and doc["added"] == []
    assert doc["updated"] == [] and len(doc["unchanged"]) == 2
    skipped = {s["path"]: s["reason"] for s in doc["skipped"]}
    assert skipped == {".git": "hidden (name it to ingest it)",
                       ".hidden.md": "hidden (name it to ingest it)",
                       "store": "the library's own store"}
    assert "skipped: store: the library's own store" in run(
        "--store", "store", "ingest", ".", cwd=work).stderr
    named = run("--store", "store", "ingest", "--json", ".git/notes.md", cwd=work)
    assert json.loads(named.stdout)["papers_total"] == 3  # named explicitly: read


def test_chunks_are_capped_and_carry_no_control_characters(tmp_path):
    from assistant import Assistant
    from tests.conftest import session_embedder

    papers = tmp_path / "p"
    papers.mkdir()
    (papers / "word.txt").write_text("One Very Long Word\n\n" + "x" * 60_000 + "\n")
    filler = "Sparse retrieval over citation graphs keeps accuracy. " * 1300  # > 64 KiB
    (papers / "nul.txt").write_text(f"Controls Late In A File\n\n{filler}\nThe quokka\x00 "
                                    f"graph\x1b[2J holds\x07 80% of edges\x1b]52;c;eA==\x07.\n")
    a = Assistant(store=tmp_path / "store", embedder=session_embedder())
    report = a.ingest([papers])
    assert not report.failed and report.papers_total == 2
    got = a.library.store.chunks.get(include=["documents"])
    assert max(len(d) for d in got["documents"]) <= 254 * 8
    text = " ".join(got["documents"])
    for ch in ("\x00", "\x1b", "\x07"):
        assert ch not in text
    assert "The quokka graph holds 80% of edges." in text
    answer = a.ask("What share of edges does the quokka graph hold?")
    assert all("\x00" not in c.quote for c in answer.citations)
