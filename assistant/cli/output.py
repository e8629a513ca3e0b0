"""Printing answers in the terminal: the engine header, the answer, flags and sources."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ..textsafe import safe_line, safe_text
from ..types import Answer

if TYPE_CHECKING:
    from ..api import Assistant

SUPPORT_MARK = {"supported": "✓", "weak": "?", "unsupported": "✗"}
SUPPORT_LABEL = {"supported": "supported", "weak": "doubtful (partly supported)",
                 "unsupported": "unsupported"}


def stream_answer(a: Assistant, question: str, papers: list[str] | None, engine: str) -> Answer:
    """Show an LLM's text live on a terminal (dim), then return the checked Answer."""
    live = not a.engine(engine).verbatim and sys.stdout.isatty()
    answer = None
    for event in a.stream(question, papers=papers, llm=engine):
        if isinstance(event, Answer):
            answer = event
        elif live:
            sys.stdout.write(f"\x1b[2m{safe_text(event)}\x1b[0m")
            sys.stdout.flush()
    if live:
        sys.stdout.write("\n\n")
    assert answer is not None
    return answer


def print_answer(answer: Answer, engine_description: str) -> None:
    """Header, Markdown answer, doubtful and unsupported sentences, numbered sources: all of it
    through the terminal sanitiser; HTML-like text is escaped so it shows literally instead of
    vanishing, and links show their address instead of becoming terminal hyperlinks. A
    comparison's table is laid out for the terminal's width (:mod:`assistant.cli.tables`)."""
    from rich.console import Console, Group
    from rich.table import Table
    from rich.text import Text

    from ..display import plain_inline, tidy
    from .tables import answer_body

    console = Console()
    console.print(Text(f"engine: {safe_line(engine_description)}", style="dim"), soft_wrap=True)
    console.print(answer_body(answer, console.width))
    flagged = [s for s in answer.sentences if s.support != "supported"]
    if flagged and not answer.abstained:
        console.print()
        for s in flagged:
            line = Text(f"{SUPPORT_MARK[s.support]} {SUPPORT_LABEL[s.support]}: ",
                        style="red" if s.support == "unsupported" else "yellow")
            line.append(safe_text(tidy(plain_inline(s.text))))
            console.print(line)
    if answer.citations:
        console.print()
        console.print(Text("Sources", style="bold"))
        sources = Table.grid(padding=(0, 1))  # wrapped lines stay under their title
        sources.add_column(no_wrap=True, style="cyan")
        sources.add_column()
        for c in answer.citations:
            where = safe_line(c.location())
            line = Text(safe_line(tidy(c.title)), style="bold")
            if where:
                line.append(f" — {where}")
            quote = Text(f"“{safe_line(tidy(' '.join(c.quote.split())))}”", style="dim")
            sources.add_row(f"[{c.n}]", Group(line, quote))
        console.print(sources)
