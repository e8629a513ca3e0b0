"""Plain-text helpers the CLI and the app share for showing answers and papers: LaTeX leftovers
made readable, counted nouns, one-line text without Markdown emphasis, readable source names,
and a comparison laid out for the width at hand (aspects as rows, or one card per paper).

Display only: stored text, citation quotes and the checks never see these changes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from .types import counted

__all__ = [
    "ComparisonLayout",
    "authors_short",
    "comparison_layout",
    "key_clause",
    "plain_inline",
    "ref_error_lines",
    "source_name",
    "split_table",
    "tidy",
]

# -- LaTeX leftovers -------------------------------------------------------------------------
# Extraction of arXiv listings and PDFs drops the backslashes of inline LaTeX, leaving
# ``64{times}64``, ``D{=}2048/128`` or ``O(epsilon^{-3})``. Only braced or math-attached names
# are replaced: bare English words ("times", "delta") are left alone.
_SYMBOLS = {
    "times": "×", "cdot": "·", "pm": "±", "mp": "∓", "leq": "≤", "le": "≤", "geq": "≥",
    "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "sim": "~", "simeq": "≃", "equiv": "≡",
    "propto": "∝", "infty": "∞", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "Rightarrow": "⇒", "ll": "≪", "gg": "≫", "in": "∈", "notin": "∉", "subset": "⊂",
    "subseteq": "⊆", "cup": "∪", "cap": "∩", "forall": "∀", "exists": "∃", "partial": "∂",
    "nabla": "∇", "sum": "∑", "prod": "∏", "int": "∫", "circ": "∘", "star": "⋆", "ast": "∗",
    "ldots": "…", "cdots": "⋯", "dots": "…", "percent": "%", "%": "%", "sqrt": "√",
}
_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ",
    "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
_SUPER = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_STYLE_COMMANDS = ("mathcal", "mathbf", "mathrm", "mathit", "mathbb", "mathfrak", "mathsf",
                   "boldsymbol", "text", "textbf", "textit", "operatorname", "emph", "bm")
_BRACED_NAME = re.compile(r"\{\\?([A-Za-z]+|[=<>+%-])\}")
_STYLED = re.compile(r"\\?\b(?:" + "|".join(_STYLE_COMMANDS) + r")\{([^{}]*)\}")
_MATH_NAME = re.compile(r"(?<![A-Za-z])\\?(" + "|".join(sorted(_GREEK, key=len, reverse=True))
                        + r")(?=[\^_({\d)])")
_SLASHED_NAME = re.compile(r"\\(" + "|".join(sorted({**_SYMBOLS, **_GREEK}, key=len,
                                                     reverse=True)) + r")(?![A-Za-z])")
_SUPERSCRIPT = re.compile(r"\^\{([0-9+\-=()n]{1,4})\}")
_SQRT = re.compile(r"\\?\bsqrt\{([^{}]*)\}")


def _name(match: re.Match[str]) -> str:
    name = match.group(1)
    return _SYMBOLS.get(name) or _GREEK.get(name) or name


def tidy(text: str) -> str:
    """``text`` with LaTeX leftovers made readable: ``64{times}64`` -> ``64×64``,
    ``D{=}2048/128`` -> ``D=2048/128``, ``O(epsilon^{-3})`` -> ``O(ε⁻³)``."""
    if "{" not in text and "\\" not in text and "^" not in text:
        return text
    for _ in range(2):  # nested: mathcal{O}(mathcal{C_...})
        text = _STYLED.sub(r"\1", text)
    text = _SQRT.sub(lambda m: "√" + (m.group(1) if len(m.group(1)) == 1
                                       else f"({m.group(1)})"), text)
    text = _BRACED_NAME.sub(_name, text)
    text = _SLASHED_NAME.sub(_name, text)
    text = _MATH_NAME.sub(lambda m: _GREEK[m.group(1)], text)
    return _SUPERSCRIPT.sub(lambda m: m.group(1).translate(_SUPER), text)


# -- words -----------------------------------------------------------------------------------
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")


def plain_inline(text: str) -> str:
    """One line of Markdown as plain text: ``**Title**`` -> ``Title``, whitespace collapsed."""
    return " ".join(_EMPHASIS.sub(r"\2", text).split())


_HASHY = re.compile(r"[0-9a-f]{10,}", re.IGNORECASE)


def source_name(path: str) -> str:
    """A source file as a person reads it: its name, long hash runs shortened
    (``000_b6e0c0bad3d66707.txt`` -> ``000_b6e0….txt``)."""
    name = os.path.basename(path.rstrip("/")) if path else ""
    return _HASHY.sub(lambda m: m.group(0)[:4] + "…", name)


# -- comparisons -----------------------------------------------------------------------------
_TABLE_LINE = re.compile(r"^\s*\|")


def split_table(text: str) -> tuple[str, str]:
    """``text`` cut around its first Markdown table: (before, after); after is "" when the
    text has no table."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _TABLE_LINE.match(line)), None)
    if start is None:
        return text, ""
    end = start
    while end < len(lines) and _TABLE_LINE.match(lines[end]):
        end += 1
    return "\n".join(lines[:start]).rstrip(), "\n".join(lines[end:]).strip()


