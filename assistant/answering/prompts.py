"""Prompt templates: files in ``prompts/``, checked when loaded, rendered with fenced passages.

Templates use ``{name}`` fields (``str.format`` syntax); a literal brace in a template is written
``{{`` or ``}}``. Values are inserted once and never re-parsed, so braces inside passage text or
questions render literally.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import PromptError
from ..types import Passage
from .markers import neutralise_source_markers

__all__ = [
    "DEFAULT_FOLDER",
    "KINDS",
    "LOCAL_MAX_PASSAGES",
    "TEMPLATE_VARIABLES",
    "Prompts",
    "build_messages",
    "default_prompts",
    "format_passages",
    "load_prompts",
]

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "prompts"

TEMPLATE_VARIABLES: dict[str, frozenset[str]] = {
    "system": frozenset(),
    "local_system": frozenset(),
    "answer": frozenset({"passages", "question"}),
    "local_answer": frozenset({"passages", "question"}),
    "summarize": frozenset({"passages", "question", "title"}),
    "compare": frozenset({"passages", "question", "papers", "aspects"}),
}
"""Every template file (``<name>.md``) and exactly the variables the code passes to it."""

KINDS: dict[str, tuple[str, str]] = {
    "answer": ("system", "answer"),
    "summarize": ("system", "summarize"),
    "compare": ("system", "compare"),
    "local_answer": ("local_system", "local_answer"),
}
"""Message kinds for :func:`build_messages`: (system template, user template)."""

LOCAL_MAX_PASSAGES = 3
"""The small local model sees at most this many passages (``local_answer``)."""

DEFAULT_ASPECTS = "problem, approach, data, key results, limitations"
DEFAULT_SUMMARY_REQUEST = "Summarize the paper."
DEFAULT_COMPARE_REQUEST = "Compare the papers."

# "<passage", "</passage", "< / passage", "<\/passage", look-alike angle brackets, any case.
_FENCE = re.compile(
    r"[<\uff1c\ufe64\u2329\u3008\u27e8\u2039][\s/\\\u200b-\u200d\u2060\ufeff]*passage",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Prompts:
    """The loaded templates, keyed by file stem."""

    folder: Path
    templates: dict[str, str]

    def render(self, name: str, **variables: str) -> str:
        """Fill template ``name``; missing or unknown variables raise :class:`PromptError`."""
        if name not in self.templates:
            raise PromptError(f"no prompt template named {name!r} in {self.folder}")
        expected = TEMPLATE_VARIABLES[name]
        missing = sorted(expected - variables.keys())
        unknown = sorted(variables.keys() - expected)
        if missing or unknown:
            problem = f"missing {missing}" if missing else f"unknown {unknown}"
            raise PromptError(f"{name}.md: variables {problem}")
        return self.templates[name].format_map({k: str(v) for k, v in variables.items()})


def load_prompts(folder: Path | None = None) -> Prompts:
    """Read every template in ``folder`` (default: the repo's ``prompts/``) and check it."""
    folder = Path(folder) if folder is not None else DEFAULT_FOLDER
    templates: dict[str, str] = {}
    for name, expected in TEMPLATE_VARIABLES.items():
        path = folder / f"{name}.md"
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise PromptError(f"{path}: cannot read prompt template ({exc.strerror})") from None
        found = _fields(text, path)
        if unknown := sorted(found - expected):
            raise PromptError(f"{path}: unknown variable {{{unknown[0]}}}")
        if missing := sorted(expected - found):
            raise PromptError(f"{path}: missing variable {{{missing[0]}}}")
        templates[name] = text
    return Prompts(folder=folder, templates=templates)


@lru_cache(maxsize=1)
def default_prompts() -> Prompts:
    """The repo's templates, loaded once per process."""
    return load_prompts()


def _fields(text: str, path: Path) -> set[str]:
    """Names of the ``{name}`` fields in a template; anything fancier is an error."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise PromptError(f"{path}: {exc} (write literal braces as {{{{ and }}}})") from None
    found: set[str] = set()
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise PromptError(f"{path}: unsupported field {{{field}}}: use plain {{name}} fields")
        found.add(field)
    return found


def _attr(value: object) -> str:
    return html.escape(str(value), quote=True)


def _neutralise(text: str) -> str:
    """Escape anything that could open or close a passage fence."""
    return _FENCE.sub(lambda m: "&lt;" + m.group(0)[1:], text)


def format_passages(passages: Sequence[Passage], *, start: int = 1) -> str:
    """Fence each passage as ``<passage n=".." paper=".." page="..">text</passage>``."""
    out = []
    for n, p in enumerate(passages, start):
        attrs = f'n="{n}" paper="{_attr(p.title)}"'
        if p.page is not None:
            attrs += f' page="{_attr(p.page)}"'
        if p.section:
            attrs += f' section="{_attr(p.section)}"'
        text = neutralise_source_markers(p.text.strip())  # a paper's [7] is no marker of ours
        out.append(f"<passage {attrs}>\n{_neutralise(text)}\n</passage>")
    return "\n\n".join(out)


def _as_text(value: str | Sequence[str], bullet: bool = False) -> str:
    """A variable as prompt text: sequences become a bullet list or a comma list."""
    if isinstance(value, str):
        return _neutralise(value)
    items = [_neutralise(str(v)) for v in value]
    return "\n".join(f"- {v}" for v in items) if bullet else ", ".join(items)


def build_messages(
    kind: str,
    question: str,
    passages: Sequence[Passage],
    *,
    prompts: Prompts | None = None,
    **extra: str | Sequence[str],
) -> list[dict[str, str]]:
    """OpenAI-style ``[system, user]`` messages for ``kind`` (a key of :data:`KINDS`).

    ``summarize`` takes ``title=`` (default: the first passage's title); ``compare`` takes
    ``papers=`` and ``aspects=`` as strings or lists (defaults: the passages' titles and
    :data:`DEFAULT_ASPECTS`). ``local_answer`` keeps only the first :data:`LOCAL_MAX_PASSAGES`
    passages. An empty question for summarize/compare becomes a default request.
    """
    if kind not in KINDS:
        raise PromptError(f"unknown prompt kind {kind!r}; expected one of {sorted(KINDS)}")
    prompts = prompts or default_prompts()
    system_name, user_name = KINDS[kind]
    if kind == "local_answer":
        passages = passages[:LOCAL_MAX_PASSAGES]
    values: dict[str, str | Sequence[str]] = {"question": question}
    if kind == "summarize":
        values["question"] = question or DEFAULT_SUMMARY_REQUEST
        values["title"] = passages[0].title if passages else ""
    elif kind == "compare":
        values["question"] = question or DEFAULT_COMPARE_REQUEST
        values["papers"] = list(dict.fromkeys(p.title for p in passages))
        values["aspects"] = DEFAULT_ASPECTS
    values.update(extra)
    variables = {k: _as_text(v, bullet=k == "papers") for k, v in values.items()}
    variables["passages"] = format_passages(passages)
    return [
        {"role": "system", "content": prompts.render(system_name)},
        {"role": "user", "content": prompts.render(user_name, **variables)},
    ]
