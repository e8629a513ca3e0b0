"""Turning answers, citations and papers into display text.

Everything that came from a paper or a model is wrapped in :class:`Content` built from plain
strings (never parsed as markup), so ``[bold red]`` or ``[@click=app.quit]`` in a paper shows as
those characters and does nothing; and it passes :mod:`assistant.textsafe` first, so a control
sequence inside it (clear-screen, OSC 52, a hyperlink) is shown as visible characters.
"""

from __future__ import annotations

import re

from textual.content import Content

from ..answering.markers import rewrite_markers
from ..display import plain_inline, source_name, tidy
from ..textsafe import safe_line, safe_text
from ..types import Answer, Citation, Paper, Support, counted

SUPPORT_MARK: dict[str, str] = {"supported": "✓", "weak": "?", "unsupported": "✗"}
SUPPORT_LABEL: dict[str, str] = {"supported": "supported", "weak": "doubtful",
                                 "unsupported": "unsupported"}
SUPPORT_STYLE: dict[str, str] = {
    "supported": "$text-success",
    "weak": "$text-warning",
    "unsupported": "$text-error",
}
_SUPPORT_ORDER = {"supported": 2, "weak": 1, "unsupported": 0}
CITE_SCHEME = "cite:"
CONTEXT_CHARS = 280  # passage text shown on each side of the quote when a source is opened


def link_citations(text: str) -> str:
    """Markdown with every citation number a link ``cite:N`` (clickable in the answer), and
    HTML-like text escaped so it shows literally instead of vanishing."""
    from ..answering.literal import literal_markdown

    def render(numbers: list[int]) -> str:
        links = ", ".join(f"[{n}]({CITE_SCHEME}{n})" for n in numbers)
        return f"\\[{links}\\]"

    return rewrite_markers(literal_markdown(safe_text(text)), render)


def citation_support(answer: Answer) -> dict[int, Support]:
    """Per citation number, the weakest support among the answer sentences that cite it."""
    out: dict[int, Support] = {}
    for sentence in answer.sentences:
        for n in sentence.citations:
            old = out.get(n)
            if old is None or _SUPPORT_ORDER[sentence.support] < _SUPPORT_ORDER[old]:
                out[n] = sentence.support
    return out


def support_counts(answer: Answer) -> dict[str, int]:
    """How many claim sentences are supported, weak and unsupported."""
    counts = {"supported": 0, "weak": 0, "unsupported": 0}
    for sentence in answer.sentences:
        counts[sentence.support] += 1
    return counts


def location(c: Citation) -> str:
    """``p. 3 · Method`` (what is known of it)."""
    return c.location(" \u00b7 ")


def _oneline(text: str) -> str:
    """One line of paper text, LaTeX leftovers tidied (display only)."""
    return safe_line(tidy(" ".join(text.split())))


def source_card(c: Citation, support: Support | None, passage: str = "",
                expanded: bool = False) -> Content:
    """One entry of the sources pane: number, support mark, title, location, quote.

    ``expanded`` shows the whole passage with the quoted part highlighted.
    """
    mark = SUPPORT_MARK.get(support or "", "·")
    head = Content.assemble(
        (f"[{c.n}] ", "bold $accent"),
        (f"{mark} {SUPPORT_LABEL.get(support or '', 'not checked')}",
         SUPPORT_STYLE.get(support or "", "dim")),
    )
    lines = [head, Content.styled(_oneline(c.title), "bold")]
    where = safe_line(location(c))
    if where:
        lines.append(Content.styled(where, "dim"))
    quote = _oneline(c.quote)
    body = _oneline(passage) if expanded and passage else ""
    if body and quote and quote in body:
        start = body.index(quote)
        before, after = _context(body[:start], body[start + len(quote):])
        lines.append(Content.assemble((before, "dim"), (quote, "bold italic"), (after, "dim")))
    elif body:
        lines.append(Content.styled(body, "italic"))
    elif quote:
        lines.append(Content.styled(f"“{quote}”", "italic"))
    return Content("\n").join(lines)


