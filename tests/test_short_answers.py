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
from assistant.search.question import (
    answer_kind,
    asked_acronym,
    asked_head,
    question_kind,
    question_terms,
)
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


@pytest.mark.parametrize(("question", "phrase", "count"), [
    ("How large is raw corpus used for training?", "raw corpus", None),
    ("How many reviews in total (both generated and true) do they evaluate?", "reviews", None),
    ("What are the three components that make up papermage?", "components", 3),
    ("What two architectures are used?", "architectures", 2),
    ("What kind of model do they use for detection?", "model", None),
    ("Which dataset do they use as a starting point?", "dataset", None),
    ("When they trained it, how often did the labelling work?", "labelling", None),
    ("How does FRL aggregate the clients' rankings?", "", None),
])
def test_asked_head(question, phrase, count):
    head = asked_head(question)
    assert (head.phrase, head.count) == (phrase, count)


def test_a_run_of_quantities_is_cut_to_the_one_that_counts_the_asked_thing():
    sentence = ("It contains 17,833 sentences, 826,987 characters and 2,714 question-answer "
                "pairs.")
    assert quantity_span("How many questions are in the dataset?", sentence,
                         {"question"}) == "2,714 question-answer pairs"
    assert quantity_span("How big is the dataset?", sentence, {"dataset"}) == (
        "17,833 sentences, 826,987 characters and 2,714 question-answer pairs")


@pytest.mark.parametrize(("question", "expected"), [
    ("How large is raw corpus used for training?", "100 million sentences"),
    ("When they auto-labelled PubMed Central PDFs from metadata, how often did the labelling "
     "work?", "76%"),
])
def test_the_quantity_of_what_is_asked_comes_first(question, expected):
    text = ("The training set of 0.6 million events is sufficiently large for training the "
            "models. From the corpus of about 100 million sentences, we obtained 1.4 million "
            "event pairs. A heuristic labeling process finds the strings from the metadata in "
            "the PDFs. This labeling process succeeds for 76% of the documents. We run our "
            "final tests on a held-out set from PubMed Central, consisting of about 54K "
            "documents.")
    r = _synthetic(question, [("Minimally Supervised Learning of Affective Events", text)])
    short = read_short(ExtractiveEngine().answer(question, r))
    assert short == expected


def test_name_span_lists_the_names_the_sentence_adds():
    sentence = sentence_with("such as LLAMA-2-70B")
    span = cut_span("name", "Which models does Orca-Math surpass?", sentence)
    assert span is not None and "LLAMA-2-70B" in span and span in sentence


def test_definition_span_is_the_defining_clause():
    sentence = "The seed lexicon consists of 15 positive words and 15 negative words."
    assert cut_span("definition", "What is the seed lexicon?", sentence,
                    subject="seed lexicon") == (
        "The seed lexicon consists of 15 positive words and 15 negative words")
    # QASPER (CC BY 4.0), paper 1908.06606: the clause that only adds is cut off
    sentence = ("Clinical text structuring (CTS) is a critical task for fetching medical "
                "research data from electronic health records (EHRs), where structural patient "
                "medical data, such as whether the patient has specific symptoms, diseases, or "
                "what the tumor size is, how far from the tumor is cut at during the surgery, or "
                "what the specific laboratory test result is, are obtained.")
    assert cut_span("definition", "How is the clinical text structuring task defined?",
                    sentence, subject="clinical text structuring task") == (
        "Clinical text structuring (CTS) is a critical task for fetching medical research data "
        "from electronic health records (EHRs)")


def test_a_listed_answer_ends_where_the_names_end():
    sentence = ("As BERT has two versions: BERT-Base and BERT-Large, due to the lack of "
                "computational resource, we can only compare with BERT-Base model instead of "
                "BERT-Large.")
    assert cut_span("name", "What baselines is the proposed model compared against?",
                    sentence) == "BERT-Base and BERT-Large"


def test_a_pointer_into_the_paper_is_no_name():
    sentence = ("Comparing Table TABREF32 with Table TABREF31, using mixed-data pre-trained "
                "parameters can significantly improve the model performance.")
    span = cut_span("name", "What data is the language model pretrained on?", sentence)
    assert span is None or "Table" not in span
    question = "What data is the language model pretrained on?"
    r = _synthetic(question, [("QA-CTS", sentence + " Due to the high cost of pre-training "
                               "the language model, we adopt parameters pre-trained by Google "
                               "in the Chinese Wikipedia corpus.")])
    short = read_short(ExtractiveEngine().answer(question, r))
    assert short is not None and "Table" not in short


