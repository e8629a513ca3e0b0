"""The check every engine's text goes through: markers mapped to passages, each claim judged
against what it cites; a language model's sentences without any marker are dropped (with the
headings left empty by that) and the rest checked again."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..types import Answer, Passage
from .citations import Embed, build_answer

if TYPE_CHECKING:
    from .engines.base import AnswerEngine

__all__ = ["check_answer", "drop_empty_headings"]

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")


def check_answer(raw: str, passages: list[Passage], engine: AnswerEngine, embed: Embed, *,
                 abstained: bool = False) -> Answer:
    """Check ``raw`` against ``passages`` (markers count from 1); ``Answer.retrieved`` is
    ``passages``. Verbatim engines are judged by word overlap alone, others with ``embed``."""
    judge = None if engine.verbatim else embed
    answer = build_answer(raw, passages, engine=engine.name, embed=judge, abstained=abstained)
    uncited = [s.text for s in answer.sentences if not s.citations]
    if not engine.verbatim and uncited and not answer.abstained:
        text = answer.text
        for sentence in uncited:
            text = text.replace(sentence, "", 1)
        by_chunk = {p.chunk_id: p for p in passages}
        cited = [by_chunk[c.chunk_id] for c in answer.citations]
        answer = build_answer(drop_empty_headings(text), cited, engine=engine.name, embed=judge)
    answer.retrieved = list(passages)
    return answer


def drop_empty_headings(text: str) -> str:
    """Remove headings with nothing under them, empty list items and extra blank lines."""
    lines = [ln for ln in text.splitlines() if ln.strip() not in {"-", "*", "+"}]
    kept: list[str] = []
    for i, line in enumerate(lines):
        if _HEADING.match(line):
            level = len(line.lstrip()) - len(line.lstrip().lstrip("#"))
            body = False
            for nxt in lines[i + 1:]:
                if _HEADING.match(nxt):
                    deeper = len(nxt.lstrip()) - len(nxt.lstrip().lstrip("#")) > level
                    body = body or deeper
                    if not deeper:
                        break
                elif nxt.strip():
                    body = True
                    break
            if not body:
                continue
        kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
