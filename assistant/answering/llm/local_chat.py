"""Chat client for the bundled small model, served in-process and reached via OpenAIChat."""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections.abc import AsyncIterator, Iterator

from assistant.answering.llm.base import Message
from assistant.answering.llm.endpoint import LOCAL_PLACEHOLDER_KEY
from assistant.answering.llm.llama_server import LlamaServer, bundled_model_path
from assistant.answering.llm.openai_chat import OpenAIChat

__all__ = ["LocalChat"]

_STOP = ["<|im_end|>", "<|im_start|>", "<|endoftext|>"]
_LIVE: weakref.WeakSet[LocalChat] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for engine in list(_LIVE):
        engine.close()


class LocalChat:
    """SmolLM2-135M-Instruct (or another GGUF) on a private 127.0.0.1 server.

    The server starts on first use (about half a second) and stops on :meth:`close` or at
    exit. Decoding is greedy with a repeat penalty and stop strings; the model is demo-grade:
    it answers short questions but invents numbers and citation markers.
    """

    name = "local"

    def __init__(
        self,
        model_path: str | None = None,
        n_ctx: int = 4096,
        threads: int = 2,
        *,
        max_tokens: int = 200,
        repeat_penalty: float = 1.1,
        timeout: float = 120,
    ) -> None:
        bundled = model_path is None
        self.model_path = bundled_model_path() if bundled else str(model_path)
        self.max_tokens = max_tokens
        self.repeat_penalty = repeat_penalty
        self.timeout = timeout
        self._server = LlamaServer(self.model_path, n_ctx=n_ctx, threads=threads)
        self._engine: OpenAIChat | None = None
        self._lock = threading.Lock()
        self.description = (
            "local: SmolLM2-135M (small demo model)"
            if bundled
            else f"local: {os.path.basename(self.model_path)}"
        )
        _LIVE.add(self)

    def __repr__(self) -> str:
        return f"<LocalChat {self.description}>"

    @property
    def address(self) -> str | None:
        """``http://127.0.0.1:PORT`` while the server runs, else None."""
        return self._server.address

    def start(self) -> OpenAIChat:
        """Start the server if needed; return the client engine bound to it."""
        with self._lock:
            address = self._server.start()
            if self._engine is None:
                self._engine = OpenAIChat(
                    f"{address}/v1",
                    os.path.basename(self.model_path).removesuffix(".gguf"),
                    timeout=self.timeout,
                    max_retries=1,
                    temperature=0.0,  # greedy
                    max_tokens=self.max_tokens,
                    extra_body={"repeat_penalty": self.repeat_penalty, "stop": _STOP},
                    api_key=LOCAL_PLACEHOLDER_KEY,  # never send a real key to the local server
                )
            return self._engine

    def complete(self, messages: list[Message], *, max_tokens: int | None = None) -> str:
        """Return the whole answer."""
        return self.start().complete(messages, max_tokens=max_tokens)

    def stream(self, messages: list[Message], *, max_tokens: int | None = None) -> Iterator[str]:
        """Yield answer pieces as the model produces them."""
        yield from self.start().stream(messages, max_tokens=max_tokens)

    async def astream(
        self, messages: list[Message], *, max_tokens: int | None = None
    ) -> AsyncIterator[str]:
        """Async twin of :meth:`stream`; the server starts in a worker thread."""
        import asyncio

        engine = await asyncio.to_thread(self.start)
        async for piece in engine.astream(messages, max_tokens=max_tokens):
            yield piece

    def close(self) -> None:
        """Stop the server and drop its connections; the next call starts it again."""
        with self._lock:
            engine, self._engine = self._engine, None
            if engine is not None:
                engine.close()
            self._server.stop()
