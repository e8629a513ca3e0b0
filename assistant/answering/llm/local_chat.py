"""Chat client for the bundled small model, served by a child process and reached via OpenAIChat."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

from assistant.answering.llm.base import Message, Outcome
from assistant.answering.llm.endpoint import LOCAL_PLACEHOLDER_KEY, short_model_name
from assistant.answering.llm.llama_server import LlamaServer, bundled_model_path
from assistant.answering.llm.openai_chat import OpenAIChat

__all__ = ["STOP", "LocalChat"]

STOP = ["<|im_end|>", "<|im_start|>", "<|endoftext|>", "<passage", "</passage", "\nQuestion:",
        "\nPassage ", "\n\n\n"]
"""Stop strings: the chat template's ends, and where a small model starts writing a new prompt
(another question or passage) instead of answering."""
_LIVE: weakref.WeakSet[LocalChat] = weakref.WeakSet()
T = TypeVar("T")


@atexit.register
def _close_all() -> None:
    """Stop every local model server at exit. A Ctrl+C meanwhile does not leave one behind:
    the rest are stopped without grace and the process ends with status 130."""
    try:
        for engine in list(_LIVE):
            engine.close()
    except KeyboardInterrupt:
        for engine in list(_LIVE):
            engine.kill()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(130)


class LocalChat:
    """SmolLM2-135M-Instruct (or another GGUF) on a private 127.0.0.1 server process.

    The server starts on first use (about a second, more when the cores are busy; at most
    ``start_timeout`` seconds) and stops on :meth:`close` or at exit, within about a second
    whatever llama.cpp is doing. Decoding is greedy with a repeat penalty and :data:`STOP`
    strings; the model is demo-grade: it answers short questions but invents numbers and
    citation markers. One thread generates (``threads``): measured on 2 busy cores, two
    generating threads wait on each other and fall from ~30 to 2-6 tokens/s; the prompt is
    read with ``batch_threads``.
    """

    name = "local"

    def __init__(
        self,
        model_path: str | None = None,
        n_ctx: int = 4096,
        threads: int = 1,
        *,
        batch_threads: int = 2,
        max_tokens: int = 200,
        repeat_penalty: float = 1.15,
        timeout: float = 60,
        start_timeout: float = 60,
    ) -> None:
        bundled = model_path is None
        self.model_path = bundled_model_path() if bundled else str(model_path)
        self.model = short_model_name(self.model_path)
        self.max_tokens = max_tokens
        self.repeat_penalty = repeat_penalty
        self.timeout = timeout
        self._server = LlamaServer(self.model_path, n_ctx=n_ctx, threads=threads,
                                   batch_threads=batch_threads, start_timeout=start_timeout)
        self._engine: OpenAIChat | None = None
        self._lock = threading.Lock()
        self.description = (
            "local: SmolLM2-135M (small demo model)" if bundled else f"local: {self.model}"
        )
        _LIVE.add(self)

    def __repr__(self) -> str:
        return f"<LocalChat {self.description}>"

    @property
    def address(self) -> str | None:
        """``http://127.0.0.1:PORT`` while the server runs, else None."""
        return self._server.address

    @property
    def pid(self) -> int | None:
        """The server process id while it runs, else None."""
        return self._server.pid

    def start(self) -> OpenAIChat:
        """Start the server if needed; return the client engine bound to it."""
        address = self._server.start()
        with self._lock:
            if self._engine is None or not self._engine.base_url.startswith(address):
                self._engine = OpenAIChat(
                    f"{address}/v1",
                    self.model,
                    timeout=self.timeout,
                    max_retries=1,
                    temperature=0.0,  # greedy
                    max_tokens=self.max_tokens,
                    extra_body={"repeat_penalty": self.repeat_penalty, "stop": STOP},
                    api_key=LOCAL_PLACEHOLDER_KEY,  # never send a real key to the local server
                )
            return self._engine

    def complete(self, messages: list[Message], *, max_tokens: int | None = None,
                 outcome: Outcome | None = None) -> str:
        """Return the whole answer."""
        return self.start().complete(messages, max_tokens=max_tokens, outcome=outcome)

    def stream(self, messages: list[Message], *, max_tokens: int | None = None,
               outcome: Outcome | None = None) -> Iterator[str]:
        """Yield answer pieces as the model produces them."""
        yield from self.start().stream(messages, max_tokens=max_tokens, outcome=outcome)

    async def astream(
        self, messages: list[Message], *, max_tokens: int | None = None,
        outcome: Outcome | None = None,
    ) -> AsyncIterator[str]:
        """Async twin of :meth:`stream`; the server starts in a daemon thread (an app that
        quits meanwhile is not held up by it: :meth:`close` stops the start)."""
        engine = await _in_daemon_thread(self.start)
        async for piece in engine.astream(messages, max_tokens=max_tokens, outcome=outcome):
            yield piece

    def kill(self) -> None:
        """Stop the server at once (SIGKILL, no grace): for an exit that must not wait."""
        self._server.kill()

    def close(self) -> None:
        """Stop the server and drop its connections; the next call starts it again. Bounded
        in time, also while another thread is starting the server."""
        self._server.stop()
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()


async def _in_daemon_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a daemon thread and await its result (asyncio's own worker threads are
    joined at interpreter exit, which would wait for a slow model start)."""
    import asyncio

    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(result: T | None, error: BaseException | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, result, error)

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result = fn()
        except BaseException as exc:  # delivered to the awaiting task
            deliver(None, exc)
        else:
            deliver(result, None)

    threading.Thread(target=run, name="local-model-start", daemon=True).start()
    return await future
