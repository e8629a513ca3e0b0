"""Summaries and comparisons: time to summarize the 41-page paper.pdf (goal: extractive <= 5 s;
the local engine's time is reported), and the question-file figures for kinds summary and
compare (goal: keyword hit >= 0.8, every comparison cites all compared papers, every summary
cites only its paper).

    .venv/bin/python benchmarks/summarize.py [--store DIR] [--local]

Without --store the sample library is ingested into a temporary folder first. Figures per
question file (tests/data/dev_questions.json, extra_questions.json):

- ask: the question through ``Assistant.ask`` (a summary request is routed to the full summary
  of the paper retrieval ranks first), as ``assistant eval`` runs it;
- api: ``summarize(gold title)`` and ``compare(gold titles)`` with the REFs given.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Answer, Assistant  # noqa: E402
from assistant.answering.evaluate import normalise_title, score_answer  # noqa: E402

FILES = ["tests/data/dev_questions.json", "tests/data/extra_questions.json"]
PDF = "paper.pdf"


def timed(fn, *args, **kwargs) -> tuple[Answer, float]:
    t = time.perf_counter()
    answer = fn(*args, **kwargs)
    return answer, time.perf_counter() - t


def bench_pdf(a: Assistant, local: bool) -> None:
    import subprocess

    paper = a.paper(PDF)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assistant", "--store", str(a.store_dir), "summarize",
                    PDF, "--json"], check=True, capture_output=True)
    cli = time.perf_counter() - t
    ans, first = timed(Assistant(store=a.store_dir).summarize, PDF)  # a fresh object
    warm = [timed(a.summarize, PDF)[1] for _ in range(3)]
    long, t_long = timed(a.summarize, PDF, length="long")
    print(f"summarize {PDF} ({paper.chunks} chunks), extractive: `assistant summarize` "
          f"{cli:.2f} s wall (process start included), API first call {first:.2f} s, warm "
          f"{statistics.median(warm):.2f} s, long {t_long:.2f} s (goal <= 5 s); "
          f"{len(ans.sentences)} sentences on {len({c.page for c in ans.citations})} pages "
          f"(long: {len(long.sentences)})")
    if local:
        a.reader.chat_engine("local").complete([{"role": "user", "content": "hi"}],
                                               max_tokens=1)  # start the server
        ans, t_local = timed(a.summarize, PDF, llm="local")
        marks = [s.support for s in ans.sentences]
        print(f"summarize {PDF}, local engine: {t_local:.1f} s (server already started; one "
              f"call per heading), {len(marks)} sentences: {marks.count('supported')} supported, "
              f"{marks.count('weak')} weak, {marks.count('unsupported')} unsupported")


def cited(answer: Answer) -> set[str]:
    return {normalise_title(c.title) for c in answer.citations}


def figures(a: Assistant, path: str) -> None:
    items = [q for q in json.loads((ROOT / path).read_text())
             if q["kind"] in ("summary", "compare")]
    rows: dict[str, list[tuple[bool | None, bool, float]]] = {}
    for q in items:
        gold = {normalise_title(t) for t in q["gold_titles"]}
        ans, dt = timed(a.ask, q["question"])
        hit = score_answer(q, ans, dt * 1000).keyword_hit
        ok = cited(ans) == gold if q["kind"] == "summary" else gold <= cited(ans)
        rows.setdefault(f"ask {q['kind']}", []).append((hit, ok, dt))
        if q["kind"] == "summary":
            ans, dt = timed(a.summarize, q["gold_titles"][0])
        else:
            ans, dt = timed(a.compare, q["gold_titles"])
        hit = score_answer(q, ans, dt * 1000).keyword_hit
        ok = cited(ans) == gold if q["kind"] == "summary" else gold <= cited(ans)
        rows.setdefault(f"api {q['kind']}", []).append((hit, ok, dt))
    print(f"{path}:")
    for name, values in sorted(rows.items()):
        hits = [h for h, _, _ in values if h is not None]
        what = "cites only its paper" if name.endswith("summary") else "cites all compared"
        print(f"  {name:12} n={len(values)} keyword_hit={sum(hits) / len(hits):.2f} "
              f"{what}={sum(ok for _, ok, _ in values)}/{len(values)} "
              f"p50 {statistics.median(t for _, _, t in values) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store")
    parser.add_argument("--local", action="store_true", help="also time the local engine")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or str(Path(tmp) / "store")
        a = Assistant(store=store)
        if not a.papers():
            a.ingest([ROOT / "examples" / "papers"])
        bench_pdf(a, args.local)
        a.ask("warm up")
        for path in FILES:
            figures(a, path)
        a.close()


if __name__ == "__main__":
    main()
