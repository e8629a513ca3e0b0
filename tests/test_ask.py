"""Ask end to end through the Assistant API and the CLI: extractive, openai-compatible, local."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from assistant import Answer, Assistant, LLMError
from assistant.answering.markers import parse_markers
from assistant.config import load_settings
from tests.fake_openai_server import FakeOpenAIServer, answer, cut, error, hang

REALHF_Q = ("What range of speedups over baselines is reported for the RLHF training system that "
            "redistributes LLM parameters across the cluster?")


def assert_citations_resolve(ans: Answer) -> None:
    """Every marker in the text is a citation, and every citation is a retrieved passage."""
    retrieved = {p.chunk_id: p for p in ans.retrieved}
    numbers = {c.n for c in ans.citations}
    assert numbers == set(range(1, len(ans.citations) + 1))
    assert set(parse_markers(ans.text)) <= numbers
    for c in ans.citations:
        assert c.chunk_id in retrieved, c
        assert c.paper_id == retrieved[c.chunk_id].paper_id
        assert c.quote and c.quote in retrieved[c.chunk_id].text


def llm_assistant(library: Assistant, **llm) -> Assistant:
    settings = load_settings(None, store={"path": str(library.store_dir)},
                             llm={"engine": "openai", "model": "fake-model", **llm})
    return Assistant(settings=settings)


# -- extractive (the default, offline) --------------------------------------------------------
def test_number_question_answered_with_the_number_and_its_paper(sample_library):
    ans = sample_library.ask(REALHF_Q)
    assert ans.engine == "extractive" and not ans.abstained
    assert "2.0-10.6" in ans.text
    assert ans.citations[0].title.startswith("ReaLHF")
    assert all(s.support == "supported" for s in ans.sentences)
    assert_citations_resolve(ans)


def test_which_papers_question_lists_each_paper_once_with_a_citation(sample_library):
    ans = sample_library.ask("Which papers in the library are about speculative decoding?")
    cited = [c.title for c in ans.citations]
    assert len(set(cited)) >= 2
    assert all("peculative" in t or "Speculative" in t for t in cited[:2])
    bullets = [line for line in ans.text.splitlines() if line.startswith("- ")]
    assert len(bullets) == len({c.paper_id for c in ans.citations})
    assert all("[" in b for b in bullets)


def test_unanswerable_question_abstains_and_names_nearest_papers(sample_library):
    ans = sample_library.ask("What is the boiling point of liquid nitrogen at sea level?")
    assert ans.abstained and ans.citations == []
    assert "does not contain" in ans.text and "nearest papers" in ans.text
    assert ans.short_answer is None and ans.to_json()["short_answer"] is None


@pytest.mark.parametrize(("question", "expansion"), [
    ("What does MMACE stand for?", "Molecular Model Agnostic Counterfactual Explanations"),
    ("What does XAI stand for?", "xplainable artificial intelligence"),
])
def test_rare_terms_in_the_library_prevent_a_false_abstention(sample_library, question,
                                                              expansion):
    """A short question about an acronym one paper defines is answered, with the expansion."""
    ans = sample_library.ask(question)
    assert not ans.abstained
    assert ans.short_answer and expansion.lower() in ans.short_answer.lower()
    assert ans.text.startswith("**") and ans.citations[0].title.startswith("A Perspective")


def test_short_answer_comes_first_and_is_cited(sample_library):
    ans = sample_library.ask(REALHF_Q)
    assert ans.short_answer and "2.0-10.6" in ans.short_answer
    first = ans.sentences[0]
    assert ans.short_answer in first.text and first.citations and first.support == "supported"
    quote = next(c.quote for c in ans.citations if c.n == first.citations[0])
    assert ans.short_answer in quote


def test_scoped_question_stays_in_the_paper(sample_library):
    ans = sample_library.ask("What does the crawler do?", papers=["PaSa"])
    assert not ans.abstained
    assert {c.title for c in ans.citations} == {sample_library.paper("PaSa").title}
    assert all(c.page for c in ans.citations)


def test_aask_and_stream_match_ask(sample_library):
    sync = sample_library.ask(REALHF_Q)
    events = list(sample_library.stream(REALHF_Q))
    assert isinstance(events[-1], Answer) and events[-1].text == sync.text
    assert "".join(e for e in events[:-1] if isinstance(e, str)).strip()
    async_answer = asyncio.run(sample_library.aask(REALHF_Q))
    assert async_answer.text == sync.text


def test_cli_ask_json_has_the_documented_shape(sample_library):
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "--store", str(sample_library.store_dir), "ask",
         REALHF_Q, "--json"], capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {"answer", "short_answer", "abstained", "citations", "sentences", "retrieved",
            "engine"} <= set(doc)
    assert "2.0-10.6" in doc["short_answer"]
    assert {"n", "paper_id", "title", "chunk_id", "page", "quote"} <= set(doc["citations"][0])
    assert {"text", "citations", "support"} <= set(doc["sentences"][0])
    assert {"paper_id", "title", "score"} <= set(doc["retrieved"][0])


# -- openai-compatible endpoint (a real HTTP server on 127.0.0.1) -------------------------------
@pytest.fixture
def server():
    with FakeOpenAIServer() as s:
        yield s


def test_llm_answer_is_checked_bad_marker_dropped_uncited_flagged(sample_library, server):
    server.script(answer(
        "ReaLHF reports speedups of 2.0-10.6times compared to baselines [1]. "
        "It was trained on the Moon [9]. Everyone agrees it is the best system."
    ))
    a = llm_assistant(sample_library, base_url=server.base_url)
    ans = a.ask(REALHF_Q)
    assert ans.engine == "openai"
    assert "[9]" not in ans.text
    assert_citations_resolve(ans)
    marks = {s.text.split(" [")[0].rstrip("."): s.support for s in ans.sentences}
    assert marks["ReaLHF reports speedups of 2.0-10.6times compared to baselines"] == "supported"
    assert marks["Everyone agrees it is the best system"] == "unsupported"
    # the prompt carried fenced, numbered passages and the question last
    prompt = server.requests[0].body["messages"][-1]["content"]
    assert '<passage n="1"' in prompt and prompt.rstrip().endswith(REALHF_Q.rstrip("?") + "?")


def test_llm_short_answer_comes_first_and_goes_through_the_checks(sample_library, server):
    server.script(answer(
        "Short answer: 2.0-10.6times [1]\n"
        "ReaLHF reports speedups of 2.0-10.6times compared to baselines [1]."
    ))
    a = llm_assistant(sample_library, base_url=server.base_url)
    ans = a.ask(REALHF_Q)
    assert ans.short_answer == "2.0-10.6times"
    assert ans.text.startswith("**2.0-10.6times** [1]")
    assert ans.sentences[0].support == "supported" and ans.sentences[0].citations == [1]
    prompt = server.requests[-1].body["messages"][-1]["content"]
    assert "Short answer:" in prompt


def test_llm_streams_pieces_then_the_answer(sample_library, server):
    server.script(answer("ReaLHF is fast [1].", pieces=["Rea", "LHF is ", "fast [1]."]))
    events = list(llm_assistant(sample_library, base_url=server.base_url).stream(REALHF_Q))
    assert events[:-1] == ["Rea", "LHF is ", "fast [1]."]
    assert isinstance(events[-1], Answer) and events[-1].citations


def test_llm_429_then_200_is_retried(sample_library, server):
    server.script(error(429, retry_after=0), answer("ReaLHF is fast [1]."))
    ans = llm_assistant(sample_library, base_url=server.base_url, max_retries=2).ask(REALHF_Q)
    assert ans.text.startswith("ReaLHF is fast") and len(server.requests) == 2


def test_llm_500_is_a_clear_error_after_retries(sample_library, server):
    server.script(error(500))
    a = llm_assistant(sample_library, base_url=server.base_url, max_retries=2)
    with pytest.raises(LLMError, match="500") as info:
        a.ask(REALHF_Q)
    assert len(server.requests) == 3 and "\n" not in str(info.value)


def test_llm_hang_times_out(sample_library, server):
    server.script(hang(10))
    a = llm_assistant(sample_library, base_url=server.base_url, max_retries=0, timeout=1)
    with pytest.raises(LLMError, match="timed out"):
        a.ask(REALHF_Q)


def test_cut_stream_never_yields_a_complete_answer(sample_library, server):
    server.script(cut(["ReaLHF ", "is ", "fast ", "[1]."], after=2))
    a = llm_assistant(sample_library, base_url=server.base_url, max_retries=0)
    events = []
    with pytest.raises(LLMError, match="interrupted"):
        for event in a.stream(REALHF_Q):
            events.append(event)
    assert events and not any(isinstance(e, Answer) for e in events)


def test_cli_endpoint_error_is_one_line(sample_library, server, tmp_path):
    server.script(error(500))
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[llm]\nengine = "openai"\nbase_url = "{server.base_url}"\nmax_retries = 0\n')
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "--store", str(sample_library.store_dir),
         "--config", str(cfg), "ask", REALHF_Q], capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr


# -- the bundled local model, for real ----------------------------------------------------------
@pytest.mark.slow
def test_local_engine_answers_and_every_citation_resolves(sample_library):
    ans = sample_library.ask(REALHF_Q, llm="local")
    assert ans.engine == "local" and ans.text.strip()
    assert_citations_resolve(ans)
    assert len(ans.citations) <= 3  # it only saw three passages
    numbers = {c.n for c in ans.citations}
    for s in ans.sentences:  # the checker judged every claim the small model made
        assert s.text in ans.text
        assert set(parse_markers(s.text)) <= set(s.citations) <= numbers
        if not s.citations:
            assert s.support == "unsupported", s  # an uncited claim is never passed
