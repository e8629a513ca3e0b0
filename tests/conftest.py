"""Shared fixtures: sample papers, stores (embedded and a real `chroma run` server)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.fake_openai_server import fake_openai_server  # noqa: F401 - a fixture for all

PROVIDER_PREFIXES = ("ASSISTANT_", "OPENAI_", "CHROMA_")
"""Settings (ours), the OpenAI client's endpoint, key, organisation and project, and the
variables chromadb reads into its own settings."""
PROXIES = ("http_proxy", "https_proxy", "all_proxy")
"""Tests talk to 127.0.0.1 only (fake endpoints, a Chroma server): never through a proxy."""


def provider_variables(names: Iterable[str]) -> list[str]:
    """The variable ``names`` that would let a developer's setup leak into a test: the
    prefixes above, proxies, and every variable the settings name by default for a key or
    token (``llm.api_key_env``, ``embedding.api_key_env``, ``store.auth_token_env``)."""
    from assistant.config import EmbeddingSettings, LLMSettings, StoreSettings

    named = {EmbeddingSettings().api_key_env, LLMSettings().api_key_env,
             StoreSettings().auth_token_env} - {""}
    return [n for n in names
            if n.upper().startswith(PROVIDER_PREFIXES) or n.lower() in PROXIES or n in named]


os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
for _name in provider_variables(list(os.environ)):
    del os.environ[_name]  # tests must not pick up a developer's settings, keys or endpoints
os.environ["ANONYMIZED_TELEMETRY"] = "False"

ROOT = Path(__file__).resolve().parent.parent
PAPERS = ROOT / "examples" / "papers"
LISTINGS = PAPERS / "daily-papers"
PDFS = PAPERS / "pdfs"


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path, monkeypatch):
    """No test reads ./config.toml or ./store from the repo."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory) -> str:
    """A real Chroma server on 127.0.0.1: $TEST_CHROMA_URL if .ci/run started one, else ours."""
    url = os.environ.get("TEST_CHROMA_URL")
    if url:
        yield url
        return
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        pytest.fail("the chroma command is missing: run `make install`")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = open(data / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma server did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


# -- embedding cache: the real model, each distinct text embedded once per session ---------------
class SessionEmbedder:
    """The real embedding model (the configured default), loaded once and remembering vectors
    by text: tests ingest the same sample papers into several stores (embedded and server),
    and the model is the slow part."""

    def __init__(self) -> None:
        from assistant.config import EmbeddingSettings
        from assistant.library.embedding import make_embedder

        self.real = make_embedder(EmbeddingSettings())
        self.name, self.dim = self.real.name, self.real.dim
        self.vectors: dict[str, object] = {}

    @property
    def tokenizer(self):
        return self.real.tokenizer

    def embed(self, texts: list[str]):
        import numpy as np

        todo = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if todo:
            self.vectors.update(zip(todo, self.real.embed(todo), strict=True))
        if not texts:
            return self.real.embed(texts)
        return np.stack([self.vectors[t] for t in texts])


_SESSION: list[SessionEmbedder] = []


def session_embedder() -> SessionEmbedder:
    """The session's caching embedder, for ``Assistant(embedder=...)``."""
    if not _SESSION:
        _SESSION.append(SessionEmbedder())
    return _SESSION[0]


# -- stores: embedded and server ------------------------------------------------------------------
SERVER_MODULES = {"test_ask", "test_extractive", "test_library", "test_retrieval"}
"""Modules whose ``sample_library`` tests also run against a Chroma server store (tests marked
``slow``, the local model's, run on the embedded store only)."""


def pytest_collection_modifyitems(config, items):
    """Run the server-store variant of ``sample_library`` only for the store and ask suites."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        kind = callspec.params.get("sample_library") if callspec else None
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if kind == "server" and (module not in SERVER_MODULES or item.get_closest_marker("slow")):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=["embedded", "server"])
def store_kind(request) -> str:
    return request.param


@pytest.fixture
def make_assistant(tmp_path, store_kind, request):
    """Build Assistants on a fresh library of the parametrized kind (embedded or server)."""
    from assistant import Assistant

    name = "t" + uuid.uuid4().hex[:10]
    made = []

    def make(**kwargs):
        env_store = {"path": str(tmp_path / "store"), "name": name}
        if store_kind == "server":
            env_store["url"] = request.getfixturevalue("chroma_url")
        from assistant.config import load_settings

        settings = load_settings(None, store=env_store, **kwargs)
        a = Assistant(settings=settings, embedder=session_embedder())
        made.append(a)
        return a

    yield make
    for a in made:
        a.close()


@pytest.fixture(scope="session", params=["embedded", "server"])
def sample_library(request, tmp_path_factory):
    """One library holding the whole sample corpus, built once per session and store kind.

    The server variant sets ASSISTANT_STORE_URL and ASSISTANT_STORE_NAME while each test runs
    (see ``_sample_library_env``), so Assistants and CLI runs on its store_dir reach it too.
    """
    from assistant import Assistant
    from assistant.config import load_settings

    folder = tmp_path_factory.mktemp(f"sample-store-{request.param}")
    store = {"path": str(folder / "store")}
    if request.param == "server":
        store |= {"url": request.getfixturevalue("chroma_url"),
                  "name": "sample" + uuid.uuid4().hex[:8]}
    with pytest.MonkeyPatch.context() as mp:  # its cache folder: not the user's
        mp.setenv("XDG_CACHE_HOME", str(folder / "xdg-cache"))
        a = Assistant(settings=load_settings(None, store=store), embedder=session_embedder())
        report = a.ingest([PAPERS])
    assert not report.failed, report.failed
    return a


@pytest.fixture(autouse=True)
def _sample_library_env(request, monkeypatch):
    """Point the environment at the server-store sample library while a test uses it."""
    if "sample_library" not in request.fixturenames:
        return
    library = request.getfixturevalue("sample_library")
    if library.settings.store.url:
        monkeypatch.setenv("ASSISTANT_STORE_URL", library.settings.store.url)
        monkeypatch.setenv("ASSISTANT_STORE_NAME", library.settings.store.name)
