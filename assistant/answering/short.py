"""Short answers: the span of the chosen sentence that answers the question, by answer kind.

A number question gets the quantity with its unit words ("100 million sentences", a coordinated
run "17,833 sentences, 826,987 characters and 2,714 question-answer pairs" kept whole); an
acronym question the long form (Schwartz & Hearst 2003: the words before "(ACR)" whose initials
spell it); a name question the names the sentence adds ("the Yelp Challenge dataset",
"AdaBoost-based classifier", the list after "such as", up to where the names end); a
definition the defining clause ("The seed lexicon consists of ...", a trailing ", where ..."
cut off); a yes/no question "Yes" or "No" read from the deciding sentence (a negation that
the question does not hold); a choice question the option the sentence names. Every span is a
verbatim piece of its sentence (``Yes``/``No`` aside), so it is cited like the sentence.

The answer text carries it as its first paragraph: ``**span** [n]``, or ``**Yes.** deciding
sentence [n]`` for a yes/no question; :func:`read_short` reads it back from any engine's text.
"""

from __future__ import annotations

import re

from .markers import MARKER
from .vocabulary import stemmer

__all__ = ["MAX_WORDS", "POINTER", "SHORT_LABEL", "acronym_expansion", "boolean_verdict",
           "choice_span", "cut_span", "definition_span", "has_answer_quantity", "has_rate",
           "list_span", "normalise_labelled", "quantity_of", "quantity_span", "read_short",
           "render_short", "words_of"]

MAX_WORDS = 40
"""A short answer longer than this is no short answer: the sentence is."""
SHORT_LABEL = "Short answer:"
"""How a language model opens its answer (see prompts/answer.md)."""

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]*|\d+(?:[.,]\d+)*")
_STOP_WORDS = """
a an the and or but nor of to in on at by for with from as into onto over under than then that
this these those there here it its they them their we our us you your he she his her is are was
were be been being am do does did has have had having can could may might must shall should will
would not no so such very also only just both each all any some more most other which who whom
whose what when where why how while about above below between through during before after again
further once same own too via per using use used paper papers authors author across within
without among toward towards against along upon throughout beyond near like
"""
_STOP = frozenset(_STOP_WORDS.split())


def words_of(text: str) -> set[str]:
    """Stemmed content words; a hyphenated word counts whole, joined and by its parts."""
    out: list[str] = []
    for w in (w.lower() for w in _WORD.findall(text)):
        out.append(w.replace("-", ""))
        if "-" in w:
            out.extend(p for p in w.split("-") if p)
    return set(stemmer()([w for w in out if w not in _STOP and len(w) > 1]))


# --- the answer text's first paragraph ---------------------------------------------------------
def render_short(span: str, marker: str) -> str:
    """The first paragraph of an answer: ``**span** [n]``; a verdict is ``**Yes.**``."""
    span = " ".join(span.split()).replace("*", "")
    if span in ("Yes", "No"):
        return f"**{span}.**"
    return f"**{span}** {marker}".strip()


_FIRST = re.compile(
    rf"^\s*\*\*(?P<span>[^*\n]{{1,400}}?)\*\*(?P<marks>(?:\s*{MARKER.pattern})*)[ \t]*(?:\n|$)")
_VERDICT = re.compile(r"^\s*\*\*(?P<span>Yes|No)[.!]?\*\*", re.IGNORECASE)
_LABELLED = re.compile(rf"^\s*(?:\*\*)?{re.escape(SHORT_LABEL)}(?:\*\*)?\s*", re.IGNORECASE)


def read_short(text: str) -> str | None:
    """The short answer an answer text opens with, if any: the bold first paragraph that
    carries a marker, or a bold ``Yes.``/``No.`` verdict."""
    if m := _VERDICT.match(text):
        return m.group("span").capitalize()
    m = _FIRST.match(text)
    if m and m.group("marks").strip():
        return " ".join(m.group("span").split()).strip(" .:")
    return None


