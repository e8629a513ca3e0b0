"""Ctrl+C never hangs the local model: `assistant ask --llm local` run in a real terminal (a
pty, its own process group, SIGINT sent to the group as a terminal does) at many moments:
while the model server starts, while the answer streams, while the answer is printed and the
command closes. Each time it must exit with status 130 within 2 s and leave no model server
process and no listening port behind."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import session_embedder

EXIT_WITHIN = 2.0
NOTE = """# Quokkaspar: sparse graph pruning

Quokkaspar is a method that removes 80% of the edges of a graph while keeping its shortest
paths. The crawler of Quokkaspar visits each node once and records the degree of every node.
It was evaluated on twelve road networks and ran four times faster than the baseline.
"""
QUESTION = "What does the Quokkaspar crawler record?"
# (moment, seconds after it): the model server process appeared / the first streamed text
# was shown / the sources are being printed (then the command closes). Nine runs.
MOMENTS = [("start", 0.0), ("start", 0.3), ("start", 1.0),
           ("stream", 0.0), ("stream", 0.5), ("stream", 2.0),
           ("print", 0.0), ("print", 0.1), ("print", 0.4)]


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory) -> Path:
    from assistant import Assistant

    folder = tmp_path_factory.mktemp("interrupt")
    (folder / "p").mkdir()
    (folder / "p" / "note.md").write_text(NOTE)
    a = Assistant(store=folder / "store", embedder=session_embedder())
    assert not a.ingest([folder / "p"]).failed
    a.close()
    return folder / "store"


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):  # the process may be gone
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                out += [int(x) for x in
                        Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return out


def _running(pid: int) -> bool:
    """Any thread of it still alive (a killed process's main thread turns zombie first)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        states = {Path(f"{t}/stat").read_text().rsplit(")", 1)[1].split()[0] for t in tasks}
    except OSError:
        return False
    return bool(states - {"Z"})


def _listening_ports(pid: int) -> set[int]:
    """TCP ports a process listens on (from /proc/net/tcp and its socket inodes)."""
    try:
        inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
                  if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")}
    except OSError:
        return set()
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _port_open(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _interrupt(store: Path, moment: str, delay: float) -> dict:
    """Run the command in a pty; send SIGINT ``delay`` s after ``moment``; report."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ASSISTANT_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "--store", str(store), "ask", QUESTION,
         "--llm", "local"],
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True, env=env)
    os.close(slave)
    out, server, ports, seen, fired = b"", None, set(), None, None
    started = time.monotonic()
    try:
        while proc.poll() is None and time.monotonic() - started < 120:
            if select.select([master], [], [], 0.01)[0]:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
            if server is None and (kids := _children(proc.pid)):
                server = kids[0]
            if server is not None and not ports:
                ports = _listening_ports(server)
            if seen is None and {"start": server is not None, "stream": b"\x1b[2m" in out,
                                 "print": b"Sources" in out}[moment]:
                seen = time.monotonic()
            if seen is not None and fired is None and time.monotonic() - seen >= delay:
                os.killpg(proc.pid, signal.SIGINT)  # what Ctrl+C in a terminal does
                fired = time.monotonic()
        code = proc.wait(timeout=30)
        took = time.monotonic() - fired if fired is not None else None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    gone_by = time.monotonic() + 1.0  # a dead parent's child may take a moment to go
    while time.monotonic() < gone_by and (
            (server is not None and _running(server)) or any(_port_open(p) for p in ports)):
        time.sleep(0.05)
    left = {p for p in ports if _port_open(p)}
    holders = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout if left \
        else ""
    return {"code": code, "took": took, "server": server, "ports": ports,
            "server_left": server is not None and _running(server), "ports_left": left,
            "holders": [ln for ln in holders.splitlines() if any(f":{p} " in ln for p in left)],
            "output": out.decode(errors="replace")[-300:]}


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_at_any_moment_exits_130_within_2s_and_leaves_nothing(tiny_store):
    results = []
    for moment, delay in MOMENTS:
        r = _interrupt(tiny_store, moment, delay)
        results.append((moment, delay, r))
        if r["took"] is None:  # on a fast machine the answer may end before a late signal
            assert delay > 0 and r["code"] == 0, (moment, delay, r["output"])
            continue
        # 130 from the CLI; -SIGINT when the signal landed after the command had finished
        # and was closing down (the shell shows that as 130 too)
        assert r["code"] in (130, -signal.SIGINT), (moment, delay, r)
        assert r["took"] < EXIT_WITHIN, (moment, delay, r)
        assert r["server"] is not None, (moment, delay, r["output"])  # the model was used
        assert not r["server_left"], (moment, delay, r)
        assert not r["ports_left"], (moment, delay, r)
        assert "Traceback" not in r["output"], (moment, delay, r["output"])
    fired = [(m, d) for m, d, r in results if r["took"] is not None]
    assert {m for m, _ in fired} == {"start", "stream", "print"}, fired  # every moment was hit
    assert len(fired) >= 6, fired
    assert any(r["ports"] for _, _, r in results)  # some runs got as far as serving
    assert any(m == "stream" and "\x1b[2m" in r["output"] for m, _, r in results)
