"""Comparisons: 2-5 papers x aspects as a cited table, then a short contrast citing every side.

Each paper is read in full; each cell is the paper's strongest sentence for the aspect (cue
phrases, section, position; see :mod:`assistant.answering.salience`), clipped to a clause of at
most 32 words, or "not stated" when the paper gives no evidence for it. The contrast quotes each
paper's next best approach and results sentences, so it adds to the table instead of repeating
it. The extractive engine writes those pieces verbatim; ``local`` keeps that table and writes
the contrast, one question per paper over one passage; ``openai`` writes table and contrast
from the passages that hold the cells (its table is kept when it has a row for every paper,
else the extractive one is used). ``Answer.table`` is read back from the checked text, so its
citation numbers are the answer's final ones.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import AssistantError
from .checking import check_answer
from .engines.base import ComparisonDraft
from .salience import PaperText, Unit, clip, pick, read_paper, short_name

if TYPE_CHECKING:
    from ..types import Answer, Paper, Passage
    from .engines.base import AnswerEngine
    from .shelf import Shelf

__all__ = ["DEFAULT_ASPECTS", "NOT_STATED", "compare", "match_rows", "parse_table", "table_csv"]

DEFAULT_ASPECTS = ("problem", "approach", "data/benchmarks", "results", "limitations")
NOT_STATED = "not stated"
MIN_PAPERS, MAX_PAPERS = 2, 5
CONTRAST_ASPECTS = ("approach", "results")
CELL_WORDS = 40  # a cell holds its whole sentence up to this length (a clipped one is a fragment)


def compare(shelf: Shelf, engine: AnswerEngine, refs: list[str], *,
            aspects: list[str] | None = None) -> Answer:
    """Compare the papers ``refs`` name over ``aspects`` (default :data:`DEFAULT_ASPECTS`)."""
    if not MIN_PAPERS <= len(refs) <= MAX_PAPERS:
        raise AssistantError(f"compare takes {MIN_PAPERS} to {MAX_PAPERS} papers, "
                             f"got {len(refs)}")
    papers = [shelf.paper(ref) for ref in refs]
    for i, p in enumerate(papers):
        for q, ref in zip(papers[:i], refs[:i], strict=False):
            if q.id == p.id:
                raise AssistantError(f"'{ref}' and '{refs[i]}' name the same paper ({p.id})")
    wanted = [x.strip() for x in (aspects or DEFAULT_ASPECTS) if x.strip()]
    wanted = list(dict.fromkeys(wanted)) or list(DEFAULT_ASPECTS)
    texts = [read_paper(shelf, p) for p in papers]
    cells = [_cells(t, wanted) for t in texts]
    sides = [_sides(t, row) for t, row in zip(texts, cells, strict=True)]
    passages = _cell_passages(texts, [[*row.values(), *more.values()]
                                      for row, more in zip(cells, sides, strict=True)])
    draft = ComparisonDraft(
        papers, wanted, passages,
        title="## Comparison: " + " vs ".join(short_name(p.title, 4) for p in papers),
        table=_render_table(papers, wanted, cells, passages),
        contrast=_contrast(papers, sides), sides=sides)
    answer = check_answer(engine.comparison(draft), passages, engine, shelf.embed)
    answer.table = answer_table(answer.text, papers, wanted)
    if answer.table is None:  # an engine's table we cannot read: use the extractive one
        answer = check_answer(draft.extractive(), passages, engine, shelf.embed)
        answer.table = answer_table(answer.text, papers, wanted)
    return answer


def _cells(text: PaperText, aspects: list[str]) -> dict[str, Unit | None]:
    """Each aspect's sentence: the one that answers it, not one that answers another aspect of
    the table better ("achieves a 2.13x speedup on standard benchmarks" is a result), and no
    sentence in two cells; an aspect left without one then takes the sentence that speaks to
    it, though it fills another cell too (the data a results sentence names)."""
    taken: list[Unit] = []
    out: dict[str, Unit | None] = {}
    rivals = tuple(aspects)
    for aspect in aspects:
        chosen = pick(text.units, aspect, 1, taken, same_passage=0.0, rivals=rivals)
        out[aspect] = chosen[0] if chosen else None
    for aspect in aspects:
        if out[aspect] is None:
            chosen = pick(text.units, aspect, 1, [], same_passage=0.0)
            out[aspect] = chosen[0] if chosen else None
    return out


def _sides(text: PaperText, cells: dict[str, Unit | None]) -> dict[str, Unit | None]:
    """The sentence the contrast quotes per :data:`CONTRAST_ASPECTS`: the next best after the
    table's (so the prose adds to the table), else the table's own cell."""
    from .salience import aspect_key

    used = [u for u in cells.values() if u is not None]
    out: dict[str, Unit | None] = {}
    for key in CONTRAST_ASPECTS:
        more = pick(text.units, key, 1, used, same_passage=0.0)
        own = next((u for a, u in cells.items() if aspect_key(a) == key and u is not None), None)
        out[key] = more[0] if more else own
    return out


def _cell_passages(texts: list[PaperText], rows: list[list[Unit | None]]) -> list[Passage]:
    """The passages holding the rows' sentences, paper by paper; each sentence's ``n``
    re-pointed into that list (once, though a sentence may fill a cell and the contrast)."""
    out: list[Passage] = []
    index: dict[str, int] = {}
    done: set[int] = set()
    for text, row in zip(texts, rows, strict=True):
        for u in row:
            if u is None or id(u) in done:
                continue
            done.add(id(u))
            p = text.passages[u.n - 1]
            if p.chunk_id not in index:
                out.append(p)
                index[p.chunk_id] = len(out)
            u.n = index[p.chunk_id]
    return out


def _cell_text(u: Unit | None, aspect: str) -> str:
    if u is None:
        return f"*{NOT_STATED}*"
    return clip(u.text, aspect, CELL_WORDS).replace("|", "\\|") + f" [{u.n}]"


def _render_table(papers: list[Paper], aspects: list[str],
                  cells: list[dict[str, Unit | None]], passages: list[Passage]) -> str:
    header = "| Paper | " + " | ".join(x[:1].upper() + x[1:] for x in aspects) + " |"
    lines = [header, "|" + "---|" * (len(aspects) + 1)]
    for paper, row in zip(papers, cells, strict=True):
        name = short_name(paper.title, 4).replace("|", "\\|")
        lines.append(f"| **{name}** | "
                     + " | ".join(_cell_text(row[x], x) for x in aspects) + " |")
    return "\n".join(lines)


def _contrast(papers: list[Paper], sides: list[dict[str, Unit | None]]) -> str:
    """One sentence per contrasted aspect, quoting every paper that states it."""
    sentences = []
    for key in CONTRAST_ASPECTS:
        quoted = [(short_name(p.title, 4), row[key]) for p, row in zip(papers, sides,
                                                                       strict=True)]
        stated = [(name, u) for name, u in quoted if u is not None]
        if len(stated) < 2:
            continue
        quotes = [f"*{name}* says \u201c{clip(u.text, key, 24).rstrip('.')}\u201d [{u.n}]"
                  for name, u in stated]
        joined = "; ".join(quotes[:-1]) + ("; while " if len(quotes) > 2 else ", while ")
        sentences.append(f"On {key}, {joined}{quotes[-1]}.")
    return "### Contrast\n\n" + " ".join(sentences) if sentences else ""


# -- the table, read back ----------------------------------------------------------------------
def _split_row(line: str) -> list[str]:
    body = line.strip().removeprefix("|").removesuffix("|")
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", body)]


def parse_table(text: str) -> list[list[str]] | None:
    """The first Markdown table in ``text`` as rows of cells (header first, rule left out)."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if line.strip().startswith("|"):
            cells = _split_row(line)
            if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                rows.append(cells)
        elif rows:
            break
    return rows if len(rows) >= 2 else None


