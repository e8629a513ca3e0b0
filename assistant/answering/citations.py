"""Citations: clean and renumber an answer's [n] markers, quote the passages, judge support.

An answer from any engine goes through :func:`build_answer`: markers that point to no passage are
dropped, the rest are renumbered 1..m by first use, every citation gets a verbatim quote from its
passage, and every claim sentence is marked supported / weak / unsupported against the passages
it cites. Headings, bold or "Label:" lines, table header rows and abstention sentences ("The
passages do not say ...") are not claims: they stay in ``Answer.text`` but are not listed in
``Answer.sentences``. Every ``Sentence.text`` is a substring of ``Answer.text``, markers included.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..types import Answer, Citation, Passage, Sentence, Support
from .markers import (
    MARKER,
    marker_numbers,
    parse_markers,
    render_group,
    rewrite_markers,
    strip_markers,
)
from .sentences import is_label, split_sentences, units
from .support import recheck
from .vocabulary import STOPWORDS, numbers_in, stemmer

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "NEAR_VERBATIM",
    "OVERLAP_SUPPORTED",
    "OVERLAP_WEAK",
    "QUOTE_MAX",
    "SCORE_SUPPORTED",
    "SCORE_WEAK",
    "build_answer",
    "is_abstention",
    "speaks_of",
]

Embed = Callable[[list[str]], "np.ndarray"]

# --- thresholds --------------------------------------------------------------------------------
# A claim is scored against the passages it cites by
#   score = (best cosine between the claim and one passage sentence + content-word overlap) / 2
# where overlap is the share of the claim's stemmed content words found in the cited passages.
# Calibrated on the 299 abstracts in examples/papers/daily-papers (all-MiniLM-L6-v2 int8):
# 200 random abstract sentences cited to their own abstract (verbatim), to the same abstract with
# that sentence removed, to a random other abstract and to the most similar other abstract (the
# realistic wrong citation), plus 30 hand-written paraphrases (and 15 more held out to check).
# Score percentiles [min / 5% / median / 95% / max]:
#   paraphrase, own abstract   0.55 / 0.64 / 0.80 / 0.92 / 0.93
#   most similar other         0.03 / 0.17 / 0.35 / 0.56 / 0.78
#   paraphrase, most similar   0.15 / 0.19 / 0.36 / 0.64 / 0.66
#   random other abstract      0.02 / 0.09 / 0.22 / 0.38 / 0.59
# With the values below, through build_answer: copied sentences 200/200 supported; paraphrases
# 28 supported / 2 weak / 0 unsupported (held-out set: tests/test_citations.py); real sentences
# cited to the most similar other abstract 1 / 39 / 160, paraphrases cited to it 1 / 7 / 22;
# cited to a random other abstract 0 / 4 / 196.
SCORE_SUPPORTED = 0.64
SCORE_WEAK = 0.45
# Without embeddings (embed=None) the overlap alone decides; same data: paraphrases 27 / 2 / 1,
# most similar other abstract 4 / 17 / 179, random other 1 / 3 / 196.
OVERLAP_SUPPORTED = 0.65
OVERLAP_WEAK = 0.45
# rapidfuzz partial_ratio of the normalised claim against the passage: one-word edits of a passage
# sentence score >= 92 (5th percentile), the 30 paraphrases at most 82. A near-verbatim claim is
# supported unless one of its numbers is missing from the passage.
NEAR_VERBATIM = 90.0
# Per claim and cited passage only the sentences sharing the most content words are embedded: on
# the data above the best-matching sentence of a paraphrase was always among the top 4, and
# negatives only lose similarity (mean -0.02), so the thresholds hold and answers check ~2x faster.
CANDIDATES = 4
QUOTE_MAX = 300

# --- markers ---------------------------------------------------------------------------------
_WORDY = re.compile(r"\[(?:passage|source|ref)\s*(\d{1,3})\]", re.IGNORECASE)  # small models


def _renumber(raw: str, passages: Sequence[Passage]) -> tuple[str, dict[int, int]]:
    """Drop markers outside 1..len(passages); renumber the rest by first use.

    Returns the new text and a map new number -> passage index. Two markers that point to the
    same chunk share one number.
    """
    first_of_chunk: dict[str, int] = {}
    for i, p in enumerate(passages):
        first_of_chunk.setdefault(p.chunk_id, i)
    new_of_index: dict[int, int] = {}

    def rewrite(m: re.Match[str]) -> str:
        numbers = marker_numbers(m.group(0))
        if numbers is None:
            return m.group(0)
        kept: list[int] = []
        for n in numbers:
            if 1 <= n <= len(passages):
                index = first_of_chunk[passages[n - 1].chunk_id]
                new = new_of_index.setdefault(index, len(new_of_index) + 1)
                if new not in kept:
                    kept.append(new)
        return render_group(kept) if kept else "\0"

    text = MARKER.sub(rewrite, _WORDY.sub(r"[\1]", raw))
    text = re.sub(r"(?m)^\0+[ \t]*", "", text)  # a dropped group that opened a line
    text = re.sub(r"\0+[ \t]*(?=\[\d)", "", text)  # a dropped group before a kept one
    text = re.sub(r"[ \t]*\0+", "", text)  # a dropped group and the space before it
    return text, {new: index for index, new in new_of_index.items()}


_SOURCES_LINE = re.compile(r"\W*(?:(?:sources?|references?|citations?)\W*)?", re.IGNORECASE)


# --- support -----------------------------------------------------------------------------------
_SOURCES = r"(?:passages?|sources?|context|documents?|excerpts?|papers?|text)"
_ABSTAIN = re.compile(
    r"\b(?:" + _SOURCES + r"\s+(?:provided\s+|given\s+)?(?:do|does|did)\s*(?:not|n't)\s+"
    r"(?:say|state|contain|mention|include|provide|specify|discuss|report|describe|address|cover|"
    r"give|answer)"
    r"|(?:not|never)\s+(?:\w+\s+)?in\s+the\s+(?:provided\s+|given\s+)?"
    + _SOURCES
    + r"|none\s+of\s+the\s+(?:provided\s+|given\s+)?"
    + _SOURCES
    + r"|not\s+(?:stated|mentioned|specified|reported)\b"
    r"|I\s+(?:cannot|can't|could\s*not|couldn't|can\s+not)\s+(?:find|answer|determine|tell)"
    r"|I\s+(?:do\s*not|don't)\s+know"
    r"|(?:no|not\s+enough|insufficient)\s+information\s+(?:about|on|in|to|regarding))",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

def _plain(text: str) -> str:
    """Text without markers and Markdown emphasis, for comparison."""
    text = strip_markers(text)
    return re.sub(r"[*_`|#>]+", " ", text).strip()


def _content_words(text: str) -> set[str]:
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and not w.isdigit()]
    return {w for w in stemmer()([w for w in words if len(w) > 1])}


def _normalised(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def is_abstention(sentence: str) -> bool:
    """Does an uncited sentence say that the passages lack the answer?"""
    return bool(_ABSTAIN.search(sentence)) and not parse_markers(sentence)


@dataclass(slots=True)
class _Evidence:
    """Scores of one claim against the passages it cites."""

    embed: float | None  # best cosine against one passage sentence
    overlap: float  # share of the claim's content words found in the cited passages
    numbers_ok: bool  # every number in the claim occurs in the cited passages
    verbatim: bool  # the claim is (nearly) a substring of a cited passage


def _judge(ev: _Evidence) -> Support:
    """Turn scores into a support mark (thresholds above)."""
    if ev.embed is None:
        score, high, low = ev.overlap, OVERLAP_SUPPORTED, OVERLAP_WEAK
    else:
        score, high, low = (ev.embed + ev.overlap) / 2, SCORE_SUPPORTED, SCORE_WEAK
    if ev.verbatim or score >= high:
        return "supported" if ev.numbers_ok else "weak"
    return "weak" if score >= low else "unsupported"


def _near_verbatim(claim: str, passage: str) -> bool:
    claim, passage = _normalised(claim), _normalised(passage)
    if len(claim) < 20:
        return False
    if claim in passage:
        return True
    from rapidfuzz import fuzz

    return fuzz.partial_ratio(claim, passage) >= NEAR_VERBATIM


# --- the answer --------------------------------------------------------------------------------
@dataclass(slots=True)
class _Claim:
    text: str  # as it appears in the answer, markers included
    plain: str  # markers and Markdown removed
    cites: list[int]
    start: int = 0  # span in the answer text
    end: int = 0
    short: bool = False  # the answer's short answer (a span, judged as one)
    table_row: bool = False


def _evidence(
    claims: list[_Claim], sources: list[list[str]], embed: Embed | None, passages: list[str]
) -> tuple[list[_Evidence], list[list[float]], dict[tuple[int, int], int]]:
    """Score each claim against its cited passages; also score every passage sentence for quotes
    and find, per claim and cited passage, the sentence that is its quote.

    ``sources[i]`` are the sentences of the passage cited as [i + 1], ``passages[i]`` its text.
    Only the CANDIDATES sentences with the most shared words are embedded per claim and passage.
    """
    words = [[_content_words(x) for x in sents] for sents in sources]
    mine = [_content_words(c.plain) for c in claims]
    picks: dict[tuple[int, int], list[int]] = {}
    quote_scores = [[-1.0] * len(sents) for sents in sources]
    for k, claim in enumerate(claims):
        for i in (n - 1 for n in claim.cites):
            shared = [len(w & mine[k]) for w in words[i]]
            picks[k, i] = sorted(range(len(shared)), key=lambda j: -shared[j])[:CANDIDATES]
            quote_scores[i] = [max(a, b) for a, b in zip(quote_scores[i], shared, strict=True)]
    best: list[float | None] = [None] * len(claims)
    pair_scores: dict[tuple[int, int, int], float] = {
        (k, i, j): float(len(words[i][j] & mine[k])) for (k, i), js in picks.items() for j in js}
    if embed is not None and claims:
        texts = list(
            dict.fromkeys(
                [c.plain for c in claims]
                + [_plain(sources[i][j]) for (_, i), js in picks.items() for j in js]
            )
        )
        row = {t: r for r, t in enumerate(texts)}
        vectors = embed(texts)
        best = [0.0] * len(claims)
        quote_scores = [[-1.0] * len(sents) for sents in sources]
        for (k, i), js in picks.items():
            for j in js:
                sim = float(vectors[row[claims[k].plain]] @ vectors[row[_plain(sources[i][j])]])
                best[k] = max(best[k] or 0.0, sim)
                quote_scores[i][j] = max(quote_scores[i][j], sim)
                pair_scores[k, i, j] = sim
    quote_of = {(k, i): _quote_sentence(claims[k].plain, sources[i], js,
                                        [pair_scores[k, i, j] for j in js], mine[k], words[i])
                for (k, i), js in picks.items() if js}
    numbers = [numbers_in(t) for t in passages]
    seen = [set().union(*w) for w in words]
    out = []
    for k, claim in enumerate(claims):
        cited = [n - 1 for n in claim.cites]
        found = set().union(*(seen[i] for i in cited))
        out.append(
            _Evidence(
                embed=best[k],
                overlap=len(mine[k] & found) / len(mine[k]) if mine[k] else 0.0,
                numbers_ok=numbers_in(claim.plain) <= set().union(*(numbers[i] for i in cited)),
                verbatim=any(_near_verbatim(claim.plain, passages[i]) for i in cited),
            )
        )
    return out, quote_scores, {key: j for key, j in quote_of.items() if j is not None}


def _quote_sentence(claim: str, sentences: list[str], picks: list[int], scores: list[float],
                    words: set[str], sentence_words: list[set[str]]) -> int | None:
    """The passage sentence that is a claim's own quote: the one that holds it verbatim, else
    the best-scoring one when it shares at least half the claim's words (None: no sentence of
    this passage says it)."""
    flat = _normalised(claim)
    for j, sentence in enumerate(sentences):
        if flat and flat in _normalised(sentence):
            return j
    j = picks[max(range(len(picks)), key=lambda x: scores[x])]
    share = len(sentence_words[j] & words) / len(words) if words else 0.0
    if share >= 0.5:
        return j
    # A claim that quotes several passages ("A says '...' [1], while B says '...' [2]"):
    # the sentence of this passage that it mostly contains.
    inside = [(len(sentence_words[x] & words) / len(sentence_words[x]), x) for x in picks
              if len(sentence_words[x]) >= 4]
    best_inside = max(inside, default=(0.0, -1))
    return best_inside[1] if best_inside[0] >= 0.5 else None


def _quote(sentences: list[str], scores: list[float], claims: list[str],
           chosen: int | None = None) -> str:
    """The claims' own passage sentence (``chosen``) or the best-scoring one; whole when it
    holds a claim verbatim, else cut to QUOTE_MAX chars around the claims' words."""
    if not sentences:
        return ""
    best = sentences[chosen if chosen is not None
                     else max(range(len(sentences)), key=lambda j: scores[j])]
    flat = _normalised(best)
    if len(best) <= QUOTE_MAX or any(_normalised(c) and _normalised(c) in flat for c in claims):
        return best
    wanted = _content_words(" ".join(claims))
    starts = [0] + [m.end() for m in re.finditer(r"\s+", best)]
    windows = [
        best[i : i + QUOTE_MAX].rsplit(None, 1)[0] if len(best) - i > QUOTE_MAX else best[i:]
        for i in starts
        if len(best) - i > QUOTE_MAX // 2
    ]
    return max(windows, key=lambda w: len(_content_words(w) & wanted)).strip()


