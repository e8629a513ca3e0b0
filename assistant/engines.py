"""Which answer engine to use, and building it from the settings."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    from .config import LLMSettings
    from .llm import ChatEngine

ENGINES = ("extractive", "local", "openai")


def choose_engine(settings: LLMSettings, requested: str | None = None) -> str:
    """The engine name: the request, else the config; ``auto`` is openai when an endpoint or
    key is configured, else extractive (the offline default)."""
    name = requested or settings.engine
    if name == "auto":
        configured = settings.base_url or os.environ.get("OPENAI_BASE_URL")
        has_key = bool(os.environ.get(settings.api_key_env))
        return "openai" if configured or has_key else "extractive"
    if name not in ENGINES:
        raise ConfigError(f"unknown engine '{name}': choose one of {', '.join(ENGINES)}")
    return name


def make_chat_engine(name: str, settings: LLMSettings) -> ChatEngine:
    """A chat engine for ``local`` or ``openai``."""
    if name == "local":
        from .llm import LocalEngine

        return LocalEngine()
    from .llm import OpenAIEngine

    return OpenAIEngine(
        settings.base_url or None,
        settings.model,
        api_key_env=settings.api_key_env,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
    )
