"""Where an OpenAI-compatible endpoint lives and which key it gets (never shown to anyone)."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

from assistant.errors import LLMError

__all__ = [
    "DEFAULT_BASE_URL",
    "LOCAL_PLACEHOLDER_KEY",
    "display_url",
    "is_local_url",
    "redact",
    "resolve_api_key",
    "resolve_base_url",
    "short_model_name",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
LOCAL_PLACEHOLDER_KEY = "sk-no-key-required"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def resolve_base_url(base_url: str | None) -> str:
    """The explicit URL, else ``$OPENAI_BASE_URL``, else OpenAI's; without a trailing slash."""
    url = (base_url or os.environ.get("OPENAI_BASE_URL", "").strip() or DEFAULT_BASE_URL).strip()
    return url.rstrip("/")


def is_local_url(url: str) -> bool:
    """True when the URL points at this machine (localhost, 127.x.x.x, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in _LOCAL_HOSTS or host.startswith("127.")


def resolve_api_key(env_name: str, base_url: str) -> str:
    """Read the key from ``$env_name``; local endpoints get a placeholder when it is unset."""
    key = os.environ.get(env_name, "").strip()
    if key:
        return key
    if is_local_url(base_url):
        return LOCAL_PLACEHOLDER_KEY
    raise LLMError(f"no API key: set ${env_name}")


def display_url(url: str) -> str:
    """The URL without user info, query or fragment, safe to show and log."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def redact(text: str, secret: str | None) -> str:
    """Replace every occurrence of ``secret`` in ``text`` with ``***``."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return text


_QUANT = re.compile(r"[.-](?:I?Q\d\w*|[BF]16|F32|fp16|bf16)$", re.IGNORECASE)


def short_model_name(model: str) -> str:
    """A model name fit for a header: a GGUF path becomes its model's name
    (``/m/SmolLM2-135M-Instruct.Q4_1.gguf`` -> ``SmolLM2-135M-Instruct``); others, such as
    ``gpt-4o-mini`` or ``meta-llama/Llama-3-8B``, stay."""
    name = model.strip()
    if name.lower().endswith(".gguf") or name.startswith(("/", "~", ".", "\\")) or ":\\" in name:
        name = re.split(r"[\\/]", name.rstrip("/\\"))[-1]
        name = re.sub(r"\.gguf$", "", name, flags=re.IGNORECASE)
        name = _QUANT.sub("", name)
    return name or model
