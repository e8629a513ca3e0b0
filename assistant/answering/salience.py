"""A whole paper as scored sentences: sections, cue words, position, centrality, MMR picks.

Summaries and comparisons read every chunk of a paper (not the top-k of a retrieval). A PDF's
chunks carry pages but no section, so section headings are found in the text ("1 Introduction",
"Conclusion and outlook"); the reference list, acknowledgements and everything after the
references are left out. Each sentence then gets a score per aspect (problem, approach, data,
results, limitations, or any other word): cue phrases such as "we propose" or "results show",
the section it sits in, its position (the abstract and opening chunks), numbers for results,
and its centrality (share of its words that recur in the paper).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..search.terms import is_references, term_sets
from .signals import BACKGROUND, OWN, has_quantity, is_noise, names_paper, usable

if TYPE_CHECKING:
    from ..types import Paper, Passage
    from .shelf import Shelf

__all__ = [
    "ASPECTS",
    "PaperText",
    "Unit",
    "aspect_key",
    "aspect_score",
    "clip",
    "detect_heading",
    "pick",
    "read_paper",
    "short_name",
]

ASPECTS = ("problem", "approach", "data", "results", "limitations")
"""The built-in aspects; any other aspect name is matched by its own words."""

_ALIASES = {
    "problem": "problem", "problems": "problem", "motivation": "problem", "goal": "problem",
    "goals": "problem", "task": "problem", "question": "problem",
    "approach": "approach", "approaches": "approach", "method": "approach",
    "methods": "approach", "methodology": "approach", "technique": "approach", "model": "approach",
    "data": "data", "datasets": "data", "dataset": "data", "benchmarks": "data",
    "benchmark": "data", "data/benchmarks": "data", "evaluation": "data", "experiments": "data",
    "results": "results", "result": "results", "key results": "results", "findings": "results",
    "performance": "results",
    "limitations": "limitations", "limitation": "limitations", "weaknesses": "limitations",
    "future work": "limitations", "drawbacks": "limitations",
    "tldr": "tldr", "tl;dr": "tldr",
}

_CUES = {
    "problem": re.compile(
        r"\b(?:challeng\w*|problem\w*|difficult\w*|bottleneck\w*|lack\w*|suffer\w*|hinder\w*|"
        r"struggl\w*|fail\w* to|expensive|costly|prohibitive|unclear|open question|gap|however|"
        r"despite|limited|remains?|requir\w*|key to|crucial|critical|issue\w*|poorly|"
        r"little is known|motivat\w*|question)\b", re.IGNORECASE),
    "approach": re.compile(
        r"\b(?:we (?:propose|introduce|present|develop|design|describe|build|formulate|derive|"
        r"devise|adopt|use|leverage|train|extend|study|analy[sz]e|investigate|cast|frame|"
        r"construct|define|provide|prove|suggest|outline|review|discuss|aim|test|examine|"
        r"explore|isolate|evaluate|conduct|compare|measure|apply|collect|curate|fine-?tune|"
        r"model|identify|characteri[sz]e|optimi[sz]e)|(?:this|our) "
        r"(?:paper|work|article|study|approach|method|framework|model|algorithm|system|"
        r"technique|perspective|review|book|survey|tutorial|thesis|chapter|note|report)|"
        r"in this (?:paper|work|article|study|perspective|book|survey)|in (?:our|a) (?:further )?"
        r"experiments?|"
        r"our (?:key|main) (?:idea|insight|contribution)|is based on|consists? of|"
        r"by (?:using|leveraging|combining|learning|training)|framework|architecture|"
        r"algorithm|mechanism)\b", re.IGNORECASE),
    "data": re.compile(
        r"\b(?i:datasets?|data sets?|benchmarks?|corpus|corpora|evaluat\w* on|experiments? on|"
        r"tested on|trained on|test sets?|training data|testbeds?|suites?)\b"
        r"|\b(?:on|using|across) (?:the )?[A-Z][A-Za-z]*[A-Z0-9][\w-]*\b"),  # "on CIFAR-10"
    "results": re.compile(
        r"\b(?:results? (?:show|demonstrate|indicate|suggest|reveal)|experiments? "
        r"(?:show|demonstrate|reveal|confirm)|we (?:show|find|found|demonstrate|observe|achieve|"
        r"obtain|report|prove)|(?:is|are|was|were) observed|(?:shows?|shown|reveals?|finds?) "
        r"that|induces?|leads? to|results? in|exhibits?|"
        r"outperform\w*|achiev\w*|improv\w*|surpass\w*|beat\w*|"
        r"state-of-the-art|speed-?ups?|faster|reduc\w*|gains?|accura\w*|better|superior|"
        r"competitive|effective\w*|significant\w*)\b", re.IGNORECASE),
    "limitations": re.compile(
        r"\b(?:limitations?|future (?:work|research|directions?)|we leave|left for future|"
        r"drawbacks?|caveats?|open (?:problems?|questions?|challenges?)|"
        r"remains? (?:unclear|open|challenging|an open)|should lead to|more work is needed|"
        r"beyond the scope|shortcomings?)\b", re.IGNORECASE),
}
# Weaker limitation cues count only in a limitations, discussion or conclusion section.
_WEAK_LIMITS = re.compile(
    r"\b(?:does not|do not|cannot|can not|fails? to|restricted to|only (?:applies|works|"
    r"considers?|holds?)|not (?:yet|always|clear)|trade-?offs?|at the cost of)\b",
    re.IGNORECASE)
_OTHERS_LIMITS = re.compile(
    r"\b(?:address\w*|overcom\w*|tackl\w*|mitigat\w*|alleviat\w*|resolv\w*|remed\w*|"
    r"circumvent\w*|fix\w*|avoid\w*)\s+(?:\w+\s+){0,2}(?:limitations?|drawbacks?|"
    r"shortcomings?|challenges?|problems?)\b|\blimitations? (?:of|in) (?:\w+ )?(?:existing|prior|"
    r"previous|current|conventional|these|such|other)\b", re.IGNORECASE)
_STRONG_RESULT = re.compile(r"\b(?:results? (?:show|demonstrate)|improv\w*|speed-?ups?|"
                            r"reduc\w*|gains?|beat\w*)\b", re.IGNORECASE)
_CLAIMS_RESULT = re.compile(r"\b(?:outperform\w*|achiev\w*|surpass\w*|state-of-the-art)\b",
                            re.IGNORECASE)
_SECTION_OF = {
    "problem": re.compile(r"intro|motivation|background|problem", re.IGNORECASE),
    "approach": re.compile(r"method|approach|model|framework|theory|overview|design|"
                           r"architecture|algorithm|propos", re.IGNORECASE),
    "data": re.compile(r"data|benchmark|experiment|setting|setup|evaluation", re.IGNORECASE),
    "results": re.compile(r"result|experiment|evaluation|ablation|application|finding",
                          re.IGNORECASE),
    "limitations": re.compile(r"limitation|discussion|conclusion|future|outlook",
                              re.IGNORECASE),
}
# Section headings: numbered ("3.2 RealScholarQuery") or the usual names. Lettered appendix
# headings are not needed (reading stops at the references) and catch title lines ("A Study").
_KNOWN = (r"abstract|introduction|background|related work|preliminaries|theory|methods?|"
          r"methodology|approach|model|experiments?|experimental (?:setup|setting|results)|"
          r"results?|evaluation|applications?|discussion|conclusions?|limitations?|"
          r"future work|acknowledge?ments?|references|bibliography|appendix|supplementary")
_HEADING = re.compile(
    rf"^(?:\d{{1,2}}(?:\.\d{{1,2}}){{0,2}}\.?\s+[A-Z][^\n]{{1,70}}"
    rf"|(?:{_KNOWN})(?:\s+(?:and|&)\s+[\w ]{{1,30}})?)$", re.IGNORECASE)
_BACK_MATTER = re.compile(r"^(?:[\dA-H.]+\s+)?(?:references|bibliography|acknowledge?ments?)\b",
                          re.IGNORECASE)
OPENING_CHUNKS = 2


def detect_heading(paragraph: str) -> str | None:
    """The heading a paragraph consists of ("1 Introduction", "Conclusion and outlook"), if any."""
    text = " ".join(paragraph.split())
    if not text or len(text.split()) > 9 or text[-1] in ".,;:?!)" or re.search(r"[=/@]", text):
        return None
    if not _HEADING.match(text) or sum(ch.isdigit() for ch in text) > 6:
        return None
    if text[0].isdigit() and not re.search(r"[a-z]{3}", text):  # "PaSa-7b 0.79 0.14"
        return None
    return text


@dataclass(slots=True)
class Unit:
    """One usable sentence of a paper."""

    text: str  # whitespace collapsed, a verbatim piece of its passage
    n: int  # 1-based index of its passage in ``PaperText.passages`` (or a shared list)
    order: tuple[int, int]  # (passage index, sentence index): reading order
    section: str | None
    page: int | None
    words: set[str] = field(default_factory=set)
    central: float = 0.0  # share of its words that recur in the paper
    opening: bool = False  # in the abstract or the first chunks
    own: bool = False  # "we ...", "this paper", or the paper's short name
    background: bool = False  # "However, existing ...", or before the first own sentence
    quantity: bool = False
    noise: bool = False


@dataclass(slots=True)
class PaperText:
    """A paper read in full: its passages (section filled in) and scored sentences."""

    paper: Paper
    passages: list[Passage]
    units: list[Unit]

    @property
    def abstract_only(self) -> bool:
        """True when the library holds only the paper's abstract (a listing entry)."""
        return self.paper.kind == "listing" or all(
            (p.section or "").lower() == "abstract" for p in self.passages)

    def sections(self) -> dict[str, list[Unit]]:
        """Units grouped by section (by page when no heading was found), in reading order."""
        groups: dict[str, list[Unit]] = {}
        for u in self.units:
            key = u.section or (f"page {u.page}" if u.page else "text")
            groups.setdefault(key, []).append(u)
        return groups


