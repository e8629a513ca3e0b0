"""The command palette: how long after the last key its hits settle, with the pre-filter of
assistant.tui.palette (letters in order, the 40 best by rapidfuzz, then Textual's matcher) and
without it (Textual's matcher over every entry, two per paper), in the same run.

    .venv/bin/python benchmarks/palette.py [--store DIR]

Each query is typed but for its last key, left to settle, then the last key is pressed and the
time until the palette's search worker has finished is printed (median of --runs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUERIES = ("maximize", "summarize pasa", "scope gen")


async def _settle(screen) -> None:
    while any(w.group == screen._GATHER_COMMANDS_GROUP and not w.is_finished
              for w in screen.workers):
        await asyncio.sleep(0.005)


async def measure(store: Path, runs: int, filtered: bool) -> dict[str, float]:
    from assistant import Assistant
    from assistant.records.history import History
    from assistant.tui import palette
    from assistant.tui.app import PaperApp

    best = palette._best
    if not filtered:
        palette._best = lambda query, texts, keep=0: list(range(len(texts)))
    a = Assistant(store=store)
    out: dict[str, list[float]] = {q: [] for q in QUERIES}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = PaperApp(a, history=History(Path(tmp) / "history.sqlite3"))
            async with app.run_test(size=(120, 36)) as pilot:
                await app.wait_ready()
                for _ in range(runs):
                    for q in QUERIES:
                        await pilot.press("ctrl+p")
                        await pilot.pause(0.3)
                        screen = app.screen
                        await pilot.press(*q[:-1])
                        await _settle(screen)
                        await pilot.pause(0.2)
                        start = time.monotonic()
                        await pilot.press(q[-1])
                        await _settle(screen)
                        out[q].append(time.monotonic() - start)
                        await pilot.press("escape")
                        await pilot.pause(0.2)
    finally:
        palette._best = best
        a.close()
    return {q: statistics.median(v) for q, v in out.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--store", default=str(ROOT / "store"), help="library folder (default ./store)")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    store = Path(args.store).resolve()
    every = asyncio.run(measure(store, args.runs, filtered=False))
    kept = asyncio.run(measure(store, args.runs, filtered=True))
    print(f"{'query':<18} {'every entry':>12} {'pre-filter':>11} {'ratio':>6}")
    for q in QUERIES:
        print(f"{q!r:<18} {every[q]:>10.2f} s {kept[q]:>9.2f} s {kept[q] / every[q]:>6.2f}")


if __name__ == "__main__":
    main()
