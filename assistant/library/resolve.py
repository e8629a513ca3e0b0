"""REF -> Paper: a paper id, a source path, or a title (exact, prefix, then fuzzy)."""

from __future__ import annotations

from pathlib import Path

from ..errors import RefError
from ..types import Paper

FUZZY_MIN = 85  # _title_score for a fuzzy title match to count
SUGGEST_MIN = 50


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _ambiguous(ref: str, papers: list[Paper]) -> RefError:
    listing = "; ".join(f"{p.id} {p.title[:60]}" for p in papers[:8])
    return RefError(
        f"'{ref}' matches {len(papers)} papers: {listing}", [(p.id, p.title) for p in papers]
    )


def _title_score(ref: str, title: str, **_: object) -> float:
    """How well ``ref`` names ``title`` (both lower-cased, punctuation dropped): a whole-title
    ratio, or for a ref of 3+ words (2 words covering a fifth of the title) the best partial
    alignment, so a stretch of the title ("non-linear representation dilemma") matches.
    WRatio gave any title sharing one word with a long ref 85.5, making most partial titles
    ambiguous (195 of 218 five-word stretches of library titles; now 1)."""
    from rapidfuzz import fuzz

    if not ref or not title:
        return 0.0
    words = len(ref.split())
    if words >= 3 or (words == 2 and len(ref) >= 0.2 * len(title)):
        return fuzz.partial_ratio(ref, title)
    return fuzz.ratio(ref, title)


def resolve_ref(ref: str, papers: list[Paper]) -> Paper:
    """The one paper ``ref`` names; RefError listing candidates when none or several match."""
    ref = ref.strip()
    if not ref:
        raise RefError("empty paper reference")
    by_id = [p for p in papers if p.id == ref]
    if by_id:
        return by_id[0]
    path = str(Path(ref).expanduser().resolve())
    by_path = [p for p in papers if path in p.sources]
    if not by_path and "/" not in ref:  # a bare file name: match source basenames
        by_path = [p for p in papers if any(Path(s).name == ref for s in p.sources)]
    if len(by_path) == 1:
        return by_path[0]
    if len(by_path) > 1:
        raise _ambiguous(ref, by_path)
    key = _norm(ref)
    for match in (
        [p for p in papers if _norm(p.title) == key],
        [p for p in papers if _norm(p.title).startswith(key)],
        [p for p in papers if f" {key} " in f" {_norm(p.title)} "] if len(key) >= 4 else [],
        [p for p in papers if p.id.startswith(ref)] if len(ref) >= 4 else [],
    ):
        if len(match) == 1:
            return match[0]
        if len(match) > 1:
            raise _ambiguous(ref, match)
    from rapidfuzz import fuzz, process, utils

    processed = {p.id: utils.default_process(p.title) for p in papers}
    strong = [s for s in process.extract(utils.default_process(ref), processed,
                                         scorer=_title_score, limit=5) if s[1] >= FUZZY_MIN]
    titles = {p.id: _norm(p.title) for p in papers}
    scored = process.extract(key, titles, scorer=fuzz.WRatio, limit=5)  # suggestions
    if len(strong) == 1 or (len(strong) > 1 and strong[0][1] - strong[1][1] >= 5):
        return next(p for p in papers if p.id == strong[0][2])
    by_pid = {p.id: p for p in papers}
    if len(strong) > 1:
        raise _ambiguous(ref, [by_pid[s[2]] for s in strong])
    near = [by_pid[s[2]] for s in scored if s[1] >= SUGGEST_MIN][:3]
    hint = "; did you mean: " + "; ".join(f"{p.title[:60]} ({p.id})" for p in near) if near else ""
    raise RefError(f"no paper matches '{ref}'{hint}", [(p.id, p.title) for p in near])
