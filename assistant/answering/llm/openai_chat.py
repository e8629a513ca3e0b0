"""Chat engine for any OpenAI-compatible endpoint: streaming, timeouts, retries with backoff."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from assistant.answering.llm.base import Message, Outcome
from assistant.answering.llm.endpoint import (
    display_url,
    redact,
    resolve_api_key,
    resolve_base_url,
    short_model_name,
)
from assistant.answering.llm.failures import Failure, StreamIncomplete, backoff_delay, classify
from assistant.answering.llm.repetition import loop_start
from assistant.errors import LLMError

__all__ = ["OpenAIChat"]

log = logging.getLogger(__name__)


_LOOP_CHECK_CHARS = 120  # look for a repetition loop every this many new characters


class _StreamState:
    """Pulls text out of stream chunks, remembers whether and how the answer finished, and
    notices when the model starts repeating itself."""

    def __init__(self, outcome: Outcome | None) -> None:
        self.chars = 0
        self.finished = False
        self.outcome = outcome if outcome is not None else Outcome()
        self._text: list[str] = []
        self._checked = 0

    def feed(self, chunk: Any) -> str:
        choices = getattr(chunk, "choices", None) or []
        if not choices:
            return ""
        choice = choices[0]
        if choice.finish_reason:
            self.finished = True
            self.outcome.finish_reason = str(choice.finish_reason)
        text = (choice.delta.content if choice.delta is not None else None) or ""
        self.chars += len(text)
        if text:
            self._text.append(text)
        return text

    def looping(self) -> bool:
        """Has the text so far ended in a repetition loop? (Checked every few lines.)"""
        if self.chars - self._checked < _LOOP_CHECK_CHARS:
            return False
        self._checked = self.chars
        if loop_start("".join(self._text)) is None:
            return False
        self.outcome.looped = True
        return True

    def check_finished(self) -> None:
        if not self.finished and not self.outcome.looped:
            raise StreamIncomplete


class OpenAIChat:
    """Talks to an OpenAI-compatible ``/chat/completions`` endpoint.

    ``base_url`` None means ``$OPENAI_BASE_URL`` or OpenAI itself. The key comes from the
    environment variable named by ``api_key_env`` (or ``api_key``); it is sent only in the
    Authorization header and never appears in messages or logs. Connection errors, timeouts,
    HTTP 429 and 5xx are retried ``max_retries`` times with exponential backoff starting at
    ``retry_backoff`` seconds; a stream is retried only while it has not yielded text.
    """

    name = "openai"

    def __init__(
        self,
        base_url: str | None,
        model: str,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 60,
        max_retries: int = 3,
        temperature: float = 0.0,
        max_tokens: int = 800,
        extra_body: dict[str, Any] | None = None,
        *,
        api_key: str | None = None,
        retry_backoff: float = 0.2,
    ) -> None:
        self.base_url = resolve_base_url(base_url)
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.extra_body = dict(extra_body or {})
        self.retry_backoff = retry_backoff
        self._api_key = api_key or resolve_api_key(api_key_env, self.base_url)
        self._url = display_url(self.base_url)
        self.description = f"openai: {short_model_name(model)} @ {self._url}"
        self._client: Any = None
        self._client_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<OpenAIChat {self.description}>"

    # -- public API ---------------------------------------------------------------------------

    def complete(self, messages: list[Message], *, max_tokens: int | None = None,
                 outcome: Outcome | None = None) -> str:
        """Return the whole answer (one non-streaming request, retried on transient failures);
        ``outcome`` learns its finish_reason and whether it ends in a repetition loop."""
        attempt = 0
        while True:
            try:
                response = self._sync_client().chat.completions.create(
                    **self._request(messages, max_tokens)
                )
                return self._text_of(response, outcome)
            except Exception as exc:
                delay = self._retry_delay_or_raise(exc, attempt, produced=0)
            time.sleep(delay)
            attempt += 1

    def stream(self, messages: list[Message], *, max_tokens: int | None = None,
               outcome: Outcome | None = None) -> Iterator[str]:
        """Yield answer pieces; raises LLMError if the stream breaks before it finished. A
        reply that falls into a repetition loop is stopped there (``outcome.looped``)."""
        attempt = 0
        while True:
            state = _StreamState(outcome)
            try:
                request = self._request(messages, max_tokens)
                with self._sync_client().chat.completions.create(**request, stream=True) as chunks:
                    for chunk in chunks:
                        text = state.feed(chunk)
                        if text:
                            yield text
                            if state.looping():
                                break  # leaving the block closes the stream: generation stops
                state.check_finished()
                return
            except Exception as exc:
                if state.finished and classify(exc) is not None:
                    return  # the answer was complete; only the tail of the stream broke
                delay = self._retry_delay_or_raise(exc, attempt, produced=state.chars)
            time.sleep(delay)
            attempt += 1

    async def astream(
        self, messages: list[Message], *, max_tokens: int | None = None,
        outcome: Outcome | None = None,
    ) -> AsyncIterator[str]:
        """Async twin of :meth:`stream` (uses ``openai.AsyncOpenAI``)."""
        import asyncio

        attempt = 0
        async with self._async_client() as client:
            while True:
                state = _StreamState(outcome)
                try:
                    request = self._request(messages, max_tokens)
                    chunks = await client.chat.completions.create(**request, stream=True)
                    async with chunks:
                        async for chunk in chunks:
                            text = state.feed(chunk)
                            if text:
                                yield text
                                if state.looping():
                                    break
                    state.check_finished()
                    return
                except Exception as exc:
                    if state.finished and classify(exc) is not None:
                        return
                    delay = self._retry_delay_or_raise(exc, attempt, produced=state.chars)
                await asyncio.sleep(delay)
                attempt += 1

    def close(self) -> None:
        """Close the pooled HTTP connections (the engine can still be used afterwards)."""
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- internals ----------------------------------------------------------------------------

    def _request(self, messages: list[Message], max_tokens: int | None) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": max_tokens if max_tokens is not None else self.max_tokens,
        }
        if self.extra_body:
            request["extra_body"] = self.extra_body
        return request

    def _client_options(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "api_key": self._api_key,
            "timeout": self.timeout,
            "max_retries": 0,  # retries happen here, so streams can be retried too
        }

    def _sync_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                import openai

                self._client = openai.OpenAI(**self._client_options())
            return self._client

    def _async_client(self) -> Any:
        """A fresh async client per call: httpx async pools are bound to one event loop."""
        import openai

        return openai.AsyncOpenAI(**self._client_options())

    def _text_of(self, response: Any, outcome: Outcome | None) -> str:
        choices = getattr(response, "choices", None)
        if not choices:
            raise LLMError(f"LLM endpoint {self._url} returned no answer (empty choices)")
        text = choices[0].message.content or ""
        if outcome is not None:
            reason = choices[0].finish_reason
            outcome.finish_reason = str(reason) if reason else None
            outcome.looped = loop_start(text) is not None
        return text

    def _retry_delay_or_raise(self, exc: Exception, attempt: int, *, produced: int) -> float:
        """Seconds to wait before the next attempt, or raise the final LLMError."""
        failure = classify(exc)
        if failure is None:
            raise exc
        if produced:
            reason = self._reason(failure)
            raise LLMError(
                f"LLM endpoint {self._url}: stream interrupted after {produced} characters "
                f"({reason}); the answer is incomplete"
            ) from (None if failure.kind == "status" else exc)
        if failure.retryable and attempt < self.max_retries:
            delay = backoff_delay(attempt, self.retry_backoff, failure)
            log.info(
                "LLM endpoint %s: %s; retry %d/%d in %.1fs",
                self._url,
                self._reason(failure),
                attempt + 1,
                self.max_retries,
                delay,
            )
            return delay
        message = redact(self._final_message(failure, attempt), self._api_key)
        raise LLMError(message) from (None if failure.kind in ("status", "bad_response") else exc)

    def _reason(self, failure: Failure) -> str:
        if failure.kind == "timeout":
            return f"no data for {self.timeout:g}s"
        if failure.kind == "incomplete":
            return "stream ended without finish_reason"
        if failure.kind == "status":
            return f"HTTP {failure.status}"
        return redact(failure.detail, self._api_key) or failure.kind

    def _final_message(self, failure: Failure, retries: int) -> str:
        url = self._url
        after = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
        if failure.kind == "timeout":
            return f"LLM endpoint {url} timed out after {self.timeout:g}s{after}"
        if failure.kind == "connect":
            return f"cannot connect to LLM endpoint {url}{after}"
        if failure.kind == "broken":
            return f"LLM endpoint {url} failed: connection broke ({failure.detail}){after}"
        if failure.kind == "incomplete":
            return f"LLM endpoint {url} failed: stream ended before the answer finished{after}"
        if failure.kind == "bad_response":
            return f"LLM endpoint {url} sent an unusable response: {failure.detail}"
        status = failure.status
        if status is not None and (status == 429 or status >= 500):
            return f"LLM endpoint {url} failed: HTTP {status}{after}"
        if status in (401, 403):
            key = self.api_key_env
            return f"LLM endpoint {url} rejected the API key (HTTP {status}): check ${key}"
        detail = f": {failure.detail}" if failure.detail else ""
        hint = f" (is model {self.model!r} available there?)" if status == 404 else ""
        return f"LLM endpoint {url} refused the request: HTTP {status}{detail}{hint}"
