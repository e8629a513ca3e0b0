"""Costs that must stay bounded under hostile input (issue 13).

    .venv/bin/python benchmarks/attacks.py [--html 20000,100000] [--files 3945] [--skip-files]

- HTML reading of a page with N tags side by side and of one whose tags nest N deep; the
  sizes grow tenfold, so linear cost grows about tenfold too.
- One paper found in N files (the same title in each): the keyword journal's size and the
  time of a `papers` command in a new process, against the same command on a one-file library
  (the baseline, same run).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _html(depth: int, nested: bool) -> str:
    if nested:
        return ("<html><body>" + "<div><b>x</b>" * depth + "deep text" + "</div>" * depth
                + "</body></html>")
    return "<html><body>" + "<div><b>x</b> y</div>" * depth + "</body></html>"


def bench_html(depths: list[int], limit: float) -> None:
    for depth in depths:
        row = []
        for nested in (False, True):
            try:  # a child process, so a runaway case can be stopped
                child = subprocess.run(
                    [sys.executable, "-c",
                     "import sys,time; sys.path.insert(0, sys.argv[1]);"
                     "from assistant.ingest.html import read_html; import lxml.etree;"
                     "t=sys.stdin.read(); s=time.perf_counter(); read_html(t, 'x.html');"
                     "print(time.perf_counter()-s)", str(ROOT)],
                    input=_html(depth, nested), capture_output=True, text=True, timeout=limit)
            except subprocess.TimeoutExpired:
                row.append(float("inf"))
                continue
            if child.returncode == 0:
                row.append(float(child.stdout.strip()))
            else:
                row.append(float("nan"))
                print(f"  nested={nested}: failed: {child.stderr.strip().splitlines()[-1:]}")
        flat, deep = row
        print(f"html {depth:>7} tags: flat {flat:7.2f} s   nested {deep:7.2f} s   "
              f"(inf: over the {limit:g} s limit)")


def _cli(store: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "assistant", "--store", str(store), *args],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    return time.perf_counter() - start, proc


def _journal(store: Path) -> int:
    return sum(p.stat().st_size for p in store.glob("keyword-*/journal.log"))


def bench_files(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        one, many = base / "one", base / "many"
        for folder, count in ((one, 1), (many, n)):
            folder.mkdir()
            for i in range(count):
                (folder / f"{i:05d}.md").write_text(
                    "# One Paper Found In Many Files\n\nThe same abstract, copy "
                    f"{i}: sparse retrieval over citation graphs.\n")
        for folder in (one, many):
            store = base / f"store-{folder.name}"
            took, proc = _cli(store, "ingest", str(folder))
            assert proc.returncode == 0, proc.stderr[-500:]
            _cli(store, "papers")  # warm the page cache
            times = sorted(_cli(store, "papers")[0] for _ in range(3))
            size = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
            print(f"{folder.name:>4} ({len(list(folder.iterdir()))} files): ingest {took:6.1f} s, "
                  f"journal {_journal(store) / 1e6:7.2f} MB, store {size / 1e6:7.1f} MB, "
                  f"`papers` median {times[1]:.2f} s")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--html", default="20000,100000")
    p.add_argument("--html-limit", type=float, default=300.0, help="seconds per case")
    p.add_argument("--files", type=int, default=3945)
    p.add_argument("--skip-files", action="store_true")
    p.add_argument("--skip-html", action="store_true")
    args = p.parse_args()
    if not args.skip_html:
        bench_html([int(x) for x in args.html.split(",")], args.html_limit)
    if not args.skip_files:
        bench_files(args.files)


if __name__ == "__main__":
    main()
