"""``assistant eval QUESTIONS.json`` on the sample library: per-question scores and the
aggregate figures, as JSON and as text; a bad question file is one clear line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DEV = Path(__file__).parent / "data" / "dev_questions.json"


def run_eval(store: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", "--store", str(store), "eval",
                           *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def questions(tmp_path) -> Path:
    """Two dev questions (a number the sample corpus states, an unanswerable one) and the
    first again, scored against a paper the library does not hold."""
    dev = {q["id"]: q for q in json.loads(DEV.read_text())}
    wrong_gold = {**dev["q005"], "id": "x005", "gold_titles": ["A Paper Nobody Wrote"]}
    path = tmp_path / "questions.json"
    path.write_text(json.dumps([dev["q005"], dev["q086"], wrong_gold]))
    return path


def test_eval_json_scores_each_question_and_aggregates_them(sample_library, questions):
    proc = run_eval(sample_library.store_dir, str(questions), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["engine"] == "extractive"
    rows = {q["id"]: q for q in doc["questions"]}
    assert list(rows) == ["q005", "q086", "x005"]  # file order
    found, unanswerable, wrong = rows["q005"], rows["q086"], rows["x005"]
    assert found["answerable"] and found["recall_at_5"] == 1.0 and found["gold_cited"]
    assert found["keyword_hit"] and not found["missing_keywords"]
    assert "2.0-10.6" in found["answer"]
    assert wrong["recall_at_5"] == 0.0 and wrong["gold_cited"] is False
    assert wrong["cited_gold_share"] == 0.0 and wrong["answer"] == found["answer"]
    assert not unanswerable["answerable"] and unanswerable["recall_at_5"] is None
    agg = doc["aggregate"]
    assert (agg["n"], agg["answerable"], agg["unanswerable"]) == (3, 2, 1)
    assert agg["recall_at_5"] == 0.5 and agg["gold_cited"] == 0.5
    assert agg["unanswerable_abstained"] == float(unanswerable["abstained"])
    assert agg["by_kind"]["number"]["n"] == 2 and agg["by_kind"]["unanswerable"]["n"] == 1
    assert 0 < agg["latency_p50_ms"] <= agg["latency_p95_ms"]


def test_eval_text_report_lists_questions_then_figures(sample_library, questions):
    proc = run_eval(sample_library.store_dir, str(questions))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "engine: extractive"
    assert [line.split()[0] for line in lines[2:5]] == ["q005", "q086", "x005"]
    assert any(line.split() == ["recall_at_5", "0.5"] for line in lines)


@pytest.mark.parametrize("content", [None, "{not json", ""])
def test_bad_question_file_is_one_line(tmp_path, content):
    path = tmp_path / "q.json"
    if content is not None:
        path.write_text(content)
    proc = run_eval(tmp_path / "store", str(path))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and str(path) in proc.stderr
    assert "Traceback" not in proc.stderr
