"""The ``local`` engine: the bundled small model (SmolLM2-135M) on a private 127.0.0.1 server.

A 135M model cannot write a summary or a table: it answers one short question at a time over
at most three passages. Its prompt (``prompts/local_*.md``) is short: the papers' names, then
each passage as ``[n] text`` on one line, cut to the sentences nearest the question, with the
paper's own reference markers taken out: no tags or headers for it to echo. A sentence it
ends without a marker gets the marker of the passage sharing most of its words (the citation
check then judges it like any other). Summaries ask one question per heading, topics one per paper,
comparisons one per paper for the contrast (the table stays extractive). Each such reply keeps
at most two whole sentences, each ending with the marker of the one passage it was given.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from ..checking import incomplete_note, note_line
from ..llm.base import Outcome
from ..markers import parse_markers, strip_markers
from ..prompts import LOCAL_MAX_PASSAGES, default_prompts
from ..support import content_words
from .llm import LLMEngine, _with_outcome, passage_map

if TYPE_CHECKING:
    from ...search.retriever import Retrieval
    from ...types import Passage
    from ..llm import ChatClient, Message
    from .base import ComparisonDraft, SummaryDraft, TopicDraft

__all__ = ["CONTRAST_FALLBACK", "LocalEngine", "MarkerFiller", "local_messages"]

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
ASK_TOKENS = 160  # 1-3 short sentences
CONTRAST_FALLBACK = ("The model gave no usable contrast; the contrast below is extractive "
                     "(sentences copied from the papers).")
EXCERPT_WORDS = 110  # words of each passage the model sees (prompt time is most of the wait)
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_PAPER_MARKER = re.compile(r"\[\s*\d+(?:\s*[,;\u2013-]\s*\d+)*\s*\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")
_ENDS = re.compile(r"[.!?][\"')\]]*$")


def _excerpt(text: str, question: str, limit: int = EXCERPT_WORDS) -> str:
    """The passage on one line, without its own reference markers, cut to the sentences
    sharing most words with the question (kept in order) within ``limit`` words."""
    text = " ".join(_PAPER_MARKER.sub("", text).split())
    sentences = _SENTENCE.split(text)
    if len(text.split()) <= limit or len(sentences) < 2:
        return " ".join(text.split()[:limit])
    wanted = content_words(question)
    ranked = sorted(range(len(sentences)),
                    key=lambda i: (-len(content_words(sentences[i]) & wanted), i))
    keep, words = set(), 0
    for i in ranked:
        n = len(sentences[i].split())
        if words and words + n > limit:
            continue
        keep.add(i)
        words += n
    return " ".join(" ".join(sentences[i] for i in sorted(keep)).split()[:limit])


def local_messages(question: str, passages: list[Passage]) -> list[Message]:
    """The small model's ``[system, user]`` messages: passages as numbered plain lines."""
    from ..salience import short_name

    chosen = passages[:LOCAL_MAX_PASSAGES]
    titles = "; ".join(dict.fromkeys(" ".join(short_name(p.title, 6).split()) for p in chosen))
    lines = [f"Passages from: {titles}"] if titles else []
    lines += [f"[{n}] {_excerpt(p.text, question)}" for n, p in enumerate(chosen, 1)]
    prompts = default_prompts()
    user = prompts.render("local_answer", passages="\n\n".join(lines),
                          question=" ".join(question.split()))
    return [{"role": "system", "content": prompts.render("local_system")},
            {"role": "user", "content": user}]


class MarkerFiller:
    """Gives each streamed sentence that ends without a marker the marker of the passage
    sharing most of its content words (none when no passage shares any). Text passes
    through as it comes; a marker is sent when the next sentence starts, or at the end."""

    def __init__(self, passages: list[Passage]) -> None:
        self._words = [content_words(p.text) for p in passages]
        self._text = ""
        self._start = 0  # where the current sentence begins

    def feed(self, piece: str) -> Iterator[str]:
        """The pieces to show for ``piece``."""
        before = self._text
        self._text += piece
        if piece[:1].isspace() and _ENDS.search(before) and self._opens_sentence(piece):
            marker = self._marker(before[self._start:])
            self._start = len(before)
            if marker:
                yield marker
        yield piece

    def finish(self) -> Iterator[str]:
        """The last sentence's marker, if it needs one."""
        marker = self._marker(self._text[self._start:])
        if marker:
            yield marker

    @staticmethod
    def _opens_sentence(piece: str) -> bool:
        rest = piece.lstrip()
        return not rest or rest[0].isupper() or rest[0].isdigit() or "\n" in piece

    def _marker(self, sentence: str) -> str:
        if parse_markers(sentence) or len(strip_markers(sentence).split()) < 3:
            return ""
        mine = content_words(sentence)
        shared = [len(mine & w) for w in self._words]
        if not shared or max(shared) == 0:
            return ""
        return f" [{shared.index(max(shared)) + 1}]"


