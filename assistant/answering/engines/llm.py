"""The base of the engines that write with a language model: the answer from the retrieved
passages in one streamed call; a summary, a topic synthesis or a comparison in one call each.
The chat client is built from the settings on first use, or handed in (tests, other hosts)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from ..markers import remap_markers
from ..prompts import build_messages
from .base import AnswerEngine

if TYPE_CHECKING:
    from ...config import LLMSettings
    from ...search.retriever import Retrieval
    from ...types import Passage
    from ..llm import ChatClient, Message
    from .base import ComparisonDraft, SummaryDraft, TopicDraft

__all__ = ["LLMEngine", "passage_map"]

SUMMARY_PASSAGES = {"short": 8, "long": 12}  # passages in the one summarize call
_TOP_HEADING = re.compile(r"(?m)^\s{0,3}#{1,2}(?!#)\s*")


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
        name, _, rest = self.description.partition(":")
        model = rest.split("@")[0].strip()
        return f"{name} ({model})" if model else name

    def warm(self) -> None:
        """Build the client and import its library now: the async client would import it on
        first use (~1.5 s) and freeze an event loop."""
        import importlib

        self.chat  # noqa: B018 - builds the client
        for module in ("openai", "openai.resources.chat"):
            importlib.import_module(module)

    def complete(self, messages: list[Message], max_tokens: int | None = None) -> str:
        """The whole reply to ``messages``."""
        return self.chat.complete(messages, max_tokens=max_tokens)

    # -- ask -------------------------------------------------------------------------------------
    def _answer_messages(self, question: str, retrieval: Retrieval) -> list[Message]:
        return build_messages(self.answer_prompt, question, self.answer_passages(retrieval))

    def stream_answer(self, question: str, retrieval: Retrieval) -> Iterator[str]:
        yield from self.chat.stream(self._answer_messages(question, retrieval))

    async def astream_answer(self, question: str, retrieval: Retrieval) -> AsyncIterator[str]:
        async for piece in self.chat.astream(self._answer_messages(question, retrieval)):
            yield piece

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
        reply = self.complete(build_messages("summarize", request, chosen,
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
        body = self.complete(build_messages("answer", request, passages)).strip()
        return f"## Topic: {draft.topic}\n\n{body}", passages

    def comparison(self, draft: ComparisonDraft) -> str:
        """One compare call; a reply without a readable table keeps the extractive table
        and uses the reply's prose as the contrast."""
        from ..compare import match_rows, parse_table

        messages = build_messages("compare", "Compare the papers.", draft.passages,
                                  papers=[p.title for p in draft.papers], aspects=draft.aspects)
        reply = self.complete(messages).strip()
        rows = parse_table(reply)
        if rows is None or match_rows(rows[1:], draft.papers) is None:
            prose = "\n".join(ln for ln in reply.splitlines() if not ln.lstrip().startswith("|"))
            return "\n\n".join([draft.title, draft.table, "### Contrast\n\n" + prose.strip()])
        return f"{draft.title}\n\n{reply}"

    def close(self) -> None:
        if self._chat is not None:
            self._chat.close()
