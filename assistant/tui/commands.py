"""Slash commands typed in the chat input: the table, parsing and completion (no UI code)."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..answering.engines.registry import engine_names

COMPLETIONS_MAX = 8


@dataclass(frozen=True, slots=True)
class SlashCommand:
    """One command: its name, argument synopsis, what it does, and its argument counts."""

    name: str
    args: str
    help: str
    min_args: int = 0
    max_args: int | None = 0
    completes: str = ""  # what the arguments complete to: papers | path | engine | ""

    @property
    def usage(self) -> str:
        return f"/{self.name} {self.args}".rstrip()


COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand("summarize", "REF", "summarize a paper, cited", 1, 1, "papers"),
    SlashCommand("compare", "REF REF [...]", "compare 2 to 5 papers", 2, None, "papers"),
    SlashCommand("papers", "[FILTER]", "open the library (filter)", 0, None),
    SlashCommand("ingest", "PATH", "add a file or folder", 1, 1, "path"),
    SlashCommand("engine", "[NAME]", "show or switch the engine", 0, 1, "engine"),
    SlashCommand("export", "[FILE]", "save the chat as Markdown", 0, 1, "path"),
    SlashCommand("clear", "", "start a new conversation"),
    SlashCommand("help", "", "all commands and keys"),
)
BY_NAME = {c.name: c for c in COMMANDS}


class CommandError(ValueError):
    """A slash command that cannot run as typed; the message says why."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed command line."""

    command: SlashCommand
    args: list[str]


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unclosed quote: take the words as they are
        return text.replace('"', " ").replace("'", " ").split()


