"""Support judging on the labelled claims of tests/data/support_labels.json: precision of
"supported" (goal >= 0.95), the share of false claims marked unsupported (✗), the share of
true paraphrases kept supported, before (the score check alone) and after the name / number /
best-sentence / relation check of assistant/answering/support.py, measured in the same run.

    .venv/bin/python benchmarks/support.py [--show]

Each claim is checked as a model's one-sentence answer citing its passage: ``claim [1].``
through build_answer with the real embedding model. The dev split set the thresholds; the
test split was held out.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.answering import citations  # noqa: E402
from assistant.answering.citations import build_answer  # noqa: E402
from assistant.library.embedding import OnnxMiniLM  # noqa: E402
from assistant.types import Passage  # noqa: E402

DATA = ROOT / "tests" / "data" / "support_labels.json"


def marks(doc: dict, embed, strict: bool) -> tuple[list[str], float]:
    """The support mark of every claim, and the seconds the checks took."""
    original = citations.recheck
    if not strict:
        citations.recheck = lambda claims, marks, *rest: marks  # the score check alone
    out = []
    started = time.perf_counter()
    try:
        for item in doc["claims"]:
            p = doc["passages"][item["passage"]]
            passage = Passage(item["passage"], item["passage"], p["title"], p["text"], None,
                              None, 1.0)
            answer = build_answer(f"{item['claim']} [1].", [passage], engine="openai",
                                  embed=embed)
            out.append(answer.sentences[0].support)
    finally:
        citations.recheck = original
    return out, time.perf_counter() - started


def report(doc: dict, got: list[str], split: str) -> dict[str, float]:
    rows = [(c, m) for c, m in zip(doc["claims"], got, strict=True)
            if split == "all" or doc["passages"][c["passage"]]["split"] == split]
    said_supported = [c for c, m in rows if m == "supported"]
    true = [m for c, m in rows if c["label"] == "supported"]
    false = [m for c, m in rows if c["label"] == "unsupported"]
    precision = (sum(c["label"] == "supported" for c in said_supported) / len(said_supported)
                 if said_supported else 1.0)
    return {
        "claims": len(rows),
        "precision": precision,
        "true kept": true.count("supported") / len(true),
        "false ✗": false.count("unsupported") / len(false),
        "false ?": false.count("weak") / len(false),
        "false ✓": false.count("supported") / len(false),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", action="store_true", help="list the claims judged wrongly")
    args = parser.parse_args()
    doc = json.loads(DATA.read_text(encoding="utf-8"))
    model = OnnxMiniLM()
    cache: dict[str, object] = {}

    def embed(texts):
        import numpy as np

        todo = [t for t in dict.fromkeys(texts) if t not in cache]
        if todo:
            cache.update(zip(todo, model.embed(todo), strict=True))
        return np.stack([cache[t] for t in texts])

    marks(doc, embed, strict=False)  # warm the cache: both runs then time the checks alone
    before, t_before = marks(doc, embed, strict=False)
    after, t_after = marks(doc, embed, strict=True)
    kinds = Counter(c["kind"] for c in doc["claims"])
    print(f"{len(doc['claims'])} labelled claims ({dict(kinds)})")
    print(f"{'split':6} {'run':7} {'claims':>6} {'precision ✓':>11} {'true kept ✓':>11} "
          f"{'false ✗':>8} {'false ?':>8} {'false ✓':>8}")
    for split in ("dev", "test", "all"):
        for name, got in (("before", before), ("after", after)):
            r = report(doc, got, split)
            print(f"{split:6} {name:7} {r['claims']:6d} {r['precision']:11.3f} "
                  f"{r['true kept']:11.3f} {r['false ✗']:8.3f} {r['false ?']:8.3f} "
                  f"{r['false ✓']:8.3f}")
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for c, m in zip(doc["claims"], after, strict=True):
        by_kind[c["kind"]][m] += 1
    print("after, by kind:", {k: dict(v) for k, v in sorted(by_kind.items())})
    per = 1000 / len(doc["claims"])
    print(f"check time per claim (embeddings cached): before {t_before * per:.1f} ms, "
          f"after {t_after * per:.1f} ms")
    if args.show:
        for c, b, a in zip(doc["claims"], before, after, strict=True):
            if (a == "supported") != (c["label"] == "supported"):
                print(f"  [{c['label']:11} {c['kind']:17}] before {b:11} after {a:11} "
                      f"{c['claim']}")


if __name__ == "__main__":
    main()
