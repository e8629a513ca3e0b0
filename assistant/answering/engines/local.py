"""The ``local`` engine: the bundled small model (SmolLM2-135M) on a private 127.0.0.1 server.

A 135M model cannot write a summary or a table: it answers one short question at a time over
one passage. Summaries ask one question per heading, topics one per paper, comparisons one per
paper for the contrast (the table stays extractive). Each reply keeps at most two sentences,
each ending with the marker of the one passage it was given, and the citation check judges it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..markers import strip_markers
from ..prompts import LOCAL_MAX_PASSAGES, build_messages
from .llm import LLMEngine, passage_map

if TYPE_CHECKING:
    from ...search.retriever import Retrieval
    from ...types import Passage
    from ..llm import ChatClient
    from .base import ComparisonDraft, SummaryDraft, TopicDraft

__all__ = ["LocalEngine"]

LOCAL_QUESTIONS = {
    "tldr": "In one sentence, what does the paper {name} do?",
    "overview": "What is the paper {name} about?",
    "problem": "What problem does the paper {name} address?",
    "approach": "What approach or method does the paper {name} propose?",
    "results": "What are the key results of the paper {name}, with their numbers?",
    "limitations": "What limitations or future work does the paper {name} mention?",
}
SUMMARY_TOKENS = 100  # the reply is cut to two sentences anyway
COMPARE_TOKENS = 60  # one sentence per paper is kept
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


class LocalEngine(LLMEngine):
    """The small local model: answers over at most three passages, one question per call."""

    name = "local"
    answer_prompt = "local_answer"

    def make_chat(self) -> ChatClient:
        from ..llm import LocalChat

        return LocalChat()

    def answer_passages(self, retrieval: Retrieval) -> list[Passage]:
        return list(retrieval.passages[:LOCAL_MAX_PASSAGES])

    def reply(self, question: str, passage: Passage, everything: list[Passage],
              sentences: int = 2, max_tokens: int = SUMMARY_TOKENS) -> str:
        """The model's answer to ``question`` from one passage: tags and fences removed, cut
        to ``sentences`` sentences, each ending with that passage's marker in ``everything``'s
        numbering (with one passage, where a sentence came from is known; the citation check
        then judges whether the passage supports it). Empty when the model abstains."""
        from ..citations import is_abstention
        from ..sentences import split_sentences

        reply = self.complete(build_messages("local_answer", question, [passage]),
                              max_tokens=max_tokens)
        text = " ".join(_TAG.sub(" ", reply).split())
        n = passage_map([passage], everything)[1]
        kept = []
        for sentence in split_sentences(text):
            plain = strip_markers(sentence).strip()
            if len(plain.split()) < 4 or is_abstention(plain) or plain.lstrip().startswith("#"):
                continue
            body = plain[:-1].rstrip() if plain[-1] in ".!?" else plain
            kept.append(f"{body} [{n}].")
            if len(kept) >= sentences:
                break
        return " ".join(kept)

    def summary(self, draft: SummaryDraft) -> str:
        """One short question per heading, over the passage of the heading's best sentence."""
        from ..salience import aspect_score, short_name
        from ..summarize import ABSTRACT_ONLY, HEADINGS

        text = draft.text
        parts = [f"## {draft.paper.title}"] + ([ABSTRACT_ONLY] if text.abstract_only else [])
        name = f'"{short_name(draft.paper.title)}"'
        for key, label in HEADINGS:
            if not draft.plan[key]:
                continue
            scores = [aspect_score(u, key)[0] for u in draft.plan[key]]
            best = draft.plan[key][scores.index(max(scores))]
            reply = self.reply(LOCAL_QUESTIONS[key].format(name=name),
                               text.passages[best.n - 1], text.passages,
                               sentences=1 if key == "tldr" else 2,
                               max_tokens=SUMMARY_TOKENS // 2 if key == "tldr" else SUMMARY_TOKENS)
            if reply:
                parts.append(f"### {label}\n\n{reply}")
        return "\n\n".join(parts)

    def topic(self, draft: TopicDraft) -> tuple[str, list[Passage]]:
        """One question per paper (the three best) over its best passage."""
        from ..salience import short_name

        passages = list(draft.retrieval.passages)
        lines = []
        for pid, title, _ in draft.retrieval.papers[:LOCAL_MAX_PASSAGES]:
            best = next(p for p in passages if p.paper_id == pid)
            question = f'What does the paper "{short_name(title)}" say about {draft.topic}?'
            reply = self.reply(question, best, passages, max_tokens=SUMMARY_TOKENS)
            if reply:
                lines.append(f"- **{short_name(title)}**: {reply}")
        return f"## Topic: {draft.topic}\n\n" + "\n".join(lines), passages

    def comparison(self, draft: ComparisonDraft) -> str:
        """The extractive table; the contrast is each paper's approach in the model's words
        (over the passage of its contrast sentence), when at least two papers get one."""
        from ..salience import short_name

        lines = []
        for paper, row in zip(draft.papers, draft.sides, strict=True):
            u = row.get("approach") or next((v for v in row.values() if v is not None), None)
            if u is None:
                continue
            name = short_name(paper.title, 4)
            reply = self.reply(f'What approach does the paper "{name}" take?',
                               draft.passages[u.n - 1], draft.passages, sentences=1,
                               max_tokens=COMPARE_TOKENS)
            if reply:
                lines.append(f"- **{name}**: {reply}")
        contrast = "### Contrast\n\n" + "\n".join(lines) if len(lines) >= 2 else draft.contrast
        return "\n\n".join(part for part in (draft.title, draft.table, contrast) if part)
