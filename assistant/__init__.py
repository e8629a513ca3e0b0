"""A paper reading assistant: ingest papers, ask cited questions, summarize and compare.

The public API. Names load on first access, so ``import assistant`` (and ``--help``) is instant.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import Assistant
    from .errors import (
        AssistantError,
        ConfigError,
        IngestError,
        LLMError,
        PromptError,
        RefError,
        StoreError,
        StoreMismatchError,
    )
    from .types import Answer, Citation, IngestReport, Paper, Passage, Sentence

_WHERE = {
    "Assistant": "api",
    **dict.fromkeys(
        [
            "AssistantError",
            "ConfigError",
            "IngestError",
            "LLMError",
            "PromptError",
            "RefError",
            "StoreError",
            "StoreMismatchError",
        ],
        "errors",
    ),
    **dict.fromkeys(
        ["Answer", "Citation", "IngestReport", "Paper", "Passage", "Sentence"], "types"
    ),
}
__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "ConfigError",
    "IngestError",
    "IngestReport",
    "LLMError",
    "Paper",
    "Passage",
    "PromptError",
    "RefError",
    "Sentence",
    "StoreError",
    "StoreMismatchError",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
