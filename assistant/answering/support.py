"""Support judging for a language model's sentences: fluent inventions must not pass.

:func:`assistant.answering.citations.build_answer` scores a claim against what it cites (best
sentence cosine and word overlap with the whole passage). That lets a fluent paraphrase that
adds a fact pass: "This work is a continuation of the previous one on speculative decoding"
shares enough words with a passage about speculative decoding. :func:`recheck` then asks of
every claim a model wrote (verbatim engines skip it: their sentences are copies):

- **numbers**: every number in the claim is in the cited passages, and near the best
  matching sentence; a number found nowhere is a wrong number (unsupported).
- **names**: every name in the claim (capitalised words inside the sentence, acronyms, words
  with digits such as GPT-4) occurs in the cited passages or their papers' titles; a missing
  name is a wrong attribution (unsupported).
- **the best cited sentence**: the claim's content words must be found in one cited sentence
  (with its neighbours: a paraphrase may merge two), not just somewhere in the passage.
- **new words**: content words found nowhere in the cited passages are facts the claim adds.
- **relations**: negation and direction words (not, outperforms, lower, ...) of the claim
  must be in that sentence.

The outcome can only be the same or lower than the first mark: supported only when all hold;
unsupported when a name or number is missing or most of the claim is new; else weak
(shown as doubtful). Thresholds were set on ``tests/data/support_labels.json`` (its ``dev``
half); ``benchmarks/support.py`` reports both halves, before and after.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from ..types import Support
from .sentences import wordset
from .vocabulary import STOPWORDS, numbers_in, stemmer

__all__ = [
    "ClaimCheck",
    "check_claim",
    "content_words",
    "names",
    "numbers",
    "recheck",
]

# --- thresholds (see the module docstring; figures in benchmarks/support.py) -----------------
WINDOW_COVERAGE = 0.75
"""Share of the claim's content words that must be in the best cited sentence (+ neighbours)
for "supported"."""
MAX_NEW_SHARE = 0.2
"""Largest share of content words found nowhere in the cited passages for "supported"."""
NEW_SHARE_UNSUPPORTED = 0.5
"""This share of new content words or more makes a claim unsupported (unless its meaning is
close to its best cited sentence: then it is doubtful)."""
MIN_EMBED = 0.6
"""Cosine between the claim and its best cited sentence needed for "supported"."""
PARAPHRASE_EMBED = 0.78
"""A claim this close in meaning (cosine) to its best cited sentence may use more words of its
own (an abstractive paraphrase) and still be supported, given ..."""
PARAPHRASE_COVERAGE = 0.6
"""... this share of its content words in that sentence, and ..."""
PARAPHRASE_NEW_SHARE = 0.35
"""... at most this share of content words found nowhere in the cited passages."""
PAIR_GAIN = 0.2
"""Two neighbouring sentences are taken as the claim's source only when they cover this much
more of it than the best single sentence (a pair holds more words, right or wrong)."""
_SUPERLATIVE = re.compile(r"\b(?:the|a|an)\s+(?:first|only|largest|biggest|best|fastest)\b",
                          re.IGNORECASE)

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_MARKER = re.compile(r"\[\d+(?:\s*[,;\u2013-]\s*\d+)*\]")
_NEGATION = wordset("not no never without neither nor cannot can't don't doesn't fails fail "
                    "unable none lack lacks free avoid avoids instead eliminate eliminates "
                    "eliminating")
_RELATIONS = [wordset(group) for group in (
    "outperform outperforms outperformed surpass surpasses surpassed beat beats exceed exceeds "
    "better higher improve improves improved improvement improvements gain gains boost boosts",
    "underperform underperforms worse lower trail trails trailing behind",
    "more larger greater increase increases increased",
    "less fewer smaller decrease decreases decreased reduce reduces reduced reduction",
    "faster speedup", "slower", "best", "worst",
    "keep keeps kept keeping retain retains retained", "discard discards discarded discarding "
    "drop drops dropped remove removes removed reject rejects rejected",
    "require requires required need needs", "only",
)]
"""Direction words, by meaning: a claim using one group must find that group in its source
(or the opposite group with the parties swapped: "A beats B" / "B is worse than A")."""
_OPPOSITE = {0: 1, 1: 0, 2: 3, 3: 2, 4: 5, 5: 4, 6: 7, 7: 6}
_CONTRAST = wordset("than whereas while versus vs outperform outperforms outperformed surpass "
                    "surpasses surpassed beat beats exceed exceeds unlike")
"""Words with one party on each side: "A outperforms B", "A ..., whereas B ..."."""
_CAPITAL_STOP = wordset(
    "The This That These Those It Its We Our They Their A An In On For With By From As At To "
    "Of And But Or If When While However Moreover Furthermore Also Both Each All Some Most "
    "Such Unlike Compared Using Based Finally First Second Third Table Figure Section Fig"
)


def _clean(text: str) -> str:
    """Text without [n] markers and Markdown emphasis."""
    return re.sub(r"[*_`|#>]+", " ", _MARKER.sub(" ", text))


@lru_cache(maxsize=8192)
def _content_tuple(text: str) -> tuple[str, ...]:
    parts = [p for w in _WORD.findall(_clean(text).lower()) for p in re.split(r"[-']", w)]
    words = [w for w in parts if w not in STOPWORDS and len(w) > 1
             and not re.fullmatch(r"[\d.]+", w)]
    return tuple(stemmer()(words))


def _content_sequence(text: str) -> list[str]:
    """Stemmed content words in order (compounds split at hyphens; no stopwords or numbers)."""
    return list(_content_tuple(text))


def content_words(text: str) -> set[str]:
    """Stemmed content words (no stopwords, no bare numbers; compounds split at hyphens)."""
    return set(_content_tuple(text))


@lru_cache(maxsize=8192)
def _numbers(text: str) -> frozenset[str]:
    return frozenset(_numbers_of(text))


def numbers(text: str) -> set[str]:
    """Numbers in ``text``, normalised ("1,000" -> "1000", "0.50" -> "0.5", "three" -> "3")."""
    return set(_numbers(text))


def _numbers_of(text: str) -> set[str]:
    return numbers_in(_MARKER.sub(" ", text))  # a claim's [n] markers are no numbers of it


def names(text: str) -> set[str]:
    """Names in a sentence, lowercased: capitalised words not opening it, acronyms and
    CamelCase words anywhere (PaSa, GPT-4, LLaMA), words mixing letters and digits."""
    out: set[str] = set()
    words = list(re.finditer(r"[^\W_][\w.-]*[^\W_]|[^\W_]", _clean(text)))
    for i, m in enumerate(words):
        w = m.group(0)
        inner = any(c.isupper() for c in w[1:])
        digits = any(c.isdigit() for c in w) and any(c.isalpha() for c in w)
        opening = i == 0 or re.search(r"[.:!?]\s*$", text[: m.start()]) is not None
        capital = w[0].isupper() and w not in _CAPITAL_STOP and not opening
        if inner or digits or (capital and len(w) > 1):
            out.add(w.lower())
    return out


def _tokens(text: str) -> set[str]:
    """Lowercased word tokens, also split at hyphens (for finding names)."""
    return set(_token_set(text))


@lru_cache(maxsize=8192)
def _token_set(text: str) -> frozenset[str]:
    words = _WORD.findall(_clean(text).lower())
    return frozenset(words) | {part for w in words for part in re.split(r"[-']", w)}


def _found(name: str, haystack: str, tokens: set[str]) -> bool:
    return name in tokens or (len(name) > 3 and name in haystack)


@dataclass(slots=True)
class ClaimCheck:
    """What :func:`check_claim` found about one claim."""

    coverage: float
    """Share of its content words in the best cited sentence (or pair of sentences)."""
    uncovered: int
    """Its content words not in that sentence."""
    new_words: int
    """Content words found nowhere in the cited passages."""
    new_share: float
    missing_names: list[str]
    """Names found nowhere in the cited passages (or their titles)."""
    missing_numbers: list[str]
    """Numbers found nowhere in the cited passages."""
    far_names: list[str]
    """Names in the passages but not in the best sentence, or there beside other words."""
    numbers_near: bool
    """Every number of the claim is in the best sentence."""
    numbers_clash: bool
    """The best sentence states other numbers than the claim's (a wrong number)."""
    relation_ok: bool
    """Its negation and direction words are in the best sentence (by meaning)."""
    swapped: bool
    """The parties on the two sides of "than" / "outperforms" / "whereas" are swapped."""
    copied: bool
    """The claim's words are a run of the passages' words (a copy, maybe cut)."""
    best: str
    """The best cited sentence (or pair)."""


