"""A scriptable OpenAI-compatible HTTP server on 127.0.0.1 for engine tests.

Each POST /v1/chat/completions takes the next :class:`Reply` from the script (the last one
repeats), answering as JSON or as SSE depending on the request's ``"stream"`` flag. POST
/v1/embeddings takes one too: an error reply fails it, any other returns :func:`fake_vector`
of each input (as floats, or base64 float32 when the client asks, as the openai client does)::

    with FakeOpenAIServer() as server:
        server.script(error(429), answer("Hello", pieces=["Hel", "lo"]))
        engine = OpenAIChat(server.base_url, "fake-model")
        ...
        assert len(server.requests) == 2
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

__all__ = [
    "FakeOpenAIServer",
    "RecordedRequest",
    "Reply",
    "answer",
    "cut",
    "error",
    "fake_openai_server",
    "fake_vector",
    "hang",
    "truncated",
]

EMBEDDING_DIM = 64


@dataclass
class Reply:
    """How to answer one request."""

    text: str = "Hello from the fake server."
    pieces: list[str] | None = None  # stream chunks; default: one chunk per word
    status: int = 200
    message: str = ""  # error message when status != 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a hang when > client timeout)
    cut_after: int | None = None  # stream: stop after this many pieces, no finish_reason/[DONE]
    clean_eof: bool = False  # when cut: end the body properly instead of dropping the socket
    finish_reason: str = "stop"  # "length": the model hit max_tokens or the context was full
    piece_delay: float = 0.0  # stream: seconds between pieces (a model generating tokens)

    def stream_pieces(self) -> list[str]:
        if self.pieces is not None:
            return list(self.pieces)
        words = self.text.split(" ")
        return [w if i == 0 else " " + w for i, w in enumerate(words)]


def fake_vector(text: str, dim: int = EMBEDDING_DIM) -> list[float]:
    """A deterministic bag-of-words vector (each lowercased word hashed into a bucket), so
    texts that share words are near each other: enough for retrieval to find them."""
    vector = [0.0] * dim
    for word in re.findall(r"\w+", text.lower()):
        bucket = int.from_bytes(hashlib.sha1(word.encode()).digest()[:4], "little") % dim
        vector[bucket] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def answer(text: str = "Hello from the fake server.", pieces: list[str] | None = None) -> Reply:
    """A normal answer (streamed in ``pieces`` when the client streams)."""
    return Reply(text=text, pieces=pieces)


def error(status: int, message: str = "", retry_after: float | None = None) -> Reply:
    """An HTTP error with an OpenAI-style error body."""
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    return Reply(status=status, message=message or f"fake error {status}", headers=headers)


def truncated(text: str, pieces: list[str] | None = None) -> Reply:
    """An answer the server ended with finish_reason "length" (token limit, full context)."""
    return Reply(text=text, pieces=pieces, finish_reason="length")


def hang(seconds: float = 30.0) -> Reply:
    """Say nothing for ``seconds`` (ends early when the server stops)."""
    return Reply(delay=seconds)


def cut(pieces: list[str], after: int = 1, *, clean: bool = False) -> Reply:
    """Stream ``after`` pieces, then break off without finish_reason or ``[DONE]``."""
    return Reply(text="".join(pieces), pieces=pieces, cut_after=after, clean_eof=clean)


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any
    at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeOpenAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients dropping keep-alive connections is normal here; report anything else."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        fake = self.server.fake
        reply = fake.record_and_next(self, raw, body)
        route = self.path.rstrip("/").removeprefix("/v1")
        if route not in ("/chat/completions", "/embeddings"):
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        if reply.delay and fake.stopping.wait(reply.delay):
            return
        try:
            if reply.status != 200:
                self._send_json(reply.status, _error_body(reply), reply.headers)
            elif route == "/embeddings":
                self._send_json(200, _embeddings(body))
            elif isinstance(body, dict) and body.get("stream"):
                self._send_stream(reply, body)
            else:
                self._send_completion(reply, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): nothing to do

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_completion(self, reply: Reply, body: Any) -> None:
        if reply.cut_after is not None:  # promise a body, send half, drop the connection
            data = json.dumps(_completion(reply.text, body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        self._send_json(200, _completion(reply.text, body, reply.finish_reason))

    def _send_stream(self, reply: Reply, body: Any) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pieces = reply.stream_pieces()
        for i, piece in enumerate(pieces):
            if reply.cut_after is not None and i >= reply.cut_after:
                if reply.clean_eof:
                    self._chunk(b"")  # a proper end of body, but no finish_reason / [DONE]
                self.close_connection = True
                return
            delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
            if i and reply.piece_delay and self.server.fake.stopping.wait(reply.piece_delay):
                return
            self._event(_chunk_payload(body, delta, None))
        self._event(_chunk_payload(body, {}, reply.finish_reason))
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    def _event(self, payload: dict[str, Any]) -> None:
        self._chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def _model(body: Any) -> str:
    return str(body.get("model", "fake-model")) if isinstance(body, dict) else "fake-model"


def _completion(text: str, body: Any, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": _model(body),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _embeddings(body: Any) -> dict[str, Any]:
    inputs = body.get("input", []) if isinstance(body, dict) else []
    inputs = [inputs] if isinstance(inputs, str) else list(inputs)
    as_base64 = isinstance(body, dict) and body.get("encoding_format") == "base64"
    data = []
    for i, text in enumerate(inputs):
        vector: Any = fake_vector(str(text))
        if as_base64:
            vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": i, "embedding": vector})
    return {"object": "list", "data": data, "model": _model(body),
            "usage": {"prompt_tokens": 1, "total_tokens": 1}}


def _chunk_payload(body: Any, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": _model(body),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _error_body(reply: Reply) -> dict[str, Any]:
    kind = "rate_limit_error" if reply.status == 429 else "invalid_request_error"
    if reply.status >= 500:
        kind = "server_error"
    return {"error": {"message": reply.message, "type": kind, "code": reply.status}}


class FakeOpenAIServer:
    """Runs the fake endpoint in a thread; use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._replies: list[Reply] = [answer()]
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        """Set when the server stops: waiting handlers give up."""
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (what an OpenAI client takes as base_url)."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order; the last one repeats."""
        with self._lock:
            self._replies = list(replies) or [answer()]

    def start(self) -> FakeOpenAIServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # release hanging handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def record_and_next(self, handler: _Handler, raw: bytes, body: Any) -> Reply:
        """Record a request; the reply it gets."""
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    method=handler.command,
                    path=handler.path,
                    headers=dict(handler.headers.items()),
                    raw=raw,
                    body=body,
                    at=time.monotonic(),
                )
            )
            return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]


@pytest.fixture
def fake_openai_server() -> Iterator[FakeOpenAIServer]:
    """A running :class:`FakeOpenAIServer`, stopped after the test."""
    with FakeOpenAIServer() as server:
        yield server
