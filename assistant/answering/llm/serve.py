"""The local model's server process: ``python -m assistant.answering.llm.serve MODEL [options]``.

Started by :class:`~assistant.answering.llm.llama_server.LlamaServer` as a child process, so a
stuck native thread can never hold the user's terminal: the parent kills this process after a
grace period. It loads the GGUF into an xllamacpp server on 127.0.0.1, prints one JSON line on
stdout (``{"address": "http://127.0.0.1:PORT"}`` or ``{"error": "..."}``), then serves until its
stdin closes (the parent stopped or died) or a SIGTERM arrives. It leaves with ``os._exit``:
llama.cpp's destructor, which can block forever joining its queue thread, never runs; the
kernel frees the port and the memory.

Ctrl+C is ignored here (it belongs to the parent, which decides when to stop us).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

__all__ = ["main"]

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Linux: get SIGKILL when the parent goes (xllamacpp holds the GIL while it loads, so no
    Python thread could notice then); elsewhere the closed stdin does it once loading ends."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _say(message: dict[str, str]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _params(xllamacpp: Any, args: argparse.Namespace) -> Any:
    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # a free port
    params.n_ctx = args.n_ctx
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.batch_threads or args.threads
    params.ui = False
    params.verbosity = -1  # keep llama.cpp from writing over the terminal UI
    return params


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # terminate at once, no destructors
    parser = argparse.ArgumentParser(prog="python -m assistant.answering.llm.serve")
    parser.add_argument("model")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=1, help="threads generating tokens")
    parser.add_argument("--batch-threads", type=int, default=0,
                        help="threads reading the prompt (0: as --threads)")
    parser.add_argument("--parent", type=int, default=0,
                        help="pid to die with (Linux; only when spawned from its main thread)")
    args = parser.parse_args(argv)
    if args.parent:
        _die_with_parent(args.parent)
    try:
        import xllamacpp

        server = xllamacpp.Server(_params(xllamacpp, args))
        address = str(server.listening_address)
    except Exception as exc:  # the native side raises plain RuntimeError/ValueError
        _say({"error": " ".join(f"{type(exc).__name__}: {exc}".split())[:300]})
        os._exit(1)
    if not address.startswith("http"):
        _say({"error": f"the server reported no address ({address!r})"})
        os._exit(1)
    _say({"address": address.rstrip("/")})
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the parent stops reading: nothing more
    try:
        sys.stdin.buffer.read()  # returns when the parent closes our stdin or dies
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
