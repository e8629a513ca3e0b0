"""REF -> paper: id, source path, file name, title (exact, prefix, words, fuzzy); ambiguous and
unknown REFs are errors that name candidates with their ids."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant import RefError
from assistant.library.resolve import resolve_ref
from assistant.types import Paper


def paper(pid: str, title: str, source: str = "") -> Paper:
    return Paper(id=pid, title=title, authors=[], year=None,
                 sources=[source or f"/papers-lib/{pid}.txt"], chunks=1)


PAPERS = [
    paper("p1aaaa", "Feynman-Kac Correctors in Diffusion: Annealing, Guidance, and Product of "
          "Experts"),
    paper("p2bbbb", "A General Framework for Inference-time Scaling and Steering of Diffusion "
          "Models"),
    paper("p3cccc", "The Non-Linear Representation Dilemma: Is Causal Abstraction Enough for "
          "Mechanistic Interpretability?"),
    paper("p4dddd", "Learning to Predict Short-Term Volatility with Order Flow Image "
          "Representation"),
    paper("p5eeee", "PaSa: An LLM Agent for Comprehensive Academic Paper Search",
          "/papers-lib/pdfs/pasa.pdf"),
    paper("p6ffff", "PaLM: Scaling Language Modeling with Pathways"),
]


@pytest.mark.parametrize(("ref", "pid"), [
    ("p3cccc", "p3cccc"),  # id
    ("/papers-lib/pdfs/pasa.pdf", "p5eeee"),  # source path
    ("pasa.pdf", "p5eeee"),  # file name
    ("paLM: scaling language modeling with pathways", "p6ffff"),  # exact, any case
    ("PaSa", "p5eeee"),  # unique prefix
    ("non-linear representation dilemma", "p3cccc"),  # a stretch of the title
    ("Feynman Kac correctors in difusion", "p1aaaa"),  # typos and punctuation
    ("general framework inference time scaling steering", "p2bbbb"),  # words, gaps
])
def test_ref_resolves(ref, pid):
    assert resolve_ref(ref, PAPERS).id == pid


def test_ambiguous_ref_lists_candidates_with_ids():
    with pytest.raises(RefError) as err:
        resolve_ref("Pa", PAPERS)  # prefix of PaSa and PaLM
    message = str(err.value)
    assert "matches 2 papers" in message and "p5eeee" in message and "p6ffff" in message
    assert {pid for pid, _ in err.value.candidates} == {"p5eeee", "p6ffff"}
    with pytest.raises(RefError, match="p2bbbb.*p6ffff|p6ffff.*p2bbbb"):
        resolve_ref("Scaling", PAPERS)  # a title word of two papers


def test_unknown_ref_suggests_the_closest_titles():
    with pytest.raises(RefError) as err:
        resolve_ref("Feynman Kac steering of difusion", PAPERS[2:])
    assert "no paper matches" in str(err.value)
    with pytest.raises(RefError, match="no paper matches 'zzzz qqqq'$"):
        resolve_ref("zzzz qqqq", PAPERS)
    with pytest.raises(RefError) as err:
        resolve_ref("Predict Volatility with Order Images", PAPERS[:3] + PAPERS[4:])
    assert "did you mean" in str(err.value) or err.value.candidates == []


def test_library_refs_and_the_cli_error_line(sample_library):
    a = sample_library
    assert a.paper("Non-Linear Representation Dilemma").title.startswith("The Non-Linear")
    assert a.paper("set based prompting").title.startswith("Set-Based Prompting")
    with pytest.raises(RefError, match=r"matches \d+ papers: p"):
        a.summarize("A ")  # a title prefix of many papers is an error, not a topic
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "--store", str(a.store_dir), "compare",
         "PaSa", "Towards"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3
    head, *candidates = proc.stderr.splitlines()  # one candidate a line, with its full title
    assert head.startswith("error: 'Towards' matches") and head.endswith("papers:")
    titles = {p.id: p.title for p in a.papers()}
    assert len(candidates) >= 2
    for line in candidates:
        pid, title = line.split(maxsplit=1)
        assert line.startswith("  ") and titles[pid] == title
