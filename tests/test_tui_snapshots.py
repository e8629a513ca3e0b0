"""SVG snapshots of the chat, library and help screens at a fixed size (textual is pinned).

Update after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the SVGs under tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from assistant.tui.screens.library import LibraryScreen

from .test_tui import answered, make_app, started, submit

SIZE = (120, 36)


def _still(pilot: Pilot) -> None:
    """No blinking cursors: the same pixels every run."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


def test_chat_snapshot(snap_compare, sample_library, tmp_path):
    """An answer with its sources; citation 2 selected, its whole passage shown."""
    app = make_app(sample_library, tmp_path)

    async def run_before(pilot: Pilot) -> None:
        await started(pilot)
        await submit(pilot, "How do marginalization models compare to autoregressive models?")
        view = await answered(pilot)
        app.chat.select_citation(view, 2)
        _still(pilot)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_library_snapshot(snap_compare, sample_library, tmp_path):
    """The paper table filtered, one paper in scope."""
    app = make_app(sample_library, tmp_path)

    async def run_before(pilot: Pilot) -> None:
        await started(pilot)
        await pilot.press("f3")
        await pilot.pause(0.1)
        library = app.screen
        assert isinstance(library, LibraryScreen)
        library.set_filter("model")
        await pilot.pause(0.4)
        await pilot.press("down", "down", "space")
        _still(pilot)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_snapshot(snap_compare, sample_library, tmp_path):
    """The help sheet over the chat."""
    app = make_app(sample_library, tmp_path)

    async def run_before(pilot: Pilot) -> None:
        await started(pilot)
        _still(pilot)
        await pilot.press("f1")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
