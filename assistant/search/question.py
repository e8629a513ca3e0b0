"""What a question asks: its kind (fact, number, topic, method, summary, compare), its
asking clauses and its content terms."""

from __future__ import annotations

import re
from functools import lru_cache

from .terms import tokens

__all__ = ["FRAME_WORDS", "KINDS", "content_words", "focus_text", "main_clause", "question_kind",
           "question_terms"]

KINDS = ("fact", "number", "topic", "method", "summary", "compare")
"""Question kinds: a fact, a number, which papers (topic), how/why (method), summary, compare."""

# Words that frame a question rather than name its subject; dropped before term matching.
_FRAME = """
what which who whom whose when where why how does do did is are was were can could would should
will much many rather than between each from into onto about according paper papers library
libraries summarize summarise summary describe compare differ differs difference differences
report reported reports propose proposed proposes use used uses using study studies studied get
gets make makes way ways kind kinds type types one two three both also the a an of in on for to
and or with by at as its their this that these those
"""
FRAME_WORDS = frozenset(_FRAME.split())

# --- question kinds ----------------------------------------------------------------------------
_SUMMARY = re.compile(
    r"^\W*(?:please\s+)?(?:summari[sz]e|tl;?dr|(?:give|write|provide)(?:\s+me)?\s+(?:a|an)\s+"
    r"(?:short\s+|brief\s+)?(?:summary|overview))\b|\bsummary of\b"
    r"|\bwhat is the paper\b.*\babout\b",
    re.IGNORECASE,
)
_COMPARE = re.compile(
    r"\b(?:compare|compares|comparison|contrast|versus|vs\.?|differently)\b"
    r"|\b(?:differ|differs)\b(?:\s+from\b)?"
    r"|\bwhat (?:is|are) the (?:main |key )?(?:differences?|similarities) between\b",
    re.IGNORECASE,
)
_TOPIC = re.compile(
    r"\b(?:which|what|list|find|show)(?:\s+\w+)?\s+(?:papers|works|articles|studies|publications)\b"
    r"|\bare there (?:any )?papers\b|\bpapers in the library\b",
    re.IGNORECASE,
)
_NUMBER_START = re.compile(
    r"how\s+(?:much|many|large|big|small|fast|long|high|low|accurate(?:ly)?)\b"
    r"|(?:what|which)\s+(?:[\w@.\-]+\s+){0,2}?(?:range|percentage|percent|fraction|share|"
    r"proportion|value|number|amount|speed-?ups?|accuracy|score|ratio|size|margin|factor|psnr|"
    r"error|perplexity|bleu|improvement|reduction|gain|drop|cost|latency|throughput)s?\b"
    r"|what\s+(?:margin|factor|percentage|amount)\b",
    re.IGNORECASE,
)
_METHOD_START = re.compile(r"how\b|why\b|what way\b|what (?:mechanism|technique)\b",
                           re.IGNORECASE)
_WH_START = re.compile(r"(?:what|which|who|whom|whose|where|when|how|why)\b", re.IGNORECASE)
_LEAD = re.compile(r"^(?:(?:and|but|or|in|to|by|for|of|on|at|from|with|under)\s+)+", re.IGNORECASE)
_RELATIVE = re.compile(
    r"\s(?:which|where|who|whose|when|while|if|using|via|that(?=\s(?:is|are|was|were|has|have|"
    r"had|can|could|will|would|may|might|must|should|\w+s|\w+ed)\b))\s", re.IGNORECASE)
_SUBORDINATE = re.compile(r"^(?:when|where|if|while|once|after|before)\b", re.IGNORECASE)


def _asking_clauses(question: str) -> list[str]:
    """Clauses that open with an interrogative (a comma-separated piece that does not open
    one continues the clause before it); a leading "when/if ..." clause is skipped when
    another follows."""
    clauses: list[str] = []
    for piece in (p.strip() for p in re.split(r"[,;:]\s+", question)):
        piece = _LEAD.sub("", piece)
        if _WH_START.match(piece) or not clauses:
            clauses.append(piece)
        else:
            clauses[-1] += ", " + piece
    return [c for i, c in enumerate(clauses) if _WH_START.match(c)
            and not (i < len(clauses) - 1 and _SUBORDINATE.match(c))]


def main_clause(question: str) -> str:
    """The first asking clause (the whole question if none opens with an interrogative)."""
    clauses = _asking_clauses(question)
    return clauses[0] if clauses else question


def focus_text(question: str) -> str:
    """What the question asks for: its asking clauses, each cut before a relative or
    subordinate clause ("... the method that ...", "... when ...") that describes."""
    parts = [_RELATIVE.split(c, maxsplit=1)[0]
             for c in _asking_clauses(question)]
    return " ".join(parts) or question


def question_kind(question: str) -> str:
    """Classify a question as one of :data:`KINDS` with a few ordered rules.

    Summary, which-papers and compare cues anywhere win. Otherwise the main clause decides:
    "how much / what percentage ..." is a number, "how / why" a method, anything else a fact.
    """
    if _SUMMARY.search(question):
        return "summary"
    if _TOPIC.search(question):
        return "topic"
    if _COMPARE.search(question):
        return "compare"
    clause = main_clause(question)
    if not _WH_START.match(clause):
        return "fact"
    if _NUMBER_START.match(clause):
        return "number"
    return "method" if _METHOD_START.match(clause) else "fact"



# --- terms -------------------------------------------------------------------------------------
def content_words(question: str) -> str:
    """The question without its frame words ("which papers", "how does")."""
    words = re.findall(r"[^\s,;:?!()\"']+", question)
    return " ".join(w for w in words if w.lower().strip(".") not in FRAME_WORDS)


@lru_cache(maxsize=4096)
def _text_terms(text: str) -> frozenset[str]:
    (found,) = tokens([text])
    return frozenset(found)


def question_terms(question: str) -> set[str]:
    """The question's content terms (stemmed), frame words ("which papers", "how does") left out."""
    return set(_text_terms(content_words(question) or question))
