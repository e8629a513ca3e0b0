"""Question -> ranked passages: dense (Chroma) + BM25 fused by reciprocal rank fusion.

Every candidate passage gets a relevance score in [0, 1]:

    score = (cosine(question, passage) + term coverage) / 2

where term coverage is the idf-weighted share of the question's content terms (stemmed; frame
words such as "which papers" or "how does" left out) found in the passage or its paper's title.
``Retrieval.relevance`` is the best passage score; below ``DEFAULT_MIN_RELEVANCE`` (0.45) the
retriever abstains. Measured on 78 answerable and 30 unanswerable questions (tests/data/*.json):
every answerable one scores >= 0.472; 27 unanswerable ones score <= 0.442. Not caught: a question
about a paper that is absent while its subject is present ("the BERT paper", 0.52; "the paper that
introduced Adam", 0.61) and one near miss (drug-target interaction with GNNs, 0.49). A paper is
relevant when its best passage scores at least ``RELATED_RATIO`` times the best paper's (measured
on 8 "which papers" questions: gold papers >= 0.758 of the best, others <= 0.747).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..answering.markers import neutralise_source_markers
from ..types import Passage
from .question import (
    answer_kind,
    asked_acronym,
    content_words,
    focus_text,
    question_kind,
    question_terms,
    rare_terms,
)
from .terms import coverage, is_references, short_names, term_sets, tokens
from .windows import LONG_PAPER, WINDOW_WORDS, SentenceCache, windows

if TYPE_CHECKING:
    import numpy as np

    from ..config import RetrievalSettings
    from ..library.embedding import Embedder
    from ..library.keyword import KeywordIndex
    from ..library.store import Store

__all__ = ["DEFAULT_MIN_RELEVANCE", "RELATED_RATIO", "Retrieval", "Retriever", "TermStats"]

DEFAULT_MIN_RELEVANCE = 0.45
RELATED_RATIO = 0.75
RRF_K = 60
SUMMARY_OPENING = 2  # chunks from a paper's start (its abstract) in every summary
NAMED_BONUS = 0.1  # the question names the paper ("SOAP", "LLM+P")
REFERENCES_FACTOR = 0.5  # a chunk of a reference list matches many topics and answers none
_BACK_MATTER = re.compile(r"^\W*(?:\d+\.?\s*)?(?:references|bibliography|acknowledge?ments?)\b",
                          re.IGNORECASE)
CACHE_LIMIT = 50_000  # chunks whose terms are kept between questions
RARE_PAPERS = 3  # a rare term (acronym, name, number) is in at most this many papers
RARE_BONUS = 0.1  # a passage holding a rare term of the question
RARE_COVERAGE = 0.5  # a passage holding a rare term covers this share of the question
ABSENT_SHARE = 0.5  # scoped: abstain when this share of the question's words is elsewhere only
# Words that frame a question about a paper rather than name its subject (scoped abstention).
_FRAME = frozenset(tokens([
    "big large small many much kind type sort way long high low fast report use show propose "
    "work perform different various specific main data model models method approach result "
    "results dataset datasets task tasks"])[0])

class TermStats:
    """Document frequencies of the keyword-indexed chunk texts: read from the keyword index,
    which keeps them up to date as papers come and go (no pass over the chunks)."""

    def __init__(self) -> None:
        self.revision: str | None = None
        self._keyword: KeywordIndex | None = None

    def refresh(self, store: Store) -> None:
        self._keyword = store.keyword
        self.revision = store.revision

    @property
    def n(self) -> int:
        return self._keyword.n_docs if self._keyword is not None else 0

    def df(self, term: str) -> int:
        return self._keyword.doc_freq(term) if self._keyword is not None else 0

    def idf(self, term: str) -> float:
        return math.log((self.n + 1) / (self.df(term) + 0.5))

    def weights(self, question: str) -> dict[str, float]:
        terms = question_terms(question)
        return {t: self.idf(t) for t in terms}


# --- retrieval ---------------------------------------------------------------------------------
@dataclass(slots=True)
class Retrieval:
    """What the retriever found for one question."""

    question: str
    kind: str
    passages: list[Passage]
    """Fused ranking (per-paper cap applied); ``score`` is the passage relevance in [0, 1]."""
    papers: list[tuple[str, str, float]]
    """(paper_id, title, score): the relevant papers, best first (if abstaining: the nearest)."""
    relevance: float
    abstain: bool
    terms: dict[str, float] = field(default_factory=dict)
    """The question's content terms (stemmed) with their idf weights."""
    vector: np.ndarray | None = None
    """The question's embedding."""
    focus: set[str] = field(default_factory=set)
    """The terms of the question's asking clauses (what it asks, not how it names the paper)."""


