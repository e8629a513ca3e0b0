"""The table of answer engines: names, where their classes live, one line each. Importing it
costs nothing (it imports no engine), so the CLI, the config and the app can list names."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Protocol

from ...errors import ConfigError

__all__ = ["AUTO", "Registration", "engine_names", "register", "registration",
           "resolve_engine"]

AUTO = "auto"


class EngineChoice(Protocol):
    """The settings that choose an engine (``[llm]`` in the config)."""

    engine: str
    base_url: str
    api_key_env: str


@dataclass(frozen=True, slots=True)
class Registration:
    """An engine's name, where its class lives and one line about it."""

    name: str
    target: str
    """``module:Class``; a relative module is under :mod:`assistant.answering.engines`."""
    summary: str

    def load(self) -> Any:
        """The engine class (imported now)."""
        module, _, cls = self.target.partition(":")
        return getattr(import_module(module, __package__), cls)


_REGISTRY: dict[str, Registration] = {}


def register(name: str, target: str, summary: str) -> None:
    """Add an engine: ``target`` is ``module:Class``, the class taking ``(settings)``."""
    _REGISTRY[name] = Registration(name, target, summary)


register("extractive", ".extractive:ExtractiveEngine",
         "verbatim cited sentences of the papers (no LLM)")
register("local", ".local:LocalEngine", "the bundled small model, served on 127.0.0.1")
register("openai", ".openai:OpenAIEngine", "any OpenAI-compatible endpoint")


def engine_names(*, auto: bool = True) -> tuple[str, ...]:
    """The registered engines (with ``auto`` first unless ``auto=False``)."""
    return ((AUTO,) if auto else ()) + tuple(_REGISTRY)


def registration(name: str) -> Registration:
    """The registration of ``name``; a ConfigError listing the engines when unknown."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown engine '{name}': choose one of {', '.join(engine_names())}")
    return _REGISTRY[name]


def resolve_engine(settings: EngineChoice, requested: str | None = None) -> str:
    """The engine a call uses: the request, else the config; ``auto`` is openai when an
    endpoint or key is configured, else extractive (the offline default)."""
    name = requested or settings.engine
    if name == AUTO:
        configured = settings.base_url or os.environ.get("OPENAI_BASE_URL")
        has_key = bool(os.environ.get(settings.api_key_env))
        return "openai" if configured or has_key else "extractive"
    return registration(name).name