CELL_WORDS = 16
"""A comparison cell shows at most this many words (the key clause); the full sentence is the
cited passage's (the app's sources pane, the CLI's Sources list)."""
MIN_COLUMN = 24
"""Narrowest paper column worth a table; below it each paper gets a card."""
ASPECT_COLUMN = 16


@dataclass(frozen=True, slots=True)
class ComparisonLayout:
    """A comparison ready to draw: short paper names, aspects, and per aspect one cell per
    paper (key clause, citation numbers); ``table`` says whether it fits as a table."""

    names: list[str]
    titles: list[str]
    aspects: list[str]
    cells: dict[str, list[tuple[str, list[int]]]]
    table: bool


_CLAUSE = re.compile(r"(?<=[,;:])\s+")
_NUMBER = re.compile(r"\d")


def key_clause(text: str, aspect: str, words: int = CELL_WORDS) -> str:
    """The part of a cell sentence worth a glance, at most ``words`` words ("…" marks cuts).

    Results: the clause holding the first number, widened by its neighbours while they fit
    (a lead-in such as "We demonstrate that for large models," is what goes). Other aspects:
    the window around the aspect's cue words (:func:`assistant.answering.salience.clip`).
    """
    from .answering.salience import aspect_key, clip

    text = " ".join(text.split())
    if len(text.split()) <= words:
        return text
    clauses = _CLAUSE.split(text)
    hit = next((i for i, c in enumerate(clauses) if _NUMBER.search(c)), None)
    if aspect_key(aspect) != "results" or hit is None or len(clauses[hit].split()) > words:
        return clip(text, aspect, words)
    start = end = hit
    size = len(clauses[hit].split())
    while end + 1 < len(clauses) and size + len(clauses[end + 1].split()) <= words:
        end += 1
        size += len(clauses[end].split())
    while start > 0 and size + len(clauses[start - 1].split()) <= words:
        start -= 1
        size += len(clauses[start].split())
    piece = " ".join(clauses[start:end + 1]).rstrip(",;:")
    return ("…" if start else "") + piece + ("…" if end + 1 < len(clauses) else "")


def comparison_layout(rows: list[dict], width: int, words: int = CELL_WORDS) -> ComparisonLayout:
    """Lay ``Answer.table`` out for ``width`` columns: aspects as rows with one column per
    paper when each column gets :data:`MIN_COLUMN` characters, else one card per paper."""
    from .answering.salience import short_name

    aspects = list(rows[0]["cells"]) if rows else []
    cells: dict[str, list[tuple[str, list[int]]]] = {a: [] for a in aspects}
    for row in rows:
        for aspect in aspects:
            cell = row["cells"].get(aspect) or {}
            text = tidy(" ".join(str(cell.get("text", "")).split()))
            cells[aspect].append((key_clause(text, aspect, words),
                                  list(cell.get("citations", []))))
    names = [short_name(str(r["title"]), 4) for r in rows]
    fits = bool(rows) and (width - ASPECT_COLUMN) // len(rows) >= MIN_COLUMN
    return ComparisonLayout(names, [str(r["title"]) for r in rows], aspects, cells, fits)


# -- errors ----------------------------------------------------------------------------------
REF_CANDIDATES_SHOWN = 10


def ref_error_lines(error: Exception) -> list[str]:
    """A REF error as lines: what went wrong, then each candidate paper as ``id  full title``
    (one a line), then any advice the message ends with."""
    message = str(error)
    candidates: list[tuple[str, str]] = list(getattr(error, "candidates", []) or [])
    if not candidates:
        return [message]
    if message.startswith("no paper matches"):
        head = message.split("; did you mean", 1)[0] + "; did you mean:"
    else:
        head = message.split(": ", 1)[0] + ":"
    lines = [head] + [f"{pid}  {' '.join(title.split())}"
                      for pid, title in candidates[:REF_CANDIDATES_SHOWN]]
    if len(candidates) > REF_CANDIDATES_SHOWN:
        lines.append(f"… and {len(candidates) - REF_CANDIDATES_SHOWN} more")
    advice = re.search(r" \((to [^()]*)\)$", message)
    if advice and not message.startswith("no paper matches"):
        lines.append(f"({advice.group(1)})")
    return lines


# -- papers ----------------------------------------------------------------------------------
def authors_short(authors: list[str], n_authors: int | None) -> tuple[str, bool]:
    """A paper's authors in a few characters: ``Wellawatte et al.``; when the source only
    counts them (listing dumps), ``3 authors``. The flag says it is a count, not names."""
    if authors:
        first = " ".join(authors[0].split())
        surname = first.split(",")[0] if "," in first else first.split()[-1]
        return surname + (" et al." if len(authors) > 1 else ""), False
    if n_authors:
        return counted(n_authors, "author"), True
    return "", False
