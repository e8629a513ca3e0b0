"""The chat app's wiring: one key binding table, requests to parents as messages, and no import
cycle inside assistant/tui (read from the files' own import statements)."""

from __future__ import annotations

import ast
import graphlib
import importlib
import inspect
import pkgutil
from pathlib import Path

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

import assistant.tui
from assistant import Assistant
from assistant.tui.app import PaperApp
from assistant.tui.bindings import BY_ID, KEYS, OWNERS, bindings_for
from assistant.tui.screens.chat import ChatScreen
from assistant.tui.screens.help import HelpScreen
from assistant.tui.screens.sessions import SessionsScreen, SessionTable

from .test_tui import SIZE, answered, make_app, screen_text, started, submit, wait_for

TUI = Path(assistant.tui.__file__).parent


# -- the import graph ------------------------------------------------------------------------------
def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports, from every import statement in its file
    (top level, inside functions and under ``TYPE_CHECKING`` alike). Importing ``a.b.c`` runs the
    packages ``a`` and ``a.b`` first, so those count too."""
    files: dict[str, Path] = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join([package, *parts])] = path
    graph: dict[str, set[str]] = {module: set() for module in files}
    for module, path in files.items():
        here = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[: len(here) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in files else stem
                           for a in node.names]
            else:
                continue
            for target in targets:
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    name = ".".join(parts[:i])
                    if name in files and name != module and not module.startswith(name + "."):
                        graph[module].add(name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as a list of modules, or None."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def test_the_graph_is_read_from_the_files():
    graph = import_graph(TUI, "assistant.tui")
    assert len(graph) == len(list(TUI.rglob("*.py")))
    assert "assistant.tui.screens.chat" in graph["assistant.tui.app"]
    assert {"assistant.tui.widgets.exchange", "assistant.tui.bindings",
            "assistant.tui.messages"} <= graph["assistant.tui.screens.chat"]
    assert "assistant.tui.screens.dialogs" in graph["assistant.tui.screens.library"]  # lazy
    assert graph["assistant.tui.bindings"] == set()


def test_the_cycle_check_finds_cycles_hidden_in_functions_and_type_checking(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub.b import thing\n")
    (pkg / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..a import x\n")
    (pkg / "c.py").write_text("def f():\n    from . import a\n")
    graph = import_graph(pkg, "pkg")
    assert graph["pkg.c"] == {"pkg.a"}
    assert sorted(set(find_cycle(graph) or [])) == ["pkg.a", "pkg.sub.b"]
    (pkg / "sub" / "b.py").write_text("thing = 1\n")
    assert find_cycle(import_graph(pkg, "pkg")) is None


def test_no_import_cycle_inside_the_tui():
    cycle = find_cycle(import_graph(TUI, "assistant.tui"))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_screen_or_widget_imports_the_app():
    graph = import_graph(TUI, "assistant.tui")
    importers = sorted(m for m, deps in graph.items() if "assistant.tui.app" in deps)
    assert importers == []


# -- key bindings: one table -----------------------------------------------------------------------
def _binding_owners() -> dict[type, list[Binding]]:
    """Every class in assistant/tui that declares its own BINDINGS."""
    found: dict[type, list[Binding]] = {}
    for info in pkgutil.walk_packages(assistant.tui.__path__, "assistant.tui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and "BINDINGS" in cls.__dict__:
                found[cls] = list(cls.__dict__["BINDINGS"])
    return found


def test_every_binding_of_every_screen_and_widget_comes_from_the_table():
    owners = _binding_owners()
    assert len(BY_ID) == len(KEYS)  # ids are unique
    assert {k.owner for k in KEYS} == set(OWNERS)
    seen: list[str] = []
    for cls, bindings in owners.items():
        for b in bindings:
            assert isinstance(b, Binding) and b.id, f"{cls.__name__}: a binding without an id"
            assert b.id in BY_ID, f"{cls.__name__}: {b.id} is not in the binding table"
            assert b == BY_ID[b.id].binding(), f"{cls.__name__}: {b.id} differs from the table"
        seen += [b.id for b in bindings if b.id]
    assert sorted(seen) == sorted(BY_ID)  # each table entry is bound exactly once
    by_owner = {owner: [cls for cls, bs in owners.items() if bs and bs == bindings_for(owner)]
                for owner in OWNERS}
    assert all(len(classes) == 1 for classes in by_owner.values()), by_owner


def test_every_action_in_the_table_exists_where_it_runs():
    owners = {k.owner: cls for cls, bs in _binding_owners().items() for k in KEYS
              if bs == bindings_for(k.owner)}
    screens = [cls for cls in owners.values() if issubclass(cls, Screen)]
    for k in KEYS:
        namespace, _, name = k.action.rpartition(".")
        method = "action_" + name.split("(")[0]
        if namespace == "app":
            assert hasattr(PaperApp, method), k
        elif namespace == "screen":
            assert any(hasattr(cls, method) for cls in screens), k
        else:
            assert hasattr(owners[k.owner], method), k


def _help_rows(app: PaperApp) -> dict[str, str]:
    """The key lines of the help sheet: binding id -> the keys shown."""
    assert isinstance(app.screen, HelpScreen)
    content = app.screen.query_one("#help-text", Static).content
    rows = {}
    for line in str(content).splitlines():
        if line.startswith("    ") and line.split()[-1] in BY_ID:
            rows[line.split()[-1]] = line[4:20].strip()
    return rows


async def test_help_lists_the_table_with_keys_remapped_in_the_config(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[ui.keys]\nexport = "f8"\nhelp = "f1,f9"\n', encoding="utf-8")
    a = Assistant(store=tmp_path / "store", config=config)
    app = make_app(a, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("f9")  # the remapped key opens the help
        await pilot.pause(0.1)
        rows = _help_rows(app)
        assert list(rows) == [k.id for k in KEYS]  # all of the table, in its order
        assert rows["export"] == "f8" and rows["help"] == "f1, f9"
        assert rows["new-chat"] == "^n" and rows["library-toggle"] == "space"
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, HelpScreen)
        footer = screen_text(app).splitlines()[-1]
        assert "f8 Export" in footer
    a.close()


# -- requests to parents are messages --------------------------------------------------------------
async def test_forgetting_the_current_conversation_starts_a_new_one(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await submit(pilot, "What are marginalization models?")
        await answered(pilot)
        first = app.session_id
        assert first is not None
        await pilot.press("f4")
        assert isinstance(app.screen, SessionsScreen)
        table = app.screen.query_one(SessionTable)
        await wait_for(pilot, lambda: table.row_count == 1, 10, "the sessions list")
        assert "●" in screen_text(app)  # the current conversation is marked
        table.focus()
        await pilot.press("delete")
        await pilot.pause(0.1)
        assert "Forget the conversation" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: table.row_count == 0, 10, "the deletion")
        assert app.session_id is None and app.history.sessions() == []
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen)
        await submit(pilot, "What is PaSa?")
        await answered(pilot, count=2)
        assert app.session_id not in (None, first)


async def test_palette_entries_reach_the_app(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        paper = next(p for p in app.papers if p.title.startswith("Generative Marginalization"))
        await pilot.press("ctrl+p")
        await pilot.press(*"scope generative marginalization")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.scope == (paper.id,), 5, "the scope")
        assert any(n.message == f"Added to the scope: {paper.title}"
                   for n in app._notifications)
        await pilot.press("ctrl+p")
        await pilot.press(*"summarize a paper")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.chat.prompt.value == "/summarize ", 5, "the prefill")
        assert isinstance(app.screen, ChatScreen) and app.focused is app.chat.prompt
