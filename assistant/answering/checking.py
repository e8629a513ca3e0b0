"""The check every engine's text goes through: markers mapped to passages, each claim judged
against what it cites. A language model's text gets more: a repetition loop at its end is cut,
its notes (``> **Note:** ...`` lines: an incomplete reply, a fallback) are lifted into
``Answer.notes`` and ``Answer.complete``, and text with no claim at all (empty, headings only,
bare markers) is an :class:`~assistant.errors.LLMError`: "the model gave no usable answer".
In summaries, topics and comparisons a model's sentences without any marker are dropped, with
the headings left empty by that, and the rest checked again."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import LLMError
from ..types import Answer, Passage
from .citations import Embed, build_answer
from .llm.repetition import loop_start

if TYPE_CHECKING:
    from .engines.base import AnswerEngine

__all__ = ["INCOMPLETE", "NO_USABLE_ANSWER", "check_answer", "check_reply",
           "drop_empty_headings", "incomplete_note", "note_line"]

NO_USABLE_ANSWER = "the model gave no usable answer"
INCOMPLETE = "Incomplete answer: "
"""How the note on a cut reply starts."""
LOOPED = "the model started repeating itself and was stopped"

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_NOTE = re.compile(r"(?m)^[ \t]*> \*\*Note:\*\* (.+?)[ \t]*(?:\n|$)")
_TITLE = re.compile(r"\s{0,3}#{1,6}\s[^\n]*\n")


def note_line(text: str) -> str:
    """A note for the reader as it stands in answer text (a quoted line)."""
    return f"> **Note:** {' '.join(text.split())}"


def incomplete_note(reason: str) -> str:
    """The note that ends a cut reply, e.g. ``reason`` "the model hit its length limit"."""
    return note_line(INCOMPLETE + reason + ".")


def check_reply(raw: str, passages: list[Passage], *, engine: str, embed: Embed | None,
                abstained: bool = False, model: bool = True,
                question: str | None = None) -> Answer:
    """The ask step's check: :func:`build_answer` (relevance judged against ``question``),
    and for a model's text (``model``) the loop cut, the notes and the usable-answer check.
    Raises LLMError when a model gave no claim and did not abstain."""
    if not model:
        return build_answer(raw, passages, engine=engine, embed=embed, abstained=abstained,
                            question=question)
    body, notes, incomplete = _lift_notes(raw)
    answer = build_answer(body, passages, engine=engine, embed=embed, abstained=abstained,
                          question=question)
    _require_usable(answer)
    return _with_notes(answer, notes, incomplete)


def check_answer(raw: str, passages: list[Passage], engine: AnswerEngine, embed: Embed, *,
                 abstained: bool = False) -> Answer:
    """Check ``raw`` against ``passages`` (markers count from 1); ``Answer.retrieved`` is
    ``passages``. Verbatim engines are judged by word overlap alone, others with ``embed``."""
    if engine.verbatim:
        answer = build_answer(raw, passages, engine=engine.name, embed=None, abstained=abstained)
        answer.retrieved = list(passages)
        return answer
    body, notes, incomplete = _lift_notes(raw)
    answer = build_answer(body, passages, engine=engine.name, embed=embed, abstained=abstained)
    if not answer.abstained:
        text = answer.text
        for sentence in (s.text for s in answer.sentences if not s.citations):
            text = text.replace(sentence, "", 1)
        text = drop_empty_headings(text)
        if text != answer.text:
            by_chunk = {p.chunk_id: p for p in passages}
            cited = [by_chunk[c.chunk_id] for c in answer.citations]
            answer = build_answer(text, cited, engine=engine.name, embed=embed)
        _require_usable(answer)
    answer.retrieved = list(passages)
    return _with_notes(answer, notes, incomplete)


def _lift_notes(raw: str) -> tuple[str, list[str], str | None]:
    """The text without its notes and without a repetition loop at its end; the notes; the
    incomplete-answer note (None when the reply is whole)."""
    notes = [" ".join(m.group(1).split()) for m in _NOTE.finditer(raw)]
    body = _NOTE.sub("", raw)
    incomplete = next((n for n in notes if n.startswith(INCOMPLETE)), None)
    notes = [n for n in dict.fromkeys(notes) if not n.startswith(INCOMPLETE)]
    cut = loop_start(body)
    if cut is not None:
        body = body[:cut]
        incomplete = incomplete or f"{INCOMPLETE}{LOOPED}."
    return body.strip(), notes, incomplete


def _require_usable(answer: Answer) -> None:
    """A model's answer must make at least one claim, or say the passages lack the answer."""
    if answer.abstained or answer.sentences:
        return
    bare = "only headings" if _HEADING.search(answer.text) else (
        "only citation markers" if "[" in answer.text else "nothing")
    raise LLMError(f"{NO_USABLE_ANSWER} (it wrote {bare})")


def _with_notes(answer: Answer, notes: list[str], incomplete: str | None) -> Answer:
    """Put the notes back into the text (under the title; a cut reply's at the end) and into
    ``Answer.notes`` / ``Answer.complete``."""
    text = answer.text
    if notes:
        block = "\n".join(note_line(n) for n in notes)
        title = _TITLE.match(text)
        if title:
            text = f"{text[:title.end()]}\n{block}\n\n{text[title.end():].lstrip()}"
        else:
            text = f"{block}\n\n{text}"
    if incomplete:
        text = f"{text.rstrip()}\n\n{note_line(incomplete)}"
    answer.text = text.strip()
    answer.notes = notes + ([incomplete] if incomplete else [])
    answer.complete = incomplete is None
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
