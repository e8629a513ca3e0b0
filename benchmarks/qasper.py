"""QASPER Answer-F1 of the answer engine on full papers (tests/data/qasper-dev by default).

    .venv/bin/python benchmarks/qasper.py [DEV_FOLDER] [--store DIR] [--llm NAME]
        [--only scoped|library] [--json] [-v]

DEV_FOLDER holds ``papers/*.md`` and ``questions.json`` (QASPER, CC BY 4.0; default the repo's
copy, tests/data/qasper-dev). The papers are ingested into a temporary store (or ``--store``,
kept and reused: unchanged files are skipped) through the public API, then every question is
asked twice: scoped to its paper (``papers=[id]``) and library-wide.

Figures, per setting:

- **Answer-F1**: QASPER's official metric - SQuAD-normalised token F1 (lower case, punctuation
  and articles removed) of the prediction against each annotator's answer, best over the
  annotators, averaged over the questions. The prediction is ``Answer.short_answer`` (the full
  answer text with markers and Markdown stripped when an answer has none); an abstention is
  the string "Unanswerable"; annotators' yes/no answers are "Yes"/"No". By type as
  the official evaluator does it: the type of the best-matching annotator's answer
  (extractive / abstractive / boolean / none).
- **Evidence-F1**: the official paragraph F1 with the paper paragraphs that hold the answer's
  cited sentences as the predicted evidence (an abstention predicts no paragraph).
- **oracle**: the Answer-F1 of the best single sentence among the passages handed to the engine
  (``Answer.retrieved``) - what choosing alone could reach; ``oracle+`` also lets the oracle say
  "Yes", "No" or "Unanswerable".
- **bearing**: share of answerable questions where a passage of the paper handed to the engine
  holds the answer (a sentence the annotators highlighted, or the extractive answer itself);
  questions whose annotators gave no evidence are left out.
- library-wide only: **paper cited**, the share of answerable questions whose paper is cited.

Each miss (Answer-F1 < 0.5) is put in one category: ``yes/no`` (a boolean gold answer), ``should
abstain`` (all annotators: unanswerable), ``false abstention``, ``retrieval miss`` (no handed
passage holds the answer), ``buried`` (an answer-bearing sentence is in the answer, not first),
``too long`` (it is first, but the answer is much longer than the gold), ``not chosen`` (a handed
passage holds it, the answer does not quote it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import string
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Answer, Assistant  # noqa: E402

DEFAULT_DEV = ROOT / "tests" / "data" / "qasper-dev"
MISS = 0.5  # a question scoring below this Answer-F1 is a miss
TYPES = ("extractive", "abstractive", "boolean", "none")


# --- QASPER's official scoring (allenai/qasper-led-baseline, qasper_evaluator.py) -------------
def normalize_answer(text: str) -> str:
    """Lower case, punctuation and articles removed, whitespace collapsed (SQuAD)."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def token_f1(prediction: str, gold: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    same = sum((Counter(pred) & Counter(ref)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def paragraph_f1(predicted: set[str], gold: set[str]) -> float:
    if not predicted and not gold:
        return 1.0
    same = len(predicted & gold)
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(gold)
    return 2 * precision * recall / (precision + recall)


def best_answer_f1(prediction: str, references: list[dict]) -> tuple[float, str]:
    """Best F1 over the annotators and the type of the annotator's answer that gave it."""
    scored = [(token_f1(prediction, r["answer"]), r["type"]) for r in references]
    return max(scored, key=lambda s: s[0])


# --- text helpers --------------------------------------------------------------------------
_MARKER = re.compile(r"\s*\[\d{1,3}(?:\s*[-\u2013,;]\s*\d{1,3})*\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[$\"\u201c])")


def plain(text: str) -> str:
    """Answer text without our [n] markers and Markdown marks."""
    text = _MARKER.sub("", text)
    text = re.sub(r"^\s*#{1,6}\s+.*$", "", text, flags=re.MULTILINE)  # section lines (compare)
    text = re.sub(r"^\s*[-*]\s+", "", text, flags=re.MULTILINE)
    text = text.replace("**", "").replace("\u2014", " ")
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def norm(text: str) -> str:
    return " ".join(normalize_answer(text).split())


