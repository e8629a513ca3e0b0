"""Chroma clients for a store: embedded in a folder, or a server at ``store.url`` with its
auth token; the store's three collections; where a store's locks live; failures as one line."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AssistantError, ConfigError, StoreError, StoreMismatchError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from ..config import Settings

_READ_PAGE = 5000


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


@contextlib.contextmanager
def translated(settings: Settings, where: str, what: str = "the store at") -> Iterator[None]:
    """Chroma and connection failures become one StoreError naming the store ``where``."""
    import httpx
    from chromadb.errors import ChromaError

    try:
        yield
    except AssistantError:
        raise
    except (httpx.TransportError, ConnectionError) as exc:
        raise StoreError(f"cannot reach the Chroma server at {where}: {reason(exc)}") from None
    except Exception as exc:
        # chromadb's HTTP client raises a bare Exception for server errors it has no class for
        server = settings.store.url and type(exc) is Exception
        if server or isinstance(exc, ChromaError | httpx.HTTPError | OSError | ValueError):
            if settings.store.url:
                raise server_error(settings, exc, what + " {url} failed") from None
            raise StoreError(f"{what} {where} failed: {reason(exc)}") from None
        raise


class Collections:
    """A store's Chroma client and its collections: ``papers``, ``chunks`` and ``files``.

    The chunks collection's metadata carries the store's ``signature`` (embedding model, chunk
    settings), checked on every open, and its ``revision``. Callers hold the data lock.
    """

    def __init__(self, settings: Settings, folder: Path, signature: dict[str, Any]) -> None:
        self.settings = settings
        self.folder = folder
        self.signature = signature
        self.names = collection_names(settings)
        self.where = settings.store.url or str(folder)
        self._client: ClientAPI | None = None
        # Typed Any: chromadb types every result field Optional (it is there only when asked
        # for in ``include``) and its embedding types refuse the plain lists it accepts.
        self._open: dict[str, Any] = {}

    @property
    def client(self) -> ClientAPI:
        if self._client is None:
            raise StoreError(f"the store at {self.where} is not open")
        return self._client

    @property
    def papers(self) -> Any:
        return self._open["papers"]

    @property
    def chunks(self) -> Any:
        return self._open["chunks"]

    @property
    def files(self) -> Any:
        return self._open["files"]

    def has(self, *kinds: str) -> bool:
        """Are these collections open (they existed or were created)?"""
        return all(kind in self._open for kind in kinds)

    def drop(self) -> None:
        """Delete the collections (those that exist)."""
        for name in self.names.values():
            with contextlib.suppress(Exception):  # already gone
                self.client.delete_collection(name)
        self._open.clear()

    def connect(self) -> list[str]:
        """Open the existing collections; returns the kinds still to create. An embedded
        store gets a fresh client each time (a loaded one misses other processes' writes)."""
        if self._client is None or not self.settings.store.url:
            self._client = client(self.settings, self.folder, fresh=True)
        existing = {getattr(c, "name", c) for c in self.client.list_collections()}
        missing = []
        for kind, name in self.names.items():
            if name in existing:
                self._open[kind] = self.client.get_collection(name, embedding_function=None)
            else:
                missing.append(kind)
        if "chunks" not in missing:
            self.check_signature(self.chunks.metadata or {})
        return missing

    def create(self, kinds: list[str], schema: int) -> None:
        """Create the collections ``kinds`` (the chunks one with the signature)."""
        for kind in kinds:
            meta: dict[str, Any] = {"schema": schema}
            if kind == "chunks":
                meta = {**self.signature, "revision": uuid.uuid4().hex}
            # File records carry no meaning as vectors; Chroma needs one, so each gets [1.0].
            self._open[kind] = self.client.create_collection(
                self.names[kind],
                embedding_function=None,
                metadata=meta,
                configuration={"hnsw": {"space": "cosine"}},
                get_or_create=True,
            )
        self.check_signature(self.chunks.metadata or {})

    def check_signature(self, meta: dict[str, Any]) -> None:
        """Refuse a store built with another embedding model or chunk settings."""
        stored = {k: meta.get(k) for k in self.signature}
        if meta.get("embedding") is None:
            return
        # An endpoint's dimension is known only after its first call (0 before): the model
        # name then stands for it.
        differ = [k for k in self.signature if stored[k] != self.signature[k]
                  and not (k == "dim" and 0 in (stored[k], self.signature[k]))]
        if not differ:
            return
        diffs = ", ".join(
            f"{k}: store has {stored[k]!r}, settings say {self.signature[k]!r}" for k in differ
        )
        raise StoreMismatchError(
            f"the store was built with other settings ({diffs}); run `assistant reindex`"
        )

    # -- the revision --------------------------------------------------------------------------
    def revision(self) -> str:
        """The revision in the chunks collection's metadata as last fetched."""
        return str((self.chunks.metadata or {}).get("revision", ""))

    def fetch_revision(self) -> str:
        """The revision as it is now (fetches the chunks collection again)."""
        self._open["chunks"] = self.client.get_collection(self.names["chunks"],
                                                          embedding_function=None)
        return self.revision()

    def new_revision(self) -> str:
        """Set and return a new revision."""
        meta = dict(self.chunks.metadata or {})
        meta["revision"] = uuid.uuid4().hex
        self.chunks.modify(metadata=meta)
        return str(meta["revision"])

    # -- bulk reads ----------------------------------------------------------------------------
    def complete_papers(self) -> dict[str, dict[str, Any]]:
        """Metadata of the complete papers (slow: ~0.2 ms a paper, embedded)."""
        got = self.papers.get(where={"complete": True}, include=["metadatas"])
        return {pid: dict(m) for pid, m in zip(got["ids"], got["metadatas"], strict=True)}

    def iter_chunks(self) -> Iterator[tuple[str, str | None, Mapping[str, Any]]]:
        """Every chunk: id, text and metadata, a page at a time."""
        total = self.chunks.count()
        for offset in range(0, total, _READ_PAGE):
            got = self.chunks.get(include=["documents", "metadatas"], limit=_READ_PAGE,
                                  offset=offset)
            yield from zip(got["ids"], got["documents"], got["metadatas"], strict=True)
