"""Nothing hangs: a Chroma server that accepts and never answers, a paused server, a writer
holding the lock, a long read in the reader thread; the first Ctrl+C ends any command at once.
All real processes and real signals."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.storecheck import driver_env
from tests.test_faults import NOTE, start_chroma


@contextlib.contextmanager
def mute_server():
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


def run(store: Path, *args: str, env: dict[str, str], timeout: float = 120):
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "assistant", "--store", str(store), *args],
                          capture_output=True, text=True, timeout=timeout, env=env)
    return proc, time.monotonic() - start


def quick_limits(tmp_path: Path) -> Path:
    config = tmp_path / "limits.toml"
    config.write_text("[store]\nconnect_timeout = 1\nread_timeout = 2\n")
    return config


def test_a_server_that_never_answers_fails_fast_with_one_line(tmp_path):
    config = quick_limits(tmp_path)
    with mute_server() as url:
        env = driver_env(ASSISTANT_STORE_URL=url)
        for args in (["papers"], ["ingest", str(tmp_path)], ["ask", "anything"]):
            proc, took = run(tmp_path / "store", "--config", str(config), *args, env=env)
            assert proc.returncode == 3, (args, proc.stderr)
            assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
            assert f"cannot reach the Chroma server at {url}" in proc.stderr
            assert "timeout" in proc.stderr  # names the setting that bounds the wait
            assert took < 60, (args, took)  # the limit, not 300 s and more


def test_a_paused_server_blocks_neither_writers_nor_local_readers(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = start_chroma(tmp_path / "db", port)
    store, config = tmp_path / "store", quick_limits(tmp_path)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "note.md").write_text(NOTE)
    env = driver_env(ASSISTANT_STORE_URL=url, ASSISTANT_STORE_NAME="paused")
    try:
        proc, _ = run(store, "--config", str(config), "ingest", str(tmp_path / "p"), env=env)
        assert proc.returncode == 0, proc.stderr
        (tmp_path / "p" / "later.md").write_text(NOTE.replace("Graph Sparsification",
                                                              "Edge Pruning"))
        server.send_signal(signal.SIGSTOP)
        base = [sys.executable, "-m", "assistant", "--store", str(store), "--config",
                str(config)]
        start = time.monotonic()
        writer = subprocess.Popen([*base, "ingest", str(tmp_path / "p")], env=env,
                                  stderr=subprocess.PIPE, text=True)
        reader = subprocess.Popen([*base, "papers"], env=env, stderr=subprocess.PIPE,
                                  text=True)
        _, writer_err = writer.communicate(timeout=120)
        _, reader_err = reader.communicate(timeout=120)
        assert time.monotonic() - start < 90
        for proc, err in ((writer, writer_err), (reader, reader_err)):
            assert proc.returncode == 3, err
            assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("error: ")
        server.send_signal(signal.SIGCONT)
        proc, _ = run(store, "--config", str(config), "ingest", str(tmp_path / "p"), env=env)
        assert proc.returncode == 0, proc.stderr
        listed, _ = run(store, "--config", str(config), "papers", "--json", env=env)
        assert listed.returncode == 0 and listed.stdout.count('"id"') == 2
    finally:
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.wait(timeout=30)


def _interrupt_after(proc: subprocess.Popen, marker: str | None, delay: float) -> float:
    """Send SIGINT once ``marker`` shows on stderr (or after ``delay``); seconds to exit."""
    if marker is not None:
        assert proc.stderr is not None
        seen = ""
        while marker not in seen:
            line = proc.stderr.readline()
            assert line, f"ended before {marker!r}: {seen}"
            seen += line
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    start = time.monotonic()
    proc.wait(timeout=60)
    return time.monotonic() - start


def test_first_ctrl_c_ends_an_ingest_at_once_even_while_a_file_is_being_read(tmp_path):
    papers, store = tmp_path / "p", tmp_path / "store"
    papers.mkdir()
    words = ("sparse retrieval over citation graphs keeps accuracy " * 8 + ". ") * 100_000
    (papers / "a-large.txt").write_text("A Very Long Report\n\n" + words)  # ~50 MB
    (papers / "b-note.md").write_text(NOTE)
    env = driver_env()
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "--store", str(store),
                             "ingest", str(papers)], env=env, stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (store / "keyword-library").exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # the store is open: the reader thread is on the large file
    took = _interrupt_after(proc, None, 2.0)
    assert proc.returncode == 130
    assert took < 5, f"exited {took:.1f} s after the first Ctrl+C"
    assert proc.stderr is not None and "error: interrupted" in proc.stderr.read()
    again, _ = run(store, "ingest", str(papers / "b-note.md"), env=env)
    assert again.returncode == 0, again.stderr  # nothing left half-done


def test_first_ctrl_c_ends_a_command_waiting_for_the_write_lock(tmp_path):
    from assistant.library.locking import store_lock

    store = tmp_path / "store"
    (tmp_path / "note.md").write_text(NOTE)
    with store_lock(store):  # another process (this one) is writing
        proc = subprocess.Popen([sys.executable, "-m", "assistant", "--store", str(store),
                                 "ingest", str(tmp_path / "note.md")], env=driver_env(),
                                stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        took = _interrupt_after(proc, "waiting:", 0.2)
    assert proc.returncode == 130 and took < 5


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_links_into_proc_and_fifos_are_refused_before_any_read(tmp_path):
    folder, store = tmp_path / "p", tmp_path / "store"
    folder.mkdir()
    (folder / "note.md").write_text(NOTE)
    os.mkfifo(folder / "pipe.md")
    (folder / "kmsg.txt").symlink_to("/proc/kmsg")  # never reaches its end
    (folder / "status.md").symlink_to("/proc/self/status")  # claims size 0
    (folder / "zero.txt").symlink_to("/dev/zero")
    proc, took = run(store, "ingest", "--json", str(folder), env=driver_env())
    assert took < 60 and proc.returncode == 1, proc.stderr
    import json

    doc = json.loads(proc.stdout)
    failed = {Path(f["path"]).name: f["error"] for f in doc["failed"]}
    assert failed["pipe.md"] == "not a regular file"
    assert failed["zero.txt"] == "not a regular file"
    for name in ("kmsg.txt", "status.md"):
        assert failed[name] == "not a regular file (a /proc or /sys pseudo-file)"
    assert [Path(p).name for p in doc["added"]] == ["note.md"]