def containment(part: str, whole: str) -> float:
    """Share of ``part``'s normalised tokens (with multiplicity) found in ``whole``."""
    a, b = Counter(norm(part).split()), Counter(norm(whole).split())
    total = sum(a.values())
    return sum((a & b).values()) / total if total else 0.0


def prediction_of(answer: Answer) -> str:
    """What is scored: the short answer, else the whole answer text; "Unanswerable" if it
    abstains."""
    if answer.abstained:
        return "Unanswerable"
    short = getattr(answer, "short_answer", None)
    return plain(short) if short else plain(answer.text)


# --- the data ------------------------------------------------------------------------------
def paper_paragraphs(path: Path) -> list[str]:
    """The paper's paragraphs (headings left out), whitespace collapsed."""
    out = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        lines = [ln for ln in block.splitlines() if not ln.lstrip().startswith("#")]
        text = " ".join(" ".join(lines).split())
        if text:
            out.append(text)
    return out


def evidence_sentences(references: list[dict]) -> list[str]:
    """Sentences the annotators highlighted (else their evidence paragraphs), table captions'
    "FLOAT SELECTED" prefix dropped."""
    out: list[str] = []
    for r in references:
        if r["type"] == "none":
            continue
        pieces = [h for h in r.get("highlighted_evidence", []) if len(h.split()) >= 4]
        for piece in pieces or r.get("evidence", []):
            piece = piece.replace("FLOAT SELECTED:", "").strip()
            out.extend(s for s in sentences(piece) if len(norm(s).split()) >= 4)
    return list(dict.fromkeys(out))


def extractive_answers(references: list[dict]) -> list[str]:
    return [r["answer"] for r in references
            if r["type"] == "extractive" and len(norm(r["answer"]).split()) >= 1]


def bears(text: str, evidence: list[str], spans: list[str]) -> bool:
    """Does ``text`` hold the answer: a highlighted evidence sentence (>= 80% of its tokens)
    or an extractive answer verbatim?"""
    low = norm(text)
    if any(norm(s) and f" {norm(s)} " in f" {low} " for s in spans):
        return True
    return any(containment(s, text) >= 0.8 for s in evidence)


def evidence_of(answer: Answer, paragraphs: dict[str, list[str]], doc_of: dict[str, str]
                ) -> set[str]:
    """Paragraphs of the cited papers that hold the answer's cited sentences."""
    if answer.abstained:
        return set()
    paper_of = {c.n: c.paper_id for c in answer.citations}
    found: set[str] = set()
    for s in answer.sentences:
        text = plain(s.text)
        for n in s.citations:
            paras = paragraphs.get(doc_of.get(paper_of.get(n, ""), ""), [])
            if not paras or not text:
                continue
            best = max(paras, key=lambda p: containment(text, p))
            if containment(text, best) >= 0.8:
                found.add(norm(best))
    return found


@dataclass(slots=True)
class Result:
    id: str
    question: str
    doc: str
    setting: str
    prediction: str
    answer_f1: float
    f1_type: str
    evidence_f1: float
    oracle: float
    oracle_plus: float
    oracle_sentence: str
    bearing: bool | None  # None: unanswerable for every annotator
    paper_cited: bool | None
    category: str | None
    abstained: bool
    answer_words: int
    latency_ms: float
    gold: list[str] = field(default_factory=list)
    answer: str = ""


def categorise(item: dict, answer: Answer, f1: float, f1_type: str, evidence: list[str],
               spans: list[str], bearing: bool | None) -> str | None:
    if f1 >= MISS:
        return None
    refs = item["references"]
    if any(r["type"] == "boolean" for r in refs):
        return "yes/no"
    if all(r["type"] == "none" for r in refs):
        return "should abstain"
    if answer.abstained:
        return "false abstention"
    if bearing is None:
        return "no evidence"
    if not bearing:
        return "retrieval miss"
    said = [plain(s.text) for s in answer.sentences]
    hits = [i for i, s in enumerate(said) if bears(s, evidence, spans)]
    if not hits:
        return "not chosen"
    if hits[0] > 0:
        return "buried"
    return "too long"


