"""One error tree. Edges (CLI, TUI) turn these into one line of user text."""

from __future__ import annotations

__all__ = [
    "AssistantError",
    "ConfigError",
    "IngestError",
    "StoreError",
    "StoreMismatchError",
    "EmbeddingError",
    "LLMError",
    "PromptError",
    "RefError",
]


class AssistantError(Exception):
    """Base of every error the assistant raises on purpose."""


class ConfigError(AssistantError):
    """The configuration file or environment is invalid."""


class IngestError(AssistantError):
    """A source file could not be read; names the file and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class StoreError(AssistantError):
    """The vector store or keyword index cannot be used."""


class StoreMismatchError(StoreError):
    """The store was built with other embedding or chunk settings."""


class EmbeddingError(AssistantError):
    """The embedding model cannot be loaded or called."""


class LLMError(AssistantError):
    """An answer engine failed (endpoint down, timeout, bad response)."""


class PromptError(AssistantError):
    """A prompt template is missing or has wrong variables."""


class RefError(AssistantError):
    """A paper reference is unknown or ambiguous."""

    def __init__(self, message: str, candidates: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []
