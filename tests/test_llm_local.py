"""LocalChat: the bundled SmolLM2-135M served in-process by xllamacpp, for real."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from assistant.answering.llm import ChatClient, LocalChat
from assistant.errors import LLMError

QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalChat]:
    local = LocalChat()
    yield local
    local.close()


def port_open(address: str) -> bool:
    parts = urlsplit(address)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


def test_describes_itself_without_starting() -> None:
    local = LocalChat()
    assert isinstance(local, ChatClient)
    assert local.name == "local"
    assert local.description == "local: SmolLM2-135M (small demo model)"
    assert local.address is None  # lazy: nothing started yet
    local.close()


def test_missing_model_file_is_a_clear_error(tmp_path) -> None:
    local = LocalChat(str(tmp_path / "nope.gguf"))
    with pytest.raises(LLMError, match="local model file not found: .*nope.gguf"):
        local.complete(QUESTION)


@pytest.mark.slow
def test_answers_for_real(engine: LocalChat) -> None:
    text = engine.complete(QUESTION, max_tokens=24)
    assert "paris" in text.lower()
    assert engine.address is not None and engine.address.startswith("http://127.0.0.1:")


@pytest.mark.slow
def test_stream_yields_pieces(engine: LocalChat) -> None:
    pieces = list(engine.stream(QUESTION, max_tokens=24))
    assert len(pieces) > 2
    assert "paris" in "".join(pieces).lower()


@pytest.mark.slow
async def test_astream_yields_pieces(engine: LocalChat) -> None:
    pieces = [piece async for piece in engine.astream(QUESTION, max_tokens=8)]
    assert len(pieces) > 1


@pytest.mark.slow
def test_close_stops_the_server() -> None:
    local = LocalChat(max_tokens=4)
    assert local.complete(QUESTION)
    address = local.address
    assert address is not None and port_open(address)
    local.close()
    assert local.address is None
    assert not port_open(address)
    local.close()  # twice is fine
    assert local.complete(QUESTION)  # the next call starts it again
    local.close()
    assert local.address is None
