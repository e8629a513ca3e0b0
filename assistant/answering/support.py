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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from .sentences import wordset

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
MAX_NEW_SHARE = 0.15
"""Largest share of content words found nowhere in the cited passages for "supported"."""
NEW_SHARE_UNSUPPORTED = 0.5
"""This share of new content words or more makes a claim unsupported."""
MIN_EMBED = 0.6
"""Cosine between the claim and its best cited sentence needed for "supported"."""

_STOPWORDS = wordset(
    "a an the and or but nor of to in on at by for with from as into onto over under than then "
    "that this these those there here it its it's they them their we our us you your he she his "
    "her i me my is are was were be been being am do does did has have had having can could may "
    "might must shall should will would not no so such very also only just both each all any "
    "some more most other which who whom whose what when where why how while about above below "
    "between through during before after again further once same own too s t via per using use "
    "used paper papers passage passages propose proposes proposed authors author study work "
    "show shows shown present presents introduce introduces new approach method"
)
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?")
_SPELLED = {w: str(i) for i, w in enumerate(("two", "three", "four", "five", "six", "seven",
                                              "eight", "nine", "ten", "eleven", "twelve"), 2)}
_SPELLED_RE = re.compile(r"\b(?:" + "|".join(_SPELLED) + r")\b", re.IGNORECASE)
_MARKER = re.compile(r"\[\d+(?:\s*[,;\u2013-]\s*\d+)*\]")
_NEGATION = wordset("not no never without neither nor cannot fails fail unable none")
_RELATION = wordset(
    "outperform outperforms outperformed better worse higher lower more less fewer faster "
    "slower larger smaller increase increases increased decrease decreases decreased improve "
    "improves improved reduce reduces reduced exceed exceeds beats surpass surpasses "
    "underperforms first only best worst"
)
_CAPITAL_STOP = wordset(
    "The This That These Those It Its We Our They Their A An In On For With By From As At To "
    "Of And But Or If When While However Moreover Furthermore Also Both Each All Some Most "
    "Such Unlike Compared Using Based Finally First Second Third Table Figure Section Fig"
)


@lru_cache(maxsize=1)
def _stem() -> Callable[[list[str]], list[str]]:
    try:
        import Stemmer

        return Stemmer.Stemmer("english").stemWords
    except ImportError:  # PyStemmer comes with bm25s; a crude suffix strip otherwise
        return lambda words: [re.sub(r"(?:ing|ed|es|s)$", "", w) if len(w) > 4 else w
                              for w in words]


def _clean(text: str) -> str:
    """Text without [n] markers and Markdown emphasis."""
    return re.sub(r"[*_`|#>]+", " ", _MARKER.sub(" ", text))


def content_words(text: str) -> set[str]:
    """Stemmed content words (no stopwords, no bare numbers)."""
    words = [w for w in _WORD.findall(_clean(text).lower())
             if w not in _STOPWORDS and not w.isdigit() and len(w) > 1]
    return set(_stem()(words))


def numbers(text: str) -> set[str]:
    """Numbers in ``text``, normalised ("1,000" -> "1000", "0.50" -> "0.5", "three" -> "3")."""
    text = _MARKER.sub(" ", text)
    out = {_SPELLED[w.lower()] for w in _SPELLED_RE.findall(text)}
    for m in _NUMBER.finditer(text):
        n = m.group(0).replace(",", "")
        out.add(n.rstrip("0").rstrip(".") if "." in n else n)
    return out


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
    words = _WORD.findall(_clean(text).lower())
    return set(words) | {part for w in words for part in re.split(r"[-']", w)}


def _found(name: str, haystack: str, tokens: set[str]) -> bool:
    return name in tokens or (len(name) > 3 and name in haystack)


@dataclass(slots=True)
class ClaimCheck:
    """What :func:`check_claim` found about one claim."""

    coverage: float
    """Share of its content words in the best cited sentence (and its neighbours)."""
    new_share: float
    """Share of its content words found nowhere in the cited passages."""
    missing_names: list[str]
    missing_numbers: list[str]
    numbers_near: bool
    """Every number of the claim is in the best cited sentence or its neighbours."""
    relation_ok: bool
    """Its negation and direction words are in the best cited sentence (and neighbours)."""
    best: str
    """The best cited sentence (with its neighbours)."""


def check_claim(claim: str, sentences: Sequence[Sequence[str]], context: str = "") -> ClaimCheck:
    """Compare ``claim`` with the cited passages given as their sentences (one list per passage);
    ``context`` is more text where names may be found (the papers' titles)."""
    mine = content_words(claim)
    windows: list[tuple[str, set[str]]] = []
    for sents in sentences:
        words = [content_words(s) for s in sents]
        for j in range(len(sents)):
            lo, hi = max(0, j - 1), min(len(sents), j + 2)
            windows.append((" ".join(sents[lo:hi]), set().union(*words[lo:hi])))
    everything = " ".join(" ".join(s) for s in sentences)
    found_words = content_words(everything)

    def own_share(window: tuple[str, set[str]]) -> float:
        return len(mine & window[1]) / len(mine) if mine else 0.0

    best = max(windows, key=own_share, default=("", set()))
    coverage = own_share(best) if windows else 0.0
    new_share = len(mine - found_words) / len(mine) if mine else 0.0
    haystack = f"{everything} {context}".lower()
    tokens = _tokens(f"{everything} {context}")
    missing_names = sorted(n for n in names(claim) if not _found(n, haystack, tokens))
    have_numbers = numbers(everything)
    missing_numbers = sorted(numbers(claim) - have_numbers)
    numbers_near = numbers(claim) <= numbers(best[0])
    claim_tokens, best_tokens = _tokens(claim), _tokens(best[0])
    relation_ok = (claim_tokens & _NEGATION) <= best_tokens and \
        (claim_tokens & _RELATION) <= best_tokens
    return ClaimCheck(coverage, new_share, missing_names, missing_numbers, numbers_near,
                      relation_ok, best[0])


def judge(check: ClaimCheck, first: str, embed: float | None, verbatim: bool) -> str:
    """The support mark after :func:`check_claim`: never higher than ``first``."""
    if check.missing_names or check.missing_numbers or check.new_share >= NEW_SHARE_UNSUPPORTED:
        return "unsupported"
    if first == "unsupported":
        return first
    if verbatim and check.numbers_near:
        return first
    holds = (check.coverage >= WINDOW_COVERAGE and check.new_share <= MAX_NEW_SHARE
             and check.numbers_near and check.relation_ok
             and (embed is None or embed >= MIN_EMBED))
    return first if holds else "weak"


class _Claim(Protocol):
    plain: str
    cites: list[int]


class _Evidence(Protocol):
    embed: float | None
    verbatim: bool


class _Passage(Protocol):
    title: str


def recheck(claims: Sequence[_Claim], marks: dict[int, str], evidence: Sequence[_Evidence],
            sources: Sequence[Sequence[str]], cited: Sequence[_Passage]) -> dict[int, str]:
    """New marks for ``claims`` (keyed by ``id(claim)`` like ``marks``): ``sources[i]`` are the
    sentences of the passage cited as [i + 1], ``cited[i]`` that passage."""
    out = dict(marks)
    for claim, ev in zip(claims, evidence, strict=True):
        chosen = [n - 1 for n in claim.cites if 0 < n <= len(sources)]
        context = " ".join(dict.fromkeys(cited[i].title for i in chosen))
        check = check_claim(claim.plain, [sources[i] for i in chosen], context)
        out[id(claim)] = judge(check, marks[id(claim)], ev.embed, ev.verbatim)
    return out
