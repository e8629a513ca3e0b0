"""Server mode: the auth token as Chroma's client sends it, and a keyword index (with the paper
catalog) that follows the server's contents when other machines change them."""

from __future__ import annotations

import http.client
import logging
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest

from assistant import Assistant
from assistant.config import load_settings
from assistant.errors import ConfigError, StoreError
from tests.conftest import session_embedder
from tests.storecheck import driver_env, paper_files

TOKEN_ENV = "TEST_CHROMA_TOKEN"
NOTE = """# Graph Sparsification for Efficient Retrieval

The method, called quokkaspar, removes 80% of edges from citation graphs while keeping
retrieval accuracy within 1.5 points.
"""


class AuthProxy:
    """A reverse proxy in front of a real Chroma server that wants ``Authorization: Bearer``."""

    def __init__(self, upstream: str, token: str) -> None:
        self.upstream = urlparse(upstream)
        self.token = token
        self.seen: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                auth = self.headers.get("Authorization", "")
                proxy.seen.append(auth)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if auth != f"Bearer {proxy.token}":
                    data = b'{"error":"Unauthorized","message":"missing or bad token"}'
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port,
                                                  timeout=60)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "authorization", "connection")}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                reply = conn.getresponse()
                data = reply.read()
                self.send_response(reply.status)
                for k, v in reply.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(chroma_url) -> Iterator[AuthProxy]:
    p = AuthProxy(chroma_url, "tok-" + uuid.uuid4().hex)
    yield p
    p.close()


def server_assistant(url: str, tmp_path, name: str, **store) -> Assistant:
    settings = load_settings(None, store={"path": str(tmp_path / "store"), "url": url,
                                          "name": name, **store})
    return Assistant(settings=settings, embedder=session_embedder())


def test_the_token_from_the_environment_is_sent_the_way_chroma_expects(proxy, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, proxy.token)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "note.md").write_text(NOTE)
    name = "auth" + uuid.uuid4().hex[:8]
    a = server_assistant(proxy.url, tmp_path, name, auth_token_env=TOKEN_ENV)
    assert a.ingest([tmp_path / "p"]).papers_total == 1
    ans = a.ask("How many edges does quokkaspar remove?", llm="extractive")
    assert "80%" in ans.text
    assert proxy.seen and set(proxy.seen) == {f"Bearer {proxy.token}"}
    leaked = [p for p in tmp_path.rglob("*") if p.is_file() and proxy.token.encode()
              in p.read_bytes()]
    assert leaked == []


def test_a_missing_or_wrong_token_is_one_clear_error(proxy, tmp_path, monkeypatch):
    import subprocess
    import sys

    name = "auth" + uuid.uuid4().hex[:8]
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(ConfigError, match=f"{TOKEN_ENV}, which is not set"):
        server_assistant(proxy.url, tmp_path, name, auth_token_env=TOKEN_ENV).papers()
    monkeypatch.setenv(TOKEN_ENV, "wrong-token")
    with pytest.raises(StoreError, match=r"refused the token.*" + TOKEN_ENV):
        server_assistant(proxy.url, tmp_path, name, auth_token_env=TOKEN_ENV).papers()
    env = driver_env(ASSISTANT_STORE_URL=proxy.url, ASSISTANT_STORE_NAME=name,
                     ASSISTANT_STORE_AUTH_TOKEN_ENV=TOKEN_ENV, **{TOKEN_ENV: "wrong-token"})
    proc = subprocess.run([sys.executable, "-m", "assistant", "--store", str(tmp_path / "s"),
                           "papers"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 3 and proc.stderr.count("\n") == 1
    assert "refused the token" in proc.stderr and "wrong-token" not in proc.stderr


def test_the_keyword_index_follows_changes_made_from_another_machine(chroma_url, tmp_path,
                                                                     monkeypatch, caplog):
    """Two machines (two cache folders) on one server library."""
    name = "two" + uuid.uuid4().hex[:8]
    papers = tmp_path / "papers"
    paper_files(papers, 0, 3)
    (papers / "note.md").write_text(NOTE)

    def machine(label: str) -> Assistant:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / f"cache-{label}"))
        return server_assistant(chroma_url, tmp_path, name)

    a = machine("a")
    a.ingest([papers / "000.md", papers / "001.md"])
    b = machine("b")  # an empty cache: built from the server
    b.library.store.sync_keyword_index()
    assert len(b.papers()) == 2 and not b.library.store.keyword.search("quokkaspar", 3)

    a.ingest([papers])  # machine a adds two papers; b is still open
    hits = b.library.store.keyword.search("quokkaspar", 3)
    assert not hits  # nothing has asked b to look yet
    ans = b.ask("How many edges does quokkaspar remove?", llm="extractive")
    assert "80%" in ans.text and len(b.papers()) == 4
    assert b.library.store.keyword.search("quokkaspar", 3)

    a.remove("Graph Sparsification")
    assert len(b.papers()) == 3
    b.library.store.sync_keyword_index()
    assert not b.library.store.keyword.search("quokkaspar", 3)
    store = b.library.store
    assert sorted(store.keyword.ids) == sorted(store.chunks.get(include=[])["ids"])

    caplog.set_level(logging.INFO, logger="assistant")
    again = machine("b")  # b's cache is reused: no rebuild, only what changed
    again.library.store.sync_keyword_index()
    assert "rebuilding" not in caplog.text
    assert sorted(again.library.store.keyword.ids) == sorted(b.library.store.keyword.ids)
