"""Answer engines: any OpenAI-compatible endpoint, or the bundled small model served locally.

Importing this package is cheap: ``openai`` and ``xllamacpp`` load on first use.
"""

from assistant.llm.base import ChatEngine, Message
from assistant.llm.local import LocalEngine
from assistant.llm.openai_engine import OpenAIEngine

__all__ = ["ChatEngine", "LocalEngine", "Message", "OpenAIEngine"]
