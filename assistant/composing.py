"""Shared steps of summaries and comparisons: calling an engine, moving [n] markers between
passage lists, checking the result and keeping only cited sentences of a language model."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .types import Answer, Passage

if TYPE_CHECKING:
    from .api import Assistant

__all__ = ["complete", "drop_empty_headings", "finish", "local_passages", "local_reply",
           "remap_markers"]

_PART = r"\d{1,3}(?:\s*[-\u2013]\s*\d{1,3})?"
_GROUP = re.compile(rf"\[\s*({_PART}(?:\s*[,;]\s*{_PART})*)\s*\](?!\()")
NOWHERE = 999  # a marker number no passage list reaches: the citation check drops it
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")


def remap_markers(text: str, mapping: dict[int, int]) -> str:
    """Rewrite ``[n]``, ``[n, m]`` and ``[n-m]`` markers through ``mapping``; numbers it lacks
    become :data:`NOWHERE`, which the citation check drops."""

    def rewrite(m: re.Match[str]) -> str:
        numbers: list[int] = []
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            lo, _, hi = part.replace("\u2013", "-").partition("-")
            first, last = int(lo), int(hi or lo)
            numbers += range(first, last + 1) if 0 <= last - first <= 20 else [first]
        return "".join(f"[{mapping.get(n, NOWHERE)}]" for n in numbers)

    return _GROUP.sub(rewrite, text)


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


def finish(a: Assistant, raw: str, passages: list[Passage], engine: str, *,
           abstained: bool = False) -> Answer:
    """Check ``raw`` against ``passages`` (markers count from 1). A language model's sentences
    without any marker are dropped, with headings left empty, and the rest checked again."""
    from .citations import build_answer

    embed = None if engine == "extractive" else a.embedder.embed
    answer = build_answer(raw, passages, engine=engine, embed=embed, abstained=abstained)
    uncited = [s.text for s in answer.sentences if not s.citations]
    if engine != "extractive" and uncited and not answer.abstained:
        text = answer.text
        for sentence in uncited:
            text = text.replace(sentence, "", 1)
        by_chunk = {p.chunk_id: p for p in passages}
        cited = [by_chunk[c.chunk_id] for c in answer.citations]
        answer = build_answer(drop_empty_headings(text), cited, engine=engine, embed=embed)
    answer.retrieved = list(passages)
    return answer


def complete(a: Assistant, engine: str, messages: list[dict[str, str]],
             max_tokens: int | None = None) -> str:
    """The whole reply of a chat engine (``local`` or ``openai``)."""
    return a.reader.chat_engine(engine).complete(messages, max_tokens=max_tokens)


_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def local_reply(a: Assistant, question: str, passage: Passage, everything: list[Passage],
                sentences: int = 2, max_tokens: int = 120) -> str:
    """The local model's answer to ``question`` from one passage: tags and fences removed, cut
    to ``sentences`` sentences, each ending with that passage's marker in ``everything``'s
    numbering (with one passage, where a sentence came from is known; the citation check then
    judges whether the passage supports it). Empty when the model abstains or says nothing."""
    from .citations import is_abstention, split_sentences
    from .prompts import build_messages

    reply = complete(a, "local", build_messages("local_answer", question, [passage]),
                     max_tokens=max_tokens)
    text = " ".join(_TAG.sub(" ", reply).split())
    n = local_passages([passage], everything)[1]
    kept = []
    for sentence in split_sentences(text):
        plain = _GROUP.sub("", sentence).strip()
        if len(plain.split()) < 4 or is_abstention(plain) or plain.lstrip().startswith("#"):
            continue
        body = plain[:-1].rstrip() if plain[-1] in ".!?" else plain
        kept.append(f"{body} [{n}].")
        if len(kept) >= sentences:
            break
    return " ".join(kept)


def local_passages(chosen: list[Passage], everything: list[Passage]) -> dict[int, int]:
    """Marker map from a small call's numbering (1..len(chosen)) to ``everything``'s."""
    index = {p.chunk_id: i + 1 for i, p in enumerate(everything)}
    return {i + 1: index[p.chunk_id] for i, p in enumerate(chosen)}
