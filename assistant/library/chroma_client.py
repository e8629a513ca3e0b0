"""Chroma clients for a store: embedded in a folder, or a server at ``store.url`` with its
auth token; where a store's locks live; failures as one line."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, StoreError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from ..config import Settings


def server_cache(settings: Settings) -> Path:
    """This machine's cache folder for a server library (keyword index, locks)."""
    from hashlib import sha1

    from platformdirs import user_cache_dir

    key = sha1(f"{settings.store.url}#{settings.store.name}".encode()).hexdigest()[:12]
    return Path(user_cache_dir("paper-assistant")) / "server" / key


def lock_folder(settings: Settings, folder: Path) -> Path:
    """Where the store's locks live: the store folder, or a server store's cache folder."""
    return server_cache(settings) if settings.store.url else Path(folder)


def reason(exc: BaseException) -> str:
    """The first line of an exception's message, at most 200 characters (a time-out names the
    setting that bounds it)."""
    kind = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else kind
    if kind == "ConnectTimeout":
        return "no connection within store.connect_timeout"
    if kind in ("ReadTimeout", "WriteTimeout", "PoolTimeout"):
        return "no answer within store.read_timeout"
    if text == "timed out":  # chromadb re-raises some time-outs as ValueError("timed out")
        return "timed out (store.connect_timeout / store.read_timeout)"
    return text[:200]


# chromadb's HTTP client makes its httpx session with timeout=None (a server that accepts and
# never answers hangs every call, even the ones made while the client is built), and has no
# setting for it; so its constructor is wrapped once to give each new session the time limits
# of the store being opened (measured: `papers` against such a server hung 300 s and more).
_timeouts_lock = threading.Lock()
_next_timeout: Any = None


def _install_timeouts() -> None:
    from chromadb.api.fastapi import FastAPI

    if getattr(FastAPI, "_assistant_timeouts", False):
        return
    original = FastAPI.__init__

    def __init__(self: Any, system: Any) -> None:
        original(self, system)
        if _next_timeout is not None:
            self._session.timeout = _next_timeout

    FastAPI.__init__ = __init__  # type: ignore[method-assign]
    FastAPI._assistant_timeouts = True  # type: ignore[attr-defined]


def client(settings: Settings, folder: Path, fresh: bool = False) -> ClientAPI:
    """A Chroma client: embedded in ``folder``, or for the server at ``store.url``.

    ``fresh``: a new embedded client even if this process has one, which may be stale: an
    embedded client does not see vectors that other processes (or clients) wrote since it
    loaded them.
    """
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    url = settings.store.url
    if not url:
        folder.mkdir(parents=True, exist_ok=True)
        if fresh:
            forget_client(folder)
        return chromadb.PersistentClient(
            path=str(folder / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
        )
    from urllib.parse import urlparse

    parsed = urlparse(url)
    options: dict[str, Any] = {"anonymized_telemetry": False}
    env = settings.store.auth_token_env
    if env:
        token = os.environ.get(env, "")
        if not token:
            raise ConfigError(f"store.auth_token_env names {env}, which is not set")
        # Chroma's own token provider: "Authorization: Bearer <token>".
        options["chroma_client_auth_provider"] = "chromadb.auth.token_authn.TokenAuthClientProvider"
        options["chroma_client_auth_credentials"] = token
    import httpx

    global _next_timeout
    limits = settings.store
    try:
        with _timeouts_lock:
            _install_timeouts()
            _next_timeout = httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout)
            try:
                return chromadb.HttpClient(
                    host=parsed.hostname or "127.0.0.1",
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=ChromaSettings(**options),
                )
            finally:
                _next_timeout = None
    except Exception as exc:  # chromadb raises plain ValueError when it cannot connect
        raise server_error(settings, exc, "cannot reach the Chroma server at {url}") from None


_REFUSED = re.compile(r"\b40[13]\b|unauthori[sz]ed|forbidden|permission", re.IGNORECASE)


def server_error(settings: Settings, exc: BaseException, what: str) -> StoreError:
    """One line for a failed call to a Chroma server (``what`` names ``{url}``); says so when
    the server refused the token."""
    text = reason(exc)
    url = settings.store.url
    if _REFUSED.search(text):
        env = settings.store.auth_token_env
        hint = f"check ${env}" if env else "set store.auth_token_env to the variable holding it"
        return StoreError(f"the Chroma server at {url} refused the token ({hint}): {text}")
    return StoreError(f"{what.format(url=url)}: {text}")


def forget_client(folder: Path) -> None:
    """Drop this process's cached embedded client of ``folder``, so the next one reloads it."""
    from chromadb.api.shared_system_client import SharedSystemClient

    key = str(folder / "chroma")
    SharedSystemClient._identifier_to_system.pop(key, None)
    SharedSystemClient._identifier_to_refcount.pop(key, None)


def collection_names(settings: Settings) -> dict[str, str]:
    """The library's three Chroma collections."""
    return {kind: f"{settings.store.name}-{kind}" for kind in ("papers", "chunks", "files")}