class LocalEngine(LLMEngine):
    """The small local model: answers over at most three passages, one question per call."""

    name = "local"
    answer_prompt = "local_answer"

    def make_chat(self) -> ChatClient:
        from ..llm import LocalChat

        return LocalChat()

    def answer_passages(self, retrieval: Retrieval) -> list[Passage]:
        return list(retrieval.passages[:LOCAL_MAX_PASSAGES])

    def _answer_messages(self, question: str, retrieval: Retrieval) -> list[Message]:
        return local_messages(question, self.answer_passages(retrieval))

    def stream_answer(self, question: str, retrieval: Retrieval) -> Iterator[str]:
        """The model's answer as it streams, unmarked sentences given their best passage."""
        outcome = Outcome()
        filler = MarkerFiller(self.answer_passages(retrieval))
        messages = self._answer_messages(question, retrieval)
        for piece in self.chat.stream(messages, max_tokens=ASK_TOKENS,
                                      **_with_outcome(self.chat.stream, outcome)):
            yield from filler.feed(piece)
        yield from filler.finish()
        if outcome.reason:
            yield "\n\n" + incomplete_note(outcome.reason)

    async def astream_answer(self, question: str, retrieval: Retrieval) -> AsyncIterator[str]:
        outcome = Outcome()
        filler = MarkerFiller(self.answer_passages(retrieval))
        messages = self._answer_messages(question, retrieval)
        async for piece in self.chat.astream(messages, max_tokens=ASK_TOKENS,
                                             **_with_outcome(self.chat.astream, outcome)):
            for out in filler.feed(piece):
                yield out
        for out in filler.finish():
            yield out
        if outcome.reason:
            yield "\n\n" + incomplete_note(outcome.reason)

    def reply(self, question: str, passage: Passage, everything: list[Passage],
              sentences: int = 2, max_tokens: int = SUMMARY_TOKENS) -> str:
        """The model's answer to ``question`` from one passage: tags removed, cut to
        ``sentences`` whole sentences (a sentence the token limit cut off is left out), each
        ending with that passage's marker in ``everything``'s numbering (with one passage,
        where a sentence came from is known; the citation check then judges whether the
        passage supports it). Empty when the model abstains."""
        from ..citations import is_abstention
        from ..sentences import split_sentences

        outcome = Outcome()
        reply = self.complete(local_messages(question, [passage]), max_tokens, outcome)
        text = " ".join(_TAG.sub(" ", reply).split())
        parts = split_sentences(text)
        if parts and not outcome.complete and not _ENDS.search(strip_markers(parts[-1]).strip()):
            parts.pop()  # cut mid-sentence by the token limit (or a loop): not a whole claim
        n = passage_map([passage], everything)[1]
        kept = []
        for sentence in parts:
            plain = strip_markers(sentence).strip()
            if len(plain.split()) < 4 or is_abstention(plain) or plain.lstrip().startswith("#"):
                continue
            body = plain[:-1].rstrip() if plain[-1] in ".!?" else plain
            if f"{body} [{n}]." in kept:  # a repeating model says the same thing twice
                continue
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
        if len(lines) >= 2:
            contrast = "### Contrast\n\n" + "\n".join(lines)
        elif draft.contrast:  # the model's replies were unusable: say the contrast is copied
            contrast = f"{note_line(CONTRAST_FALLBACK)}\n\n{draft.contrast}"
        else:
            contrast = ""
        return "\n\n".join(part for part in (draft.title, draft.table, contrast) if part)
