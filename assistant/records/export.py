"""Exports: Markdown with a reference list for any answer, summary, comparison or whole
conversation, and BibTeX entries for the papers an answer cites.

Reference lines have a fixed shape so they can be read back (:func:`parse_references`):

    - [2] *Title* (2025; arXiv:2501.10120) — p. 8, § 5.3 Main results — “quote”
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from ..answering.literal import literal_markdown
from ..answering.markers import rewrite_markers
from ..types import counted

if TYPE_CHECKING:
    from ..types import Answer, Citation, Paper
    from .history import Exchange, Session

__all__ = [
    "bibtex_entry",
    "cited_papers",
    "conversation_markdown",
    "parse_references",
    "to_bibtex",
    "to_markdown",
]

DASH = " \u2014 "
_REF_LINE = re.compile(r"^- \[(\d+)\] \*((?:\\.|[^*\\])+)\*(?: \(([^()]*)\))?(.*)$")


def _md_escape(text: str) -> str:
    return re.sub(r"([\\*_`\[\]])", r"\\\1", " ".join(text.split()))


def _md_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _meta(paper: Paper | None) -> str:
    if paper is None:
        return ""
    parts = [str(paper.year)] if paper.year else []
    if paper.arxiv_id:
        parts.append(f"arXiv:{paper.arxiv_id}")
    if paper.doi:
        parts.append(f"doi:{paper.doi}")
    return "; ".join(parts).replace("(", "[").replace(")", "]")


def reference_line(c: Citation, paper: Paper | None = None) -> str:
    """One reference list line for citation ``c``."""
    meta = _meta(paper)
    line = f"- [{c.n}] *{_md_escape(c.title)}*" + (f" ({meta})" if meta else "")
    if where := c.location(section_mark="\u00a7 "):
        line += DASH + where
    if c.quote:
        line += DASH + "\u201c" + " ".join(c.quote.split()) + "\u201d"
    return line


def to_markdown(answer: Answer, *, heading: str | None = None,
                papers: dict[str, Paper] | None = None) -> str:
    """The answer as a Markdown document: optional ``# heading``, the text, sentences the
    check did not find supported, and the numbered references."""
    papers = papers or {}
    parts = [f"# {' '.join(heading.split())}"] if heading else []
    parts.append(literal_markdown(answer.text.strip()))  # tags in it show as text
    flagged = [s for s in answer.sentences if s.support != "supported"]
    if flagged and not answer.abstained:
        parts.append("## Check\n\n" + "\n".join(
            f"- {s.support}: {literal_markdown(' '.join(s.text.split()))}" for s in flagged))
    if answer.citations:
        parts.append("## References\n\n" + "\n".join(
            reference_line(c, papers.get(c.paper_id)) for c in answer.citations))
    parts.append(f"*Engine: {answer.engine}.*")
    return "\n\n".join(parts) + "\n"


def table_markdown(rows: list[dict]) -> str:
    """A comparison table (``Answer.table``) as a Markdown table."""
    if not rows:
        return ""
    cols: list[str] = []
    for row in rows:
        cols.extend(k for k in row if k not in cols)

    def cell(v: object) -> str:
        return " ".join(str("" if v is None else v).split()).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(c) for c in cols) + " |",
             "| " + " | ".join("---" for _ in cols) + " |"]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in cols) + " |" for row in rows]
    return "\n".join(lines)


def conversation_markdown(session: Session | None, exchanges: Iterable[Exchange], *,
                          title: str = "", papers: dict[str, Paper] | None = None) -> str:
    """A conversation as Markdown: each question and answer, then one reference list.

    Citation numbers are made global: a passage cited by several answers gets one number.
    """
    papers = papers or {}
    exchanges = list(exchanges)
    heading = title or (session.title if session else "") or "Conversation"
    out = [f"# {heading}", ""]
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(exchanges[0].created)) \
        if exchanges else ""
    out += [f"*{counted(len(exchanges), 'exchange')}" + (f", from {when}" if when else "") + "*",
            ""]
    refs: dict[tuple[str, str], Citation] = {}
    for i, ex in enumerate(exchanges, 1):
        local: dict[int, int] = {}
        for c in ex.answer.citations:
            key = (c.paper_id, c.chunk_id)
            if key not in refs:
                refs[key] = replace(c, n=len(refs) + 1)
            local[c.n] = refs[key].n

        def render(numbers: list[int], local: dict[int, int] = local) -> str | None:
            mapped = [local[n] for n in numbers if n in local]
            return "[" + ", ".join(str(n) for n in mapped) + "]" if mapped else None

        out += [f"## {i}. {' '.join(ex.question.split())}", ""]
        body = literal_markdown(ex.answer.text.strip())  # tags in it show as text
        out += [f"*{ex.answer.engine}*", "", rewrite_markers(body, render), ""]
        if ex.answer.table and "|" not in ex.answer.text:
            out += [table_markdown(ex.answer.table), ""]
        out += _support_lines(ex.answer, render)
    if refs:
        out += ["## References", ""]
        out += [reference_line(c, papers.get(c.paper_id)) for c in refs.values()]
    return "\n".join(out).rstrip() + "\n"


SUPPORT_MARK = {"supported": "\u2713", "weak": "?", "unsupported": "\u2717"}
SUPPORT_LABEL = {"supported": "supported", "weak": "doubtful", "unsupported": "unsupported"}


def _support_lines(answer: Answer, render: Callable[[list[int]], str | None]) -> list[str]:
    """The check of an answer, as the app shows it: counts per support mark, then each
    sentence not found supported with its mark (citation numbers renumbered by ``render``)."""
    if answer.abstained or not answer.sentences:
        return []
    counts = {k: sum(s.support == k for s in answer.sentences) for k in SUPPORT_MARK}
    line = " \u00b7 ".join(f"{SUPPORT_MARK[k]} {n} {SUPPORT_LABEL[k]}"
                           for k, n in counts.items() if n)
    out = [f"*Check: {line}*", ""]
    flagged = [s for s in answer.sentences if s.support != "supported"]
    if flagged:
        out += [f"- {SUPPORT_MARK[s.support]} {SUPPORT_LABEL[s.support]}: "
                f"{rewrite_markers(' '.join(s.text.split()), render)}" for s in flagged]
        out.append("")
    return out


def parse_references(markdown: str) -> list[dict]:
    """Read back the reference list of :func:`to_markdown`: ``n``, ``title``, ``meta``,
    ``page``, ``section`` and ``quote`` per line."""
    section = markdown.split("\n## References\n", 1)
    if len(section) < 2:
        return []
    out = []
    for line in section[1].splitlines():
        m = _REF_LINE.match(line.strip())
        if not m:
            continue
        ref = {"n": int(m.group(1)), "title": _md_unescape(m.group(2)), "meta": m.group(3) or "",
               "page": None, "section": None, "quote": ""}
        rest = m.group(4)
        quote = re.search(DASH + "\u201c(.*)\u201d$", rest)
        if quote:
            ref["quote"] = quote.group(1)
            rest = rest[: quote.start()]
        where = re.fullmatch(r"(?:p\. (\d+))?(?:, )?(?:\u00a7 (.*))?", rest.removeprefix(DASH))
        if where:
            ref["page"] = int(where.group(1)) if where.group(1) else None
            ref["section"] = where.group(2)
        out.append(ref)
    return out


def cited_papers(answer: Answer, papers: dict[str, Paper]) -> list[Paper]:
    """The papers ``answer`` cites, in order of first citation."""
    ids = dict.fromkeys(c.paper_id for c in answer.citations)
    return [papers[pid] for pid in ids if pid in papers]


# -- BibTeX ------------------------------------------------------------------------------------
_LATEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
          "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}",
          "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    """Text safe inside a braced BibTeX field (LaTeX specials escaped, whitespace collapsed)."""
    return "".join(_LATEX.get(ch, ch) for ch in " ".join(text.split()))


def _verbatim(text: str) -> str:
    """A doi / eprint / url value: taken literally by biblatex, so only braces must go."""
    return re.sub(r"[{}\s]", "", text)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


_SKIP = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "towards", "toward", "is"}


def _key(paper: Paper, used: set[str]) -> str:
    surname = ""
    if paper.authors:
        first = paper.authors[0]
        surname = first.split(",")[0] if "," in first else (first.split() or [""])[-1]
    word = next((w for w in (_ascii_word(x) for x in paper.title.split())
                 if w and w not in _SKIP), "paper")
    surname = _ascii_word(surname)
    base = f"{surname}{paper.year or ''}{word}" if surname else f"{word}{paper.year or ''}"
    key, i = base, 0
    while key in used:
        i += 1
        key = base + ("abcdefghijklmnopqrstuvwxyz"[i - 1] if i <= 26 else str(i))
    used.add(key)
    return key


def bibtex_entry(paper: Paper, key: str) -> str:
    """One ``@misc`` entry: title, authors (``A and B``) when known, venue, year, DOI, arXiv id
    and source file."""
    fields = [("title", "{" + latex_escape(paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(latex_escape(a) for a in paper.authors)))
    if paper.venue:
        fields.append(("howpublished", latex_escape(paper.venue)))
    if paper.year:
        fields.append(("year", str(paper.year)))
    if paper.doi:
        fields.append(("doi", _verbatim(paper.doi)))
    if paper.arxiv_id:
        fields += [("eprint", _verbatim(paper.arxiv_id)), ("archiveprefix", "arXiv"),
                   ("url", f"https://arxiv.org/abs/{_verbatim(paper.arxiv_id)}")]
    elif paper.doi:
        fields.append(("url", f"https://doi.org/{_verbatim(paper.doi)}"))
    if paper.source:
        fields.append(("note", "Source: " + latex_escape(paper.source)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def to_bibtex(papers: list[Paper]) -> str:
    """BibTeX entries for ``papers`` (keys: first author's surname, year, first title word)."""
    used: set[str] = set()
    return "\n".join(bibtex_entry(p, _key(p, used)) for p in papers)
