"""The base of the engines that write with a language model: the answer from the retrieved
passages in one streamed call; a summary, a topic synthesis or a comparison in one call each.
The chat client is built from the settings on first use, or handed in (tests, other hosts)."""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncIterator, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..checking import INCOMPLETE, incomplete_note, note_line
from ..llm.base import Outcome
from ..markers import parse_markers, remap_markers
from ..prompts import build_messages
from .base import AnswerEngine

if TYPE_CHECKING:
    from ...config import LLMSettings
    from ...search.retriever import Retrieval
    from ...types import Passage
    from ..llm import ChatClient, Message
    from .base import ComparisonDraft, SummaryDraft, TopicDraft

__all__ = ["TABLE_FALLBACK", "LLMEngine", "passage_map"]

SUMMARY_PASSAGES = {"short": 8, "long": 12}  # passages in the one summarize call
TABLE_FALLBACK = ("The model's table could not be read; the table below is extractive "
                  "(sentences copied from the papers).")
_TOP_HEADING = re.compile(r"(?m)^\s{0,3}#{1,2}(?!#)\s*")


@lru_cache(maxsize=64)
def _takes_outcome(method: Any) -> bool:
    """Does a chat client's method accept ``outcome=``? (Clients written before it, and
    scripted test clients, do not; they are called without it.)"""
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return "outcome" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _with_outcome(method: Any, outcome: Outcome) -> dict[str, Any]:
    func = getattr(method, "__func__", method)
    return {"outcome": outcome} if _takes_outcome(func) else {}


def passage_map(chosen: list[Passage], everything: list[Passage]) -> dict[int, int]:
    """Marker map from a call's numbering (1..len(chosen)) to ``everything``'s."""
    index = {p.chunk_id: i + 1 for i, p in enumerate(everything)}
    return {i + 1: index[p.chunk_id] for i, p in enumerate(chosen)}


