"""Questions on full real PDFs: is the right paper and page cited, is the answer keyword said?

    .venv/bin/python benchmarks/pdf_questions.py [--pdfs DIR] [--questions FILE] [--store DIR]
        [--llm NAME] [--scoped] [--extra PATH ...] [--json] [-v]

Ingests the PDFs (default ../shared/corpus/real-pdfs; these are not all CC BY, so without
../shared only the two CC BY ones in tests/data/pdfs, with the questions on them) into a
temporary store (or ``--store``, kept and reused) through the public API and asks every
question of the file (default ../shared/eval/dev_pdf_questions.json, copied to tests/data: each with
``gold_files``, ``answer_keywords``, ``gold_pages``) library-wide, and with ``--scoped`` also
scoped to the gold paper. ``--extra`` adds other papers to the library (distractors for the
library-wide questions). Per question and on average:

- **paper cited**: a citation points at a gold paper;
- **keyword**: every answer keyword occurs in the answer text (case-insensitive, whitespace
  collapsed); **short kw**: the same in ``Answer.short_answer`` (when the attribute exists);
- **kw retrieved**: every keyword occurs in the passages handed to the engine
  (``Answer.retrieved``): the ceiling for an extractive answer;
- **gold page**: a citation points at a gold paper on a gold page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Answer, Assistant  # noqa: E402

# The project's shared folder sits beside the repository (../shared), or beside the folder of
# worktrees that holds it.
SHARED = next((d / "shared" for d in ROOT.parents if (d / "shared" / "eval").is_dir()),
              ROOT.parent / "shared")
# Without it: the two CC BY papers and the questions copied into the repository (the other
# three papers may not be copied; their questions are left out, and the run says so).
HERE_PDFS = ROOT / "tests" / "data" / "pdfs"
HERE_QUESTIONS = ROOT / "tests" / "data" / "dev_pdf_questions.json"
DEFAULT_PDFS = SHARED / "corpus" / "real-pdfs" if SHARED.is_dir() else HERE_PDFS
DEFAULT_QUESTIONS = (SHARED / "eval" / "dev_pdf_questions.json" if SHARED.is_dir()
                     else HERE_QUESTIONS)


def normal(text: str) -> str:
    return " ".join(text.casefold().split())


def has_all(text: str, keywords: list[str]) -> bool:
    low = normal(text)
    return all(normal(k) in low for k in keywords)


@dataclass(slots=True)
class Result:
    id: str
    kind: str
    setting: str
    question: str
    paper_cited: bool
    keyword: bool
    short_keyword: bool | None
    keyword_retrieved: bool
    gold_page: bool
    cited_pages: list[str]
    abstained: bool
    latency_ms: float
    keywords: list[str]
    answer: str
    short_answer: str | None


def score(item: dict, answer: Answer, gold: set[str], setting: str, ms: float) -> Result:
    keywords = item["answer_keywords"]
    pages = set(item.get("gold_pages", []))
    short = getattr(answer, "short_answer", None)
    return Result(
        id=item["id"], kind=item.get("kind", ""), setting=setting, question=item["question"],
        paper_cited=any(c.paper_id in gold for c in answer.citations),
        keyword=has_all(answer.text, keywords) and not answer.abstained,
        short_keyword=has_all(short, keywords) if short is not None else None,
        keyword_retrieved=has_all(" ".join(p.text for p in answer.retrieved), keywords),
        gold_page=any(c.paper_id in gold and c.page in pages for c in answer.citations),
        cited_pages=[f"{'gold' if c.paper_id in gold else 'other'}:p{c.page}"
                     for c in answer.citations],
        abstained=answer.abstained, latency_ms=round(ms, 1), keywords=keywords,
        answer=answer.text, short_answer=short,
    )


def share(values: list[bool | None]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return round(statistics.fmean(known), 3) if known else None


def figures(results: list[Result]) -> dict:
    kinds = sorted({r.kind for r in results})
    return {
        "n": len(results),
        "paper_cited": share([r.paper_cited for r in results]),
        "keyword": share([r.keyword for r in results]),
        "short_keyword": share([r.short_keyword for r in results]),
        "keyword_retrieved": share([r.keyword_retrieved for r in results]),
        "gold_page": share([r.gold_page for r in results]),
        "abstained": sum(r.abstained for r in results),
        "latency_p50_ms": sorted(r.latency_ms for r in results)[len(results) // 2],
        "by_kind": {k: {"n": sum(r.kind == k for r in results),
                        "keyword": share([r.keyword for r in results if r.kind == k]),
                        "gold_page": share([r.gold_page for r in results if r.kind == k])}
                    for k in kinds},
    }


def report(setting: str, f: dict) -> str:
    kinds = "  ".join(f"{k} kw={v['keyword']} page={v['gold_page']} (n={v['n']})"
                      for k, v in f["by_kind"].items())
    return "\n".join([
        f"== {setting} ({f['n']} questions)",
        f"paper cited      {f['paper_cited']}",
        f"keyword          {f['keyword']}   (short answer: {f['short_keyword']})",
        f"kw retrieved     {f['keyword_retrieved']}",
        f"gold page        {f['gold_page']}",
        f"abstained        {f['abstained']}",
        f"by kind          {kinds}",
        f"latency p50 ms   {f['latency_p50_ms']}",
    ])


def detail(r: Result) -> str:
    def mark(v: bool | None) -> str:
        return "-" if v is None else ("y" if v else "n")

    return (f"--- {r.id} [{r.kind}] cited={mark(r.paper_cited)} kw={mark(r.keyword)} "
            f"short={mark(r.short_keyword)} retrieved={mark(r.keyword_retrieved)} "
            f"page={mark(r.gold_page)} {r.cited_pages}\n  Q: {r.question}\n"
            f"  keywords: {r.keywords}\n  short: {r.short_answer}\n  A: {r.answer[:500]}")


def run(args: argparse.Namespace, store: Path) -> dict:
    files = sorted(args.pdfs.glob("*.pdf"))
    if not files:
        raise SystemExit(f"{args.pdfs}: no PDFs")
    asked = json.loads(args.questions.read_text(encoding="utf-8"))
    present = {f.name for f in files}
    questions = [q for q in asked if set(q["gold_files"]) <= present]
    if len(questions) < len(asked):
        print(f"note: {len(questions)} of {len(asked)} questions: the others' PDFs are not in "
              f"{args.pdfs}", file=sys.stderr)
    assistant = Assistant(store=store, llm=args.llm)
    start = time.perf_counter()
    report_ = assistant.ingest([*files, *args.extra])
    ingest_s = time.perf_counter() - start
    if report_.failed:
        raise SystemExit(f"ingest failed: {[(f.path, f.error) for f in report_.failed]}")
    by_name = {Path(s).name: p.id for p in assistant.papers() for s in p.sources}
    assistant.ask("warm up the model and the indexes")
    settings = ["library", "scoped"] if args.scoped else ["library"]
    out: dict = {"ingest_s": round(ingest_s, 1), "chunks": report_.chunks_total, "settings": {}}
    for setting in settings:
        results = []
        for item in questions:
            gold = {by_name[f] for f in item["gold_files"] if f in by_name}
            t0 = time.perf_counter()
            answer = (assistant.ask(item["question"], papers=sorted(gold))
                      if setting == "scoped" else assistant.ask(item["question"]))
            results.append(score(item, answer, gold, setting,
                                 (time.perf_counter() - t0) * 1000))
        f = figures(results)
        out["settings"][setting] = {"figures": f, "questions": [asdict(r) for r in results]}
        if not args.json:
            if args.verbose:
                print("\n".join(detail(r) for r in results))
            print(report(setting, f) + "\n", flush=True)
    assistant.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--store", type=Path, help="store to ingest into and keep (default: temp)")
    parser.add_argument("--llm", help="answer engine (default: the configured one)")
    parser.add_argument("--scoped", action="store_true", help="also ask scoped to the gold paper")
    parser.add_argument("--extra", type=Path, nargs="*", default=[],
                        help="more papers in the library (distractors, e.g. examples/papers)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("-v", "--verbose", action="store_true", help="every question")
    args = parser.parse_args(argv)
    for path in (args.pdfs, args.questions):
        if not path.exists():
            print(f"{path}: not found (pass --pdfs / --questions)", file=sys.stderr)
            return 2
    if args.store:
        out = run(args, args.store)
    else:
        with tempfile.TemporaryDirectory(prefix="pdfq-") as tmp:
            out = run(args, Path(tmp) / "store")
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(f"ingest {out['ingest_s']} s, {out['chunks']} chunks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
