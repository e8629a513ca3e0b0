"""The ``openai`` engine: any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .llm import LLMEngine

if TYPE_CHECKING:
    from ..llm import ChatClient

__all__ = ["OpenAIEngine"]


class OpenAIEngine(LLMEngine):
    """Answers, summaries and comparisons written by the configured endpoint's model."""

    name = "openai"

    def make_chat(self) -> ChatClient:
        from ..llm import OpenAIChat

        s = self.settings
        return OpenAIChat(s.base_url or None, s.model, api_key_env=s.api_key_env,
                          timeout=s.timeout, max_retries=s.max_retries,
                          temperature=s.temperature, max_tokens=s.max_tokens)
