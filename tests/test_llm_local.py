"""LocalChat: the bundled SmolLM2-135M served in-process by xllamacpp, for real."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from assistant.answering.llm import ChatClient, LocalChat
from assistant.errors import LLMError

QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalChat]:
    local = LocalChat()
    yield local
    local.close()


def port_open(address: str) -> bool:
    parts = urlsplit(address)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


def test_describes_itself_without_starting() -> None:
    local = LocalChat()
    assert isinstance(local, ChatClient)
    assert local.name == "local"
    assert local.description == "local: SmolLM2-135M (small demo model)"
    assert local.address is None  # lazy: nothing started yet
    local.close()


def test_missing_model_file_is_a_clear_error(tmp_path) -> None:
    local = LocalChat(str(tmp_path / "nope.gguf"))
    with pytest.raises(LLMError, match="local model file not found: .*nope.gguf"):
        local.complete(QUESTION)


@pytest.mark.slow
def test_answers_for_real(engine: LocalChat) -> None:
    text = engine.complete(QUESTION, max_tokens=24)
    assert "paris" in text.lower()
    assert engine.address is not None and engine.address.startswith("http://127.0.0.1:")


@pytest.mark.slow
def test_stream_yields_pieces(engine: LocalChat) -> None:
    pieces = list(engine.stream(QUESTION, max_tokens=24))
    assert len(pieces) > 2
    assert "paris" in "".join(pieces).lower()


@pytest.mark.slow
async def test_astream_yields_pieces(engine: LocalChat) -> None:
    pieces = [piece async for piece in engine.astream(QUESTION, max_tokens=8)]
    assert len(pieces) > 1


@pytest.mark.slow
def test_close_stops_the_server() -> None:
    local = LocalChat(max_tokens=4)
    assert local.complete(QUESTION)
    address = local.address
    assert address is not None and port_open(address)
    local.close()
    assert local.address is None
    assert not port_open(address)
    local.close()  # twice is fine
    assert local.complete(QUESTION)  # the next call starts it again
    local.close()
    assert local.address is None


# -- every start and stop has a deadline; nothing is left behind ------------------------------
def _gone(pid: int, within: float = 2.0, address: str | None = None) -> bool:
    """The process has ended (a zombie whose threads have all exited counts) and, given its
    address, nothing listens there any more (a killed process's other threads release its
    sockets a moment after its main thread shows as a zombie)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            tasks = Path(f"/proc/{pid}/task").iterdir()
            states = {Path(f"{t}/stat").read_text().rsplit(")", 1)[1].split()[0] for t in tasks}
        except OSError:
            states = set()
        if states <= {"Z"} and (address is None or not port_open(address)):
            return True
        time.sleep(0.02)
    return False


@pytest.mark.slow
def test_start_stream_close_many_times_each_bounded() -> None:
    """In-process this hung 4 of 12 times (start; close) and once for 10 minutes."""
    local = LocalChat(max_tokens=4)
    for i in range(4):
        started = time.monotonic()
        if i % 2:
            assert list(local.stream(QUESTION))
        else:
            local.start()
        assert time.monotonic() - started < 60
        address, pid = local.address, local.pid
        assert address is not None and pid is not None and port_open(address)
        stopped = time.monotonic()
        local.close()
        assert time.monotonic() - stopped < 1.5
        assert local.address is None and _gone(pid, address=address)


@pytest.mark.slow
def test_close_while_another_thread_starts_stops_both_at_once() -> None:
    local = LocalChat()
    errors: list[BaseException] = []

    def start() -> None:
        try:
            local.start()
        except LLMError as exc:
            errors.append(exc)

    thread = threading.Thread(target=start)
    thread.start()
    deadline = time.monotonic() + 30
    while local._server._proc is None and time.monotonic() < deadline:  # the child exists
        time.sleep(0.01)
    pid = local._server._proc.pid if local._server._proc else None
    started = time.monotonic()
    local.close()
    thread.join(timeout=5)
    assert not thread.is_alive() and time.monotonic() - started < 3
    assert pid is not None and _gone(pid)
    # the start either lost the race (a clear error) or finished first and was stopped
    assert not errors or "stopped" in str(errors[0]) or "failed to start" in str(errors[0])
    assert local.address is None


@pytest.mark.slow
def test_killed_parent_takes_the_model_server_with_it(tmp_path) -> None:
    script = ("import sys, time\nfrom assistant.answering.llm import LocalChat\n"
              "c = LocalChat(); c.start(); print(c.pid, c.address, flush=True)\n"
              "time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pid_text, address = proc.stdout.readline().split()
    assert port_open(address)
    proc.send_signal(signal.SIGKILL)  # no atexit, no cleanup of any kind
    proc.wait(timeout=10)
    assert _gone(int(pid_text), address=address)


def test_a_file_that_is_no_model_fails_fast_and_clearly(tmp_path) -> None:
    bad = tmp_path / "not-a-model.gguf"
    bad.write_bytes(b"this is not a GGUF file" * 100)
    local = LocalChat(str(bad))
    started = time.monotonic()
    with pytest.raises(LLMError, match="local model server failed to start: "):
        local.complete(QUESTION)
    assert time.monotonic() - started < 30 and local.address is None


def test_start_deadline_kills_the_child() -> None:
    local = LocalChat(start_timeout=0.05)
    with pytest.raises(LLMError, match=r"did not start within 0.05s"):
        local.start()
    assert local.pid is None and local._server._proc is None


def test_gguf_paths_become_short_model_names() -> None:
    from assistant.answering.llm.endpoint import short_model_name

    assert LocalChat().model == "SmolLM2-135M-Instruct"
    assert short_model_name("/m/qwen2.5-0.5b-instruct-q4_k_m.gguf") == "qwen2.5-0.5b-instruct"
    assert short_model_name("gpt-4o-mini") == "gpt-4o-mini"
    assert short_model_name("meta-llama/Llama-3-8B") == "meta-llama/Llama-3-8B"
