"""The extractive engine: right sentence, one line per paper, abstention, verbatim citations."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.answering.engines.extractive import ABSTAIN_TEXT, ExtractiveEngine
from assistant.search.question import question_kind, question_terms
from assistant.search.retriever import Retrieval, Retriever
from assistant.types import Passage

DATA = Path(__file__).parent / "data"
_MARKED = re.compile(r"(.+?)\s\[(\d+)\](?:\s+|$)")


def _claims(answer: str) -> list[tuple[str, int]]:
    """(sentence, n) pairs of an extractive answer; headings and bullet titles left out."""
    out = []
    for line in answer.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"^- \*\*.+?\*\* \u2014 ", "", line)  # "- **Title** — sentence [n]"
        line = re.sub(r"^\*\*(?:Yes|No)\.\*\* ", "", line)  # the verdict before its sentence
        line = line.replace("**", "")  # the short answer: a verbatim span
        out.extend((m.group(1).strip(), int(m.group(2))) for m in _MARKED.finditer(line))
    return out


def _assert_verbatim(answer: str, passages: list[Passage]) -> None:
    claims = _claims(answer)
    assert claims, answer
    for sentence, n in claims:
        assert 1 <= n <= len(passages), (sentence, n)
        source = " ".join(passages[n - 1].text.split())
        assert sentence in source, f"[{n}] not verbatim: {sentence!r}"


@pytest.fixture(scope="module")
def retriever(sample_library) -> Retriever:
    a = sample_library
    return Retriever(a.library.store, a.library.embedder, a.settings.retrieval)


# --- without a library ------------------------------------------------------------------------
def _synthetic(question: str, texts: list[tuple[str, str]]) -> Retrieval:
    passages = [Passage(f"p{i}:0", f"p{i}", title, text, None, None, 0.7)
                for i, (title, text) in enumerate(texts, 1)]
    terms = dict.fromkeys(question_terms(question), 1.0)
    papers = [(p.paper_id, p.title, p.score) for p in passages]
    return Retrieval(question, question_kind(question), passages, papers, 0.7, False, terms)


def test_number_sentence_first_on_synthetic_passages():
    r = _synthetic(
        "By how much does Foo reduce the training time?",
        [("Foo: Fast Training", "Training large models is slow. We propose Foo, a new optimizer. "
                                "Foo reduces the training time by 37.5% on ImageNet. "
                                "The code is released.")],
    )
    answer = ExtractiveEngine().answer(r.question, r)
    assert answer.startswith("**37.5%** [1]\n\nFoo reduces the training time by 37.5% on "
                             "ImageNet. [1]")  # the short answer, then its sentence
    _assert_verbatim(answer, r.passages)


def test_abstention_names_the_nearest_papers_synthetic():
    r = _synthetic("Who won the 1998 World Cup?", [("Paper A: X", "Some text here about x.")])
    r.abstain = True
    answer = ExtractiveEngine().answer(r.question, r)
    assert answer.startswith(ABSTAIN_TEXT)
    assert "Paper A: X" in answer
    assert "[" not in answer


# --- on the sample library ---------------------------------------------------------------------
def test_number_question_gets_the_sentence_with_the_number(retriever):
    q = ("In the large batch regime, by how much does the optimizer that runs Adam in the "
         "eigenbasis of Shampoo's preconditioner cut the number of iterations compared to AdamW?")
    r = retriever.retrieve(q)
    answer = ExtractiveEngine().answer(q, r)
    (short, n0), (first, n) = _claims(answer)[:2]
    assert "40%" in short and short in first and n0 == n
    assert "40%" in first and "AdamW" in first
    assert r.passages[n - 1].title.startswith("SOAP")
    _assert_verbatim(answer, r.passages)


def test_which_papers_gives_one_cited_line_per_paper(retriever):
    q = "Which papers in the library propose exemplar-free class-incremental learning methods?"
    r = retriever.retrieve(q)
    answer = ExtractiveEngine().answer(q, r)
    lines = answer.splitlines()
    assert len(lines) == len(r.papers) >= 2
    for line, (_, title, _) in zip(lines, r.papers, strict=True):
        assert line.startswith(f"- **{title}** \u2014 ")
        assert re.search(r"\[\d+\]$", line)
        n = int(re.search(r"\[(\d+)\]$", line).group(1))
        assert r.passages[n - 1].title == title  # each line cites its own paper
    titles = " ".join(t for _, t, _ in r.papers)
    assert "G-ACIL" in titles and "FeTrIL" in titles
    _assert_verbatim(answer, r.passages)


def test_unanswerable_question_abstains_naming_nearest_papers(retriever):
    q = "What is the estimated basic reproduction number of SARS-CoV-2 in Wuhan?"
    r = retriever.retrieve(q)
    answer = ExtractiveEngine().answer(q, r)
    assert r.abstain
    assert answer.startswith(ABSTAIN_TEXT + " The nearest papers are:")
    for _, title, _ in r.papers[:3]:
        assert title in answer


def test_every_sentence_is_verbatim_in_its_cited_passage(retriever):
    """All kinds, on the dev questions and the extra ones."""
    questions = json.loads((DATA / "dev_questions.json").read_text())
    questions += json.loads((DATA / "extra_questions.json").read_text())
    engine = ExtractiveEngine()
    checked = 0
    for item in questions:
        r = retriever.retrieve(item["question"])
        answer = engine.answer(item["question"], r)
        if r.abstain:
            assert answer.startswith(ABSTAIN_TEXT)
            continue
        _assert_verbatim(answer, r.passages)
        checked += 1
    assert checked >= 60


def test_answers_carry_citations_the_checker_accepts(retriever):
    """Through citations.build_answer: every claim cites a passage and is supported."""
    citations = pytest.importorskip("assistant.citations")
    q = "How does FRL restrict what clients send to the server and aggregate it?"
    r = retriever.retrieve(q)
    ans = citations.build_answer(ExtractiveEngine().answer(q, r), r.passages,
                                 engine="extractive", embed=None, abstained=r.abstain)
    assert not ans.abstained and ans.citations
    assert all(s.citations and s.support == "supported" for s in ans.sentences)
    assert any(c.title.startswith("FRL") for c in ans.citations)
