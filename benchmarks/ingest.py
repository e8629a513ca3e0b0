"""Ingest of the sample library vs the pure embedding time of the same chunks (same run).

Prints: ingest seconds, embedding-only seconds (mean of a run before and after), their ratio
(goal <= 1.15), re-ingest of the unchanged library (goal <= 2 s) and the ingest's peak memory.
Each step runs in its own process so memory and warm-up are measured honestly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAPERS = ROOT / "examples" / "papers"

INGEST = textwrap.dedent(
    """
    import json, resource, sys, time
    from assistant import Assistant
    t = time.perf_counter()
    report = Assistant(store=sys.argv[1]).ingest([sys.argv[2]])
    took = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": took, "peak_mib": peak, "papers": report.papers_total,
                      "chunks": report.chunks_total, "failed": len(report.failed)}))
    """
)

EMBED_ONLY = textwrap.dedent(
    """
    import json, sys, time
    from assistant import Assistant
    from assistant.library.chunking import embed_text
    a = Assistant(store=sys.argv[1])
    ids, texts = a.library.store.all_chunk_texts()
    a.library.embedder.embed(["warm up"])
    t = time.perf_counter()
    for start in range(0, len(texts), 64):
        a.library.embedder.embed(texts[start:start + 64])
    print(json.dumps({"seconds": time.perf_counter() - t, "chunks": len(texts)}))
    """
)


def run(script: str, *args: str) -> dict:
    env = {**os.environ, "ORT_DISABLE_TELEMETRY": "1"}
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                         env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "store")
        first = run(INGEST, store, str(PAPERS))
        embed_a = run(EMBED_ONLY, store)
        again = run(INGEST, store, str(PAPERS))
        embed_b = run(EMBED_ONLY, store)
    embed = (embed_a["seconds"] + embed_b["seconds"]) / 2
    ratio = first["seconds"] / embed
    print(f"sample library: {first['papers']} papers, {first['chunks']} chunks, "
          f"{first['failed']} failed")
    print(f"ingest (cold process, model load included): {first['seconds']:.1f} s")
    print(f"embedding only, same chunks:                {embed:.1f} s "
          f"({embed_a['seconds']:.1f} / {embed_b['seconds']:.1f})")
    print(f"ratio ingest / embedding:                   {ratio:.2f}  (goal <= 1.15)")
    print(f"re-ingest, unchanged:                       {again['seconds']:.2f} s  (goal <= 2 s)")
    print(f"peak memory of the ingest process:          {first['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