def _coverage(mine: set[str], window: str) -> float:
    return len(mine & content_words(window)) / len(mine) if mine else 0.0


def _plain_words(text: str) -> str:
    return " " + " ".join(_WORD.findall(_clean(text).lower())) + " "


def _windows(sentences: Sequence[Sequence[str]]) -> list[str]:
    """Each cited sentence, and each two neighbouring ones (a paraphrase may merge two)."""
    out: list[str] = []
    for sents in sentences:
        out += list(sents)
        out += [f"{a} {b}" for a, b in zip(sents, sents[1:], strict=False)]
    return out


def _relation_ok(claim: str, best: str) -> bool:
    """Negations, direction words (by meaning) and priority claims ("the first") of the claim
    are in its source; with a pair of sentences, each direction word beside a name of it."""
    mine, theirs = _tokens(claim), _tokens(best)
    inverse = _sides_swapped(claim, best)
    if mine & _NEGATION and not theirs & _NEGATION:  # "does not need" / "data-free" is fine
        return False
    said = {" ".join(m.group(0).lower().split()[1:]) for m in _SUPERLATIVE.finditer(best)}
    if any(" ".join(m.group(0).lower().split()[1:]) not in said
           for m in _SUPERLATIVE.finditer(claim)):
        return False
    wanted = [i for i, g in enumerate(_RELATIONS) if mine & g]
    if not all(theirs & _RELATIONS[i] or (inverse and i in _OPPOSITE
                                          and theirs & _RELATIONS[_OPPOSITE[i]])
               for i in wanted):
        return False
    groups = [_RELATIONS[i] for i in wanted if theirs & _RELATIONS[i]]
    claim_names = names(claim)
    parts = _SENTENCE_END.split(best)
    if len(parts) < 2 or not claim_names or not groups:
        return True
    for g in groups:  # "ConvMixer ... best": "best" must be said of ConvMixer, not of another
        holders = [p for p in parts if _tokens(p) & g]
        if not any(_found(n, p.lower(), _tokens(p)) for p in holders for n in claim_names):
            return False
    return True


