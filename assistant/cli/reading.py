"""The summarize and compare commands, and the --out / --bib exports shared with ask."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AssistantError
from ..textsafe import json_text, safe_line, safe_text

if TYPE_CHECKING:
    from ..api import Assistant
    from ..types import Answer

__all__ = ["add_engine_option", "add_export_options", "add_reading_commands", "cmd_compare",
           "cmd_summarize", "write_exports"]


def add_export_options(parser: argparse.ArgumentParser) -> None:
    """``--out FILE.md`` and ``--bib FILE`` on a command that prints an answer."""
    parser.add_argument("--out", metavar="FILE.md",
                        help="also write the answer as Markdown with a reference list")
    parser.add_argument("--bib", metavar="FILE", help="write BibTeX entries for the cited papers")


def add_engine_option(parser: argparse.ArgumentParser) -> None:
    """``--llm NAME``, the choices read from the engine registry."""
    from ..answering.engines.registry import engine_names

    parser.add_argument("--llm", choices=engine_names(), metavar="ENGINE",
                        help="answer engine: " + ", ".join(engine_names()))


def add_reading_commands(sub, common: argparse.ArgumentParser) -> None:
    """The ``summarize`` and ``compare`` subcommands."""
    s = sub.add_parser("summarize", parents=[common],
                       help="structured, cited summary of a paper (or of a topic)")
    s.add_argument("ref", metavar="REF", help="paper id, source path or title; or a topic")
    s.add_argument("--length", choices=["short", "long"], default="short")
    s.add_argument("--topic", action="store_true",
                   help="treat REF as a topic: a synthesis across the papers on it")
    add_engine_option(s)
    add_export_options(s)
    s = sub.add_parser("compare", parents=[common],
                       help="compare 2-5 papers: cited table of aspects and a contrast")
    s.add_argument("refs", nargs="+", metavar="REF")
    s.add_argument("--aspects", nargs="+", metavar="ASPECT",
                   help="columns (default: problem approach data/benchmarks results "
                        "limitations); commas also separate")
    s.add_argument("--format", choices=["md", "csv", "json"],
                   help="print Markdown, CSV (the table) or JSON instead of the terminal view")
    add_engine_option(s)
    add_export_options(s)


def write_exports(a: Assistant, answer: Answer, args: argparse.Namespace, heading: str) -> None:
    """Write ``--out`` (Markdown) and ``--bib`` (BibTeX) when asked; a note on stderr each."""
    out, bib = getattr(args, "out", None), getattr(args, "bib", None)
    if not out and not bib:
        return
    from ..records.export import cited_papers, to_bibtex, to_markdown

    papers = {p.id: p for p in a.papers()}
    if out:
        _write(out, to_markdown(answer, heading=heading, papers=papers))
    if bib:
        cited = cited_papers(answer, papers)
        _write(bib, to_bibtex(cited))
        print(f"wrote {len(cited)} BibTeX entries to {safe_line(bib)}", file=sys.stderr)
    if out:
        print(f"wrote {safe_line(out)}", file=sys.stderr)


def _write(path: str, text: str) -> None:
    try:
        Path(path).expanduser().write_text(text, encoding="utf-8")
    except OSError as exc:
        raise AssistantError(f"cannot write {path}: {exc.strerror or exc}") from None


def _print_json(doc: object) -> None:
    sys.stdout.write(json_text(doc) + "\n")


def cmd_summarize(a: Assistant, args: argparse.Namespace) -> int:
    from .output import print_answer

    engine = a.engine_name(args.llm)
    answer = a.summarize(args.ref, length=args.length, topic=args.topic, llm=engine)
    if not args.topic and answer.text.startswith("## Topic:"):
        print(f"note: '{safe_line(args.ref)}' names no single paper; summarizing it as a topic "
              "(give an id or a full title for one paper)", file=sys.stderr)
    if args.json:
        _print_json(answer.to_json())
    else:
        print_answer(answer, a.engine(engine).description)
    write_exports(a, answer, args, "Summary")
    return 0


def _aspects(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [x.strip() for v in values for x in v.split(",") if x.strip()] or None


def cmd_compare(a: Assistant, args: argparse.Namespace) -> int:
    from ..answering.compare import MAX_PAPERS, MIN_PAPERS, table_csv

    if not MIN_PAPERS <= len(args.refs) <= MAX_PAPERS:
        print(f"error: compare takes {MIN_PAPERS} to {MAX_PAPERS} papers, got "
              f"{len(args.refs)}", file=sys.stderr)
        return 2
    engine = a.engine_name(args.llm)
    answer = a.compare(args.refs, aspects=_aspects(args.aspects), llm=engine)
    fmt = "json" if args.json else args.format
    if fmt == "json":
        _print_json(answer.to_json())
    elif fmt == "csv":
        sys.stdout.write(safe_text(table_csv(answer)))
    elif fmt == "md":
        from ..records.export import to_markdown

        papers = {p.id: p for p in a.papers()}
        sys.stdout.write(safe_text(to_markdown(answer, heading="Comparison", papers=papers)))
    else:
        from .output import print_answer

        print_answer(answer, a.engine(engine).description)
    write_exports(a, answer, args, "Comparison")
    return 0
