"""OpenAIChat against a real local HTTP server that misbehaves on request."""

from __future__ import annotations

import logging
import socket
import time
import traceback
from collections.abc import Iterator

import pytest

from assistant.answering.llm import ChatClient, OpenAIChat
from assistant.errors import LLMError
from tests.fake_openai_server import FakeOpenAIServer, answer, cut, error, hang

SECRET = "sk-test-S3CRET-do-not-leak-1234"
MESSAGES = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def engine_for(server: FakeOpenAIServer, **options: object) -> OpenAIChat:
    options.setdefault("retry_backoff", 0.01)
    return OpenAIChat(server.base_url, "fake-model", **options)  # type: ignore[arg-type]


def assert_no_secret(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc))
    assert SECRET not in text
    assert SECRET not in repr(exc)


def test_is_a_chat_engine(server: FakeOpenAIServer) -> None:
    engine = engine_for(server)
    assert isinstance(engine, ChatClient)
    assert engine.name == "openai"
    assert engine.description == f"openai: fake-model @ {server.base_url}"
    assert SECRET not in repr(engine) and SECRET not in engine.description


def test_complete_answers(server: FakeOpenAIServer) -> None:
    server.script(answer("Hello, reader."))
    engine = engine_for(server)
    assert engine.complete(MESSAGES) == "Hello, reader."
    assert engine.complete(MESSAGES, max_tokens=5) == "Hello, reader."
    first, second = (r.body for r in server.requests)
    assert first["model"] == "fake-model" and first["messages"] == MESSAGES
    assert first["temperature"] == 0.0 and first["max_tokens"] == 800
    assert not first.get("stream")
    assert second["max_tokens"] == 5
    engine.close()


def test_extra_body_is_sent(server: FakeOpenAIServer) -> None:
    engine = engine_for(server, extra_body={"repeat_penalty": 1.1, "stop": ["<|im_end|>"]})
    engine.complete(MESSAGES)
    body = server.requests[0].body
    assert body["repeat_penalty"] == 1.1 and body["stop"] == ["<|im_end|>"]


def test_stream_yields_pieces(server: FakeOpenAIServer) -> None:
    server.script(answer(pieces=["Hel", "lo", ", ", "reader."]))
    pieces = list(engine_for(server).stream(MESSAGES, max_tokens=7))
    assert pieces == ["Hel", "lo", ", ", "reader."]
    assert server.requests[0].body["stream"] is True
    assert server.requests[0].body["max_tokens"] == 7


def test_429_then_200_is_retried(server: FakeOpenAIServer) -> None:
    server.script(error(429), answer("after the rate limit"))
    assert engine_for(server).complete(MESSAGES) == "after the rate limit"
    assert len(server.requests) == 2


def test_stream_retried_before_first_token(server: FakeOpenAIServer) -> None:
    server.script(error(429), error(503), cut(["lost"], after=0), answer(pieces=["ok", "!"]))
    assert list(engine_for(server).stream(MESSAGES)) == ["ok", "!"]
    assert len(server.requests) == 4


def test_500_fails_after_retries_with_backoff(
    server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.script(error(500, message=f"boom {SECRET}"))
    engine = OpenAIChat(server.base_url, "fake-model", max_retries=3)  # default backoff 0.2 s
    with pytest.raises(LLMError) as info:
        engine.complete(MESSAGES)
    assert str(info.value) == f"LLM endpoint {server.base_url} failed: HTTP 500 after 3 retries"
    assert len(server.requests) == 4
    gaps = [b.at - a.at for a, b in zip(server.requests, server.requests[1:], strict=False)]
    assert gaps[0] >= 0.18 and gaps[1] >= 0.38 and gaps[2] >= 0.78  # 0.2, 0.4, 0.8 s
    assert_no_secret(info.value)
    assert "retry 3/3" in caplog.text and SECRET not in caplog.text


def test_retry_after_header_is_honoured(server: FakeOpenAIServer) -> None:
    server.script(error(429, retry_after=0.3), answer("ok"))
    assert engine_for(server).complete(MESSAGES) == "ok"
    assert server.requests[1].at - server.requests[0].at >= 0.28


def test_hang_times_out_quickly(server: FakeOpenAIServer) -> None:
    server.script(hang(30))
    engine = engine_for(server, timeout=1, max_retries=1)
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"timed out after 1s after 1 retry"):
        engine.complete(MESSAGES)
    assert time.monotonic() - started < 4
    assert len(server.requests) == 2


def test_stream_hang_times_out(server: FakeOpenAIServer) -> None:
    server.script(hang(30))
    engine = engine_for(server, timeout=1, max_retries=0)
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"^LLM endpoint .* timed out after 1s$"):
        list(engine.stream(MESSAGES))
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("clean", [False, True], ids=["socket-dropped", "eof-without-finish"])
def test_cut_stream_raises_and_is_not_retried(server: FakeOpenAIServer, clean: bool) -> None:
    server.script(cut(["The answer", " is", " forty"], after=2, clean=clean))
    received: list[str] = []
    with pytest.raises(LLMError, match="stream interrupted") as info:
        for piece in engine_for(server).stream(MESSAGES):
            received.append(piece)
    assert received == ["The answer", " is"]
    assert "incomplete" in str(info.value)
    assert len(server.requests) == 1  # text was already shown: no silent restart


def test_cut_non_stream_response_is_retried_then_fails(server: FakeOpenAIServer) -> None:
    server.script(cut(["never complete"], after=0))
    with pytest.raises(LLMError, match=r"connection broke .* after 2 retries"):
        engine_for(server, max_retries=2).complete(MESSAGES)
    assert len(server.requests) == 3


def test_401_is_not_retried_and_hides_the_key(server: FakeOpenAIServer) -> None:
    server.script(error(401, message=f"Incorrect API key provided: {SECRET}"))
    with pytest.raises(LLMError) as info:
        engine_for(server).complete(MESSAGES)
    assert str(info.value) == (
        f"LLM endpoint {server.base_url} rejected the API key (HTTP 401): check $OPENAI_API_KEY"
    )
    assert len(server.requests) == 1
    assert_no_secret(info.value)


def test_404_model_not_found_is_clear(server: FakeOpenAIServer) -> None:
    server.script(error(404, message="The model `fake-model` does not exist"))
    with pytest.raises(LLMError, match=r"HTTP 404: The model `fake-model` does not exist"):
        list(engine_for(server).stream(MESSAGES))
    assert len(server.requests) == 1


def test_cannot_connect() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = OpenAIChat(f"http://127.0.0.1:{port}/v1", "m", max_retries=1, retry_backoff=0.01)
    with pytest.raises(LLMError, match=rf"^cannot connect to LLM endpoint .*:{port}/v1 after 1"):
        engine.complete(MESSAGES)


async def test_astream(server: FakeOpenAIServer) -> None:
    server.script(error(429), answer(pieces=["as", "ync"]))
    pieces = [piece async for piece in engine_for(server).astream(MESSAGES)]
    assert pieces == ["as", "ync"]
    assert len(server.requests) == 2


async def test_astream_cut_raises(server: FakeOpenAIServer) -> None:
    server.script(cut(["a", "b", "c"], after=1))
    received = []
    with pytest.raises(LLMError, match="stream interrupted"):
        async for piece in engine_for(server).astream(MESSAGES):
            received.append(piece)
    assert received == ["a"]


def test_openai_base_url_env_is_honoured(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    engine = OpenAIChat(None, "env-model")
    assert engine.complete(MESSAGES) == "Hello from the fake server."
    assert server.requests[0].body["model"] == "env-model"
    assert server.base_url in engine.description


def test_key_only_in_authorization_header(
    server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    engine = engine_for(server)
    engine.complete(MESSAGES)
    list(engine.stream(MESSAGES))
    for request in server.requests:
        assert request.headers["Authorization"] == f"Bearer {SECRET}"
        others = {k: v for k, v in request.headers.items() if k != "Authorization"}
        assert SECRET not in repr(others) and SECRET not in request.path
        assert SECRET.encode() not in request.raw
    assert SECRET not in caplog.text


def test_key_from_named_env_var(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_LLM_KEY", "sk-other")
    engine_for(server, api_key_env="MY_LLM_KEY").complete(MESSAGES)
    assert server.requests[0].headers["Authorization"] == "Bearer sk-other"


def test_missing_key(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(LLMError, match=r"^no API key: set \$OPENAI_API_KEY$"):
        OpenAIChat("https://api.example.invalid/v1", "gpt-4o-mini")
    with pytest.raises(LLMError, match=r"^no API key: set \$OPENAI_API_KEY$"):
        OpenAIChat(None, "gpt-4o-mini")  # OpenAI itself
    engine_for(server).complete(MESSAGES)  # 127.0.0.1: a placeholder key is fine
    assert server.requests[0].headers["Authorization"] == "Bearer sk-no-key-required"