class Retriever:
    """Dense + keyword retrieval over a :class:`~assistant.store.Store`."""

    def __init__(self, store: Store, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.stats = TermStats()
        self._words: dict[str, tuple[set[str], bool]] = {}
        self._vocab: dict[str, set[str]] = {}
        self.sentences = SentenceCache()
        self._scope: dict[str, list[str]] = {}
        self._names: dict[str, str] = {}
        self._name_rx: re.Pattern[str] | None = None
        self._revision: str | None = None

    @property
    def threshold(self) -> float:
        return self.settings.min_relevance or DEFAULT_MIN_RELEVANCE

    def _sync(self) -> None:
        """Catch up with the store (call inside ``store.reading()``): the keyword index and
        term statistics follow it; paper names are re-read once per store revision."""
        self.store.sync_keyword_index()
        if self._revision == self.store.revision and self.stats.n:
            return
        self.stats.refresh(self.store)
        titles = {pid: str(m.get("title", "")) for pid, m in self.store.papers_meta().items()}
        names = short_names(titles)
        self._names = names
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self._name_rx = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])") if names else None
        self._words.clear()
        self._scope.clear()
        self._vocab.clear()
        self.sentences.clear()
        self._revision = self.store.revision

    def _allowed(self, paper_ids: list[str]) -> set[str]:
        ids: set[str] = set()
        for pid in paper_ids:
            if pid not in self._scope:
                self._scope[pid] = [p.chunk_id for p in self.store.paper_chunks(pid)]
            ids.update(self._scope[pid])
        return ids

    def _named(self, question: str, paper_ids: list[str] | None) -> set[str]:
        """Papers whose short name the question spells out ("How do SOAP and MKOR ...")."""
        if self._name_rx is None:
            return set()
        found = {self._names[m.group(0)] for m in self._name_rx.finditer(question)}
        return {pid for pid in found if not paper_ids or pid in paper_ids}

    def _passage_words(self, passages: list[Passage]) -> list[tuple[set[str], bool]]:
        """Each passage's terms (title included) and whether it is a reference list; cached."""
        from ..library.chunking import embed_text

        if len(self._words) > CACHE_LIMIT:
            self._words.clear()
        todo = [p for p in passages if p.chunk_id not in self._words]
        # The keyword index tokenized the same text (title + chunk) when it indexed the chunk.
        known = {p.chunk_id: self.store.keyword.chunk_terms(p.chunk_id) for p in todo}
        rest = [p for p in todo if known[p.chunk_id] is None]
        for p, words in zip(rest, term_sets([embed_text(p.title, p.text) for p in rest]),
                            strict=True):
            known[p.chunk_id] = words
        for p in todo:
            refs = is_references(p.text) or bool(_BACK_MATTER.match(p.section or ""))
            self._words[p.chunk_id] = (known[p.chunk_id] or set(), refs)
        return [self._words[p.chunk_id] for p in passages]

    def retrieve(self, question: str, *, paper_ids: list[str] | None = None,
                 k: int | None = None) -> Retrieval:
        """Rank passages for ``question`` (optionally only in ``paper_ids``)."""
        with self.store.reading():  # one consistent view; waits out a write step elsewhere
            return self._retrieve(question, paper_ids, k)

    def _retrieve(self, question: str, paper_ids: list[str] | None, k: int | None) -> Retrieval:
        self._sync()
        kind = question_kind(question)
        k = k or self.settings.top_k
        n = self.settings.candidates * (2 if kind == "topic" else 1)
        vector = self.embedder.embed([question])[0]
        dense = self.store.dense_search(vector.tolist(), n, paper_ids or None)
        allowed = self._allowed(paper_ids) if paper_ids else None
        keyword = self.store.keyword.search(content_words(question) or question, n, allowed)
        fused = _rrf([p.chunk_id for p in dense], [cid for cid, _ in keyword])
        by_id = {p.chunk_id: p for p in dense}
        by_id.update(self.store.get_passages([c for c in fused if c not in by_id]))
        fused = [c for c in fused if c in by_id]
        floor = dense[-1].score if len(dense) >= n else 0.0  # keyword-only: cosine below this
        cosine = {p.chunk_id: p.score for p in dense}
        terms = self.stats.weights(question)
        candidates = [by_id[c] for c in fused]
        named = self._named(question, paper_ids)
        have = {p.paper_id for p in candidates}
        for pid in named - have:  # a paper named in the question is always a candidate
            candidates += self.store.paper_chunks(pid)[:SUMMARY_OPENING]
        rare, rare_chunks = self._rare(question, allowed)
        have_chunks = {p.chunk_id for p in candidates}
        missing = [c for c in rare_chunks if c not in have_chunks]
        if missing:  # a passage holding a rare term of the question is always a candidate
            found = self.store.get_passages(missing)
            candidates += [found[c] for c in missing if c in found]
        rare_papers: set[str] = set()
        for p, (words, refs) in zip(candidates, self._passage_words(candidates), strict=True):
            cos = max(cosine.get(p.chunk_id, floor), 0.0)
            score = 0.5 * cos + 0.5 * coverage(terms, words) if terms else cos
            score *= REFERENCES_FACTOR if refs else 1.0
            # A rare term of the question (MMACE, PDF2TextParser) in a passage that covers
            # the question is what it asks about; one mentioned in passing ("GPT-3" in a
            # passage that says nothing of its electricity use) is not.
            if any(r <= words for r in rare):
                score += RARE_BONUS
                if coverage(terms, words) >= RARE_COVERAGE:
                    rare_papers.add(p.paper_id)
            p.score = round(score + (NAMED_BONUS if p.paper_id in named else 0.0), 4)
        ranked = _paper_ranking(candidates)
        relevance = ranked[0][2] if ranked else 0.0
        # Scoped to papers the user named, a question is about them even when it shares no
        # words with them ("What is the main contribution?"): no abstention then, unless most
        # of its words are found in other papers of the library and not in these.
        abstain = not candidates or (relevance < self.threshold and not paper_ids
                                     and not rare_papers)
        if paper_ids and candidates and self._absent(question, paper_ids):
            abstain = True
        if abstain:
            papers = ranked[:3]
        else:
            papers = [row for row in ranked if row[2] >= RELATED_RATIO * relevance
                      or row[0] in named or row[0] in rare_papers]
        passages = self._select(kind, candidates, papers, k, paper_ids)
        focus = question_terms(focus_text(question)) & terms.keys()
        if not abstain and kind not in ("topic", "summary", "compare"):
            passages = self._read_closely(question, passages, papers, paper_ids, terms, focus,
                                          vector)
        for p in passages:
            p.text = neutralise_source_markers(p.text)
        return Retrieval(question, kind, passages, papers, relevance, abstain, terms, vector,
                         focus)

    def _rare(self, question: str, allowed: set[str] | None
              ) -> tuple[list[set[str]], list[str]]:
        """The question's rare terms (each as its keyword-index terms) that the library holds
        in at most RARE_PAPERS papers, and the best two chunks of each such paper."""
        out: list[set[str]] = []
        chunks: list[str] = []
        for term in rare_terms(question):
            (words,) = tokens([term])
            if not words or not all(self.stats.df(w) for w in words):
                continue
            hits = self.store.keyword.search(term, 8 * RARE_PAPERS, allowed)
            papers: dict[str, list[str]] = {}
            for cid, _ in hits:
                papers.setdefault(cid.rsplit(":", 1)[0], []).append(cid)
            if 0 < len(papers) <= RARE_PAPERS:
                out.append(words)
                chunks += [c for ids in papers.values() for c in ids[:2]]
        return out, chunks

    def _paper_vocabulary(self, paper_id: str) -> set[str]:
        if paper_id not in self._vocab:
            chunks = self._scope.get(paper_id) or [p.chunk_id for p in
                                                   self.store.paper_chunks(paper_id)]
            self._vocab[paper_id] = set().union(
                *(self.store.keyword.chunk_terms(c) or set() for c in chunks))
        return self._vocab[paper_id]

    def _absent(self, question: str, paper_ids: list[str]) -> bool:
        """Are at least ABSENT_SHARE of the question's content words, and two or more, real
        words that the scoped papers never use ("Does this paper target European or Brazilian
        Portuguese?" of a paper that names neither)? A word is real when other papers of the
        library hold it; for a yes/no question also when the embedding model's vocabulary has
        it whole ("Are there privacy concerns ...?" of a paper that never speaks of privacy:
        it cannot decide). A misspelling ("supervszed") is neither, and one word alone may be
        spelled otherwise in the paper. (Counting the vocabulary for every question refused
        paraphrased ones: "Which PDF library sits underneath X?")"""
        words = re.findall(r"[A-Za-z][A-Za-z-]{2,}", content_words(question))
        stems = tokens(words) if words else []
        asked = {(w.lower(), t) for w, ts in zip(words, stems, strict=True) for t in ts
                 if len(t) >= 3 and t not in _FRAME}
        if not asked:
            return False
        vocabulary = answer_kind(question) == "boolean"
        have = set().union(*(self._paper_vocabulary(pid) for pid in paper_ids))
        missing = {t for w, t in asked if t not in have
                   and (self.stats.df(t) > 0 or (vocabulary and self._known_word(w)))}
        return len(missing) >= 2 and len(missing) / len({t for _, t in asked}) >= ABSENT_SHARE

    def _known_word(self, word: str) -> bool:
        """Is ``word`` one token of the embedding model's vocabulary (a common word)?"""
        tokenizer = getattr(getattr(self.embedder, "tokenizer", None), "tokenizer", None)
        return tokenizer is not None and tokenizer.token_to_id(word) is not None

    def _read_closely(self, question: str, passages: list[Passage],
                      papers: list[tuple[str, str, float]], paper_ids: list[str] | None,
                      terms: dict[str, float], focus: set[str], vector: np.ndarray
                      ) -> list[Passage]:
        """For a long paper (more than LONG_PAPER chunks) the passages become its best
        sentence windows, up to WINDOW_WORDS words (the scoped papers, else the best paper);
        the passages of other papers follow."""
        targets = list(paper_ids or [])[:3] or ([papers[0][0]] if papers else [])
        chunks = {pid: self.store.paper_chunks(pid) for pid in targets}
        targets = [pid for pid in targets if len(chunks[pid]) > LONG_PAPER]
        if not targets:
            return passages
        cosine = {p.chunk_id: p.score for p in self.store.dense_search(
            vector.tolist(), sum(len(chunks[pid]) for pid in targets), targets)}
        read = [c for pid in targets for c in chunks[pid]]
        relevance = {pid: score for pid, _, score in papers}
        found = windows(read, cosine, terms, focus, self.sentences, WINDOW_WORDS,
                        _wanted(question))
        for p in found:  # the window's share of the best, at its paper's relevance
            p.score = round(p.score * relevance.get(p.paper_id, 1.0), 4)
        rest = [p for p in passages if p.paper_id not in targets]
        return found + rest

    def _select(self, kind: str, candidates: list[Passage], papers: list[tuple[str, str, float]],
                k: int, paper_ids: list[str] | None) -> list[Passage]:
        """Passages for the answer engine: the fused order, at most ``per_paper`` from a paper.

        Which-papers questions put the best passage of every relevant paper first (so ``k``
        grows to cover them all). A summary reads one paper in depth: its opening chunks, then
        its best ones, up to ``k - 2``. Scoped to a few papers, the cap is ``k`` over their number.
        """
        cap = self.settings.per_paper
        if paper_ids:
            cap = max(cap, -(-k // len(paper_ids)))
        chosen: list[Passage] = []
        if kind == "topic":
            best: dict[str, Passage] = {}
            for p in candidates:
                if p.paper_id not in best or p.score > best[p.paper_id].score:
                    best[p.paper_id] = p
            chosen = [best[pid] for pid, _, _ in papers if pid in best]
            k = max(k, len(chosen))
        elif kind == "summary" and papers:
            top = papers[0][0]
            opening = self.store.paper_chunks(top)[:SUMMARY_OPENING]
            for p in opening:
                p.score = next((c.score for c in candidates if c.chunk_id == p.chunk_id),
                               papers[0][2])
            own = opening + [p for p in candidates if p.paper_id == top
                             and p.chunk_id not in {o.chunk_id for o in opening}]
            chosen = own[: max(cap, k - 2)]
        elif kind in ("fact", "number", "method") and papers:
            chosen = _with_neighbours(papers[0][0], candidates, cap)
        return _fill(chosen, candidates, k, cap)


def _wanted(question: str) -> re.Pattern[str] | None:
    """What a sentence holding the answer must look like, when the question says: for "what
    does ACR stand for", the acronym's definition "... (ACR)"."""
    if answer_kind(question) != "acronym":
        return None
    acronym = asked_acronym(question)
    if not acronym:
        return None
    return re.compile(rf"\(\s*{re.escape(acronym)}s?\s*[);,]|\b{re.escape(acronym)}\s*\(")


def _rrf(*rankings: list[str]) -> list[str]:
    """Reciprocal rank fusion of several rankings of ids."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, 1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores, key=lambda c: -scores[c])


def _paper_ranking(passages: list[Passage]) -> list[tuple[str, str, float]]:
    """Papers by their best passage score (ties: the better fused rank)."""
    best: dict[str, tuple[str, float]] = {}
    for p in passages:
        if p.paper_id not in best or p.score > best[p.paper_id][1]:
            best[p.paper_id] = (p.title, p.score)
    order = sorted(best.items(), key=lambda kv: -kv[1][1])
    return [(pid, title, score) for pid, (title, score) in order]


def _with_neighbours(paper_id: str, candidates: list[Passage], cap: int) -> list[Passage]:
    """The best paper's first passage (fused order), then the chunks either side of it among the
    candidates (a chunk boundary often cuts a paragraph: the sentence after "... under
    adversarial conditions." in the next chunk holds the asked figure), at most ``cap``."""
    mine = [p for p in candidates if p.paper_id == paper_id]
    if not mine:
        return []
    own = {_chunk_index(p.chunk_id): p for p in mine}
    best = mine[0]  # the fused order's first, as without neighbours
    at = _chunk_index(best.chunk_id)
    near = [own[i] for i in (at + 1, at - 1) if i in own]
    return [best, *near][:cap]


def _chunk_index(chunk_id: str) -> int:
    tail = chunk_id.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def _fill(chosen: list[Passage], candidates: list[Passage], k: int, cap: int) -> list[Passage]:
    """Add candidates in order after ``chosen`` until ``k``, at most ``cap`` per paper."""
    out = list(chosen)
    seen = {p.chunk_id for p in out}
    count: dict[str, int] = {}
    for p in out:
        count[p.paper_id] = count.get(p.paper_id, 0) + 1
    for p in candidates:
        if len(out) >= k:
            break
        if p.chunk_id in seen or count.get(p.paper_id, 0) >= cap:
            continue
        out.append(p)
        seen.add(p.chunk_id)
        count[p.paper_id] = count.get(p.paper_id, 0) + 1
    return out