def normalise_labelled(raw: str) -> str:
    """A language model's ``Short answer: span [n]`` first line as ``**span** [n]`` (a
    ``Yes``/``No`` verdict as ``**Yes.**`` before the rest of the line)."""
    m = _LABELLED.match(raw)
    if not m:
        return raw
    line, nl, rest = raw[m.end():].partition("\n")
    verdict = re.match(r"(?P<v>yes|no)\b[.,:;!]?\s*", line, re.IGNORECASE)
    if verdict:
        tail = line[verdict.end():].strip()
        head = f"**{verdict.group('v').capitalize()}.**"
        return f"{head} {tail}".rstrip() + nl + rest if tail else head + nl + rest
    marks = "".join(MARKER.findall(line))
    span = MARKER.sub("", line).strip().rstrip(".")
    if not span:
        return rest
    return f"**{span.replace('*', '')}** {marks}".rstrip() + "\n" + nl + rest


# --- spans ---------------------------------------------------------------------------------
_QUANTITY = re.compile(
    r"(?<![\w.$])(?:\d+(?:[.,]\d+)*(?:\s*[-\u2013]\s*\d+(?:[.,]\d+)*)?"
    r"(?:\s*(?:million|billion|thousand|hundred|[kKMB])\b)?(?:\s*%|\s*percent\b|x\b|\u00d7)?"
    r"|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundred|thousand|dozens?|hundreds|thousands|millions)\b)", re.IGNORECASE)
_NOT_QUANTITY = re.compile(r"(?:table|figure|fig\.|section|sec\.|eq\.|equation|bibref|tabref|"
                           r"figref|secref|inlineform|appendix|step|line|chapter|layer\s+no\.)"
                           r"\s*$", re.IGNORECASE)
_GLUE = re.compile(r"\s*(?:,|,?\s*and|,?\s*or|\s*/)\s*")
_UNIT_STOP_WORDS = """of in for on from and with were was are is to by than at as that which
who where when while after before using per into over under then but or we our they it this
these those the a an"""
_UNIT_STOP = frozenset(_UNIT_STOP_WORDS.split())


