"""Prototype (issue 11, phase 1): question-kind-aware sentence selection and short answers,
measured on QASPER, the real-PDF questions and the sample library without touching assistant/.

    .venv/bin/python benchmarks/short_answer_proto.py [--qasper-store DIR] [--pdf-store DIR]
        [--sample-store DIR] [--only qasper|pdfs|sample] [--retrieval baseline|window]
        [--budget WORDS] [--abstain] [-v]

For every question the library answers with ``Assistant.ask`` (the current engine); its
``Answer.retrieved`` passages - or, with ``--retrieval window``, the best sentence windows of the
paper (or of the first three papers retrieved) up to ``--budget`` words - are handed to
:func:`select`, which picks the answering sentence by question kind and cuts the short answer
from it (:func:`short_answer`); ``--abstain`` abstains when half the question's words are real
words (found elsewhere in the library) absent from the scoped paper. The figures are those of
benchmarks/qasper.py and benchmarks/pdf_questions.py for the prototype's answer.

This reads internals (``Assistant.store``, ``Assistant.embedder``) for the retrieval
experiment; it is a measuring tool for the coordinator, not product code.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
import pdf_questions as PQ  # noqa: E402
import qasper as Q  # noqa: E402

from assistant import Assistant  # noqa: E402

# --- words ---------------------------------------------------------------------------------
_STOP = frozenset([
    "a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "on", "at", "by", "for", "with",
    "from", "as", "into", "onto", "over", "under", "than", "then", "that", "this", "these", "those",
    "there", "here", "it", "its", "they", "them", "their", "we", "our", "us", "you", "your", "he",
    "she", "his", "her", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does",
    "did", "has", "have", "had", "having", "can", "could", "may", "might", "must", "shall",
    "should", "will", "would", "not", "no", "so", "such", "very", "also", "only", "just", "both",
    "each", "all", "any", "some", "more", "most", "other", "which", "who", "whom", "whose", "what",
    "when", "where", "why", "how", "while", "about", "above", "below", "between", "through",
    "during", "before", "after", "again", "further", "once", "same", "own", "too", "via", "per",
    "using", "use", "used", "paper", "papers", "authors", "author", "they", "their"
])
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]*|\d+(?:[.,]\d+)*")


def _stem_fn():
    import Stemmer

    return Stemmer.Stemmer("english").stemWords


_STEM = _stem_fn()


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def terms(text: str) -> list[str]:
    """Stemmed content words; a hyphenated word also counts joined and by its parts
    ("pre-trained" matches "pretrained" and "trained")."""
    out = []
    for w in words(text):
        if "-" in w:
            out.append(w.replace("-", ""))
            out.extend(p for p in w.split("-") if p)
        else:
            out.append(w)
    return _STEM([w for w in out if w not in _STOP and len(w) > 1])


# --- question analysis ---------------------------------------------------------------------
_BOOL = re.compile(r"^(?:is|are|was|were|do|does|did|can|could|has|have|had|will|would|should|"
                   r"shall|may|might|must)\b", re.I)
_NUMBER = re.compile(r"^(?:.*\b)?(?:how\s+(?:many|much|big|large|small|long|fast|high|low|often|"
                     r"accurate)|(?:what|which)\s+(?:is\s+the\s+)?(?:size|number|amount|"
                     r"percentage|proportion|ratio|accuracy|f1|f-measure|f-score|score|"
                     r"temperature|range|value|speed-?up))\b", re.I)
_ACRONYM_Q = re.compile(r"\bstand(?:s)? for\b|\babbreviation\b|\bacronym\b", re.I)
_DEFINE = re.compile(r"^(?:what|who)\s+(?:is|are)\s+(?:the\s+|a\s+|an\s+)?([^?]{1,40})\?*$"
                     r"|^how\s+(?:is|are)\s+(?:the\s+)?([^?]+?)\s+defined\b", re.I)
_NAME = re.compile(r"^(?:which|what)\s+(?:\w+\s+){0,3}?(?:kind|type|sort)s?\s+of\b|^which\b"
                   r"|^what\s+(?:(?:two|three|four|\d+|other|existing|classic|specific|strong|"
                   r"main)\s+)*(?:[\w-]+\s+){0,2}?(?:baselines?|datasets?|data|corpus|corpora|"
                   r"models?|architectures?|methods?|metrics?|measures?|tools?|features?|labels?|"
                   r"languages?|tasks?|embeddings?|algorithms?|systems?|components?|library|"
                   r"libraries|parser|assay|name|aspects?|emotions?)\b", re.I)
_REASON = re.compile(r"^why\b", re.I)
_HOW = re.compile(r"^how\b|\bin what way\b", re.I)


def question_kind(question: str) -> str:
    """boolean, number, acronym, definition, name, method, reason or fact."""
    q = " ".join(question.split()).strip()
    clause = re.split(r",\s+(?=(?:what|which|how|who)\b)", q)[-1]
    if _BOOL.match(q) and not re.search(r"\bor\b", q):
        return "boolean"
    if _ACRONYM_Q.search(q):
        return "acronym"
    if _NUMBER.match(clause):
        return "number"
    if _NAME.match(clause):
        return "name"
    if _DEFINE.match(clause):
        return "definition"
    if _REASON.match(clause):
        return "reason"
    if _HOW.match(clause):
        return "method"
    return "fact"


# --- candidates ----------------------------------------------------------------------------
_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9(\[$\"\u201c])")
_QUANTITY = re.compile(
    r"(?<![\w.$])(?:\d+(?:[.,]\d+)*(?:\s*(?:million|billion|thousand|[kKMB])\b)?%?"
    r"|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundred|thousand)\b)", re.I)
_NOT_QUANTITY = re.compile(r"(?:table|figure|fig\.|section|eq\.|equation|bibref|tabref|figref|"
                           r"secref)\s*$", re.I)
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|cannot|without|unable|fails?\s+to|"
                       r"failed\s+to|lacks?|none)\b|n't\b", re.I)
_LEAD = re.compile(r"^(?:(?:however|formally|finally|first(?:ly)?|second(?:ly)?|then|thus|"
                   r"therefore|hence|moreover|furthermore|additionally|also|similarly|"
                   r"specifically|in particular|in this (?:paper|work|section)|in addition|"
                   r"for example|to this end|as a result|overall|here|note that|"
                   r"in (?:our|the) (?:experiments?|results?)),?\s+)+", re.I)
_CITE = re.compile(r"\bBIBREF\d+|\(\w[^()]{0,40}\b(?:19|20)\d\d[a-z]?\)|\[\d+(?:[,\u2013-]\d+)*\]")
_OWN = re.compile(r"\b(?:we|our|us)\b", re.I)
_BACKGROUND = re.compile(r"(?:however|existing|the existing|recent(?:ly)?|prior|previous(?:ly)?|"
                         r"traditional(?:ly)?|current|conventional(?:ly)?|despite|although)\b",
                         re.I)
_RELATIVE = re.compile(r"\s(?:which|where|who|whose|when|while|if|using|via|that)\s", re.I)


def focus_clause(question: str) -> str:
    """What the question asks for: each clause that opens with an interrogative, cut before a
    relative clause that describes ("the framework that backpropagates ...")."""
    parts = re.split(r"[,;]\s+|\s+and\s+(?=(?:what|which|how|who|when|where|why)\b)", question)
    asking = [p for p in parts
              if re.match(r"\s*(?:what|which|who|whom|whose|when|where|why|how)\b", p, re.I)]
    return " ".join(_RELATIVE.split(p, maxsplit=1)[0] for p in asking) or question
_BACK_SECTIONS = re.compile(r"related work|background|previous work|prior work|literature",
                            re.I)
# The abstract and introduction restate a paper's claims in the question's words; the details a
# question asks for (numbers, names, definitions) sit in the body.
_OVERVIEW_SECTIONS = re.compile(r"^(?:abstract|introduction|conclusions?|summary)\b", re.I)
OVERVIEW = 0.2


@dataclass
class Cand:
    text: str
    n: int  # passage index (1-based)
    pos: int  # sentence index in the passage
    section: str
    page: int | None
    paper_id: str
    stems: list[str] = field(default_factory=list)
    lex: float = 0.0
    dense: float = 0.0
    fit: float = 0.0
    score: float = 0.0


def split(text: str) -> list[str]:
    return [s.strip() for s in _SPLIT.split(" ".join(text.split())) if s.strip()]


def candidates(passages) -> list[Cand]:
    out, seen = [], set()
    for n, p in enumerate(passages, 1):
        for i, s in enumerate(split(p.text)):
            key = " ".join(words(s))
            if key in seen or len(words(s)) < 3:
                continue
            seen.add(key)
            out.append(Cand(s, n, i, p.section or "", p.page, p.paper_id, terms(s)))
    return out


def has_quantity(text: str) -> bool:
    for m in _QUANTITY.finditer(text):
        if _NOT_QUANTITY.search(text[max(0, m.start() - 12):m.start()]):
            continue
        if re.fullmatch(r"(?:19|20)\d\d", m.group(0)):
            continue
        return True
    return False


def acronym_expansion(acronym: str, text: str) -> str | None:
    """Schwartz & Hearst (2003): the long form before "(ACR)" whose words' letters spell it,
    or the form after "ACR (" / "ACR stands for"."""
    for m in re.finditer(rf"\(\s*{re.escape(acronym)}s?\s*[);,]", text):
        before = text[:m.start()].split()
        window = before[-min(len(before), len(acronym) + 5):]
        # Walk back: the shortest window whose initials cover the acronym's letters in order.
        for start in range(len(window) - 1, -1, -1):
            candidate = " ".join(window[start:])
            if _spells(acronym, candidate):
                return candidate.strip(" ,;:(")
    m = re.search(rf"\b{re.escape(acronym)}\s+(?:stands for|denotes|refers to|is short for)\s+"
                  r"([^.;,()]+)", text)
    return m.group(1).strip() if m else None


def _spells(acronym: str, phrase: str) -> bool:
    letters = [c.lower() for c in acronym if c.isalnum()]
    text = phrase.lower()
    if not text or text[0] != letters[0]:
        return False
    i = len(text) - 1
    for ch in reversed(letters):
        while i >= 0 and (text[i] != ch or (ch == letters[0] and i > 0 and text[i - 1].isalnum()
                                            and ch is letters[0])):
            i -= 1
        if i < 0:
            return False
        i -= 1
    return True


def new_names(text: str, question: str) -> list[str]:
    """Capitalised, mixed-case or digit-bearing tokens (PyTorch, GPT-4o, CBOW, fastText) that
    the question does not use."""
    asked = {w.lower() for w in words(question)}
    out = []
    for m in re.finditer(r"(?<![\w-])(?:[A-Z][\w\-]*[A-Z0-9][\w\-]*|[a-z]+[A-Z][\w\-]*|"
                         r"[A-Z][a-z]+(?:[A-Z][\w]*)+)(?![\w-])", text):
        w = m.group(0)
        if w.lower() not in asked and not re.fullmatch(r"BIBREF\d+|TABREF\d+|FIGREF\d+|"
                                                        r"SECREF\d+|INLINEFORM\d+", w):
            out.append(w)
    return out


# --- scoring -------------------------------------------------------------------------------
FIT = {"number": 0.3, "name": 0.2, "acronym": 0.6, "definition": 0.2}
MISSING_TYPE = 0.3  # a number question's sentence without a number, a name question's without
ECHO = 0.15  # a sentence that only restates the question (fewer than 4 new content words)
W_DENSE = 0.5
FOCUS = 3.0  # the asking clause's terms, as the current engine weighs them
W_PREV = 0.6  # the previous sentence's match counts for this one ("... It contains 17,833")


def score(question: str, kind: str, cands: list[Cand], qvec, cvecs) -> None:
    q_terms = Counter(terms(question))
    focus = set(terms(focus_clause(question)))
    df = Counter(t for c in cands for t in set(c.stems))
    n = len(cands) or 1
    weight = {t: math.log(1 + n / df[t]) * (FOCUS if t in focus else 1.0)
              for t in q_terms if df[t]}
    total = sum(weight.values()) or 1.0
    section_terms = {c.section: set(terms(c.section)) for c in cands}
    acronym = _asked_acronym(question) if kind == "acronym" else None
    for c, vec in zip(cands, cvecs, strict=True):
        stems = set(c.stems)
        c.lex = sum(w for t, w in weight.items() if t in stems) / total
        c.dense = float(vec @ qvec)
    prev: dict[tuple[int, int], Cand] = {(c.n, c.pos): c for c in cands}
    has_body = {c.paper_id for c in cands if c.section and not _OVERVIEW_SECTIONS.search(c.section)}
    for c in cands:
        before = prev.get((c.n, c.pos - 1))
        lex = max(c.lex, W_PREV * before.lex) if before else c.lex
        fit = 0.0
        if kind == "number":
            fit += FIT["number"] if has_quantity(c.text) else -MISSING_TYPE
        if kind == "name":
            fit += FIT["name"] if new_names(c.text, question) else -MISSING_TYPE
        if kind == "acronym" and acronym and acronym_expansion(acronym, c.text):
            fit += FIT["acronym"]
        if kind == "definition" and re.search(r"\b(?:is|are|consists? of|refers? to|defined as|"
                                              r"denotes?|means?)\b", c.text):
            fit += FIT["definition"]
        sec = section_terms[c.section]
        fit += 0.1 * (len(sec & set(weight)) > 0)  # the section is named after the asked thing
        if _BACK_SECTIONS.search(c.section):
            fit -= 0.15
        if (_OVERVIEW_SECTIONS.search(c.section) and kind != "reason"
                and c.paper_id in has_body):  # an abstract-only paper has nothing else
            fit -= OVERVIEW
        if _OWN.search(c.text):
            fit += 0.05
        if _BACKGROUND.match(c.text):
            fit -= 0.15
        if len(_CITE.findall(c.text)) >= 2:
            fit -= 0.1
        new = set(c.stems) - set(q_terms)
        if len(new) < 4 and kind != "boolean":
            fit -= ECHO
        if len(words(c.text)) > 45:
            fit -= 0.1
        c.fit = fit
        c.score = lex + W_DENSE * c.dense + fit


def _asked_acronym(question: str) -> str | None:
    m = re.search(r"\b([A-Z][A-Za-z0-9\-]*[A-Z][A-Za-z0-9\-]*)\b", question)
    return m.group(1) if m else None


# --- short answers -------------------------------------------------------------------------
def short_answer(question: str, kind: str, best: Cand, cands: list[Cand]) -> str:
    text = best.text
    if kind == "boolean":
        return "No" if _NEGATION.search(text) or best.lex < 0.34 else "Yes"
    if kind == "acronym":
        acronym = _asked_acronym(question)
        for c in sorted(cands, key=lambda c: -c.score):
            exp = acronym_expansion(acronym, c.text) if acronym else None
            if exp:
                return exp
        return trim(question, text)
    if kind == "number":
        span = quantity_span(question, text)
        return span or trim(question, text)
    if kind == "name":
        span = list_span(question, text)
        return span or trim(question, text)
    if kind == "definition":
        return definition_span(question, text) or trim(question, text)
    return trim(question, text)


def quantity_span(question: str, text: str) -> str | None:
    """The quantity with its unit words ("100 million sentences", "2,714 question-answer
    pairs"), a coordinated run of them ("17,833 sentences, 826,987 characters and 2,714
    pairs") kept whole; the run whose words are nearest the question's terms."""
    q = set(terms(question))
    spans: list[tuple[int, int]] = []
    for m in _QUANTITY.finditer(text):
        if _NOT_QUANTITY.search(text[max(0, m.start() - 12):m.start()]):
            continue
        if re.fullmatch(r"(?:19|20)\d\d", m.group(0)):
            continue
        tail = re.match(r"(?:\s*(?:%|percent|times|x\b|(?!(?:of|in|for|on|from|and|with|were|"
                        r"was|are|is|to|by|than|at)\b)[\w\-]+)){0,3}", text[m.end():])
        spans.append((m.start(), m.end() + (tail.end() if tail else 0)))
    if not spans:
        return None
    runs: list[list[tuple[int, int]]] = [[spans[0]]]
    for a, b in spans[1:]:
        gap = text[runs[-1][-1][1]:a]
        if re.fullmatch(r"\s*(?:,|,?\s*and|,?\s*or)\s*", gap):
            runs[-1].append((a, b))
        else:
            runs.append([(a, b)])
    def closeness(run):
        inside = set(terms(text[run[0][0]:run[-1][1]]))
        around = set(terms(text[max(0, run[0][0] - 60):run[-1][1] + 30]))
        return (2 * len(inside & q) + len(around & q), -run[0][0])
    best = max(runs, key=closeness)
    return text[best[0][0]:best[-1][1]].strip(" ,.;:")


_HEADS = frozenset(_STEM([
    "dataset", "datasets", "corpus", "corpora", "data", "model", "models", "classifier",
    "classifiers", "smoothing", "embeddings", "embedding", "network", "networks", "method",
    "methods", "algorithm", "algorithms", "baseline", "baselines", "library", "parser", "metric",
    "metrics", "measure", "measures", "tool", "tools", "system", "systems", "architecture",
    "architectures", "score", "scores", "task", "tasks", "benchmark", "benchmarks"
]))


def name_phrases(text: str, question: str) -> list[str]:
    """Noun phrases around the new names of ``text``: capitalised neighbours on both sides and
    a following head noun ("the Yelp Challenge dataset", "AdaBoost-based classifier",
    "Continuous Bag-of-Words (CBOW)")."""
    toks = re.findall(r"\S+", _CITE.sub("", text))
    heads = _HEADS | set(terms(question))
    names = set(new_names(text, question))
    out, used = [], set()
    for i, t in enumerate(toks):
        if i in used or t.strip(".,;:()\"'") not in names:
            continue
        lo = i
        while lo > 0 and re.match(r"^[A-Z(]", toks[lo - 1]) and lo - 1 > 0:
            lo -= 1
        hi = i
        while hi + 1 < len(toks) and re.match(r"^[A-Z(]", toks[hi + 1]):
            hi += 1
        if hi + 1 < len(toks) and set(terms(toks[hi + 1])) & heads:
            hi += 1
        used.update(range(lo, hi + 1))
        out.append(" ".join(toks[lo:hi + 1]).strip(" .,;:"))
    return out


def list_span(question: str, text: str) -> str | None:
    """The names a which/what question asks for: after "namely / such as / including / :" or
    the noun phrases around the sentence's new names."""
    m = re.search(r"(?:namely|such as|including|include|includes|:)\s+([^.;]+)", text)
    if m and len(m.group(1).split()) <= 25:
        return m.group(1).strip()
    phrases = name_phrases(text, question)
    return ", ".join(phrases[:3]) if phrases else None


def definition_span(question: str, text: str) -> str | None:
    m = _DEFINE.match(" ".join(question.split()))
    subject = (m.group(1) or m.group(2) or "") if m else ""
    subject_terms = set(terms(subject))
    m = re.search(r"\b(?:is|are|consists? of|refers? to|defined as|denotes?|means?)\b\s+(.+)",
                  text)
    if m and subject_terms & set(terms(text[:m.start()])):
        return m.group(1).strip(" .")
    return None


_PIVOT = re.compile(r"\b(?:by|using|as|via|through|with|is|are|was|were|to|that|which|on|"
                    r"from|into)\b")


def trim(question: str, text: str) -> str:
    """The sentence without its lead-in and without the part that restates the question: cut at
    the pivot word after which the question's terms stop."""
    text = _LEAD.sub("", text).strip()
    text = _CITE.sub("", text)
    text = " ".join(text.split())
    q = set(terms(question))
    toks = list(re.finditer(r"\S+", text))
    if len(toks) <= 12:
        return text
    last_q = -1
    for i, t in enumerate(toks):
        if set(terms(t.group(0))) & q:
            last_q = i
    if last_q < 0 or last_q >= len(toks) - 3:
        return text
    # the first pivot at or after the last question word
    for i in range(last_q + 1, min(len(toks), last_q + 4)):
        if _PIVOT.fullmatch(toks[i].group(0).lower()):
            rest = text[toks[i].end():].strip(" .,")
            if len(rest.split()) >= 2:
                return rest
    return text


# --- abstention: the question's own words are absent from the paper ----------------------------
ABSENT_SHARE = 0.5
# Words that frame a question rather than name its subject.
_FRAME = frozenset(_STEM([
    "big", "large", "small", "many", "much", "kind", "kinds", "type", "types", "sort", "way",
    "ways", "long", "high", "low", "fast", "report", "reported", "use", "used", "using", "show",
    "shown", "propose", "proposed", "work", "works", "perform", "performed", "different", "various",
    "specific", "main", "data", "model", "models", "paper", "method", "approach"
]))


def absent_terms(question: str, paper_terms: set[str], library_terms: set[str]) -> float:
    """Share of the question's content terms (idf-free: each counts once) that are real words -
    they occur somewhere in the library - but not in the scoped papers. Misspellings ("supervszed")
    occur nowhere and are not counted."""
    asked = [t for t in set(terms(question))
             if len(t) >= 3 and not t.isdigit() and t not in _FRAME]
    if not asked:
        return 0.0
    missing = [t for t in asked if t in library_terms and t not in paper_terms]
    return len(missing) / len(asked)


# --- the pipeline --------------------------------------------------------------------------
@dataclass
class Pick:
    kind: str
    short: str
    sentences: list[Cand]


def select(question: str, passages, embed) -> Pick:
    kind = question_kind(question)
    cands = candidates(passages)
    if not cands:
        return Pick(kind, "Unanswerable", [])
    vecs = embed([question] + [c.text for c in cands])
    score(question, kind, cands, vecs[0], vecs[1:])
    ranked = sorted(cands, key=lambda c: -c.score)
    best = ranked[0]
    return Pick(kind, short_answer(question, kind, best, cands), ranked[:3])


class Embedder:
    """The library's embedder with a cache (sentences repeat across runs)."""

    def __init__(self, assistant: Assistant, path: Path) -> None:
        self.model = assistant.library.embedder
        self.path = path
        self.cache: dict[str, np.ndarray] = {}
        if path.exists():
            data = np.load(path, allow_pickle=True)
            self.cache = dict(zip(data["keys"].tolist(), data["vecs"], strict=True))

    def __call__(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            for t, v in zip(todo, self.model.embed(todo), strict=True):
                self.cache[t] = np.asarray(v, dtype=np.float32)
        return np.stack([self.cache[t] for t in texts])

    def save(self) -> None:
        keys = list(self.cache)
        np.savez(self.path, keys=np.array(keys, dtype=object),
                 vecs=np.stack([self.cache[k] for k in keys]))


# --- retrieval experiment: sentence windows over the whole paper ----------------------------
@dataclass
class Window:
    """A run of consecutive sentences of one chunk, handed to the selector like a passage."""

    chunk_id: str
    paper_id: str
    title: str
    text: str
    page: int | None
    section: str | None
    score: float


def window_passages(assistant: Assistant, question: str, paper_ids: list[str], embed,
                    budget: int) -> list[Window]:
    """Every sentence of the papers with its neighbours (one each side) embedded and scored by
    cosine to the question + idf-weighted term coverage; the best windows are taken until
    ``budget`` words, merged into runs per chunk, best run first."""
    sents: list[tuple[int, str]] = []
    chunks = [p for pid in paper_ids for p in assistant.library.store.paper_chunks(pid)]
    seen: set[str] = set()
    for i, p in enumerate(chunks):
        for sentence in split(p.text):
            if sentence not in seen:  # chunks overlap by a few sentences
                seen.add(sentence)
                sents.append((i, sentence))
    wins = [" ".join(s for _, s in sents[max(0, j - 1):j + 2]) for j in range(len(sents))]
    vecs = embed([question] + wins)
    q_terms = set(terms(question))
    df = Counter(t for u in wins for t in set(terms(u)))
    weight = {t: math.log(1 + len(wins) / df[t]) for t in q_terms if df[t]}
    total = sum(weight.values()) or 1.0
    scores = []
    for u, v in zip(wins, vecs[1:], strict=True):
        lex = sum(w for t, w in weight.items() if t in set(terms(u))) / total
        scores.append(lex + float(v @ vecs[0]))
    used, covered = 0, {}
    for j in sorted(range(len(wins)), key=lambda j: -scores[j]):
        new = [x for x in range(max(0, j - 1), min(len(sents), j + 2)) if x not in covered]
        cost = sum(len(sents[x][1].split()) for x in new)
        if used + cost > budget:
            continue
        used += cost
        for x in new:
            covered[x] = scores[j]
    runs: list[list[int]] = []
    for x in sorted(covered):
        if runs and runs[-1][-1] == x - 1 and sents[runs[-1][-1]][0] == sents[x][0]:
            runs[-1].append(x)
        else:
            runs.append([x])
    out = []
    for run in runs:
        c = chunks[sents[run[0]][0]]
        out.append(Window(c.chunk_id, c.paper_id, c.title, " ".join(sents[x][1] for x in run),
                          c.page, c.section, max(covered[x] for x in run)))
    return sorted(out, key=lambda w: -w.score)


# --- measuring -----------------------------------------------------------------------------
def run_qasper(args, embed_holder) -> dict:
    dev = Q.DEFAULT_DEV
    questions, files = Q.load(dev)
    a = Assistant(store=args.qasper_store)
    a.ingest(files)
    embed = embed_holder(a)
    by_name = {Path(s).name: p.id for p in a.papers() for s in p.sources}
    paper_vocab: dict[str, set[str]] = {}
    library_vocab = ({t for p in a.papers() for c in a.library.store.paper_chunks(p.id)
                      for t in terms(c.text)} if args.abstain else set())
    rows = []
    for item in questions:
        pid = by_name[item["doc"]]
        ans = a.ask(item["question"], papers=[pid])
        passages = ans.retrieved
        if args.retrieval == "window":
            passages = window_passages(a, item["question"], [pid], embed, args.budget)
        pick = select(item["question"], passages, embed)
        if args.abstain:
            if pid not in paper_vocab:
                chunks = a.library.store.paper_chunks(pid)
                paper_vocab[pid] = {t for c in chunks for t in terms(c.text)}
            if absent_terms(item["question"], paper_vocab[pid], library_vocab) >= ABSENT_SHARE:
                pick = Pick(pick.kind, "Unanswerable", [])
        refs = item["references"]
        f1, f1_type = Q.best_answer_f1(pick.short, refs)
        base_f1, _ = Q.best_answer_f1(Q.prediction_of(ans), refs)
        ev, spans = Q.evidence_sentences(refs), Q.extractive_answers(refs)
        judged = any(r["type"] != "none" for r in refs) and bool(ev or spans)
        bearing = any(Q.bears(p.text, ev, spans) for p in passages) if judged else None
        chosen = any(Q.bears(c.text, ev, spans) for c in pick.sentences[:1]) if judged else None
        sents = [c for c in candidates(passages)]
        oracle, oracle_c = max(((Q.best_answer_f1(c.text, refs)[0], i) for i, c in
                                enumerate(sents)), default=(0.0, None))
        # The short answer cut from the oracle sentence: how good is the cutting alone?
        cut = (short_answer(item["question"], pick.kind, sents[oracle_c], sents)
               if oracle_c is not None else "")
        cut_f1 = Q.best_answer_f1(cut, refs)[0] if pick.kind != "boolean" else f1
        rows.append({"id": item["id"], "kind": pick.kind, "type": f1_type, "f1": f1,
                     "base_f1": base_f1, "bearing": bearing, "first_bears": chosen,
                     "oracle": oracle, "cut_f1": cut_f1, "cut": cut, "short": pick.short,
                     "question": item["question"],
                     "gold": [r["answer"] for r in refs],
                     "best": pick.sentences[0].text if pick.sentences else ""})
    a.close()
    return summarise_qasper(rows, args.verbose)


def summarise_qasper(rows: list[dict], verbose: bool) -> dict:
    def pct(xs):
        xs = [float(x) for x in xs if x is not None]
        return round(100 * statistics.fmean(xs), 1) if xs else None

    if verbose:
        for r in rows:
            print(f"--- {r['id']} [{r['kind']}/{r['type']}] F1={r['f1']:.2f} "
                  f"(base {r['base_f1']:.2f}, oracle {r['oracle']:.2f}) bearing={r['bearing']} "
                  f"first={r['first_bears']}\n  Q: {r['question']}\n  gold: "
                  f"{[g[:100] for g in r['gold']]}\n  short: {r['short'][:200]}\n"
                  f"  best: {r['best'][:200]}\n"
                  f"  cut from oracle ({r['cut_f1']:.2f}): {r['cut'][:150]}")
    out = {
        "answer_f1": pct(r["f1"] for r in rows),
        "baseline_f1": pct(r["base_f1"] for r in rows),
        "by_type": {t: (pct(r["f1"] for r in rows if r["type"] == t),
                        sum(r["type"] == t for r in rows)) for t in Q.TYPES},
        "by_kind": {k: (pct(r["f1"] for r in rows if r["kind"] == k),
                        sum(r["kind"] == k for r in rows))
                    for k in sorted({r["kind"] for r in rows})},
        "bearing": pct(r["bearing"] for r in rows),
        "first_sentence_bears": pct(r["first_bears"] for r in rows),
        "oracle_sentence": pct(r["oracle"] for r in rows),
        "cut_from_oracle_sentence": pct(r["cut_f1"] for r in rows),
    }
    return out


def run_pdfs(args, embed_holder) -> dict:
    questions = json.loads(PQ.DEFAULT_QUESTIONS.read_text())
    a = Assistant(store=args.pdf_store)
    a.ingest(sorted(PQ.DEFAULT_PDFS.glob("*.pdf")))
    embed = embed_holder(a)
    by_name = {Path(s).name: p.id for p in a.papers() for s in p.sources}
    out = {}
    for setting in ("library", "scoped"):
        rows = []
        for item in questions:
            gold = {by_name[f] for f in item["gold_files"]}
            ans = (a.ask(item["question"], papers=sorted(gold)) if setting == "scoped"
                   else a.ask(item["question"]))
            passages = ans.retrieved
            if args.retrieval == "window":
                papers = (sorted(gold) if setting == "scoped"
                          else list(dict.fromkeys(p.paper_id for p in ans.retrieved))[:3])
                passages = window_passages(a, item["question"], papers, embed, args.budget)
            if ans.abstained:
                rows.append({"kw": False, "short_kw": False, "page": False, "cited": False,
                             "kw_first": False})
                continue
            pick = select(item["question"], passages, embed)
            kws = item["answer_keywords"]
            said = " ".join([pick.short] + [c.text for c in pick.sentences[:2]])
            first = pick.sentences[0] if pick.sentences else None
            rows.append({
                "kw": PQ.has_all(said, kws), "short_kw": PQ.has_all(pick.short, kws),
                # the design: the short answer (and its sentence) first, then today's answer
                "kw_first": PQ.has_all(" ".join([pick.short, first.text if first else "",
                                                 ans.text]), kws),
                "cited": bool(first and first.paper_id in gold),
                "page": bool(first and first.paper_id in gold
                             and first.page in set(item["gold_pages"])),
            })
            if args.verbose:
                print(f"--- {item['id']} [{pick.kind}] kw={rows[-1]['kw']} "
                      f"short_kw={rows[-1]['short_kw']} page={rows[-1]['page']}\n"
                      f"  Q: {item['question']}\n  kws: {kws}\n  short: {pick.short[:200]}\n"
                      f"  best: {first.text[:200] if first else ''}")
        out[setting] = {k: round(statistics.fmean(float(r[k]) for r in rows), 3)
                        for k in ("cited", "kw", "short_kw", "kw_first", "page")}
    a.close()
    return out


def run_sample(args, embed_holder) -> dict:
    """The sample library's dev questions (tests/data/dev_questions.json): keyword in the short
    answer plus the two best sentences, gold paper cited by the best sentence, abstention."""
    questions = json.loads((ROOT / "tests/data/dev_questions.json").read_text())
    a = Assistant(store=args.sample_store)
    a.ingest([ROOT / "examples" / "papers"])
    embed = embed_holder(a)
    rows = []
    for item in questions:
        ans = a.ask(item["question"])
        answerable = item.get("kind") != "unanswerable" and bool(item.get("gold_titles"))
        if ans.abstained or ans.engine != "extractive" or item.get("kind") in (
                "topic", "summary", "compare"):
            # which-papers, summary and compare layouts are not the prototype's business
            rows.append({"kind": item["kind"], "kw": None if ans.abstained else None,
                         "abstain_ok": ans.abstained != answerable})
            continue
        pick = select(item["question"], ans.retrieved, embed)
        said = " ".join([pick.short] + [c.text for c in pick.sentences[:2]])
        kws = item.get("answer_keywords", [])
        gold = {t.casefold() for t in item.get("gold_titles", [])}
        first = pick.sentences[0] if pick.sentences else None
        title = next((p.title for p in ans.retrieved if first and p.paper_id == first.paper_id),
                     "")
        rows.append({"kind": item["kind"], "kw": PQ.has_all(said, kws) if kws else None,
                     "short_kw": PQ.has_all(pick.short, kws) if kws else None,
                     "base_kw": PQ.has_all(ans.text, kws) if kws else None,
                     "kw_first": PQ.has_all(" ".join([pick.short, ans.text]), kws)
                     if kws else None,
                     "gold_first": title.casefold() in gold,
                     "abstain_ok": ans.abstained != answerable})
        if args.verbose:
            print(f"--- {item['id']} [{pick.kind}] kw={rows[-1]['kw']} {item['question']}\n"
                  f"  kws: {kws}\n  short: {pick.short[:200]}")
    a.close()

    def share(key):
        xs = [float(r[key]) for r in rows if r.get(key) is not None]
        return (round(statistics.fmean(xs), 3), len(xs)) if xs else None

    return {k: share(k) for k in ("kw", "short_kw", "base_kw", "kw_first", "gold_first",
                                      "abstain_ok")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qasper-store", type=Path,
                        default=Path(tempfile.gettempdir()) / "proto-qasper-store")
    parser.add_argument("--pdf-store", type=Path,
                        default=Path(tempfile.gettempdir()) / "proto-pdf-store")
    parser.add_argument("--retrieval", choices=["baseline", "window"], default="baseline")
    parser.add_argument("--abstain", action="store_true",
                        help="abstain when the question's words are absent from the paper")
    parser.add_argument("--budget", type=int, default=2000, help="words of windows")
    parser.add_argument("--sample-store", type=Path,
                        default=Path(tempfile.gettempdir()) / "proto-sample-store")
    parser.add_argument("--only", choices=["qasper", "pdfs", "sample"])
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    cache = Path(tempfile.gettempdir()) / "proto-embed-cache.npz"
    holders: list[Embedder] = []

    def embed_holder(a: Assistant) -> Embedder:
        e = Embedder(a, cache)
        holders.append(e)
        return e

    result = {}
    if args.only in (None, "qasper"):
        result["qasper_scoped"] = run_qasper(args, embed_holder)
        holders[-1].save()
    if args.only in (None, "pdfs") and PQ.DEFAULT_PDFS.exists():
        result["pdfs"] = run_pdfs(args, embed_holder)
        holders[-1].save()
    if args.only in (None, "sample"):
        result["sample"] = run_sample(args, embed_holder)
        holders[-1].save()
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
