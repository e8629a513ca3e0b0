"""`assistant --help` wall time (goal <= 0.3 s): best and median of 10 runs."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "assistant"


def main() -> None:
    times = []
    for _ in range(10):
        t = time.perf_counter()
        subprocess.run([str(BIN), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - t
    print(f"assistant --help: best {min(times):.3f} s, median {statistics.median(times):.3f} s "
          f"(bare python {bare:.3f} s; goal <= 0.3 s)")


if __name__ == "__main__":
    main()
