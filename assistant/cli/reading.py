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
                        help="answer engine: " + ", ".join(engine_names())
                        + " (default: llm.engine of the config; auto picks openai when an "
                          "endpoint or key is configured, else extractive)")


def add_reading_commands(sub, common: argparse.ArgumentParser, command) -> None:
    """The ``summarize`` and ``compare`` subcommands (``command`` makes a subparser)."""
    s = command(sub, "summarize", common,
                "a structured, cited summary of one paper (or a synthesis across the papers "
                "on a topic)",
                "  assistant summarize PaSa\n"
                "  assistant summarize pasa.pdf --length long --out pasa.md --bib pasa.bib\n"
                '  assistant summarize "speculative decoding" --topic')
    s.add_argument("ref", metavar="REF",
                   help="the paper: its id, a source path or file name, or (part of) its "
                        "title; words that name no paper are summarized as a topic")
    s.add_argument("--length", choices=["short", "long"], default="short",
                   help="short (default): a few sentences a heading; long: more evidence")
    s.add_argument("--topic", action="store_true",
                   help="treat REF as a topic: a synthesis across the papers on it")
    add_engine_option(s)
    add_export_options(s)
    s = command(sub, "compare", common,
                "compare 2-5 papers: a cited table of aspects and a short contrast",
                '  assistant compare SpecTr "Multi-draft"\n'
                '  assistant compare SpecTr "Multi-draft" --aspects approach,results\n'
                "  assistant compare SpecTr PaSa --format csv > table.csv")
    s.add_argument("refs", nargs="+", metavar="REF",
                   help="2 to 5 papers: ids, source paths or file names, or (parts of) titles; "
                        "quote titles with spaces")
    s.add_argument("--aspects", action="append", metavar="A,B,...",
                   help="the aspects compared, comma-separated (default: problem,approach,"
                        "data/benchmarks,results,limitations)")
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


def _topic_note(a: Assistant, ref: str) -> None:
    """Before the work starts: say when REF names no paper and will be read as a topic."""
    from ..errors import RefError

    try:
        a.paper(ref)
    except RefError:
        key = " ".join(ref.casefold().split())
        starts = sum(" ".join(p.title.casefold().split()).startswith(key) for p in a.papers())
        if starts <= 1:  # else summarize refuses the ambiguous REF (an error, no note)
            print(f"note: '{safe_line(ref)}' names no single paper; summarizing it as a topic "
                  "(give an id or a full title for one paper)", file=sys.stderr, flush=True)


def cmd_summarize(a: Assistant, args: argparse.Namespace) -> int:
    from .output import print_answer
    from .store_info import header, papers_or_hint, with_store

    engine = a.engine_name(args.llm)
    papers_or_hint(a)
    if not args.topic:
        _topic_note(a, args.ref)
    answer = a.summarize(args.ref, length=args.length, topic=args.topic, llm=engine)
    if args.json:
        _print_json(with_store(a, answer.to_json()))
    else:
        print_answer(answer, header(a, engine))
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
    from .store_info import header, papers_or_hint, with_store

    engine = a.engine_name(args.llm)
    papers_or_hint(a)
    answer = a.compare(args.refs, aspects=_aspects(args.aspects), llm=engine)
    fmt = "json" if args.json else args.format
    if fmt == "json":
        _print_json(with_store(a, answer.to_json()))
    elif fmt == "csv":
        sys.stdout.write(safe_text(table_csv(answer)))
    elif fmt == "md":
        from ..records.export import to_markdown

        papers = {p.id: p for p in a.papers()}
        sys.stdout.write(safe_text(to_markdown(answer, heading="Comparison", papers=papers)))
    else:
        from .output import print_answer

        print_answer(answer, header(a, engine))
    write_exports(a, answer, args, "Comparison")
    return 0