def _quantities(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _QUANTITY.finditer(text):
        if _NOT_QUANTITY.search(text[max(0, m.start() - 14):m.start()]):
            continue
        token = m.group(0)
        if re.fullmatch(r"(?:19|20)\d\d", token) and "(" in text[max(0, m.start() - 30):
                                                                  m.start()]:
            continue  # a citation year
        end = m.end()
        for _ in range(3):  # up to three unit words: "100 million sentences", "2,714 QA pairs"
            unit = re.match(r"\s*([\w\-]+)", text[end:])
            word = unit.group(1).lower() if unit else ""
            if (not unit or word in _UNIT_STOP or _QUANTITY.fullmatch(word)
                    or (word.endswith(("ed", "ly")) and len(word) > 4)):  # a verb or adverb
                break
            end += unit.end()
            if not re.match(r"\s*[\w\-]+", text[end:]) or text[end:end + 1] in ",;.":
                break
        spans.append((m.start(), end))
    return spans


def has_answer_quantity(text: str, *, words: bool = True) -> bool:
    """Does ``text`` state a quantity that can answer a number question: a percentage, a
    decimal, a number of two digits or more, a scale ("3 million"), or (``words``: for a
    count, "how many") a number word (not "Table 4", "Section 3" or a citation year)?"""
    for a, _ in _quantities(text):
        number = _QUANTITY.match(text, a)
        token = number.group(0) if number else ""
        if re.search(r"\d{2,}|\d[.,]\d|%|percent|[xX\u00d7]$|million|billion|thousand",
                     token) or (words and token and not token[:1].isdigit()):
            return True
    return False


HEAD_BEFORE = 5  # words before a quantity that can name what it counts ("corpus of about 100")


def _names_head(head: set[str], text: str, span: tuple[int, int]) -> bool:
    """Do the quantity's unit words, or the few words before it, hold a word of ``head``?"""
    before = " ".join(text[:span[0]].split()[-HEAD_BEFORE:])
    return bool(head) and bool(head & (words_of(text[span[0]:span[1]]) | words_of(before)))


def quantity_of(head: set[str], text: str) -> bool:
    """Does ``text`` state a quantity of what the question asks about (stemmed ``head`` words):
    "100 million sentences" after "the corpus of about", "2,714 question-answer pairs" for
    "questions"?"""
    return any(_names_head(head, text, span) for span in _quantities(text))


_RATE_TOKEN = re.compile(r"%|percent|\b0?\.\d+\b|\bout of\b|\bone in\b|\bhalf\b|"
                         r"\b(?:one|two|three)-(?:third|quarter|fourth)s?\b", re.IGNORECASE)


def has_rate(text: str) -> bool:
    """Does ``text`` state a rate or share (86%, 0.76, "3 out of 4", "half")?"""
    return bool(_RATE_TOKEN.search(text))


def quantity_span(question: str, text: str, head: set[str] | None = None) -> str | None:
    """The quantity with its unit words whose neighbourhood shares most with the question
    (a coordinated run of quantities kept whole, unless one member alone counts the asked
    ``head``: "2,714 question-answer pairs" of "17,833 sentences, ... and 2,714
    question-answer pairs" for "How many questions ...?")."""
    spans = _quantities(text)
    if not spans:
        return None
    runs: list[list[tuple[int, int]]] = [[spans[0]]]
    for a, b in spans[1:]:
        if _GLUE.fullmatch(text[runs[-1][-1][1]:a]):
            runs[-1].append((a, b))
        else:
            runs.append([(a, b)])
    asked = words_of(question)
    head = head or set()

    def closeness(run: list[tuple[int, int]]) -> tuple[int, int, int]:
        inside = words_of(text[run[0][0]:run[-1][1]])
        around = words_of(text[max(0, run[0][0] - 60):run[-1][1] + 30])
        named = any(_names_head(head, text, span) for span in run)
        return (named, 2 * len(inside & asked) + len(around & asked), -run[0][0])

    best = max(runs, key=closeness)
    if len(best) > 1 and head:
        own = [span for span in best if head & words_of(text[span[0]:span[1]])]
        if len(own) == 1:
            best = own
    return text[best[0][0]:best[-1][1]].strip(" ,.;:")


def _spells(acronym: str, phrase: str) -> bool:
    """Schwartz & Hearst's test: the acronym's letters are found right to left in the phrase,
    the first one opening its first word (or second in it, as in "eXplainable", for three
    letters or more)
    and every word of the phrase past the first holding one of them."""
    letters = [c.lower() for c in acronym if c.isalnum()]
    words = phrase.split()
    if not letters or not words or len(words) > len(letters) + 2:
        return False
    first = words[0].lower()
    if first[0] != letters[0] and not (len(first) > 1 and first[1] == letters[0]
                                       and len(letters) >= 3):
        return False
    text = phrase.lower()
    i = len(text) - 1
    for k in range(len(letters) - 1, 0, -1):
        while i >= 0 and text[i] != letters[k]:
            i -= 1
        if i < len(first):
            return False
        i -= 1
    return True


def acronym_expansion(acronym: str, text: str) -> str | None:
    """The long form of ``acronym`` in ``text``: "long form (ACR)", "ACR (long form)" or
    "ACR stands for ..."."""
    acr = re.escape(acronym.rstrip("s"))
    for m in re.finditer(rf"\(\s*{acr}s?\s*[);,]", text):
        before = re.split(r"[.;:()\[\]]", text[:m.start()])[-1].split()
        window = before[-min(len(before), len(acronym) + 5):]
        for start in range(len(window) - 1, -1, -1):
            candidate = " ".join(window[start:]).strip(" ,;:")
            if _spells(acronym, candidate):
                return candidate
    after = re.search(rf"\b{acr}s?\s*\(([^()]{{3,80}})\)", text)
    if after and _spells(acronym, after.group(1).strip()):
        return after.group(1).strip()
    said = re.search(rf"\b{acr}s?\s+(?:stands for|denotes|refers to|is short for|is an? "
                     r"(?:acronym|abbreviation) for)\s+([^.;,()]+)", text)
    return said.group(1).strip() if said else None


_NAME = re.compile(r"(?<![\w-])(?:[A-Z][\w\-]*[A-Z0-9][\w\-]*|[a-z]+[A-Z][\w\-]*|"
                   r"[A-Z][a-z]+(?:[A-Z]\w*)+|[A-Z][a-z]{2,})(?![\w-])")
POINTER = re.compile(r"(?:Tables?|Figures?|Figs?\.?|Sections?|Sec\.|Eqs?\.|Equations?|Appendix|"
                      r"Algorithm|Chapter)\s+(?:[A-Z]*REF)?\d", re.IGNORECASE)
"""A pointer into the paper ("Table 4", "Figure FIGREF1"): no name that answers."""
_PLACEHOLDER = re.compile(r"^(?:BIBREF|TABREF|FIGREF|SECREF|INLINEFORM)\d+$")
_HEADS_WORDS = """dataset datasets corpus corpora data model models classifier classifiers
smoothing embeddings embedding network networks method methods algorithm algorithms baseline
baselines library parser metric metrics measure measures tool tools system systems architecture
architectures score scores task tasks benchmark benchmarks challenge framework frameworks
optimizer loss"""
_HEADS = frozenset(_HEADS_WORDS.split())


def _names(text: str, question: str) -> list[str]:
    """Capitalised, mixed-case or digit-bearing words of ``text`` the question does not use
    (not the sentence's first word)."""
    asked = {w.lower() for w in _WORD.findall(question)}
    out = []
    for m in _NAME.finditer(text):
        w = m.group(0)
        if m.start() == 0 or _PLACEHOLDER.match(w) or w.lower() in asked or POINTER.match(
                text, m.start()):
            continue
        if re.fullmatch(r"[A-Z][a-z]{2,}", w) and text[:m.start()].rstrip().endswith((".",
                                                                                      ":")):
            continue
        out.append(w)
    return out


def name_phrases(text: str, question: str) -> list[str]:
    """Noun phrases around the new names of ``text``: capitalised neighbours and a following
    head noun ("the Yelp Challenge dataset", "AdaBoost-based classifier")."""
    toks = re.findall(r"\S+", text)
    names = set(_names(text, question))
    heads = _HEADS | {w.lower() for w in _WORD.findall(question)}
    out: list[str] = []
    used: set[int] = set()
    for i, t in enumerate(toks):
        if i in used or t.strip(".,;:()\"'") not in names:
            continue
        lo = i
        while lo > 1 and re.match(r"^[A-Z(]", toks[lo - 1]) and not toks[lo - 1].endswith(
                (",", ";", ".")):
            lo -= 1
        hi = i
        while (hi + 1 < len(toks) and re.match(r"^[A-Z(]", toks[hi + 1])
               and not toks[hi].endswith((",", ";", ".", ")"))):
            hi += 1
        if (hi + 1 < len(toks) and not toks[hi].endswith((",", ";", "."))
                and toks[hi + 1].strip(".,;:").lower() in heads):
            hi += 1
        used.update(range(lo, hi + 1))
        phrase = " ".join(toks[lo:hi + 1]).strip(" .,;:")
        if phrase.count("(") != phrase.count(")"):
            phrase = phrase.rstrip(")") if phrase.count(")") > phrase.count("(") else (
                phrase + ")" if ")" in " ".join(toks[hi + 1:hi + 2]) else phrase.lstrip("("))
        out.append(phrase)
    return out


_LIST_CUE = re.compile(r"(?:\bnamely|\bsuch as|\bincluding|\binclude|\bincludes|\bare|\bis|:)"
                       r"\s+(?P<list>[^.;:]{3,200})")


_MASS_NOUNS = frozenset(["data", "information", "evidence", "software", "hardware", "research",
                         "work", "text", "supervision", "knowledge"])


def _asks_one(question: str) -> bool:
    """Does the question ask for one thing: a singular count noun ("Which dataset ...?")?"""
    from ..search.question import asked_head

    head = asked_head(question)
    noun = head.noun.lower()
    return (bool(noun) and head.count is None and not noun.endswith("s")
            and noun not in _MASS_NOUNS)


def list_span(question: str, text: str) -> str | None:
    """The names a which/what question asks for: a list after "namely / such as / including
    / :" that names things, else the noun phrases around the sentence's new names."""
    for m in _LIST_CUE.finditer(text):
        items = m.group("list")
        items = _main_clause(items, 1)
        if len(items.split()) <= 25 and len(_names(", " + items, question)) >= 2 and (
                "," in items or " and " in items):
            return items.strip(" ,")
    phrases = [p for p in name_phrases(text, question) if re.search(r"[A-Za-z]{2}", p)]
    if not phrases:
        return None
    if _asks_one(question):  # "Which dataset ...?": the one it names first
        return phrases[0] if phrases[0] in text else None
    start = text.find(phrases[0])
    end = text.find(phrases[min(2, len(phrases) - 1)], start)
    if start >= 0 and end >= 0:
        run = text[start:end + len(phrases[min(2, len(phrases) - 1)])]
        if len(run.split()) <= 12:  # a few names close together: their stretch of the sentence
            return run.strip(" ,;")
    return phrases[0] if phrases[0] in text else None


_COPULA = re.compile(r"\b(?:is|are|was|were|consists? of|refers? to|(?:is |are )?defined as|"
                     r"denotes?|means?)\s+")


def definition_span(subject: str, text: str) -> str | None:
    """What follows the copula when the sentence opens with ``subject`` ("The seed lexicon
    consists of ..."; "Clinical text structuring (CTS) is ...")."""
    wanted = words_of(subject)
    limit = len(subject.split()) + 5
    for m in _COPULA.finditer(text):
        before = text[:m.start()]
        if (wanted and 2 * len(wanted & words_of(before)) >= len(wanted)
                and len(before.split()) <= limit):  # the subject, not a word of it
            return (before + m.group(0) + _main_clause(text[m.end():])).strip(" .")
    return None


_TRAILING_CLAUSE = re.compile(r"(?:,\s+(?:where|which|while|whereas|although|but|so that|"
                              r"such as|e\.g\.|i\.e\.|due to|because|since|as|we|it|they|"
                              r"this|these)\b|;|\s[\u2013\u2014-]\s)\s*")


def _main_clause(span: str, min_words: int = 4) -> str:
    """``span`` up to a trailing clause that only adds to it (", where ...", "; ...", ", which
    ...") when at least ``min_words`` words come before it."""
    for m in _TRAILING_CLAUSE.finditer(span):
        if len(span[:m.start()].split()) >= min_words:
            return span[:m.start()]
    return span


_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|cannot|without|unable|fails?\s+to|"
                       r"failed\s+to|lacks?|none|nothing|unlike)\b|n't\b", re.IGNORECASE)


