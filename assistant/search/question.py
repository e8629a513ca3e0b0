"""What a question asks: its kind (fact, number, topic, method, summary, compare), the kind of
answer it wants (yes/no, a number, a name, an expansion, ...), its asking clauses, its content
terms and its rare terms (acronyms, names, numbers spelled as in the papers)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .terms import tokens

__all__ = ["ANSWER_KINDS", "FRAME_WORDS", "KINDS", "Head", "answer_kind", "asked_acronym",
           "asked_head", "content_words", "focus_text", "main_clause", "question_kind",
           "question_terms", "rare_terms"]

KINDS = ("fact", "number", "topic", "method", "summary", "compare")
"""Question kinds: a fact, a number, which papers (topic), how/why (method), summary, compare."""

# Words that frame a question rather than name its subject; dropped before term matching.
_FRAME = """
what which who whom whose when where why how does do did is are was were can could would should
will much many rather than between each from into onto about according paper papers library
libraries summarize summarise summary describe compare differ differs difference differences
report reported reports propose proposed proposes use used uses using study studies studied get
gets make makes way ways kind kinds type types one two three both also the a an of in on for to
and or with by at as its their this that these those stand stands short abbreviation acronym
up out off
"""
# (the particles of phrasal verbs - "make up", "carry out", "set off" - name no subject: "up"
# matched "To sum up" in another paper)
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
    r"how\s+(?:much|many|large|big|small|fast|long|high|low|often|frequently|accurate(?:ly)?)\b"
    r"|(?:what|which)\s+(?:[\w@.\-]+\s+){0,2}?(?:range|percentage|percent|fraction|share|"
    r"proportion|value|number|amount|speed-?ups?|accuracy|score|ratio|size|margin|factor|psnr|"
    r"error|perplexity|bleu|improvement|reduction|gain|drop|cost|latency|throughput|f1|"
    r"f-?measure|f-?score|precision|recall|auc|rate|temperature|depth|length|count)s?\b"
    r"|what\s+(?:margin|factor|percentage|amount)\b",
    re.IGNORECASE,
)
_METHOD_START = re.compile(r"how\b|why\b|what way\b|what (?:mechanism|technique)\b",
                           re.IGNORECASE)
_WH_START = re.compile(r"(?:what|which|who|whom|whose|where|when|how|why)\b", re.IGNORECASE)
_LEAD = re.compile(r"^(?:(?:and|but|or|in|to|by|for|of|on|at|from|with|under|over|across|"
                   r"within|during|after|before|between)\s+)+", re.IGNORECASE)
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


# --- the kind of answer ------------------------------------------------------------------------
ANSWER_KINDS = ("boolean", "choice", "acronym", "number", "limitation", "name", "definition",
                "reason", "method", "fact")
"""What an answer to a fact question is: yes/no, one of the options the question offers, the
expansion of an acronym, a quantity, a limitation, a name (dataset, model, metric ...), a
definition, a reason, a way of doing something, or any other fact."""

_AUX = (r"is|are|was|were|do|does|did|can|could|has|have|had|will|would|should|shall|may|"
        r"might|must")
_BOOLEAN = re.compile(rf"^(?:{_AUX})(?:n't)?\s", re.IGNORECASE)
_CHOICE = re.compile(r"\b(?:or|versus|vs\.?)\s+(?!not\b)[\w-]+", re.IGNORECASE)
_ACRONYM_Q = re.compile(r"\bstands?\s+for\b|\babbreviat\w*|\bacronym\b|\bshort\s+for\b"
                        r"|\bexpan(?:d|sion)\b", re.IGNORECASE)
_LIMITATION_Q = re.compile(r"\b(?:limitations?|drawbacks?|weakness\w*|shortcomings?|caveats?|"
                           r"fail(?:s|ure)?|downsides?)\b", re.IGNORECASE)
_NAME_HEADS = (r"baselines?|datasets?|data\s?sets?|corpus|corpora|data|models?|architectures?|"
               r"methods?|metrics?|measures?|tools?|features?|labels?|languages?|tasks?|"
               r"embeddings?|algorithms?|systems?|components?|librar(?:y|ies)|frameworks?|"
               r"parsers?|benchmarks?|classifiers?|optimi[sz]ers?|networks?|encoders?|"
               r"decoders?|approaches|techniques?|sources?|domains?|aspects?|categories|types?|"
               r"kinds?|names?|emotions?|loss(?:es)?|functions?|hardware|gpus?|venues?")
_NAME_Q = re.compile(
    rf"^(?:which|what|name)\b(?:\s+[\w'-]+){{0,4}}?\s+(?:{_NAME_HEADS})\b"
    r"|^which\b|^who\b|^(?:what|which)\s+(?:kinds?|types?|sorts?)\s+of\b",
    re.IGNORECASE)
_DEFINITION_Q = re.compile(
    r"^(?:what|who)\s+(?:is|are|was|were)\s+(?:the\s+|a\s+|an\s+)?[^?]{1,60}\??$"
    r"|^how\s+(?:is|are|was|were)\s+[^?]+?\s+defined\b|^define\b|\bdefinition of\b"
    r"|\bwhat\s+(?:is|are)\s+meant\s+by\b|\bwhat\s+does\s+[^?]+\s+mean\b",
    re.IGNORECASE)
_COMPARATIVE_CHOICE = re.compile(
    r"^(?:what|which)\b.*\b(?:more|less|better|worse|larger|smaller|higher|lower|faster|"
    r"slower)\b.*\s(?:or|vs\.?|versus)\s", re.IGNORECASE)
_REASON_Q = re.compile(r"^why\b|^(?:what|which)\s+(?:is|are|was|were)\s+the\s+(?:main\s+)?"
                       r"(?:reasons?|causes?|motivations?)\b", re.IGNORECASE)


def answer_kind(question: str) -> str:
    """One of :data:`ANSWER_KINDS`, from the asking clause's first words.

    "Is/does ... ?" is yes/no, unless it offers options ("... European or Brazilian ...?"),
    which makes it a choice; a question about what an acronym stands for wants its expansion;
    the number cues of :func:`question_kind` make a number; "which/what <dataset|model|...>" a
    name; "what is X" a definition; "why" a reason; "how" a method.
    """
    q = " ".join(question.split())
    clause = _LEAD.sub("", main_clause(q))
    if _ACRONYM_Q.search(q):
        return "acronym"
    if _BOOLEAN.match(q) and not _WH_START.match(q):
        return "choice" if _CHOICE.search(q) else "boolean"
    if _BOOLEAN.match(clause) and not _WH_START.match(clause):
        return "choice" if _CHOICE.search(clause) else "boolean"
    if _COMPARATIVE_CHOICE.match(clause):
        return "choice"
    if _NUMBER_START.match(clause) or re.match(r"(?:in\s+)?what\s+year\b|when\b", clause,
                                               re.IGNORECASE):
        return "number"
    if _LIMITATION_Q.search(clause):
        return "limitation"
    if _REASON_Q.match(clause):
        return "reason"
    if _NAME_Q.match(clause):
        return "name"
    if _DEFINITION_Q.match(clause):
        return "definition"
    if _METHOD_START.match(clause):
        return "method"
    return "fact"


_ACRONYM = re.compile(r"(?<![\w-])([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9-]*|[A-Z]{2,}s?)(?![\w-])")


def asked_acronym(question: str) -> str | None:
    """The acronym a question asks about ("What does MMACE stand for?" -> "MMACE")."""
    found = [m.group(1) for m in _ACRONYM.finditer(question)]
    found = [a for a in found if sum(ch.isupper() for ch in a) >= 2]
    return found[-1] if found else None


# --- what the question asks about: its head noun phrase and the count it states ----------------
COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
               "nine": 9, "ten": 10, "both": 2}
_HEAD_STOP_WORDS = """
is are was were be been do does did has have had can could will would should shall may might
must of in on for to from with by at as into onto over under between about after before during
than that which who whom whose where when while there their they them it its this these those
and or but not if via per using use used make makes made get gets got reach reaches reached
across behind underneath within without among through toward towards against beyond like near
up out also being available
"""
_HEAD_STOP = frozenset(_HEAD_STOP_WORDS.split())
_HEAD_SKIP_WORDS = "the a an their its his her our your some any other different various specific"
_HEAD_SKIP = frozenset(_HEAD_SKIP_WORDS.split() + ["main", "total", "overall"])
_HEAD_START = re.compile(
    r"^(?:how\s+(?:many|much)\s+"
    r"|how\s+(?:large|big|small|long|high|low|fast|often|frequently)\s+(?:is|are|was|were|"
    r"does|do|did)\s+"
    r"|(?:what|which)\s+(?:(?:is|are|was|were)\s+)?"
    r"|(?:name|list)\s+)", re.IGNORECASE)
_KIND_OF = re.compile(r"^(?:kinds?|types?|sorts?|forms?|classes?)\s+of\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Head:
    """What a question asks about: the words of its head noun phrase ("raw corpus" in "How
    large is raw corpus used for training?") and the count it states ("What are the three
    components ...?" -> 3), if any."""

    phrase: str
    count: int | None = None

    @property
    def noun(self) -> str:
        """The phrase's last word, its head noun ("corpus")."""
        return self.phrase.split()[-1] if self.phrase else ""


def asked_head(question: str) -> Head:
    """The head noun phrase of the question's asking clause: the words after "how many", "how
    large is", "what/which (is/are) (the)" up to a verb, preposition or clause word; a count
    word among them ("three", "2") is the count it states; "kind of X" is X."""
    clause = _LEAD.sub("", " ".join(main_clause(question).split()))
    m = _HEAD_START.match(clause)
    if not m:
        return Head("")
    rest = _KIND_OF.sub("", clause[m.end():])
    words: list[str] = []
    count = None
    for raw in rest.split():
        word = raw.strip("?.,;:!\"'()")
        low = word.lower()
        if not word or low in _HEAD_STOP or (low.endswith("ed") and len(low) > 4 and words):
            break
        if low in COUNT_WORDS and count is None and not words:
            count = COUNT_WORDS[low]
        elif low.isdigit() and count is None and not words and int(low) < 50:
            count = int(low)
        elif low not in _HEAD_SKIP:
            words.append(word)
        if raw.endswith(("?", ",", ";", ":")) or len(words) >= 4:
            break
    if re.search(r"\s(?:do|does|did)\s+$", m.group(0)) and len(words) > 1:
        words.pop()  # "how often did the labelling work": the subject, then its verb
    return Head(" ".join(words), count)


_RARE = re.compile(r"(?<![\w.-])(?:[A-Za-z]*[A-Z][A-Za-z]*[A-Z0-9][\w-]*|[a-z]+[A-Z][\w-]*"
                   r"|[A-Za-z]+[-]?\d[\w.-]*|\d+(?:[.,]\d+)+%?|\d{3,}%?)(?![\w-])")


def rare_terms(question: str) -> list[str]:
    """Words of the question spelled as names are: acronyms (XAI), mixed case (fastText,
    GPT-4o), letters with digits (Qwen2.5, CIFAR-10) and long numbers (0.611, 1676) - the
    words a library holds verbatim or not at all."""
    out = []
    for m in _RARE.finditer(question):
        word = m.group(0).strip(".-")
        if len(word) >= 2 and word not in out:
            out.append(word)
    return out



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
