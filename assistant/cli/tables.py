"""Rich renderables for the terminal: the paper list and a comparison laid out for the width
(aspects as rows and one column per paper, or one card per paper when columns would be too
narrow). Only the CLI imports this."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..display import authors_short, comparison_layout, source_name, split_table, tidy
from ..textsafe import safe_line, safe_text
from ..types import counted

if TYPE_CHECKING:
    from ..types import Answer, Paper

AUTHORS_WIDTH = 18


def authors_text(p: Paper) -> Text:
    """``Surname et al.``; for a listing entry that only counts them, ``3 authors`` (dim)."""
    text, is_count = authors_short(p.authors, p.n_authors)
    return Text(safe_line(text), style="dim" if is_count else "")


def papers_header(papers: list[Paper], where: str) -> str:
    """The line above the paper list: how many, and which library."""
    return f"{counted(len(papers), 'paper')} in {where}"


def papers_table(papers: list[Paper], width: int) -> Table:
    """The library: title with its id and source below it, authors, year, chunks."""
    table = Table(box=box.SIMPLE_HEAD, expand=False, pad_edge=False)
    table.add_column("title · id · source", ratio=1, overflow="fold")
    table.add_column("authors", max_width=AUTHORS_WIDTH if width < 120 else 32,
                     overflow="ellipsis", no_wrap=True)
    table.add_column("year", width=4)
    table.add_column("chunks", justify="right", width=6)
    for p in papers:
        title = Text(safe_line(tidy(p.title)), style="bold")
        more = f" (+{len(p.sources) - 1})" if len(p.sources) > 1 else ""
        title.append(f"\n{safe_line(p.id)} · {safe_line(source_name(p.source))}{more}",
                     style="dim")
        table.add_row(title, authors_text(p), str(p.year or ""), str(p.chunks))
    return table


def comparison(rows: list[dict], width: int) -> RenderableType:
    """``Answer.table`` at ``width`` columns; cells are the key clause with its ``[n]`` (the
    full sentences are in the Sources list below)."""
    layout = comparison_layout(rows, width)

    def cell(aspect: str, i: int) -> Text:
        text, marks = layout.cells[aspect][i]
        out = Text(safe_line(text), style="dim italic" if not marks else "")
        if marks:
            out.append(" " + "".join(f"[{n}]" for n in marks), style="cyan")
        return out

    if layout.table:
        table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, show_lines=True)
        table.add_column("", style="bold", no_wrap=True, max_width=16)
        for name in layout.names:
            table.add_column(Text(safe_line(name), style="bold"), ratio=1, overflow="fold")
        for aspect in layout.aspects:
            table.add_row(Text(aspect[:1].upper() + aspect[1:]),
                          *[cell(aspect, i) for i in range(len(layout.names))])
        return table
    cards: list[RenderableType] = []
    for i, title in enumerate(layout.titles):
        cards.append(Text(safe_line(tidy(title)), style="bold"))
        for aspect in layout.aspects:
            line = Text(f"{aspect[:1].upper() + aspect[1:]}: ", style="italic")
            line.append_text(cell(aspect, i))
            cards.append(Padding(line, (0, 0, 0, 2)))
        cards.append(Text(""))
    return Group(*cards)


def answer_body(answer: Answer, width: int) -> RenderableType:
    """The answer's Markdown (LaTeX leftovers tidied); a comparison's table laid out for
    ``width`` columns."""
    from rich.markdown import Markdown

    from ..answering.literal import literal_markdown

    def markdown(text: str) -> Markdown:  # literal HTML-like text, no terminal hyperlinks
        return Markdown(literal_markdown(safe_text(text)), hyperlinks=False)

    if not answer.table:
        return markdown(tidy(answer.text))
    before, after = split_table(tidy(answer.text))
    parts: list[RenderableType] = [markdown(before), comparison(answer.table, width)]
    return Group(*parts, *([markdown(after)] if after else []))