def test_a_size_is_no_number_word():
    question = "How big is the Japanese data?"
    text = ("Each clause of the Japanese data contained one main predicate. From the Japanese "
            "web corpus we extracted about 100 million sentences.")
    r = _synthetic(question, [("Affective Events", text)])
    assert read_short(ExtractiveEngine().answer(question, r)) == "100 million sentences"


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


def test_yes_no_is_no_when_the_paper_never_says_what_is_asked(sample_library):
    pid = sample_library.paper("ReaLHF").id
    said = sample_library.ask("Does ReaLHF redistribute LLM parameters across the cluster?",
                              papers=[pid])
    assert said.short_answer == "Yes", said.text
    unsaid = sample_library.ask("Does ReaLHF redistribute LLM parameters across TPU pods?",
                                papers=[pid])
    assert unsaid.short_answer == "No", unsaid.text


def test_how_much_more_is_no_size_question():
    """"How much must X exceed Y" asks a degree, which a number word can state."""
    question = "By how much must the boson's mass exceed its temperature?"
    text = ("The mass of the boson must be five orders of magnitude greater than its "
            "temperature. The boson data were released in 2009 by the survey.")
    r = _synthetic(question, [("Ultra Light Bosonic Dark Matter", text)])
    short = read_short(ExtractiveEngine().answer(question, r))
    assert short is not None and short.startswith("five orders"), short


def test_a_singular_head_asks_for_one_name():
    # QASPER (CC BY 4.0), paper 1907.05664
    sentence = ("We trained a classifier using 5,000 random reviews from the Yelp Challenge "
                "dataset (``human'') and 5,000 fake reviews generated by LSTM-Fake.")
    assert cut_span("name", "Which dataset do they use as a starting point in generating fake "
                    "reviews?", sentence) == "Yelp Challenge dataset"
    plural = cut_span("name", "Which datasets do they use?", sentence)
    assert plural is not None and "LSTM-Fake" in plural


def test_a_phrasal_verb_particle_is_no_term():
    terms = question_terms("What are the three components that make up papermage?")
    assert "up" not in terms and {"compon", "papermag"} <= terms


def test_a_difference_is_read_from_a_comparative():
    """"By how much must X exceed Y?" is answered by the sentence that compares them."""
    question = "By how much must the boson's mass exceed its temperature to fit the data?"
    text = ("The order of magnitude needed to fit the data is 10 in these units. The mass "
            "must be five orders of magnitude greater than its temperature.")
    r = _synthetic(question, [("Ultra Light Bosonic Dark Matter", text)])
    short = read_short(ExtractiveEngine().answer(question, r))
    assert short is not None and short.startswith("five orders"), short


def test_a_definition_is_of_the_whole_subject():
    assert cut_span("definition", "What is a commonly used evaluation metric for language "
                    "models?", "Our model architecture consists of 400-dimensional tied "
                    "embedding weights and four QRNN layers.",
                    subject="commonly used evaluation metric for language models") is None


def test_the_defining_sentence_beats_one_that_says_define():
    # QASPER (CC BY 4.0), paper 1908.06606
    question = "How is the clinical text structuring task defined?"
    text = ("Here we define this calculation problem as a classification for each word to be "
            "the start or end word. Clinical text structuring (CTS) is a critical task for "
            "fetching medical research data from electronic health records (EHRs).")
    r = _synthetic(question, [("Question Answering based Clinical Text Structuring", text)])
    short = read_short(ExtractiveEngine().answer(question, r))
    assert short is not None and short.startswith("Clinical text structuring (CTS) is"), short


def test_a_short_answer_that_is_its_sentence_is_not_said_twice():
    question = "What is the seed lexicon?"
    text = ("The seed lexicon consists of 15 positive words and 15 negative words. The seed "
            "lexicon was built by hand from a dictionary.")
    r = _synthetic(question, [("Affective Events", text)])
    answer = ExtractiveEngine().answer(question, r)
    assert read_short(answer) == ("The seed lexicon consists of 15 positive words and 15 "
                                  "negative words")
    assert answer.count("consists of 15 positive words") == 1, answer
