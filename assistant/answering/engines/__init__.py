"""Answer engines, after simonw/llm's model registry: one module and one registration each
(:mod:`.registry`). Every list of engine names (CLI choices, the app's ``/engine``, the palette,
config validation) is read from the registry; ``auto`` is resolved there and nowhere else.
Registrations name the class by import path, so listing engines imports none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .registry import AUTO, engine_names, register, registration, resolve_engine

if TYPE_CHECKING:
    from ...config import LLMSettings
    from .base import AnswerEngine

__all__ = ["AUTO", "build_engine", "engine_names", "register", "registration", "resolve_engine"]


def build_engine(name: str, settings: LLMSettings) -> AnswerEngine:
    """A new engine of the registered class ``name``, configured from ``settings``."""
    engine: AnswerEngine = registration(name).load()(settings)
    return engine
