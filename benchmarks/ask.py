"""Warm ask() latency on the sample library (goal: extractive p50 <= 150 ms), and with --local
the README's local example end to end (time to first token and to the answer, in-process and
as a command) and the local engine's time to first token and tokens/s.

    .venv/bin/python benchmarks/ask.py [--store DIR] [--local]

Without --store the sample library is ingested into a temporary folder first. The baseline
printed beside ask() is the query embedding alone, measured in the same run.
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

QUESTIONS = json.loads((ROOT / "tests/data/dev_questions.json").read_text())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_extractive(a: Assistant, rounds: int = 3) -> None:
    a.ask("warm up")
    asks, embeds, retrievals = [], [], []
    for _ in range(rounds):
        for item in QUESTIONS:
            t = time.perf_counter()
            a.library.embedder.embed([item["question"]])
            embeds.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            a.reader.retrieve(item["question"])
            retrievals.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            a.ask(item["question"])
            asks.append((time.perf_counter() - t) * 1000)
    print(f"ask() warm, extractive, {len(asks)} calls: p50 {statistics.median(asks):.1f} ms, "
          f"p95 {pct(asks, 0.95):.1f} ms (goal p50 <= 150 ms)")
    print(f"  retrieval alone (embedding included): p50 {statistics.median(retrievals):.1f} ms, "
          f"p95 {pct(retrievals, 0.95):.1f} ms")
    print(f"  baseline, query embedding alone: p50 {statistics.median(embeds):.1f} ms "
          f"-> ask is {statistics.median(asks) / statistics.median(embeds):.1f}x the embedding")


README_QUESTION = ("How does the crawler work?", ["PaSa"])


def _timed_stream(a: Assistant, question: str, papers: list[str] | None
                  ) -> tuple[float | None, float, int, Answer | None]:
    """Seconds to the first streamed piece and to the checked answer, pieces, the answer."""
    t = time.perf_counter()
    first, pieces, answer = None, 0, None
    for event in a.stream(question, papers=papers, llm="local"):
        if isinstance(event, Answer):
            answer = event
            break
        pieces += 1
        first = first or time.perf_counter()
    end = time.perf_counter()
    return (first - t if first else None), end - t, pieces, answer


def bench_local(a: Assistant, store: str, questions: int = 5) -> None:
    """The README example end to end (cold: the model server starts; then warm; then as a
    fresh command), then time to first token and tokens/s over the dev questions."""
    import subprocess

    question, papers = README_QUESTION
    for label in ("cold (server starts)", "warm"):
        first, total, pieces, answer = _timed_stream(a, question, papers)
        marks = [s.support for s in answer.sentences] if answer else []
        print(f"README example, in-process, {label}: first token {first:.1f} s, answer "
              f"{total:.1f} s, {pieces} pieces, complete={answer.complete if answer else None},"
              f" marks {marks} (target: answer within 30 s on 2 cores)")
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "assistant", "--store", store, "ask", question,
                           "--paper", papers[0], "--llm", "local", "--json"],
                          capture_output=True, text=True, timeout=600)
    print(f"README example as a command (`assistant ask ... --llm local`, new process, model "
          f"start included): {time.perf_counter() - t:.1f} s, exit {proc.returncode}")
    first_tokens, rates = [], []
    for item in QUESTIONS[:questions]:
        first, total, pieces, _ = _timed_stream(a, item["question"], None)
        if first is None:
            continue
        first_tokens.append(first)
        if pieces > 1 and total > first:
            rates.append((pieces - 1) / (total - first))
    print(f"local engine (SmolLM2-135M, 3 passages), {len(first_tokens)} questions: "
          f"time to first token p50 {statistics.median(first_tokens):.2f} s "
          f"(retrieval included), {statistics.median(rates):.0f} pieces/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store")
    parser.add_argument("--local", action="store_true", help="also measure the local engine")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or str(Path(tmp) / "store")
        a = Assistant(store=store)
        if not a.papers():
            a.ingest([ROOT / "examples" / "papers"])
        bench_extractive(a)
        if args.local:
            bench_local(a, store)
        a.close()


if __name__ == "__main__":
    main()
