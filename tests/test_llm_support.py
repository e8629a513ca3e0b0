"""Support judging of a model's sentences (assistant/answering/support.py): fluent inventions,
wrong numbers and wrong attributions must not pass as supported. Measured on the hand-labelled
claims of tests/data/support_labels.json with the real embedding model."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from assistant.answering import citations
from assistant.answering.citations import build_answer
from assistant.answering.support import check_claim, judge, names, numbers
from assistant.library.embedding import OnnxMiniLM
from assistant.types import Passage

from .conftest import LISTINGS

LABELS = json.loads((Path(__file__).parent / "data" / "support_labels.json").read_text())


@cache
def _model() -> OnnxMiniLM:
    return OnnxMiniLM()


@pytest.fixture(scope="module")
def embed():
    return _model().embed


def _passage(key: str) -> Passage:
    p = LABELS["passages"][key]
    return Passage(key, key, p["title"], p["text"], None, None, 1.0)


def _mark(claim: str, passage: Passage, embed) -> str:
    answer = build_answer(f"{claim} [1].", [passage], engine="openai", embed=embed)
    assert len(answer.sentences) == 1
    return answer.sentences[0].support


@pytest.fixture(scope="module")
def marks(embed) -> list[str]:
    return [_mark(c["claim"], _passage(c["passage"]), embed) for c in LABELS["claims"]]


def test_the_labelled_set_is_big_and_varied():
    claims = LABELS["claims"]
    assert len(claims) >= 60
    kinds = Counter(c["kind"] for c in claims)
    assert {"paraphrase", "invention", "wrong_number", "wrong_attribution"} <= set(kinds)
    assert min(kinds.values()) >= 10
    for c in claims:  # every passage comes from the sample papers in the repo
        text = LABELS["passages"][c["passage"]]["text"]
        assert len(text.split()) > 40
    assert {p["split"] for p in LABELS["passages"].values()} == {"dev", "test"}


def test_supported_means_supported_and_inventions_are_flagged(marks):
    claims = LABELS["claims"]
    said = [c for c, m in zip(claims, marks, strict=True) if m == "supported"]
    precision = sum(c["label"] == "supported" for c in said) / len(said)
    assert precision >= 0.95, precision
    true = [m for c, m in zip(claims, marks, strict=True) if c["label"] == "supported"]
    false = [m for c, m in zip(claims, marks, strict=True) if c["label"] == "unsupported"]
    assert true.count("supported") / len(true) >= 0.9  # true paraphrases still pass
    assert false.count("unsupported") / len(false) >= 0.6  # most false claims get ✗
    inventions = [m for c, m in zip(claims, marks, strict=True) if c["kind"] == "invention"]
    assert "supported" not in inventions
    numbers_wrong = [m for c, m in zip(claims, marks, strict=True)
                     if c["kind"] == "wrong_number"]
    assert numbers_wrong.count("unsupported") >= len(numbers_wrong) - 1


def test_the_held_out_split_holds_too(marks):
    rows = [(c, m) for c, m in zip(LABELS["claims"], marks, strict=True)
            if LABELS["passages"][c["passage"]]["split"] == "test"]
    said = [c for c, m in rows if m == "supported"]
    assert sum(c["label"] == "supported" for c in said) / len(said) >= 0.9


def _abstract_with(phrase: str) -> Passage:
    from assistant.ingest.read import read_file

    for path in sorted(LISTINGS.glob("*.txt")):
        for doc in read_file(str(path), max_bytes=10**9).papers:
            if phrase in doc.text:
                return Passage("c", "p", doc.title, " ".join(doc.text.split()), None, None, 1.0)
    raise AssertionError(phrase)


def test_the_inventions_from_the_issue_are_not_supported(embed):
    speculative = _abstract_with("principled understanding of speculative decoding")
    for claim in ("This work is a continuation of the previous one on speculative decoding.",
                  "The method was developed to improve on existing benchmarks for speculative "
                  "decoding.",
                  "It was proposed by a team at a top-tier university in China."):
        assert _mark(claim, speculative, embed) != "supported", claim
    assert _mark("The paper gives a principled understanding of speculative decoding through "
                 "the lens of optimal transport with membership cost.", speculative,
                 embed) == "supported"


def test_names_numbers_and_sides():
    assert names("Compared with GPT-4, our PaSa-7b and the Crawler win on RealScholarQuery.") \
        == {"gpt-4", "pasa-7b", "crawler", "realscholarquery"}
    assert numbers("three runs of 1,000 steps at 0.50 [2]") == {"3", "1000", "0.5"}
    source = ["On LEGO, Skill-It obtains 36.5 points higher accuracy than random sampling."]
    swapped = check_claim("On LEGO, random sampling obtains 36.5 points higher accuracy than "
                          "Skill-It.", [source])
    inverse = check_claim("On LEGO, random sampling is 36.5 points worse in accuracy than "
                          "Skill-It.", [source])
    assert swapped.swapped and judge(swapped, "supported", 0.95, False) == "unsupported"
    assert not inverse.swapped and inverse.relation_ok
    wrong = check_claim("Skill-It obtains 63.5 points higher accuracy than random sampling.",
                        [source])
    assert wrong.missing_numbers == ["63.5"]
    assert judge(wrong, "supported", 0.95, False) == "unsupported"


def test_copied_sentences_keep_the_fast_path(monkeypatch):
    """Verbatim engines (no embeddings) never run the extra check."""
    def fail(*args, **kwargs):
        raise AssertionError("recheck ran for a verbatim answer")

    monkeypatch.setattr(citations, "recheck", fail)
    p = _passage("orca")
    sentence = p.text.split(". ")[3] + "."
    answer = build_answer(f"{sentence} [1]", [p], engine="extractive", embed=None)
    assert answer.sentences[0].support == "supported"
