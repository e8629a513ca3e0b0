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

from ..types import counted
from .store_info import ADD_PAPERS, header, implicit, missing, papers_or_hint, where, with_store

if TYPE_CHECKING:
    from ..api import Assistant

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Parser(argparse.ArgumentParser):
    """An argument parser whose options may stand anywhere among the positionals
    (``compare SpecTr --aspects results "Multi-draft"``): a command's arguments are parsed
    intermixed (the top level, which holds the commands, cannot be)."""

    _intermixing = False

    def parse_known_args(self, args=None, namespace=None):
        if self._intermixing or self._subparsers is not None:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


class _Help(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples keep their lines; option help is wrapped."""


def _global_options(suppress: bool) -> argparse.ArgumentParser:
    """Options accepted before and after the command; after it, only if given (SUPPRESS)."""
    default = argparse.SUPPRESS if suppress else None
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", metavar="DIR", default=default,
                        help="library folder (env ASSISTANT_STORE; default ./store if it "
                             "exists, else the user data dir)")
    common.add_argument("--config", metavar="FILE", default=default,
                        help="TOML config file (default ./config.toml, else the user config)")
    common.add_argument("--json", action="store_true",
                        default=argparse.SUPPRESS if suppress else False,
                        help="print one JSON document on stdout (and nothing else there)")
    return common


EXAMPLES = """\
examples:
  assistant ingest examples/papers          add a folder of papers (recursive)
  assistant papers                          list the library
  assistant ask "Which papers study speculative decoding?"
  assistant ask "What speedup does SpecTr report?" --paper SpecTr --json
  assistant summarize PaSa --out pasa.md    a cited summary, also written as Markdown
  assistant compare SpecTr "Multi-draft" --aspects approach,results
  assistant remove PaSa                     ingest its file again to bring it back
  assistant chat                            the terminal app (also: bare `assistant`)

REF (a paper) is an id, a source path or file name, or a title: exact, its start, some of
its words, or close to it. `assistant COMMAND --help` describes each command.

exit codes: 0 ok, 1 some inputs failed, 2 usage or configuration error, 3 the command
failed (library, model, endpoint or REF), 130 interrupted."""

REF_HELP = "the paper: its id, a source path or file name, or (part of) its title"


def _command(sub, name: str, common: argparse.ArgumentParser, summary: str,
             examples: str = "") -> argparse.ArgumentParser:
    """A subcommand with a one-line summary (the command list) and examples (its --help)."""
    return sub.add_parser(name, parents=[common], help=summary, description=summary,
                          epilog=("examples:\n" + examples) if examples else None,
                          formatter_class=_Help)


def _parser() -> argparse.ArgumentParser:
    from .reading import add_engine_option, add_export_options, add_reading_commands

    common = _global_options(suppress=True)
    p = _Parser(
        prog="assistant",
        description="A paper reading assistant: ingest papers, ask questions and get answers\n"
        "whose every claim cites the paper and page it came from; summarize and compare.",
        parents=[_global_options(suppress=False)],
        epilog=EXAMPLES,
        formatter_class=_Help,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                           title="commands (default: chat)")

    s = _command(sub, "ingest", common, "add papers (files or folders, recursively)",
                 "  assistant ingest examples/papers\n  assistant ingest paper.pdf notes.md")
    s.add_argument("paths", nargs="+", metavar="PATH",
                   help="a PDF, text, Markdown or HTML file, a listing dump, or a folder")
    _command(sub, "papers", common, "list the library (which library: the header says)",
             "  assistant papers\n  assistant papers --json")
    s = _command(sub, "show", common, "show one paper (id, title, authors, sources)",
                 '  assistant show PaSa\n  assistant show "Generative Marginalization"')
    s.add_argument("ref", metavar="REF", help=REF_HELP)
    s = _command(sub, "remove", common,
                 "remove a paper from the library (its files are not touched; ingesting a "
                 "file again brings its papers back)", "  assistant remove PaSa")
    s.add_argument("ref", metavar="REF", help=REF_HELP)
    _command(sub, "reindex", common,
             "rebuild the library with the current embedding and chunk settings",
             "  assistant reindex")
    s = _command(sub, "ask", common, "ask a question; a cited answer",
                 '  assistant ask "Which papers study speculative decoding?"\n'
                 '  assistant ask "How does the crawler work?" --paper PaSa --llm local\n'
                 '  assistant ask "What speedup does SpecTr report?" --json')
    s.add_argument("question", metavar="QUESTION",
                   help="the question, in quotes; answered from the library with citations")
    s.add_argument("--paper", action="append", metavar="REF",
                   help="only look in this paper (repeat for several); " + REF_HELP)
    add_engine_option(s)
    add_export_options(s)
    add_reading_commands(sub, common, _command)
    s = _command(sub, "eval", common, "run a question file, print per-question results and "
                 "figures", "  assistant eval tests/data/dev_questions.json")
    s.add_argument("questions", metavar="QUESTIONS.json",
                   help="a question file (the format of tests/data/dev_questions.json)")
    add_engine_option(s)
    s = _command(sub, "chat", common, "the terminal app (the default command)",
                 "  assistant chat\n  assistant chat --ingest-if-empty examples/papers")
    s.add_argument("--ingest-if-empty", metavar="PATH",
                   help="ingest PATH first when the library is empty")
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    args = _parser().parse_args(argv)
    command = args.command or "chat"
    from ..errors import AssistantError, ConfigError, RefError

    try:
        assistant = _assistant(args)
        return COMMANDS[command](assistant, args)
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except RefError as exc:
        from ..display import ref_error_lines

        lines = ref_error_lines(exc)
        _error("\n".join([lines[0], *(f"  {line}" for line in lines[1:])]))
        return EXIT_FAILED
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


def _note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


def _print_json(doc: object) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def _console():
    from rich.console import Console

    return Console()


# -- commands -------------------------------------------------------------------------------
def cmd_ingest(a: Assistant, args: argparse.Namespace) -> int:
    from .progress import IngestDisplay

    if missing(a) or implicit(a):
        what = "creating a new library at" if missing(a) else "adding to the library at"
        _note(f"{what} {where(a)} (choose another with --store DIR)")
    display = IngestDisplay(enabled=not args.json, live=sys.stderr.isatty())
    with display:
        report = a.ingest(args.paths, progress=display)
    if args.json:
        _print_json(with_store(a, report.to_json()))
    else:
        from .progress import print_report

        print_report(report, where(a))
    for failure in report.failed:
        print(f"failed: {failure.path}: {failure.error}", file=sys.stderr)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_PARTIAL if report.failed else EXIT_OK


def cmd_papers(a: Assistant, args: argparse.Namespace) -> int:
    papers = [] if missing(a) else a.papers()
    if args.json:
        if implicit(a) or not papers:
            _note(f"library: {where(a)}" + ("" if papers else f" (empty: {ADD_PAPERS})"))
        _print_json(
            [
                {k: p.to_json()[k] for k in ("id", "title", "authors", "year", "source", "chunks")}
                for p in papers
            ]
        )
        return EXIT_OK
    if not papers:
        state = "does not exist yet" if missing(a) else "has no papers yet"
        print(f"0 papers: the library at {where(a)} {state}; {ADD_PAPERS}.")
        return EXIT_OK
    from .tables import papers_header, papers_table

    print(papers_header(papers, where(a)), flush=True)  # one line: the terminal wraps a long path
    console = _console()
    console.print(papers_table(papers, console.width))
    return EXIT_OK


def cmd_show(a: Assistant, args: argparse.Namespace) -> int:
    papers_or_hint(a)
    paper = a.paper(args.ref)
    if args.json:
        _print_json(paper.to_json())
        return EXIT_OK
    from rich.markup import escape

    c = _console()
    c.print(f"[bold]{escape(paper.title)}[/bold]  [dim]{paper.id}[/dim]")
    for key, value in paper.to_json().items():
        if key not in ("title", "id") and value not in (None, "", []):
            c.print(f"  {key}: {escape(str(value))}")
    return EXIT_OK


def cmd_remove(a: Assistant, args: argparse.Namespace) -> int:
    papers_or_hint(a)
    paper = a.remove(args.ref)
    if args.json:
        _print_json(with_store(a, {"removed": {"id": paper.id, "title": paper.title}}))
    else:
        print(f"removed {paper.id}: {paper.title}")
        print(f"(from the library at {where(a)}; its files are untouched: `assistant ingest` "
              "of a file brings its papers back)")
    return EXIT_OK


def cmd_reindex(a: Assistant, args: argparse.Namespace) -> int:
    from .progress import IngestDisplay

    display = IngestDisplay(enabled=not args.json, live=sys.stderr.isatty())
    with display:
        report = a.reindex(progress=display)
    if args.json:
        _print_json(with_store(a, report.to_json()))
    else:
        print(f"reindexed: {counted(report.papers_total, 'paper')}, "
              f"{counted(report.chunks_total, 'chunk')}")
    return EXIT_PARTIAL if report.failed else EXIT_OK


def cmd_ask(a: Assistant, args: argparse.Namespace) -> int:
    from .output import print_answer, stream_answer
    from .reading import write_exports

    engine = a.engine_name(args.llm)
    papers_or_hint(a)
    if args.json:
        answer = a.ask(args.question, papers=args.paper, llm=engine)
        _print_json(with_store(a, answer.to_json()))
    else:
        answer = stream_answer(a, args.question, args.paper, engine)
        print_answer(answer, header(a, engine))
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
        _print_json(with_store(a, {"engine": engine, **result.to_json()}))
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
