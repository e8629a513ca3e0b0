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
    SlashCommand("summarize", "REF", "summarize one paper, with citations", 1, 1, "papers"),
    SlashCommand("compare", "REF REF [...]", "compare two or more papers", 2, None, "papers"),
    SlashCommand("papers", "[FILTER]", "open the library (optionally filtered)", 0, None),
    SlashCommand("ingest", "PATH", "add a file or folder to the library", 1, 1, "path"),
    SlashCommand("engine", "[NAME]", "show or switch the answer engine", 0, 1, "engine"),
    SlashCommand("export", "[FILE]", "write this conversation to Markdown", 0, 1, "path"),
    SlashCommand("clear", "", "clear the conversation and start a new one"),
    SlashCommand("help", "", "show commands and key bindings"),
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

    Command names complete after ``/``; paper titles after /summarize and /compare (prefix
    matches first, then titles containing the typed words); paths after /ingest and /export;
    engine names after /engine.
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
    if command.max_args == 1:
        head, partial = "", rest.strip().lstrip("\"'")
    else:
        head, partial = _last_argument(rest)
    prefix = f"/{name} {head}"
    if command.completes == "papers":
        return [prefix + _quote(t) + ("" if command.max_args == 1 else " ")
                for t in match_titles(partial, titles)]
    if command.completes == "engine":
        return [prefix + e for e in engine_names()
                if e.startswith(partial.lower()) and e != partial]
    return [prefix + p for p in _paths(partial, cwd)]


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


def match_titles(partial: str, titles: Sequence[str], limit: int = COMPLETIONS_MAX) -> list[str]:
    """Titles starting with ``partial`` (case-insensitive), then titles with words starting
    with each typed word."""
    key = " ".join(partial.casefold().split())
    if not key:
        return list(titles[:limit])
    starts = [t for t in titles if t.casefold().startswith(key)]
    contains = []
    for t in titles:
        if t in starts:
            continue
        words = re.findall(r"\w+", t.casefold())
        if all(any(w.startswith(k) for w in words) for k in re.findall(r"\w+", key)):
            contains.append(t)
    return (starts + contains)[:limit]


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

