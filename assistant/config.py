"""One typed settings object, read from a TOML file and ASSISTANT_* environment variables.

Precedence (highest first): explicit overrides (CLI flags, API arguments), environment,
TOML file, defaults. Environment names are ``ASSISTANT_<SECTION>_<FIELD>`` (for example
``ASSISTANT_LLM_MODEL``), plus the short forms ``ASSISTANT_STORE`` (the store path) and
``ASSISTANT_STORE_URL``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .errors import ConfigError

ENV_PREFIX = "ASSISTANT_"
CONFIG_LIMIT = 1_000_000
"""Largest config file read (bytes): a config is a few hundred bytes; /dev/zero is endless."""


def read_user_file(path: str | Path, limit: int, what: str = "file") -> str:
    """A small UTF-8 file the user named (a config, a question file), read at most ``limit``
    bytes; ConfigError naming the file and the reason otherwise."""
    import stat

    try:
        with open(path, "rb") as fh:
            if stat.S_ISDIR(os.fstat(fh.fileno()).st_mode):
                raise IsADirectoryError
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: {what} is a directory") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {(exc.strerror or str(exc)).lower()}"
                          ) from None
    if len(data) > limit:
        raise ConfigError(f"{path}: {what} too large (over {limit:,} bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: {what} is not UTF-8 text (byte {exc.start})") from None


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class StoreSettings(Section):
    path: str = ""
    """Folder of the embedded library (Chroma + keyword index). Empty: ./store if it exists,
    else the user data dir."""
    url: str = ""
    """URL of a Chroma server (e.g. http://127.0.0.1:8000). Set it to use server mode."""
    name: str = Field("library", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,60}$")
    """Library name: its collections are <name>-papers, <name>-chunks and <name>-files, so
    several libraries can share one Chroma server."""
    auth_token_env: str = ""
    """Name of the environment variable holding the Chroma server's auth token (optional)."""
    max_file_mb: float = Field(100.0, gt=0, le=100_000, allow_inf_nan=False)
    """Files larger than this many megabytes are refused at ingest."""
    connect_timeout: float = Field(5.0, gt=0, le=600, allow_inf_nan=False)
    """Seconds to wait for a Chroma server to accept a connection."""
    read_timeout: float = Field(30.0, gt=0, le=3600, allow_inf_nan=False)
    """Seconds to wait for a Chroma server's reply to one request."""


class EmbeddingSettings(Section):
    provider: Literal["onnx", "openai"] = "onnx"
    """onnx: the bundled offline all-MiniLM-L6-v2; openai: an OpenAI-compatible /embeddings
    API."""
    model: str = "all-MiniLM-L6-v2"
    """Model name (for provider openai, the endpoint's name, e.g. text-embedding-3-small)."""
    base_url: str = ""
    """Endpoint for provider openai (empty: OPENAI_BASE_URL or api.openai.com)."""
    api_key_env: str = "OPENAI_API_KEY"
    """Name of the environment variable holding the embedding API key."""
    batch_size: int = Field(8, ge=1, le=1024)
    """Texts embedded per model call (8 measured fastest on 2 cores, and 1/3 of 32's memory)."""
    threads: int = Field(0, ge=0, le=1024)
    """ONNX Runtime threads (0: one per core)."""


class ChunkingSettings(Section):
    max_tokens: int = Field(254, ge=32, le=254)
    """Largest chunk, in the embedding model's own tokens (the model reads at most 256)."""
    overlap: int = Field(24, ge=0, le=128)
    """Tokens shared by neighbouring chunks."""


class LLMSettings(Section):
    engine: str = "auto"
    """Answer engine (a registered name: extractive, local, openai), or auto: openai when
    base_url or an API key is configured, else extractive."""
    base_url: str = ""
    """OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp). Empty: OPENAI_BASE_URL."""
    model: str = "gpt-4o-mini"
    """Model name sent to the endpoint."""
    api_key_env: str = "OPENAI_API_KEY"
    """Name of the environment variable holding the key. The key itself is never stored."""
    timeout: float = Field(60.0, gt=0, le=3600, allow_inf_nan=False)
    """Seconds to wait for the endpoint before giving up on a request."""
    max_retries: int = Field(3, ge=0, le=10)
    """Retries on connection errors, 429 and 5xx, with exponential backoff."""
    temperature: float = Field(0.0, ge=0, le=2, allow_inf_nan=False)
    """Sampling temperature."""
    max_tokens: int = Field(800, ge=16, le=1_000_000)
    """Longest answer, in tokens."""

    @field_validator("engine")
    @classmethod
    def _registered(cls, name: str) -> str:
        from .answering.engines.registry import engine_names

        if name not in engine_names():
            raise ValueError(f"unknown engine '{name}': choose one of {', '.join(engine_names())}")
        return name


class RetrievalSettings(Section):
    top_k: int = Field(8, ge=1, le=100)
    """Passages given to the answer engine."""
    per_paper: int = Field(3, ge=1, le=100)
    """At most this many passages from one paper."""
    candidates: int = Field(50, ge=5, le=10_000)
    """Candidates taken from each of dense and keyword search before fusion."""
    min_relevance: float = Field(0.0, ge=-1, le=1, allow_inf_nan=False)
    """Abstain when the best passage scores below this (0: use the measured default)."""


class UISettings(Section):
    keys: dict[str, str] = Field(default_factory=dict)
    """Key binding overrides for the chat app: binding id -> keys,
    e.g. {cancel = "escape,ctrl+c"}."""
    theme: str = "textual-dark"
    """Textual theme name."""
    export_dir: str = ""
    """Folder the chat app's /export writes conversations to (empty: <documents>/paper-assistant
    when there is a documents folder, else exports/ in the user data dir)."""


class Settings(BaseSettings):
    """Everything configurable. Every field is documented in config.example.toml."""

    model_config = SettingsConfigDict(extra="forbid", use_attribute_docstrings=True)

    store: StoreSettings = Field(default_factory=StoreSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    ui: UISettings = Field(default_factory=UISettings)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, *_: Any, **__: Any):
        return (init_settings, EnvSource(settings_cls), TomlSource(settings_cls))


class TomlSource(PydanticBaseSettingsSource):
    """The TOML file named by the ``_config_file`` class attribute set in :func:`load_settings`."""

    path: Path | None = None

    def get_field_value(self, field, field_name):  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        text = read_user_file(self.path, CONFIG_LIMIT, "config file")
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{self.path}: invalid TOML: {exc}") from None


class EnvSource(PydanticBaseSettingsSource):
    """ASSISTANT_<SECTION>_<FIELD> variables, plus ASSISTANT_STORE for the store path."""

    def get_field_value(self, field, field_name):  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, dict[str, Any]] = {}
        sections = Settings.model_fields
        for name, value in os.environ.items():
            if not name.startswith(ENV_PREFIX):
                continue
            key = name[len(ENV_PREFIX) :].lower()
            if key == "store":
                found.setdefault("store", {})["path"] = value
                continue
            section, _, field = key.partition("_")
            model = sections[section].annotation if section in sections else None
            if model is None or field not in model.model_fields:  # type: ignore[union-attr]
                known = "ASSISTANT_STORE or ASSISTANT_<SECTION>_<KEY> (see config.example.toml)"
                raise ConfigError(f"environment variable {name}: no such setting; use {known}")
            found.setdefault(section, {})[field] = value
        return found


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Read settings from ``config_file`` (else ./config.toml or the user file) and the env.

    ``overrides`` are section dicts, e.g. ``store={"path": "x"}``; they win over everything.
    """
    from .paths import default_config_file

    TomlSource.path = Path(config_file) if config_file else default_config_file()
    try:
        return Settings(**{k: v for k, v in overrides.items() if v})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, TomlSource.path)) from None


def _describe(exc: ValidationError, path: Path | None) -> str:
    """One line per problem, naming the key."""
    where = f"{path}: " if path else ""
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            parts.append(f"{where}unknown setting '{key}'")
        else:
            parts.append(f"{where}{key}: {err['msg']}")
    return "; ".join(parts)
