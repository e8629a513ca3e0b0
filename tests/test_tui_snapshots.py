"""SVG snapshots of the chat (with a comparison), the library and the help, at 80×24 and
160×50 (textual is pinned, so the pixels are stable).

Update after an intended change with ``pytest tests/test_tui_snapshots.py --snapshot-update``
and look at the SVGs under tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from assistant.tui.screens.library import LibraryScreen

from .conftest import ROOT
from .test_tui import answered, make_app, started, submit, wait_for

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 50), id="160x50")]


def _still(pilot: Pilot) -> None:
    """No blinking cursors: the same pixels every run."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


@pytest.mark.parametrize("size", SIZES)
def test_chat_snapshot(snap_compare, sample_library, tmp_path, size):
    """A comparison of two papers (a table at both sizes; at 80 columns the sources pane is
    hidden) with citation 2 selected; the conversation scrolled to the table."""
    app = make_app(sample_library, tmp_path)

    async def run_before(pilot: Pilot) -> None:
        await started(pilot)
        await submit(pilot, '/compare SpecTr "Multi-draft"')
        view = await answered(pilot)
        if size[0] >= 100:
            app.chat.select_citation(view, 2)
        app.chat.conversation.scroll_to_widget(view, top=True, animate=False)
        _still(pilot)
        await pilot.pause(0.4)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_library_snapshot(snap_compare, sample_library, tmp_path, size):
    """The paper table filtered, one paper in scope, its details shown."""
    app = make_app(sample_library, tmp_path)

    async def run_before(pilot: Pilot) -> None:
        await started(pilot)
        # source paths relative to the repository: the same pixels wherever it is checked out
        app.papers = tuple(replace(p, sources=[os.path.relpath(s, ROOT) for s in p.sources])
                           for p in app.papers)
        await pilot.press("f3")
        await pilot.pause(0.1)
        library = app.screen
        assert isinstance(library, LibraryScreen)
        library.set_filter("model")
        await pilot.pause(0.4)
        await pilot.press("down", "down", "space")
        await wait_for(pilot, lambda: "reading…" not in str(
            library.query_one("#paper-detail-text").render()), 10, "the details")
        _still(pilot)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help_snapshot(snap_compare, sample_library, tmp_path, size):
    """The help sheet over the chat."""
    app = make_app(sample_library, tmp_path)

    async def run_before(pilot: Pilot) -> None:
        await started(pilot)
        _still(pilot)
        await pilot.press("f1")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