def _own_numbers(text: str, claims: list[_Claim], quote_of: dict[tuple[int, int], int]
                 ) -> tuple[str, dict[int, tuple[int, int | None]]]:
    """Give every (passage, quoted sentence) pair its own marker number, so each cited
    sentence's quote is the sentence it rests on; a claim with no sentence of its own in a
    passage shares that passage's first number. Returns the rewritten text (the claims'
    texts, spans and numbers updated) and a map new number -> (passage number, sentence)."""
    key_of: dict[tuple[int, int | None], int] = {}
    first_of: dict[int, int] = {}
    out: list[str] = []
    pos = 0
    for k, claim in enumerate(claims):
        mapping: dict[int, int] = {}
        for n in claim.cites:
            j = quote_of.get((k, n - 1))
            if j is None and n in first_of:
                mapping[n] = first_of[n]
                continue
            mapping[n] = key_of.setdefault((n, j), len(key_of) + 1)
            first_of.setdefault(n, mapping[n])
        out.append(_map_other(text[pos:claim.start], first_of, key_of))
        pos = claim.end
        claim.text = rewrite_markers(claim.text, _renderer(mapping))
        claim.start = sum(len(x) for x in out)
        claim.end = claim.start + len(claim.text)
        claim.cites = list(dict.fromkeys(mapping[n] for n in claim.cites))
        out.append(claim.text)
    out.append(_map_other(text[pos:], first_of, key_of))
    return "".join(out), {new: key for key, new in key_of.items()}