class LLMEngine(AnswerEngine):
    """An answer engine that writes through a :class:`~assistant.answering.llm.ChatClient`."""

    answer_prompt = "answer"
    """The prompt kind of the ask step (see :data:`assistant.answering.prompts.KINDS`)."""

    def __init__(self, settings: LLMSettings, chat: ChatClient | None = None) -> None:
        self.settings = settings
        self._chat = chat

    @property
    def chat(self) -> ChatClient:
        """The chat client (built on first use)."""
        if self._chat is None:
            self._chat = self.make_chat()
        return self._chat

    def make_chat(self) -> ChatClient:
        """Build the chat client from :attr:`settings`."""
        raise NotImplementedError

    @property
    def description(self) -> str:
        return self.chat.description

    @property
    def label(self) -> str:
        """``openai (gpt-4o-mini)``, ``local (SmolLM2-135M)``: the model's short name."""
        from ..llm.endpoint import short_model_name

        name, _, rest = self.description.partition(":")
        model = short_model_name(re.sub(r"\s*\(.*\)\s*$", "", rest.split(" @ ")[0].strip()))
        return f"{name} ({model})" if model else name

    def warm(self) -> None:
        """Build the client and import its library now: the async client would import it on
        first use (~1.5 s) and freeze an event loop."""
        import importlib

        self.chat  # noqa: B018 - builds the client
        for module in ("openai", "openai.resources.chat"):
            importlib.import_module(module)

    def complete(self, messages: list[Message], max_tokens: int | None = None,
                 outcome: Outcome | None = None) -> str:
        """The whole reply to ``messages``; ``outcome`` learns how it ended."""
        outcome = outcome if outcome is not None else Outcome()
        return self.chat.complete(messages, max_tokens=max_tokens,
                                  **_with_outcome(self.chat.complete, outcome))

    def complete_noted(self, messages: list[Message], max_tokens: int | None = None) -> str:
        """The whole reply, with the incomplete-answer note at its end when it was cut."""
        outcome = Outcome()
        reply = self.complete(messages, max_tokens, outcome).strip()
        return f"{reply}\n\n{incomplete_note(outcome.reason)}" if outcome.reason else reply

    # -- ask -------------------------------------------------------------------------------------
    def _answer_messages(self, question: str, retrieval: Retrieval) -> list[Message]:
        return build_messages(self.answer_prompt, question, self.answer_passages(retrieval))

    def stream_answer(self, question: str, retrieval: Retrieval) -> Iterator[str]:
        """The model's reply as it streams; a cut reply ends with the incomplete note."""
        outcome = Outcome()
        messages = self._answer_messages(question, retrieval)
        yield from self.chat.stream(messages, **_with_outcome(self.chat.stream, outcome))
        if outcome.reason:
            yield "\n\n" + incomplete_note(outcome.reason)

    async def astream_answer(self, question: str, retrieval: Retrieval) -> AsyncIterator[str]:
        outcome = Outcome()
        messages = self._answer_messages(question, retrieval)
        async for piece in self.chat.astream(messages,
                                             **_with_outcome(self.chat.astream, outcome)):
            yield piece
        if outcome.reason:
            yield "\n\n" + incomplete_note(outcome.reason)

    # -- summaries and comparisons ---------------------------------------------------------------
    def summary(self, draft: SummaryDraft) -> str:
        """One summarize call over the passages that hold the planned sentences."""
        from ..summarize import ABSTRACT_ONLY, HEADINGS

        units = sorted((u for key, _ in HEADINGS for u in draft.plan[key]),
                       key=lambda u: u.order)
        passages = draft.passages
        chosen = [passages[n - 1] for n in dict.fromkeys(u.n for u in units)]
        chosen = chosen[: SUMMARY_PASSAGES[draft.length]]  # reading order
        request = ("Summarize the paper briefly: one or two sentences per heading." if
                   draft.length == "short" else "Summarize the paper in depth: up to four "
                   "sentences per heading, keeping the numbers of the key results.")
        abstract_only = draft.text.abstract_only
        if abstract_only:
            request += " Only the abstract is available."
        reply = self.complete_noted(build_messages("summarize", request, chosen,
                                                   title=draft.paper.title))
        body = _TOP_HEADING.sub("### ", reply.strip())  # ## TL;DR -> ### TL;DR
        head = [f"## {draft.paper.title}"] + ([ABSTRACT_ONLY] if abstract_only else [])
        return "\n\n".join([*head, remap_markers(body, passage_map(chosen, passages))])

    def topic(self, draft: TopicDraft) -> tuple[str, list[Passage]]:
        """One synthesis call over the retrieved passages."""
        passages = list(draft.retrieval.passages)
        request = (f"Write a short cited synthesis of what these papers say about {draft.topic}:"
                   " the problems they address, their approaches and findings, and how they "
                   "relate. Name each paper.")
        body = self.complete_noted(build_messages("answer", request, passages))
        return f"## Topic: {draft.topic}\n\n{body}", passages

    def comparison(self, draft: ComparisonDraft) -> str:
        """One compare call. A reply without a readable table (a row per paper, a column per
        aspect, a marker in every row) keeps the extractive table, says so in a note, and
        uses the reply's prose as the contrast."""
        messages = build_messages("compare", "Compare the papers.", draft.passages,
                                  papers=[p.title for p in draft.papers], aspects=draft.aspects)
        reply = self.complete_noted(messages)
        if _readable_table(reply, draft):
            return f"{draft.title}\n\n{reply}"
        prose = "\n".join(ln for ln in reply.splitlines() if not ln.lstrip().startswith("|"))
        prose = prose.strip()
        if prose and not prose.startswith(f"> **Note:** {INCOMPLETE}"):
            prose = "### Contrast\n\n" + prose
        return "\n\n".join(part for part in (draft.title, note_line(TABLE_FALLBACK),
                                               draft.table, prose) if part)

    def close(self) -> None:
        if self._chat is not None:
            self._chat.close()


def _readable_table(reply: str, draft: ComparisonDraft) -> bool:
    """Is the reply's table one the comparison can keep: a row for every paper, a cell for
    every aspect, and a citation marker in every row (rows without one are dropped by the
    check, which would break the table)?"""
    from ..compare import match_rows, parse_table

    rows = parse_table(reply)
    if rows is None or len(rows[0]) < len(draft.aspects) + 1:
        return False
    matched = match_rows(rows[1:], draft.papers)
    return matched is not None and all(parse_markers(" ".join(row)) for row in matched)