def _sides(text: str) -> tuple[set[str], set[str]] | None:
    """Content words before and after the first contrast word, or None without one."""
    words = _WORD.findall(_clean(text).lower())
    at = next((i for i, w in enumerate(words) if w in _CONTRAST), None)
    if at is None:
        return None
    return content_words(" ".join(words[:at])), content_words(" ".join(words[at + 1:]))


def _sides_swapped(claim: str, best: str) -> bool:
    """Do parties of the claim sit on the other side of the contrast in the source?"""
    mine, theirs = _sides(claim), _sides(best)
    if mine is None or theirs is None:
        return False
    (left, right), (src_left, src_right) = mine, theirs
    return bool(left & (src_right - src_left)) and bool(right & (src_left - src_right))


def _swapped(claim: str, best: str) -> bool:
    """Are the parties swapped while the direction stays ("B outperforms A" from "A
    outperforms B"), unlike an inverse wording ("B is worse than A")?"""
    if not _sides_swapped(claim, best):
        return False
    mine, theirs = _tokens(claim), _tokens(best)
    return not any(mine & _RELATIONS[i] and theirs & _RELATIONS[j]
                   for i, j in _OPPOSITE.items())


def _context(sequence: list[str], word: str, reach: int = 5) -> set[str]:
    out: set[str] = set()
    for i, w in enumerate(sequence):
        if w == word:
            out.update(sequence[max(0, i - reach):i] + sequence[i + 1:i + 1 + reach])
    out.discard(word)
    return out


def _far_names(claim: str, best: str, found: list[str], subjects: set[str],
               titled: set[str]) -> list[str]:
    """Names of the claim that the best sentence lacks (unless the passage is about them or
    its title names them: its sentences say "it" or "our objective" for those), or holds
    beside none of the words the claim puts around them ("parity with GPT-4" against
    "trailing behind GPT-4"; not asked of the passage's subjects, said in every context)."""
    mine, theirs = _content_sequence(claim), _content_sequence(best)
    best_tokens, best_lower = _tokens(best), best.lower()
    out = []
    for name in found:
        if not _found(name, best_lower, best_tokens):
            if name not in subjects | titled:
                out.append(name)
            continue
        if name in subjects:
            continue
        key = stemmer()([re.split(r"[-']", name)[0]])[0]
        around = _context(mine, key)
        if around and key in theirs and not around & _context(theirs, key):
            out.append(name)
    return out


def _subjects(text: str) -> set[str]:
    """What the passage is about: its most frequent name (its method), named in 2+ sentences."""
    counts: dict[str, int] = {}
    for sentence in _SENTENCE_END.split(text):
        for n in names(f"x {sentence}"):
            counts[n] = counts.get(n, 0) + 1
    top = max(counts.values(), default=0)
    return {n for n, c in counts.items() if c == top and c >= 2}