def _renderer(mapping: dict[int, int]) -> Callable[[list[int]], str]:
    """Render a marker group through ``mapping`` (repeats dropped)."""
    def render(numbers: list[int]) -> str:
        mapped = list(dict.fromkeys(mapping[n] for n in numbers if n in mapping))
        return render_group(mapped) if mapped else ""

    return render


def _map_other(segment: str, first_of: dict[int, int],
               key_of: dict[tuple[int, int | None], int]) -> str:
    """Markers outside claims (a "Sources: [2]" line): each passage's first number."""
    def render(numbers: list[int]) -> str:
        mapped = []
        for n in numbers:
            new = first_of.get(n) or key_of.setdefault((n, None), len(key_of) + 1)
            first_of.setdefault(n, new)
            mapped.append(new)
        return render_group(list(dict.fromkeys(mapped)))

    return rewrite_markers(segment, render)


def build_answer(
    raw: str,
    passages: list[Passage],
    *,
    engine: str,
    embed: Embed | None,
    abstained: bool = False,
    question: str | None = None,
) -> Answer:
    """Check an engine's raw answer against the passages it was given (numbered from 1).

    Bracket groups copied from the passages are the papers' references, not markers; unknown
    markers are dropped, the rest numbered by first use so that every cited sentence has its
    own quote; each claim sentence is judged against the passages it cites (``embed=None``:
    word overlap only), and no better than "weak" when it is a fragment or (given the
    ``question``) speaks of nothing it asks. Uncited sentences are unsupported, except
    abstentions (all uncited ones when ``abstained``); an answer whose only sentences are
    abstentions comes back with ``abstained=True``. A bold first paragraph with a marker (or
    a bold Yes/No) is the short answer (:mod:`assistant.answering.short`).
    """
    from .markers import neutralise_copied
    from .short import read_short

    raw = neutralise_copied(raw.strip(), [p.text for p in passages])
    text, index_of = _renumber(raw, passages)
    short = None if abstained else read_short(text)
    claims: list[_Claim] = []
    abstentions = 0
    for u in units(text):
        sentence = text[u.start : u.end]
        markers = parse_markers(sentence)
        if _SOURCES_LINE.fullmatch(_plain(sentence)):  # "[2]" or "Sources: [2]" on its own
            if markers and claims:  # belongs to the claim before it
                claims[-1].cites.extend(n for n in markers if n not in claims[-1].cites)
            continue
        if not u.claim or is_label(sentence):
            continue
        if not markers and (abstained or is_abstention(sentence)):
            abstentions += 1
        elif sentence.lstrip().startswith("|"):  # a table row: each cell is a claim
            claims += _cell_claims(text, u.start, u.end)
        else:
            claim = _Claim(sentence, _plain(sentence), markers, u.start, u.end,
                           short=short is not None and not claims and u.start < 3
                           and _plain(sentence).strip(" .") == short)
            claims.append(claim)
    cited = [passages[index_of[n]] for n in range(1, len(index_of) + 1)]
    sources = [[x for x in split_sentences(p.text) if _plain(x)] for p in cited]
    judged = [c for c in claims if c.cites]
    evidence, quote_scores, quote_of = _evidence(judged, sources, embed, [p.text for p in cited])
    marks = {id(c): _mark(c, e, question, sources, quote_of, k)
             for k, (c, e) in enumerate(zip(judged, evidence, strict=True))}
    if embed is not None:  # a model's sentences: names, numbers, relations must hold too
        marks = recheck(judged, marks, evidence, sources, cited)
    text, numbers = _own_numbers(text, judged, quote_of)
    citations = []
    for n in sorted(numbers):
        old, j = numbers[n]
        p = cited[old - 1]
        mine = [c.plain for c in judged if n in c.cites]
        citations.append(Citation(
            n=n, paper_id=p.paper_id, title=p.title, chunk_id=p.chunk_id, page=p.page,
            quote=_quote(sources[old - 1], quote_scores[old - 1], mine, j),
            section=p.section))
    return Answer(
        text=text,
        citations=citations,
        sentences=[Sentence(c.text, c.cites, marks.get(id(c), "unsupported")) for c in claims],
        abstained=abstained or (not claims and abstentions > 0),
        retrieved=list(passages),
        engine=engine,
        short_answer=short if claims else None,
    )