def score(item: dict, answer: Answer, setting: str, latency_ms: float,
          paragraphs: dict[str, list[str]], doc_of: dict[str, str], paper_id: str) -> Result:
    refs = item["references"]
    prediction = prediction_of(answer)
    f1, f1_type = best_answer_f1(prediction, refs)
    gold_paras = [{norm(p.replace("FLOAT SELECTED:", "")) for p in r.get("evidence", [])}
                  for r in refs]
    predicted = evidence_of(answer, paragraphs, doc_of)
    ev_f1 = max(paragraph_f1(predicted, g) for g in gold_paras)
    candidates = [s for p in answer.retrieved for s in sentences(p.text)]
    oracle, oracle_sentence = max(((best_answer_f1(s, refs)[0], s) for s in candidates),
                                  default=(0.0, ""))
    oracle_plus = max([oracle] + [best_answer_f1(x, refs)[0]
                                  for x in ("Yes", "No", "Unanswerable")])
    answerable = any(r["type"] != "none" for r in refs)
    evidence, spans = evidence_sentences(refs), extractive_answers(refs)
    own = [p for p in answer.retrieved if p.paper_id == paper_id]
    judged = answerable and bool(evidence or spans)  # some annotators give no evidence
    bearing = any(bears(p.text, evidence, spans) for p in own) if judged else None
    cited = {c.paper_id for c in answer.citations}
    return Result(
        id=item["id"], question=item["question"], doc=item["doc"], setting=setting,
        prediction=prediction, answer_f1=f1, f1_type=f1_type, evidence_f1=ev_f1,
        oracle=oracle, oracle_plus=oracle_plus, oracle_sentence=oracle_sentence,
        bearing=bearing, paper_cited=(paper_id in cited) if answerable else None,
        category=categorise(item, answer, f1, f1_type, evidence, spans, bearing),
        abstained=answer.abstained, answer_words=len(prediction.split()),
        latency_ms=round(latency_ms, 1), gold=[r["answer"] for r in refs], answer=answer.text,
    )


def mean(values: list[float]) -> float | None:
    return round(100 * statistics.fmean(values), 1) if values else None