def parse(line: str) -> Parsed:
    """Parse ``/name args...``; REF arguments with spaces need quotes, except a lone REF."""
    line = line.strip()
    if not line.startswith("/"):
        raise CommandError("not a command")
    name, _, rest = line[1:].partition(" ")
    name = name.lower()
    command = BY_NAME.get(name)
    if command is None:
        near = [c.usage for c in COMMANDS if c.name.startswith(name[:2])] if name else []
        hint = f"; did you mean {', '.join(near)}" if near else ""
        raise CommandError(f"unknown command /{name}{hint} (/help lists them)")
    rest = rest.strip()
    if command.max_args == 1 or (command.name == "papers"):
        args = [_unquote(rest)] if rest else []
    else:
        args = _split(rest)
    if len(args) < command.min_args or (command.max_args is not None
                                        and len(args) > command.max_args):
        raise CommandError(f"usage: {command.usage}")
    return Parsed(command, args)


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _quote(value: str) -> str:
    if value and not any(ch.isspace() or ch in "\"'\\" for ch in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def complete(line: str, titles: Sequence[str], cwd: str | Path | None = None) -> list[str]:
    """Whole-line completions for what is typed so far (empty when there is nothing to offer).

    Command names complete after ``/``; paper titles after /summarize and /compare (titles
    starting with the typed text, then titles with words starting with each typed word, then
    close spellings), quoted when they hold spaces, and only once something is typed; unquoted
    words typed after /compare's finished arguments complete as one title; paths after /ingest
    and /export; engine names after /engine.
    """
    if not line.startswith("/"):
        return []
    if " " not in line:
        typed = line[1:].lower()
        names = [f"/{c.name}" + (" " if c.args else "") for c in COMMANDS
                 if c.name.startswith(typed)]
        return [n for n in names if n != line]
    name, _, rest = line[1:].partition(" ")
    command = BY_NAME.get(name.lower())
    if command is None or not command.completes:
        return []
    if command.completes == "papers":
        if command.max_args == 1:
            head, found = "", match_titles(rest.strip().strip("\"'"), titles)
        else:
            head, found = _title_argument(rest, titles)
        prefix = f"/{name} {head}"
        end = "" if command.max_args == 1 else " "
        out = [prefix + _quote(t) + end for t in found]
        return [c for c in out if c.rstrip() != line.rstrip()]
    if command.max_args == 1:
        head, partial = "", rest.strip().lstrip("\"'")
    else:
        head, partial = _last_argument(rest)
    prefix = f"/{name} {head}"
    if command.completes == "engine":
        return [prefix + e for e in engine_names()
                if e.startswith(partial.lower()) and e != partial]
    return [prefix + p for p in _paths(partial, cwd)]


_TRAILING_WORDS = re.compile(r"(?:(?<=\s)|^)((?:[^\s\"']+\s+)*[^\s\"']+)$")


def _title_argument(rest: str, titles: Sequence[str]) -> tuple[str, list[str]]:
    """The finished arguments and the titles the one being typed may be. Unquoted words at the
    end may all be one title (``SpecTr Towards Opt``): the longest run of them that titles
    match wins, else the last word is matched loosely."""
    head, partial = _last_argument(rest)
    if not partial:
        return head, []
    if head.rstrip().endswith(("\"", "'")) and not rest.rstrip().endswith(partial):
        return head, match_titles(partial, titles)
    run = _TRAILING_WORDS.search(rest)
    if run is None or rest[: run.start()].count('"') % 2 or rest[: run.start()].count("'") % 2:
        return head, match_titles(partial, titles)  # typing inside a quote
    words = run.group(1).split()
    for k in range(len(words), 0, -1):
        typed = " ".join(words[-k:])
        found = match_titles(typed, titles, fuzzy=False)
        if found:
            cut = run.start() + _nth_word_start(run.group(1), len(words) - k)
            return rest[:cut], found
    return head, match_titles(partial, titles)


def _nth_word_start(text: str, n: int) -> int:
    """Where the ``n``-th (0-based) whitespace-separated word of ``text`` starts."""
    return [m.start() for m in re.finditer(r"\S+", text)][n]


def _last_argument(rest: str) -> tuple[str, str]:
    """Split the argument text into the finished arguments and the one being typed."""
    try:
        lexer = shlex.shlex(rest, posix=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:  # inside an open quote: the partial argument starts at the quote
        cut = max(rest.rfind('"'), rest.rfind("'"))
        return rest[:cut], rest[cut + 1:]
    if not tokens or rest.endswith(" "):
        return rest, ""
    last = tokens[-1]
    cut = rest.rstrip().rfind(last) if last in rest else len(rest) - len(last)
    cut = max(cut, 0)
    if cut and rest[cut - 1] in "\"'":
        cut -= 1
    return rest[:cut], last


FUZZY_MIN = 80  # rapidfuzz partial_ratio for a title to complete a misspelled word


def match_titles(partial: str, titles: Sequence[str], limit: int = COMPLETIONS_MAX,
                 fuzzy: bool = True) -> list[str]:
    """Titles for what is typed: those starting with ``partial`` (case-insensitive), then
    those with a word starting with each typed word, then (``fuzzy``, 3+ letters typed) close
    spellings. Nothing typed: nothing (never an arbitrary first title)."""
    key = " ".join(partial.casefold().split())
    if not key:
        return []
    starts = [t for t in titles if t.casefold().startswith(key)]
    typed = re.findall(r"\w+", key)
    contains = []
    for t in titles:
        if t in starts:
            continue
        words = re.findall(r"\w+", t.casefold())
        if typed and all(any(w.startswith(k) for w in words) for k in typed):
            contains.append(t)
    found = starts + contains
    if fuzzy and not found and len(key) >= 3:  # close spellings only when nothing matches
        from rapidfuzz import fuzz, process

        close = process.extract(key, {t: t.casefold() for t in titles},
                                scorer=fuzz.partial_ratio, score_cutoff=FUZZY_MIN,
                                limit=limit)
        found = [title for _, _, title in close]
    return found[:limit]


def _paths(partial: str, cwd: str | Path | None) -> list[str]:
    """Files and folders completing ``partial`` (folders end with a slash)."""
    base = Path(cwd or os.getcwd())
    expanded = os.path.expanduser(partial)
    folder, _, stem = expanded.rpartition("/")
    where = Path(folder or ".") if os.path.isabs(expanded) else base / (folder or ".")
    try:
        entries = sorted(os.scandir(where), key=lambda e: e.name)
    except OSError:
        return []
    shown = partial[: len(partial) - len(stem)]
    out = []
    for entry in entries:
        if not entry.name.startswith(stem) or (entry.name.startswith(".")
                                               and not stem.startswith(".")):
            continue
        slash = "/" if entry.is_dir() else ""
        out.append(_quote(shown + entry.name + slash) if " " in entry.name
                   else shown + entry.name + slash)
        if len(out) >= COMPLETIONS_MAX:
            break
    return out

