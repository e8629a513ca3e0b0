"""Command line. Parses arguments, calls the Assistant, prints. Errors become one line + exit code.

Exit codes: 0 all fine; 1 some inputs failed (the rest was done); 2 usage or configuration
error; 3 the command could not run (store, model, endpoint or reference error); 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..textsafe import json_text, safe_line, safe_text
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

    # The chat app reads Ctrl+C as a key; every other command stops at the first one.
    with _exit_on_interrupt(command != "chat"):
        code = _run(command, args)
    if argv is None:  # closing down: a Ctrl+C now ends the process at once (shell status 130)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    return code


def _run(command: str, args: argparse.Namespace) -> int:
    from ..errors import AssistantError, ConfigError, RefError

    try:
        assistant = _assistant(args)
        if command != "reindex":
            _announce_pending_reindex(assistant)
        return COMMANDS[command](assistant, args)
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except RefError as exc:
        from ..display import ref_error_lines

        head, *candidates = ref_error_lines(exc)  # one candidate a line, each made safe
        _error(head)
        for line in candidates:
            print(f"  {safe_line(line)}", file=sys.stderr, flush=True)
        return EXIT_FAILED
    except AssistantError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:  # the chat app, or a Ctrl+C the handler below did not see
        _error("interrupted")
        return EXIT_INTERRUPTED
    except OSError as exc:  # the file system said no (read-only, full, not a folder)
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"{where}{(exc.strerror or str(exc)).lower()}")
        return EXIT_FAILED


@contextlib.contextmanager
def _exit_on_interrupt(enabled: bool) -> Iterator[None]:
    """While a command runs, the first Ctrl+C (SIGINT) ends the process at once with exit code
    130, wherever it is: a reader thread hashing or parsing a file, a wait on a lock or a
    server. Ending there is safe as a SIGKILL is: every write is crash-safe (see
    ``library.store``), and the kernel drops the locks."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        os.write(2, b"error: interrupted\n")
        os._exit(EXIT_INTERRUPTED)

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _assistant(args: argparse.Namespace) -> Assistant:
    from ..api import Assistant

    return Assistant(store=args.store, config=args.config, llm=getattr(args, "llm", None))


def _announce_pending_reindex(a: Assistant) -> None:
    """Every command says so while a reindex is under way or was interrupted."""
    notice = a.library.pending_reindex()
    if notice:
        _warn(notice)


def _error(message: str) -> None:
    print(f"error: {safe_line(message)}", file=sys.stderr, flush=True)


def _warn(message: str) -> None:
    print(f"warning: {safe_line(message)}", file=sys.stderr, flush=True)


def _note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


def _print_json(doc: object) -> None:
    sys.stdout.write(json_text(doc) + "\n")


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
    print_problems(report)
    return EXIT_PARTIAL if report.failed else EXIT_OK


SKIPPED_SHOWN = 5


def print_problems(report) -> None:
    """One ``failed:`` line per file that failed, one ``warning:`` line per warning, and the
    first few ``skipped:`` entries (hidden files and folders, the store itself)."""
    for failure in report.failed:
        print(f"failed: {safe_line(failure.path)}: {safe_line(failure.error)}", file=sys.stderr)
    for warning in report.warnings:
        _warn(warning)
    for skipped in report.skipped[:SKIPPED_SHOWN]:
        print(f"skipped: {safe_line(skipped.path)}: {safe_line(skipped.reason)}",
              file=sys.stderr)
    if len(report.skipped) > SKIPPED_SHOWN:
        print(f"skipped: ... and {len(report.skipped) - SKIPPED_SHOWN} more (see --json)",
              file=sys.stderr)


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
    from rich.text import Text

    c = _console()
    c.print(Text.assemble((safe_line(paper.title), "bold"), "  ", (safe_line(paper.id), "dim")))
    for key, value in paper.to_json().items():
        if key == "authors" and value:
            value = "; ".join(value)
        if key not in ("title", "id") and value not in (None, "", []):
            c.print(Text(f"  {key}: {safe_text(value)}"))
    return EXIT_OK


def cmd_remove(a: Assistant, args: argparse.Namespace) -> int:
    papers_or_hint(a)
    paper = a.remove(args.ref)
    if args.json:
        _print_json(with_store(a, {"removed": {"id": paper.id, "title": paper.title}}))
    else:
        print(f"removed {safe_line(paper.id)}: {safe_line(paper.title)}")
        print(f"(from the library at {safe_line(where(a))}; its files are untouched: "
              "`assistant ingest` of a file brings its papers back)")
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
    print_problems(report)
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

    questions = _question_file(args.questions)
    engine = a.engine_name(args.llm)
    a.ask("warm up", llm=engine)  # load the model and indexes outside the timings
    result = evaluate(lambda q: a.ask(q, llm=engine), questions)
    if args.json:
        _print_json(with_store(a, {"engine": engine, **result.to_json()}))
    else:
        print(f"engine: {engine}")
        print(safe_text(result.report()))
    return EXIT_OK


QUESTION_FILE_LIMIT = 50_000_000


def _question_file(path: str) -> list[dict]:
    """The questions of an eval file, checked for shape (ConfigError naming the problem)."""
    from ..config import read_user_file
    from ..errors import ConfigError

    text = read_user_file(path, QUESTION_FILE_LIMIT, "question file")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(doc, list):
        raise ConfigError(f"{path}: expected a JSON list of questions, got {type(doc).__name__}")
    for i, item in enumerate(doc, 1):
        where = f"{path}: question {i}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: expected an object, got {type(item).__name__}")
        if not isinstance(item.get("question"), str) or not item["question"].strip():
            raise ConfigError(f"{where}: 'question' must be a non-empty string")
        for key in ("gold_titles", "answer_keywords"):
            value = item.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: '{key}' must be a list of strings")
        for key in ("id", "kind"):
            if not isinstance(item.get(key, ""), str | int):
                raise ConfigError(f"{where}: '{key}' must be a string")
    return doc


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