def _context(before: str, after: str, limit: int = CONTEXT_CHARS) -> tuple[str, str]:
    """The text around a quote, cut at word boundaries to about ``limit`` characters a side."""
    if len(before) > limit:
        cut = before.find(" ", len(before) - limit)
        before = "…" + before[cut if cut >= 0 else len(before) - limit:]
    if len(after) > limit:
        cut = after.rfind(" ", 0, limit)
        after = after[: cut if cut > 0 else limit] + " …"
    return before, after


def answer_meta(answer: Answer, engine_label: str) -> Content:
    """The line under an answer: engine, sources and support counts."""
    if answer.abstained:
        return Content.assemble((engine_label, "dim"), (" · no answer in the library", "dim"))
    counts = support_counts(answer)
    parts: list[tuple[str, str] | str] = [(engine_label, "dim"),
                                          (f" · {counted(len(answer.citations), 'source')}", "dim")]
    for kind in ("supported", "weak", "unsupported"):
        if counts[kind]:
            parts.append((" · ", "dim"))
            parts.append((f"{SUPPORT_MARK[kind]} {counts[kind]} {SUPPORT_LABEL[kind]}",
                          SUPPORT_STYLE[kind]))
    if not answer.complete:
        parts += [(" · ", "dim"), ("incomplete", "$text-warning")]
    return Content.assemble(*parts)


def flagged_sentences(answer: Answer, limit: int = 5) -> Content:
    """The answer's weak and unsupported sentences, one a line (empty when all hold)."""
    if answer.abstained:
        return Content("")
    flagged = [s for s in answer.sentences if s.support != "supported"]
    lines = [Content.assemble((f"{SUPPORT_MARK[s.support]} {SUPPORT_LABEL[s.support]}: ",
                               SUPPORT_STYLE[s.support]), (_oneline(plain_inline(s.text)), "dim"))
             for s in flagged[:limit]]
    if len(flagged) > limit:
        lines.append(Content.styled(f"… and {len(flagged) - limit} more", "dim"))
    return Content("\n").join(lines)


def table_markdown(rows: list[dict[str, object]]) -> str:
    """A compare table as Markdown (cells are escaped so they stay cells)."""
    if not rows:
        return ""
    cols: list[str] = []
    for row in rows:
        cols.extend(str(k) for k in row if str(k) not in cols)

    def cell(v: object) -> str:
        return _oneline(str("" if v is None else v)).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(c) for c in cols) + " |",
             "|" + "|".join(" --- " for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in cols) + " |" for row in rows]
    return "\n".join(lines)


def paper_source(p: Paper) -> str:
    """A paper's first source file name, hash runs shortened (and how many more)."""
    name = safe_line(source_name(p.source))
    more = len(p.sources) - 1
    return f"{name} (+{more})" if more > 0 else name


def short_title(title: str, limit: int = 48) -> str:
    """A title cut to ``limit`` characters with an ellipsis."""
    title = _oneline(title)
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def scope_text(papers: list[Paper], total: int) -> Content:
    """What the next question is limited to."""
    if not papers:
        return Content.assemble(("Scope: ", "bold"), ("the one paper" if total == 1 else
                                                      f"all {total} papers") if total
                                else "all papers")
    names = "; ".join(short_title(p.title, 40) for p in papers[:3])
    more = f" and {len(papers) - 3} more" if len(papers) > 3 else ""
    return Content.assemble(("Scope: ", "bold"),
                            (f"{len(papers)} of {counted(total, 'paper')}", "$accent"), " — ",
                            names, more)


_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str, limit: int = 40) -> str:
    """A file-name-safe slug of ``text``."""
    return _SLUG.sub("-", text.casefold()).strip("-")[:limit].strip("-") or "conversation"