def boolean_verdict(question: str, sentence: str, coverage: float) -> str:
    """"Yes" when the deciding sentence says what the question asks (a third of its weighted
    terms or more, ``coverage``) with no negation the question lacks; "No" otherwise."""
    negated = len(_NEGATION.findall(sentence)) > len(_NEGATION.findall(question))
    if negated or coverage < 0.34:
        return "No"
    return "Yes"


def choice_span(question: str, text: str) -> str | None:
    """The option of "... A or B?" that the sentence names (the first it names)."""
    m = re.search(r"(?:^|,|\b(?:between|whether|be|is|are|target|use|uses))\s*(?P<a>[^,?]+?)\s+"
                  r"(?:or|vs\.?|versus)\s+(?P<b>[^,?]+?)\s*\??$", question, re.IGNORECASE)
    if not m:
        return None
    a, b = m.group("a"), m.group("b")
    words_a, words_b = words_of(a) - words_of(b), words_of(b) - words_of(a)
    found = words_of(text)
    score_a, score_b = len(words_a & found), len(words_b & found)
    if score_a == score_b:
        return None
    option = (a if score_a > score_b else b).strip()
    spelled = r"[\s-]+".join(re.escape(w) for w in option.split())
    found_in = re.search(rf"(?<!\w){spelled}(?!\w)", text, re.IGNORECASE)
    return found_in.group(0) if found_in else None


def cut_span(kind: str, question: str, sentence: str, *, subject: str = "",
             acronym: str | None = None, head: set[str] | None = None) -> str | None:
    """The span of ``sentence`` that answers a question of answer kind ``kind`` (None when
    the sentence has no such span)."""
    if kind == "acronym" and acronym:
        return acronym_expansion(acronym, sentence)
    if kind == "number":
        return quantity_span(question, sentence, head)
    if kind == "name":
        return list_span(question, sentence)
    if kind == "definition":
        return definition_span(subject, sentence)
    if kind == "choice":
        return choice_span(question, sentence)
    return None
