"""Shared fixtures: sample papers, stores (embedded and a real `chroma run` server)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
for _name in [n for n in os.environ if n.startswith("ASSISTANT_")]:
    del os.environ[_name]  # tests must not pick up a developer's settings

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
        a = Assistant(settings=settings)
        made.append(a)
        return a

    yield make
    for a in made:
        a.close()


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory):
    """One embedded library holding the whole sample corpus, built once per test session."""
    from assistant import Assistant

    folder = tmp_path_factory.mktemp("sample-store")
    a = Assistant(store=folder / "store")
    report = a.ingest([PAPERS])
    assert not report.failed, report.failed
    return a