def check_claim(claim: str, sentences: Sequence[Sequence[str]], context: str = "") -> ClaimCheck:
    """Compare ``claim`` with the cited passages given as their sentences (one list per passage);
    ``context`` is more text where names may be found (the papers' titles)."""
    mine = content_words(claim)
    claim_names, claim_numbers = names(claim), numbers(claim)
    everything = " ".join(" ".join(s) for s in sentences)
    haystack = f"{everything} {context}".lower()
    tokens = _tokens(f"{everything} {context}")

    def score(window: str) -> tuple[float, float, int]:
        words = content_words(window)
        cover = len(mine & words) / len(mine) if mine else 0.0
        low, toks = window.lower(), _tokens(window)
        named = sum(_found(n, low, toks) for n in claim_names) / (len(claim_names) or 1)
        counted = len(claim_numbers & numbers(window)) / (len(claim_numbers) or 1)
        return cover + 0.25 * named + 0.25 * counted, -len(window), 0

    singles = [x for sents in sentences for x in sents]
    best = max(singles, key=score, default="")
    pair = max(_windows(sentences), key=score, default="")
    if _coverage(mine, pair) >= _coverage(mine, best) + PAIR_GAIN:
        best = pair  # two sentences merged into one claim
    words = content_words(best)
    coverage = len(mine & words) / len(mine) if mine else 0.0
    new = mine - content_words(everything)
    missing_names = sorted(n for n in claim_names if not _found(n, haystack, tokens))
    found_names = sorted(claim_names - set(missing_names))
    best_numbers = numbers(best)
    return ClaimCheck(
        coverage=coverage,
        uncovered=len(mine - words),
        new_words=len(new),
        new_share=len(new) / len(mine) if mine else 0.0,
        missing_names=missing_names,
        missing_numbers=sorted(claim_numbers - numbers(everything)),
        far_names=_far_names(claim, best, found_names, _subjects(everything),
                             names(f"x {context}")),
        numbers_near=claim_numbers <= best_numbers,
        numbers_clash=bool(claim_numbers - best_numbers) and bool(best_numbers - claim_numbers),
        relation_ok=_relation_ok(claim, best),
        swapped=_swapped(claim, best),
        copied=_plain_words(claim) in _plain_words(everything),
        best=best,
    )


def judge(check: ClaimCheck, first: Support, embed: float | None, verbatim: bool) -> Support:
    """The support mark after :func:`check_claim`: never higher than ``first``."""
    similar = embed is not None and embed >= PARAPHRASE_EMBED
    if (check.missing_names or check.missing_numbers or check.numbers_clash or check.swapped
            or (check.new_share >= NEW_SHARE_UNSUPPORTED and not similar)):
        return "unsupported"
    if first == "unsupported":
        return first
    if check.copied:  # the passage's own words: the fast path of copied sentences
        return first
    few_new = check.new_words <= 1 or check.new_share <= MAX_NEW_SHARE
    covered = check.coverage >= WINDOW_COVERAGE or check.uncovered <= 1
    close = covered and few_new and (embed is None or embed >= MIN_EMBED)
    reworded = (similar and check.coverage >= PARAPHRASE_COVERAGE
                and check.new_share <= PARAPHRASE_NEW_SHARE)
    holds = ((close or reworded) and check.numbers_near and check.relation_ok
             and not check.far_names)
    return first if holds else "weak"


class _Claim(Protocol):
    plain: str
    cites: list[int]


class _Evidence(Protocol):
    embed: float | None
    verbatim: bool


class _Passage(Protocol):
    title: str


def recheck(claims: Sequence[_Claim], marks: dict[int, Support],
            evidence: Sequence[_Evidence], sources: Sequence[Sequence[str]],
            cited: Sequence[_Passage]) -> dict[int, Support]:
    """New marks for ``claims`` (keyed by ``id(claim)`` like ``marks``): ``sources[i]`` are the
    sentences of the passage cited as [i + 1], ``cited[i]`` that passage."""
    out = dict(marks)
    for claim, ev in zip(claims, evidence, strict=True):
        chosen = [n - 1 for n in claim.cites if 0 < n <= len(sources)]
        context = " ".join(dict.fromkeys(cited[i].title for i in chosen))
        check = check_claim(claim.plain, [sources[i] for i in chosen], context)
        out[id(claim)] = judge(check, marks[id(claim)], ev.embed, ev.verbatim)
    return out
