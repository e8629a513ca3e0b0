"""Evaluate retrieval + the extractive engine on question files.

    .venv/bin/python benchmarks/eval_dev.py [--store DIR] [--questions FILE ...] [--json OUT]
        [--answers] [--embed-check]

Builds the sample library (examples/papers) in --store if it is empty, then asks every question
through retrieve -> ExtractiveEngine.answer -> citations.build_answer (a minimal local Answer if
that module is missing; --embed-check gives the checker the embedder, off by default because the
answers are verbatim) and prints per-question results, the aggregate figures and the
latency of retrieval alone. Defaults: /tmp/retr-lib/store, tests/data/dev_questions.json and
tests/data/extra_questions.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.answering.engines.extractive import ExtractiveEngine  # noqa: E402
from assistant.answering.evaluate import evaluate  # noqa: E402
from assistant.search.retriever import Retrieval, Retriever  # noqa: E402
from assistant.types import Answer, Citation, Passage, Sentence  # noqa: E402

DEFAULT_QUESTIONS = [ROOT / "tests/data/dev_questions.json",
                     ROOT / "tests/data/extra_questions.json"]


def local_answer(raw: str, passages: list[Passage], abstained: bool) -> Answer:
    """A minimal Answer when assistant.citations is not there: markers -> citations."""
    numbers = sorted({int(n) for n in re.findall(r"\[(\d+)\]", raw) if 0 < int(n) <= len(passages)})
    cited = [(n, passages[n - 1]) for n in numbers]
    citations = [Citation(n, p.paper_id, p.title, p.chunk_id, p.page, p.text[:300])
                 for n, p in cited]
    sentences = [Sentence(s, [int(n) for n in re.findall(r"\[(\d+)\]", s)], "supported")
                 for s in re.split(r"(?<=\])\s+", raw) if s.strip()]
    return Answer(raw, citations, sentences, abstained, list(passages), "extractive")


def make_ask(assistant: Assistant, engine: ExtractiveEngine, timings: list[float] | None = None,
             embed_check: bool = False) -> Callable[[str], Answer]:
    """retrieve -> extractive answer -> citations, the pieces Assistant.ask is wired from."""
    library = assistant.library
    retriever = Retriever(library.store, library.embedder, assistant.settings.retrieval)
    try:
        from assistant.answering.citations import build_answer
    except ImportError:
        build_answer = None

    def ask(question: str) -> Answer:
        start = time.perf_counter()
        retrieval: Retrieval = retriever.retrieve(question)
        if timings is not None:
            timings.append((time.perf_counter() - start) * 1000)
        raw = engine.answer(question, retrieval)
        if build_answer is None:
            return local_answer(raw, retrieval.passages, retrieval.abstain)
        embed = assistant.library.embedder.embed if embed_check else None
        return build_answer(raw, retrieval.passages, engine="extractive", embed=embed,
                            abstained=retrieval.abstain, question=question)

    ask("warm up the model and the indexes")
    if timings is not None:
        timings.clear()
    return ask


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="/tmp/retr-lib/store")
    parser.add_argument("--questions", nargs="*", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--json", type=Path, help="write per-question results here")
    parser.add_argument("--answers", action="store_true", help="print every answer")
    parser.add_argument("--embed-check", action="store_true",
                        help="let the citation checker embed claims (slower)")
    args = parser.parse_args(argv)

    assistant = Assistant(store=args.store)
    if assistant.library.store.count_chunks() == 0:
        print(f"building the sample library in {args.store} ...", file=sys.stderr)
        assistant.ingest([ROOT / "examples" / "papers"])
    engine = ExtractiveEngine()
    out = {}
    for path in args.questions:
        timings: list[float] = []
        ask = make_ask(assistant, engine, timings, args.embed_check)
        result = evaluate(ask, json.loads(path.read_text()))
        print(f"== {path.name}")
        if args.answers:
            for q in result.questions:
                print(f"--- {q.id} [{q.kind}] {q.question}\n{q.answer}\n")
        print(result.report())
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        print(f"{'retrieval_p50_ms':24} {statistics.median(timings):.1f}")
        print(f"{'retrieval_p95_ms':24} {p95:.1f}\n")
        out[path.name] = result.to_json()
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
