"""The contract every chat client fulfils (the answer engines local and openai talk through one)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["ChatClient", "Message", "Outcome"]

Message = dict[str, Any]
"""One OpenAI-style chat message: ``{"role": "system"|"user"|"assistant", "content": str}``."""


@dataclass(slots=True)
class Outcome:
    """How one reply ended, filled in by the client when a call is given one."""

    finish_reason: str | None = None
    """The endpoint's finish_reason: ``stop``, ``length`` (token limit or context full)..."""
    looped: bool = False
    """The model started repeating itself; the client stopped reading there."""

    @property
    def complete(self) -> bool:
        """Did the model end the reply itself?"""
        return not self.looped and self.finish_reason != "length"

    @property
    def reason(self) -> str | None:
        """Why the reply is incomplete, in a few words for the reader; None when complete."""
        if self.looped:
            return "the model started repeating itself and was stopped"
        if self.finish_reason == "length":
            return "the model hit its length limit"
        return None


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

    def complete(self, messages: list[Message], *, max_tokens: int | None = None,
                 outcome: Outcome | None = None) -> str:
        """Return the whole answer; ``outcome`` (optional) learns how it ended."""
        ...

    def stream(self, messages: list[Message], *, max_tokens: int | None = None,
               outcome: Outcome | None = None) -> Iterator[str]:
        """Yield the answer in pieces as they arrive."""
        ...

    def astream(
        self, messages: list[Message], *, max_tokens: int | None = None,
        outcome: Outcome | None = None,
    ) -> AsyncIterator[str]:
        """Async twin of :meth:`stream` (implemented as an ``async def`` generator)."""
        ...

    def close(self) -> None:
        """Release connections and servers; safe to call twice."""
        ...
