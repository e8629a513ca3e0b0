"""Chat clients: any OpenAI-compatible endpoint, or the bundled small model served locally.

Importing this package is cheap: ``openai`` and ``xllamacpp`` load on first use.
"""

from assistant.answering.llm.base import ChatClient, Message, Outcome
from assistant.answering.llm.local_chat import LocalChat
from assistant.answering.llm.openai_chat import OpenAIChat

__all__ = ["ChatClient", "LocalChat", "Message", "OpenAIChat", "Outcome"]