def _paragraph_sections(text: str, current: str | None) -> tuple[list[tuple[str, str | None]],
                                                                   str | None, bool]:
    """The chunk's paragraphs with the section each is in; also the section after it and
    whether the back matter (references, acknowledgements) starts inside it."""
    out: list[tuple[str, str | None]] = []
    for para in re.split(r"\n\s*\n", text):
        heading = detect_heading(para)
        if heading:
            if _BACK_MATTER.match(heading):
                return out, current, True
            current = heading
            continue
        out.append((para, current))
    return out, current, False


# "attributes.44 Shapley values ..." (a footnote number glued to the period) and "10 Then we":
_FOOTNOTE_SPLIT = re.compile(r"(?<=[a-z)]\.)\d{1,3}(?:[,\u2013-]\d{1,3})*\s+(?=[A-Z])")
_LEADING_NUMBER = re.compile(r"^\d{1,3}\s+(?=[A-Z][a-z])")
_BRACKET_WORD = re.compile(r"\[[A-Za-z][\w ]*\]")


def _sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph, whitespace collapsed, each a verbatim piece of it (footnote
    numbers around sentence ends split off)."""
    from .sentences import split_sentences

    out = []
    for sentence in split_sentences(paragraph):
        for piece in _FOOTNOTE_SPLIT.split(" ".join(sentence.split())):
            out.append(_LEADING_NUMBER.sub("", piece.strip()))
    return [s for s in out if s]


def _prose(text: str) -> bool:
    """A whole prose sentence: usable for answers, ending like a sentence, not figure text."""
    return (usable(text) and bool(re.search(r"[.!?][\"'\u201d\u2019)]*$", text))
            and bool(re.match(r"[\"'(\[\u201c\u2018]?[A-Z0-9]", text))
            and len(_BRACKET_WORD.findall(text)) < 2 and "\u2026" not in text)


def read_paper(shelf: Shelf, paper: Paper, offset: int = 0) -> PaperText:
    """Every chunk of ``paper`` (references and after left out) as scored sentences.

    Passage scores are set to 1.0 (chosen by reference, not retrieved); ``Unit.n`` counts from
    ``offset + 1`` so several papers can share one passage list.
    """
    passages: list[Passage] = []
    raw: list[tuple[str, int, int, str | None, int | None]] = []
    seen: set[str] = set()
    current: str | None = None
    for chunk in shelf.paper_chunks(paper.id):
        if chunk.section:  # the reader's own section (Markdown, HTML, listing abstracts)
            current = chunk.section
        paragraphs, after, stop = _paragraph_sections(chunk.text, current)
        if not is_references(chunk.text):
            index = len(passages)
            shares: dict[str | None, int] = {}
            for para, section in paragraphs:
                shares[section] = shares.get(section, 0) + len(para)
                for text in _sentences(para):
                    key = re.sub(r"\W+", " ", text.lower()).strip()
                    if key in seen or not _prose(text):
                        continue
                    seen.add(key)
                    raw.append((text, index, len(raw), section, chunk.page))
            main = max(shares, key=lambda s: shares[s]) if shares else chunk.section
            passages.append(replace(chunk, score=1.0, section=main or chunk.section))
        current = after
        if stop:
            break
    units = [Unit(text, offset + idx + 1, (idx, k), sec, page)
             for text, idx, k, sec, page in raw]
    _annotate(units, paper.title)
    return PaperText(paper, passages, units)


def _annotate(units: list[Unit], title: str) -> None:
    """Fill words, centrality, opening, own, background, quantity and noise."""
    for u, words in zip(units, term_sets([u.text for u in units]), strict=True):
        u.words = words
    bag: dict[str, int] = {}
    for u in units:
        for w in u.words:
            bag[w] = bag.get(w, 0) + 1
    opening = sorted({u.order[0] for u in units})[:OPENING_CHUNKS]
    first_own = None
    for i, u in enumerate(units):
        u.central = sum(1 for w in u.words if bag[w] > 1) / max(len(u.words), 1)
        u.opening = u.order[0] in opening or (u.section or "").lower() == "abstract"
        u.own = bool(OWN.search(u.text)) or names_paper(title, u.text)
        u.quantity = has_quantity(u.text)
        u.noise = is_noise(u.text)
        u.background = bool(BACKGROUND.match(u.text)) and not u.own
        if first_own is None and u.own:
            first_own = i
    for u in units[: first_own or 0]:
        u.background = True


def aspect_key(aspect: str) -> str:
    """The built-in aspect an aspect name means ("data/benchmarks" -> "data"), else itself."""
    key = " ".join(aspect.lower().replace("_", " ").split())
    return _ALIASES.get(key, key)


def _terms(aspect: str) -> set[str]:
    (words,) = term_sets([aspect])
    return words


def aspect_score(u: Unit, aspect: str) -> tuple[float, bool]:
    """How well ``u`` speaks to ``aspect``, and whether it carries real evidence for it (a cue
    phrase, a matching section, or for a custom aspect one of its words)."""
    key = aspect_key(aspect)
    score = 0.5 * u.central - (1.0 if u.noise else 0.0) - (0.2 if len(u.words) < 8 else 0.0)
    section = u.section or ""
    if key == "overview":  # what a short abstract is about, when the cues find little
        return (score + 0.3 * u.own + 0.2 * u.quantity + 0.2 * u.opening - 0.3 * u.background,
                not u.noise)
    if key == "tldr":
        score += 0.4 * u.opening + 0.4 * u.own - 0.3 * u.background
        return score + (0.3 if _CUES["approach"].search(u.text) else 0.0), u.opening or u.own
    if key not in _CUES:
        terms = _terms(aspect)
        hit = len(terms & u.words) / len(terms) if terms else 0.0
        return score + hit + 0.1 * u.own + 0.1 * u.opening, hit > 0
    cue = bool(_CUES[key].search(u.text))
    in_section = bool(_SECTION_OF[key].search(section))
    score += 0.6 * cue + 0.3 * in_section + 0.15 * u.opening
    if key == "problem":
        score += 0.4 * u.background - 0.2 * (u.own and not u.background)
        evidence = (cue and (u.background or u.opening or in_section)
                    and not _CLAIMS_RESULT.search(u.text)
                    and not _CUES["limitations"].search(u.text))
    elif key == "approach":
        score += 0.4 * u.own - 0.3 * u.background
        evidence = u.own and (cue or in_section)
    elif key == "results":  # headline numbers are in the abstract; "outperforms" beats "better"
        strong = bool(_CLAIMS_RESULT.search(u.text) or _STRONG_RESULT.search(u.text))
        score += (0.4 * u.quantity + 0.2 * u.own + 0.2 * u.opening + 0.2 * strong
                  - 0.3 * u.background - 0.3 * cue * (not strong))
        evidence = cue and (u.quantity or u.own or in_section)
    elif key == "data":
        score += 0.2 * u.quantity + 0.1 * u.own - 0.3 * u.background
        evidence = cue and not u.background
    else:  # limitations: the paper's own, not those of prior work it addresses
        limits = bool(_SECTION_OF["limitations"].search(section))
        weak = limits and bool(_WEAK_LIMITS.search(u.text))
        score += 0.2 * (not u.background) + 0.4 * weak
        evidence = (cue or weak) and not u.background and not _OTHERS_LIMITS.search(u.text)
    return score, evidence


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


RIVAL_MARGIN = 0.1  # a sentence that answers another heading better by this much stays there


def belongs_elsewhere(u: Unit, aspect: str, score: float, rivals: tuple[str, ...]) -> bool:
    """Does ``u`` answer another of the headings (``rivals``) clearly better than ``aspect``
    ("achieves a 2.13x speedup" is a result, not data; "we develop X, which provides a
    speedup" is the approach)? Each heading then holds the sentence that answers it."""
    key = aspect_key(aspect)
    for rival in rivals:
        if aspect_key(rival) == key:
            continue
        other, evidence = aspect_score(u, rival)
        if evidence and other > score + RIVAL_MARGIN:
            return True
    return False


def pick(units: list[Unit], aspect: str, limit: int, taken: list[Unit],
         redundancy: float = 0.5, same_passage: float = 0.15,
         rivals: tuple[str, ...] = ()) -> list[Unit]:
    """Up to ``limit`` units with evidence for ``aspect`` and none stronger for one of the
    ``rivals`` aspects, greedy MMR against ``taken`` (which they join): score minus overlap
    with what is chosen, minus a little for a passage already cited, so a summary spreads
    over the paper."""
    used = {id(u) for u in taken}
    pool = []
    for u in units:
        if id(u) in used or u.noise:
            continue
        score, evidence = aspect_score(u, aspect)
        if evidence and not belongs_elsewhere(u, aspect, score, rivals):
            pool.append((score, u))
    picked: list[Unit] = []
    while pool and len(picked) < limit:
        def mmr(item: tuple[float, Unit]) -> float:
            score, u = item
            overlap = max((_jaccard(u.words, o.words) for o in taken), default=0.0)
            cited = any(o.n == u.n for o in taken)
            return score - redundancy * overlap - (same_passage if cited else 0.0)

        best = max(pool, key=mmr)
        pool.remove(best)
        picked.append(best[1])
        taken.append(best[1])
    return picked


def short_name(title: str, words: int = 6) -> str:
    """The name a title opens with ("SOAP: Improving ..." -> "SOAP"), else its first words."""
    head = title.split(":", 1)[0].strip() if ":" in title else ""
    if 2 <= len(head) <= 30:
        return head
    parts = title.split()
    head = " ".join(parts[:words]).rstrip(":,;")
    return head + ("\u2026" if len(parts) > words else "")


def clip(text: str, aspect: str, max_words: int = 32) -> str:
    """A contiguous piece of ``text`` of at most ``max_words`` words around the aspect's cue,
    cut at clause boundaries where possible ("..." marks a cut)."""
    words = text.split()
    if len(words) <= max_words:
        return text
    key = aspect_key(aspect)
    match = _CUES[key].search(text) if key in _CUES else None
    at = len(text[: match.start()].split()) if match else 0
    start = max(0, min(at - 4, len(words) - max_words))
    for i in range(start, max(-1, at - max_words // 2), -1):  # back to a clause start
        if i == 0 or words[i - 1].endswith((",", ";", ":")):
            start = i
            break
    piece = words[start : start + max_words]
    for j in range(len(piece) - 1, max_words // 2, -1):  # end at a clause boundary
        if piece[j].endswith((",", ";", ":")):
            piece = piece[: j + 1]
            break
    out = " ".join(piece).rstrip(",;:")
    return ("\u2026" if start else "") + out + ("\u2026" if start + len(piece) < len(words) else "")
