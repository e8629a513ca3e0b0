"""Short answers per kind, cut from real sentences of the sample papers; question kinds."""

from __future__ import annotations

import re

import pytest

from assistant.answering.engines.extractive import ExtractiveEngine
from assistant.answering.short import (
    acronym_expansion,
    boolean_verdict,
    choice_span,
    cut_span,
    normalise_labelled,
    quantity_span,
    read_short,
    render_short,
)
from assistant.search.question import answer_kind, asked_acronym, question_kind, question_terms
from assistant.search.retriever import Retrieval
from assistant.types import Passage

from .conftest import LISTINGS


def sentence_with(fragment: str) -> str:
    """The sentence of the sample listings (real abstracts) that holds ``fragment``."""
    for path in sorted(LISTINGS.glob("*.txt")):
        text = " ".join(path.read_text(encoding="utf-8").split())
        at = text.find(fragment)
        if at >= 0:
            start = max(text.rfind(". ", 0, at) + 2, 0)
            end = text.find(". ", at)
            return text[start:end + 1 if end >= 0 else len(text)]
    raise LookupError(fragment)


@pytest.mark.parametrize(("question", "kind"), [
    ("Does the paper report macro F1?", "boolean"),
    ("Is the explanation from the saliency map correct?", "boolean"),
    ("Does this paper target European or Brazilian Portuguese?", "choice"),
    ("What turns out to be more important, high volume or high quality data?", "choice"),
    ("What does MMACE stand for?", "acronym"),
    ("How many questions are in the dataset?", "number"),
    ("In what year was the chain rule introduced?", "number"),
    ("Which dataset do they use as a starting point?", "name"),
    ("What baselines is the proposed model compared against?", "name"),
    ("What is the seed lexicon?", "definition"),
    ("How is the clinical text structuring task defined?", "definition"),
    ("What are the limitations of PaSa?", "limitation"),
    ("Why can't linear RNNs solve parity?", "reason"),
    ("How does FRL aggregate the clients' rankings?", "method"),
])
def test_answer_kind(question, kind):
    assert answer_kind(question) == kind


def test_asked_acronym():
    assert asked_acronym("What does MMACE stand for?") == "MMACE"
    assert asked_acronym("What is XAI short for?") == "XAI"


def test_acronym_expansion_on_real_sentences():
    sentence = sentence_with("Distributed Data Parallelism (DDP)")
    assert acronym_expansion("DDP", sentence) == "Distributed Data Parallelism"
    sentence = sentence_with("Neural Tangent Kernel (NTK)")
    assert acronym_expansion("NTK", sentence) == "Neural Tangent Kernel"
    # the long form after the acronym, and a capital inside the first word (eXplainable)
    assert acronym_expansion("MMACE", "a generator MMACE (Molecular Model Agnostic "
                             "Counterfactual Explanations) which") == (
        "Molecular Model Agnostic Counterfactual Explanations")
    assert acronym_expansion("XAI", "EXplainable Artificial Intelligence (XAI) is a field"
                             ) == "EXplainable Artificial Intelligence"
    assert acronym_expansion("NTK", "We train the kernel network (NTK) twice") is None


def test_number_span_keeps_the_unit_and_a_coordinated_run():
    sentence = sentence_with("2.0-10.6")
    span = quantity_span("What range of speedups is reported?", sentence)
    assert span is not None and span.startswith("2.0-10.6") and span in sentence
    assert quantity_span("How big is the dataset?", "The dataset holds 17,833 sentences, "
                         "826,987 characters and 2,714 question-answer pairs.") == (
        "17,833 sentences, 826,987 characters and 2,714 question-answer pairs")
    assert quantity_span("How large is the corpus?", "From the corpus of about 100 million "
                         "sentences, we obtained pairs (see Table 2).") == "100 million sentences"


def test_name_span_lists_the_names_the_sentence_adds():
    sentence = sentence_with("such as LLAMA-2-70B")
    span = cut_span("name", "Which models does Orca-Math surpass?", sentence)
    assert span is not None and "LLAMA-2-70B" in span and span in sentence


def test_definition_span_follows_the_copula():
    sentence = "The seed lexicon consists of 15 positive words and 15 negative words."
    assert cut_span("definition", "What is the seed lexicon?", sentence,
                    subject="seed lexicon") == "15 positive words and 15 negative words"


def test_boolean_verdict_reads_the_negation():
    question = "Do they use a pretrained NMT model to help generating reviews?"
    assert boolean_verdict(question, "We use a pretrained NMT model to generate reviews.",
                           1.0) == "Yes"
    assert boolean_verdict(question, "We do not use a pretrained NMT model; we train our "
                                     "own.", 1.0) == "No"


def test_choice_span_is_the_named_option_as_the_sentence_spells_it():
    question = "What turns out to be more important, high volume or high quality data?"
    sentence = "We found that only high-quality data helps."
    assert choice_span(question, sentence) == "high-quality data"


def test_short_answer_paragraph_round_trip():
    assert read_short(render_short("100 million sentences", "[2]") + "\n\nMore. [2]") == (
        "100 million sentences")
    assert read_short(render_short("Yes", "") + " The paper reports it. [1]") == "Yes"
    assert read_short("**Results:** none\n\nText [1].") is None  # a label is no short answer
    labelled = normalise_labelled("Short answer: 2.0-10.6x [3]\nIt is fast [3].")
    assert labelled.startswith("**2.0-10.6x** [3]\n\n")
    assert normalise_labelled("Short answer: No, it uses only English [1].").startswith(
        "**No.** it uses only English [1].")


def _synthetic(question: str, texts: list[tuple[str, str]]) -> Retrieval:
    passages = [Passage(f"p{i}:0", f"p{i}", title, text, None, None, 0.7)
                for i, (title, text) in enumerate(texts, 1)]
    terms = dict.fromkeys(question_terms(question), 1.0)
    papers = [(p.paper_id, p.title, p.score) for p in passages]
    return Retrieval(question, question_kind(question), passages, papers, 0.7, False, terms)


@pytest.mark.parametrize(("question", "expected"), [
    ("How much faster is ReaLHF than the baselines?", "2.0-10.6"),
    ("Does ReaLHF redistribute LLM parameters in the cluster?", "Yes"),
])
def test_extractive_answer_opens_with_the_short_answer(question, expected):
    abstract = sentence_with("parameter ReaLlocation") + " " + sentence_with("2.0-10.6")
    r = _synthetic(question, [("ReaLHF: Optimized RLHF Training", abstract)])
    text = ExtractiveEngine().answer(question, r)
    short = read_short(text)
    assert short is not None and short.startswith(expected), text
    first = text.split("\n\n")[0] if expected != "Yes" else text
    assert re.search(r"\[1\]", first)  # cited like any sentence
