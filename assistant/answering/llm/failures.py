"""Classify transport and HTTP failures of an LLM call: retry or give up, and with which words."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

__all__ = ["Failure", "StreamIncomplete", "backoff_delay", "classify"]

Kind = Literal["timeout", "connect", "broken", "incomplete", "status", "bad_response"]

_MAX_DELAY = 30.0


class StreamIncomplete(Exception):
    """The stream ended without a finish_reason (or ``[DONE]``): the answer is cut short."""


@dataclass(frozen=True)
class Failure:
    """What went wrong with one attempt."""

    kind: Kind
    retryable: bool
    detail: str = ""
    status: int | None = None
    retry_after: float | None = None


def classify(exc: BaseException) -> Failure | None:
    """Map an exception from openai/httpx to a :class:`Failure`; None for anything else (bugs)."""
    import httpx
    import openai

    if isinstance(exc, StreamIncomplete):
        return Failure("incomplete", True, "stream ended without finish_reason")
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return Failure("timeout", True)
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        if isinstance(cause, httpx.TimeoutException):
            return Failure("timeout", True)
        if isinstance(cause, httpx.ConnectError) or cause is None:
            return Failure("connect", True, _short(cause))
        return Failure("broken", True, _short(cause))
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        return Failure(
            "status",
            code == 429 or code >= 500,
            _server_message(exc),
            status=code,
            retry_after=_retry_after(exc.response.headers.get("retry-after")),
        )
    if isinstance(exc, httpx.TransportError):
        return Failure("broken", True, _short(exc))
    if isinstance(exc, openai.APIError):  # an error event inside a stream, a malformed body
        return Failure("bad_response", False, _short(exc))
    if isinstance(exc, json.JSONDecodeError):
        return Failure("bad_response", False, "response is not valid JSON")
    return None


def backoff_delay(attempt: int, base: float, failure: Failure) -> float:
    """Exponential delay before retry number ``attempt + 1``; honours a short Retry-After."""
    delay = base * (2**attempt)
    if failure.retry_after is not None:
        delay = max(delay, failure.retry_after)
    return min(delay, _MAX_DELAY)


def _short(exc: BaseException | None, limit: int = 200) -> str:
    if exc is None:
        return ""
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:limit]


def _server_message(exc: object) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
        if isinstance(message, str) and message.strip():
            return " ".join(message.split())[:200]
    return ""


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None
