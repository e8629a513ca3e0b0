"""The contract every chat client fulfils (the answer engines local and openai talk through one)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol, runtime_checkable

__all__ = ["ChatClient", "Message"]

Message = dict[str, Any]
"""One OpenAI-style chat message: ``{"role": "system"|"user"|"assistant", "content": str}``."""


@runtime_checkable
class ChatClient(Protocol):
    """Turns OpenAI-style messages into answer text, whole or piece by piece.

    Every failure is raised as :class:`assistant.errors.LLMError` with one line of user text;
    a stream that breaks after text was yielded raises instead of ending quietly.
    """

    name: str
    """Short engine id: ``"openai"`` or ``"local"``."""
    description: str
    """One line for the UI, e.g. ``"openai: gpt-4o-mini @ https://api.openai.com/v1"``."""

    def complete(self, messages: list[Message], *, max_tokens: int | None = None) -> str:
        """Return the whole answer."""
        ...

    def stream(self, messages: list[Message], *, max_tokens: int | None = None) -> Iterator[str]:
        """Yield the answer in pieces as they arrive."""
        ...

    def astream(
        self, messages: list[Message], *, max_tokens: int | None = None
    ) -> AsyncIterator[str]:
        """Async twin of :meth:`stream` (implemented as an ``async def`` generator)."""
        ...

    def close(self) -> None:
        """Release connections and servers; safe to call twice."""
        ...