def _plain(cell: str) -> str:
    """Cell text without markers and emphasis."""
    text = re.sub(r"\s*\[\d+(?:\s*[,;\u2013-]\s*\d+)*\]", "", cell)
    return re.sub(r"[*_`]+", "", text).strip()


def match_rows(rows: list[list[str]], papers: list[Paper]) -> list[list[str]] | None:
    """``rows`` reordered to follow ``papers`` (matched by name), or None if one is missing."""
    from rapidfuzz import fuzz

    out: list[list[str]] = []
    free = list(rows)
    for p in papers:
        names = [p.title.casefold(), short_name(p.title, 4).casefold()]
        best = max(free, key=lambda r: max(fuzz.partial_ratio(_plain(r[0]).casefold(), n)
                                           for n in names), default=None)
        if best is None or max(fuzz.partial_ratio(_plain(best[0]).casefold(), n)
                               for n in names) < 70:
            return None
        free.remove(best)
        out.append(best)
    return out


def answer_table(text: str, papers: list[Paper], aspects: list[str]) -> list[dict] | None:
    """``Answer.table`` from the checked text: per paper its id, title and per aspect the cell
    text and citation numbers; None when the text has no row for some paper."""
    from .markers import parse_markers

    rows = parse_table(text)
    if rows is None or len(rows[0]) < len(aspects) + 1:
        return None
    matched = match_rows(rows[1:], papers)
    if matched is None:
        return None
    table = []
    for paper, row in zip(papers, matched, strict=True):
        cells = {}
        for i, aspect in enumerate(aspects, 1):
            cell = row[i] if i < len(row) else ""
            cells[aspect] = {"text": _plain(cell) or NOT_STATED, "citations": parse_markers(cell)}
        table.append({"paper_id": paper.id, "title": paper.title, "cells": cells})
    return table


def table_csv(answer: Answer) -> str:
    """The comparison table as CSV: paper id, title, then each aspect's text with [n]."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    rows = answer.table or []
    aspects = list(rows[0]["cells"]) if rows else []
    writer.writerow(["paper_id", "title", *aspects])
    for row in rows:
        cells = []
        for aspect in aspects:
            cell = row["cells"][aspect]
            marks = "".join(f"[{n}]" for n in cell["citations"])
            cells.append(f"{cell['text']} {marks}".strip())
        writer.writerow([row["paper_id"], row["title"], *cells])
    return out.getvalue()