_CELL_EDGE = re.compile(r"(?<!\\)\|")
_NOT_STATED = re.compile(r"^\W*(?:not stated|n/?a|none|-+)\W*$", re.IGNORECASE)


def _cell_claims(text: str, start: int, end: int) -> list[_Claim]:
    """The claims of a table row: every cell past the first (the row's name) that says
    something, each with its own span, markers and quote."""
    edges = [m.start() for m in _CELL_EDGE.finditer(text, start, end)]
    out = []
    for a, b in zip(edges[1:], edges[2:], strict=False):
        lo, hi = a + 1, b
        while lo < hi and text[lo].isspace():
            lo += 1
        while hi > lo and text[hi - 1].isspace():
            hi -= 1
        cell = text[lo:hi]
        if not cell or _NOT_STATED.match(_plain(cell)):
            continue
        out.append(_Claim(cell, _plain(cell), parse_markers(cell), lo, hi, table_row=True))
    return out


def _mark(claim: _Claim, ev: _Evidence, question: str | None, sources: list[list[str]],
          quote_of: dict[tuple[int, int], int], k: int) -> Support:
    """The support mark: the evidence's, capped at "weak" for a fragment and for a sentence
    that speaks of nothing the question asks. The short answer is a span: it is judged by
    the passage sentence it was cut from."""
    from .relevance import cap, is_fragment, is_relevant

    mark = _judge(ev)
    asked = _question_words(question)
    if claim.short:
        quoted = [sources[n - 1][quote_of[k, n - 1]] for n in claim.cites
                  if (k, n - 1) in quote_of]
        if not quoted:
            return cap(mark, "weak")
        return mark if is_relevant(_content_words(" ".join(quoted)), asked) else cap(mark, "weak")
    if is_fragment(claim.plain, table_row=claim.table_row):
        mark = cap(mark, "weak")
    if not is_relevant(_content_words(claim.plain), asked):
        mark = cap(mark, "weak")
    return mark


def _question_words(question: str | None) -> set[str]:
    """The question's content words (frame words such as "which papers" left out)."""
    if not question:
        return set()
    from ..search.question import content_words

    return _content_words(content_words(question))


def speaks_of(text: str, question: str) -> bool:
    """Does ``text`` share a content word with ``question``? The relevance test of the support
    mark, so an engine can leave out a sentence that would be marked weak for it."""
    from .relevance import is_relevant

    return is_relevant(_content_words(text), _question_words(question))