def summary(results: list[Result]) -> dict:
    by_type = {t: [r.answer_f1 for r in results if r.f1_type == t] for t in TYPES}
    bearing = [float(r.bearing) for r in results if r.bearing is not None]
    cited = [float(r.paper_cited) for r in results if r.paper_cited is not None]
    latencies = sorted(r.latency_ms for r in results)
    return {
        "n": len(results),
        "answer_f1": mean([r.answer_f1 for r in results]),
        "by_type": {t: {"n": len(v), "answer_f1": mean(v)} for t, v in by_type.items()},
        "evidence_f1": mean([r.evidence_f1 for r in results]),
        "oracle_sentence_f1": mean([r.oracle for r in results]),
        "oracle_plus_f1": mean([r.oracle_plus for r in results]),
        "bearing_retrieved": mean(bearing),
        "paper_cited": mean(cited),
        "abstained": sum(r.abstained for r in results),
        "answer_words_median": statistics.median(r.answer_words for r in results),
        "misses": dict(Counter(r.category for r in results if r.category).most_common()),
        "latency_p50_ms": latencies[len(latencies) // 2] if latencies else None,
    }


def report(setting: str, figures: dict) -> str:
    types = "  ".join(f"{t} {v['answer_f1']} (n={v['n']})" for t, v in figures["by_type"].items())
    lines = [
        f"== {setting} ({figures['n']} questions)",
        f"Answer-F1            {figures['answer_f1']}",
        f"  by type            {types}",
        f"Evidence-F1          {figures['evidence_f1']}",
        f"oracle sentence F1   {figures['oracle_sentence_f1']}   "
        f"(+yes/no/unanswerable: {figures['oracle_plus_f1']})",
        f"bearing retrieved    {figures['bearing_retrieved']}",
    ]
    if figures["paper_cited"] is not None and setting == "library":
        lines.append(f"paper cited          {figures['paper_cited']}")
    lines += [
        f"abstained            {figures['abstained']}",
        f"answer words median  {figures['answer_words_median']}",
        f"misses (F1 < {MISS})   {figures['misses']}",
        f"latency p50 ms       {figures['latency_p50_ms']}",
    ]
    return "\n".join(lines)


def detail(r: Result) -> str:
    return (f"--- {r.id} [{r.f1_type}] F1={r.answer_f1:.2f} oracle={r.oracle:.2f} "
            f"bearing={r.bearing} {r.category or ''}\n  Q: {r.question}\n"
            f"  gold: {r.gold}\n  pred: {r.prediction[:400]}\n"
            f"  oracle: {r.oracle_sentence[:300]}")


def load(dev: Path) -> tuple[list[dict], list[Path]]:
    questions = json.loads((dev / "questions.json").read_text(encoding="utf-8"))
    papers = sorted((dev / "papers").glob("*.md"))
    if not papers:
        raise SystemExit(f"{dev}: no papers/*.md")
    return questions, papers


def run(dev: Path, store: Path, llm: str | None, settings: list[str], verbose: bool,
        as_json: bool) -> dict:
    questions, files = load(dev)
    assistant = Assistant(store=store, llm=llm)
    start = time.perf_counter()
    ingest = assistant.ingest(files)
    ingest_s = time.perf_counter() - start
    if ingest.failed:
        raise SystemExit(f"ingest failed: {[(f.path, f.error) for f in ingest.failed]}")
    by_name = {Path(s).name: p.id for p in assistant.papers() for s in p.sources}
    doc_of = {pid: name for name, pid in by_name.items()}
    paragraphs = {f.name: paper_paragraphs(f) for f in files}
    assistant.ask("warm up the model and the indexes")
    out: dict = {"dev": str(dev), "ingest_s": round(ingest_s, 1),
                 "chunks": ingest.chunks_total, "settings": {}}
    for setting in settings:
        results = []
        for item in questions:
            pid = by_name[item["doc"]]
            t0 = time.perf_counter()
            answer = (assistant.ask(item["question"], papers=[pid]) if setting == "scoped"
                      else assistant.ask(item["question"]))
            ms = (time.perf_counter() - t0) * 1000
            results.append(score(item, answer, setting, ms, paragraphs, doc_of, pid))
        figures = summary(results)
        out["settings"][setting] = {"figures": figures,
                                    "questions": [asdict(r) for r in results]}
        if not as_json:
            if verbose:
                print("\n".join(detail(r) for r in results))
            print(report(setting, figures) + "\n", flush=True)
    assistant.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dev", nargs="?", type=Path, default=DEFAULT_DEV,
                        help="folder with papers/*.md and questions.json")
    parser.add_argument("--store", type=Path, help="store to ingest into and keep (default: temp)")
    parser.add_argument("--llm", help="answer engine (default: the configured one)")
    parser.add_argument("--only", choices=["scoped", "library"], help="one setting only")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("-v", "--verbose", action="store_true", help="every question")
    args = parser.parse_args(argv)
    if not (args.dev / "questions.json").is_file():
        print(f"{args.dev}: no questions.json", file=sys.stderr)
        return 2
    settings = [args.only] if args.only else ["scoped", "library"]
    if args.store:
        out = run(args.dev, args.store, args.llm, settings, args.verbose, args.json)
    else:
        with tempfile.TemporaryDirectory(prefix="qasper-") as tmp:
            out = run(args.dev, Path(tmp) / "store", args.llm, settings, args.verbose, args.json)
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(f"ingest {out['ingest_s']} s, {out['chunks']} chunks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
