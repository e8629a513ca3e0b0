"""Command line. Parses arguments, calls the Assistant, prints. Errors become one line + exit code.

Exit codes: 0 all fine; 1 some inputs failed (the rest was done); 2 usage or configuration
error; 3 the command could not run (store, model, endpoint or reference error); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..api import Assistant

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _global_options(suppress: bool) -> argparse.ArgumentParser:
    """Options accepted before and after the command; after it, only if given (SUPPRESS)."""
    default = argparse.SUPPRESS if suppress else None
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", metavar="DIR", default=default,
                        help="library folder (env ASSISTANT_STORE)")
    common.add_argument("--config", metavar="FILE", default=default, help="TOML config file")
    common.add_argument("--json", action="store_true",
                        default=argparse.SUPPRESS if suppress else False,
                        help="print one JSON document on stdout")
    return common


def _parser() -> argparse.ArgumentParser:
    from .reading import add_engine_option, add_export_options, add_reading_commands

    common = _global_options(suppress=True)
    p = argparse.ArgumentParser(
        prog="assistant",
        description="A paper reading assistant: ingest papers, ask cited questions, summarize.",
        parents=[_global_options(suppress=False)],
        epilog="Exit codes: 0 ok, 1 some inputs failed, 2 usage/config error, "
        "3 command failed, 130 interrupted.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("ingest", parents=[common], help="add papers (files or folders)")
    s.add_argument("paths", nargs="+", metavar="PATH")
    sub.add_parser("papers", parents=[common], help="list the library")
    s = sub.add_parser("show", parents=[common], help="show one paper")
    s.add_argument("ref", metavar="REF")
    s = sub.add_parser("remove", parents=[common], help="remove a paper")
    s.add_argument("ref", metavar="REF")
    sub.add_parser("reindex", parents=[common], help="rebuild with the current model settings")
    s = sub.add_parser("ask", parents=[common], help="ask a question; cited answer")
    s.add_argument("question", metavar="QUESTION")
    s.add_argument("--paper", action="append", metavar="REF", help="only these papers (repeat)")
    add_engine_option(s)
    add_export_options(s)
    add_reading_commands(sub, common)
    s = sub.add_parser("eval", parents=[common], help="run a question file, print figures")
    s.add_argument("questions", metavar="QUESTIONS.json")
    add_engine_option(s)
    s = sub.add_parser("chat", parents=[common], help="the terminal app (default)")
    s.add_argument("--ingest-if-empty", metavar="PATH", help="ingest PATH first if empty")
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    args = _parser().parse_args(argv)
    command = args.command or "chat"
    from ..errors import AssistantError, ConfigError

    try:
        assistant = _assistant(args)
        return COMMANDS[command](assistant, args)
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except AssistantError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED


def _assistant(args: argparse.Namespace) -> Assistant:
    from ..api import Assistant

    return Assistant(store=args.store, config=args.config, llm=getattr(args, "llm", None))


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _print_json(doc: object) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def _console():
    from rich.console import Console

    return Console()


# -- commands -------------------------------------------------------------------------------
def cmd_ingest(a: Assistant, args: argparse.Namespace) -> int:
    from .progress import IngestDisplay

    display = IngestDisplay(enabled=not args.json and sys.stderr.isatty())
    with display:
        report = a.ingest(args.paths, progress=display)
    if args.json:
        _print_json(report.to_json())
    else:
        from .progress import print_report

        print_report(report)
    for failure in report.failed:
        print(f"failed: {failure.path}: {failure.error}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_PARTIAL if report.failed else EXIT_OK


def cmd_papers(a: Assistant, args: argparse.Namespace) -> int:
    papers = a.papers()
    if args.json:
        _print_json(
            [
                {k: p.to_json()[k] for k in ("id", "title", "authors", "year", "source", "chunks")}
                for p in papers
            ]
        )
        return EXIT_OK
    from rich.table import Table

    table = Table(title=f"{len(papers)} papers", title_justify="left")
    for col in ("id", "title", "authors", "year", "chunks", "source"):
        table.add_column(col, overflow="fold" if col == "title" else "ellipsis",
                         no_wrap=col == "id", min_width=16 if col == "id" else None)
    for p in papers:
        table.add_row(p.id, p.title, _short_authors(p.authors), str(p.year or ""), str(p.chunks),
                      os.path.basename(p.source))
    _console().print(table)
    return EXIT_OK


def _short_authors(authors: list[str]) -> str:
    """"Lo", "Lo & Shen", "Lo et al." (surnames as written)."""
    names = [a.split(",")[0] if "," in a else (a.split() or [""])[-1] for a in authors]
    if len(names) > 2:
        return f"{names[0]} et al."
    return " & ".join(names)


def cmd_show(a: Assistant, args: argparse.Namespace) -> int:
    paper = a.paper(args.ref)
    if args.json:
        _print_json(paper.to_json())
        return EXIT_OK
    from rich.markup import escape

    c = _console()
    c.print(f"[bold]{escape(paper.title)}[/bold]  [dim]{paper.id}[/dim]")
    for key, value in paper.to_json().items():
        if key == "authors" and value:
            value = "; ".join(value)
        if key not in ("title", "id") and value not in (None, "", []):
            c.print(f"  {key}: {escape(str(value))}")
    return EXIT_OK


def cmd_remove(a: Assistant, args: argparse.Namespace) -> int:
    paper = a.remove(args.ref)
    if args.json:
        _print_json({"removed": {"id": paper.id, "title": paper.title}})
    else:
        print(f"removed {paper.id}: {paper.title}")
    return EXIT_OK


def cmd_reindex(a: Assistant, args: argparse.Namespace) -> int:
    from .progress import IngestDisplay

    display = IngestDisplay(enabled=not args.json and sys.stderr.isatty())
    with display:
        report = a.reindex(progress=display)
    if args.json:
        _print_json(report.to_json())
    else:
        print(f"reindexed: {report.papers_total} papers, {report.chunks_total} chunks")
    return EXIT_PARTIAL if report.failed else EXIT_OK


def cmd_ask(a: Assistant, args: argparse.Namespace) -> int:
    from .output import print_answer, stream_answer
    from .reading import write_exports

    engine = a.engine_name(args.llm)
    if args.json:
        answer = a.ask(args.question, papers=args.paper, llm=engine)
        _print_json(answer.to_json())
    else:
        answer = stream_answer(a, args.question, args.paper, engine)
        print_answer(answer, a.engine(engine).description)
    write_exports(a, answer, args, args.question)
    return EXIT_OK


def cmd_eval(a: Assistant, args: argparse.Namespace) -> int:
    from ..answering.evaluate import evaluate

    try:
        from pathlib import Path

        questions = json.loads(Path(args.questions).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        from ..errors import ConfigError

        raise ConfigError(f"{args.questions}: cannot read questions: {exc}") from None
    engine = a.engine_name(args.llm)
    a.ask("warm up", llm=engine)  # load the model and indexes outside the timings
    result = evaluate(lambda q: a.ask(q, llm=engine), questions)
    if args.json:
        _print_json({"engine": engine, **result.to_json()})
    else:
        print(f"engine: {engine}")
        print(result.report())
    return EXIT_OK


def cmd_chat(a: Assistant, args: argparse.Namespace) -> int:
    seed = getattr(args, "ingest_if_empty", None)
    try:
        from ..tui.app import run_app
    except ImportError as exc:  # a broken install (textual missing): say so, exit non-zero
        _error(f"the terminal app cannot start: {exc}")
        return EXIT_FAILED
    # The app paints first, then opens the store and ingests ``seed`` (with a progress bar)
    # if the library is empty.
    return run_app(a, ingest_if_empty=seed)


def _reading(name: str, a: Assistant, args: argparse.Namespace) -> int:
    """summarize / compare live in cli.reading."""
    from . import reading

    return getattr(reading, name)(a, args)


COMMANDS = {
    "ingest": cmd_ingest,
    "papers": cmd_papers,
    "show": cmd_show,
    "remove": cmd_remove,
    "reindex": cmd_reindex,
    "ask": cmd_ask,
    "summarize": lambda a, args: _reading("cmd_summarize", a, args),
    "compare": lambda a, args: _reading("cmd_compare", a, args),
    "eval": cmd_eval,
    "chat": cmd_chat,
}
