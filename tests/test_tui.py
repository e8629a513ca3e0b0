"""The chat app driven by Textual's Pilot, on real stores with the real embedding model.

Most tests use the session's sample library and the extractive engine; the endpoint tests point
the openai engine at a closed port or at the scripted fake server; the markup test ingests a
small paper whose text is full of Rich/Textual markup.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from assistant import Assistant
from assistant.config import load_settings
from assistant.records.history import History
from assistant.tui.app import PaperApp
from assistant.tui.screens.chat import ChatScreen
from assistant.tui.screens.library import LibraryScreen, PaperTable
from assistant.tui.screens.sessions import SessionsScreen, SessionTable
from assistant.tui.widgets.exchange import ExchangeView
from assistant.tui.widgets.sources import SourcesList

from .fake_openai_server import FakeOpenAIServer, answer, hang

SIZE = (120, 36)
INJECTION_PAPER = """\
# Zebra Finch Song Learning [bold red]Under Markup[/bold red]

## Abstract

Zebra finches learn their songs from an adult tutor during a sensitive period \
[bold red]in early life[/bold red]. The memorized tutor song is reproduced through \
[@click=app.quit]sensorimotor practice[/] over several weeks of daily singing. \
Young zebra finches raised without any tutor develop [link=http://x]isolate songs[/link] \
that differ from normal songs in their structure.

## Results

Tutored birds copied on average 80 percent of the tutor syllables after sixty days.
"""
MARKUP = ("[bold red]", "[@click=app.quit]", "[link=http://x]")


# -- helpers ---------------------------------------------------------------------------------------
async def wait_for(pilot: Pilot, predicate: Callable[[], object], timeout: float = 30.0,
                   what: str = "condition") -> None:
    """Let the app run until ``predicate()`` is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def screen_text(app: PaperApp) -> str:
    """The screen as plain text, as a terminal would show it."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def widget_text(app: PaperApp, widget) -> str:
    """What a widget shows on screen (its region cut out of the screen text)."""
    region = widget.region
    lines = screen_text(app).splitlines()[region.y:region.bottom]
    return "\n".join(line[region.x:region.right] for line in lines)


def click_actions(app: PaperApp) -> dict[str, tuple[int, int]]:
    """Every ``@click`` action on the screen, with one cell it is found at."""
    from rich.cells import cell_len

    found: dict[str, tuple[int, int]] = {}
    update = app.screen._compositor.render_update(full=True,
                                                  screen_stack=app._background_screens)
    for y, line in enumerate(update.strips):
        x = 0
        for strip in line:
            for segment in strip:
                meta = segment.style.meta if segment.style else None
                action = meta.get("@click") if meta else None
                if action and action not in found:
                    found[action] = (x, y)
                x += cell_len(segment.text)
    return found


def make_app(assistant: Assistant, tmp_path: Path, **kwargs) -> PaperApp:
    return PaperApp(assistant, history=History(tmp_path / "history.sqlite3"), **kwargs)


async def started(pilot: Pilot) -> PaperApp:
    app = pilot.app
    assert isinstance(app, PaperApp)
    await wait_for(pilot, lambda: app.is_ready, 60, "the library to load")
    return app


async def submit(pilot: Pilot, line: str, *, typed: bool = False) -> None:
    """Put ``line`` in the chat input (key by key if ``typed``) and press enter."""
    app = pilot.app
    assert isinstance(app, PaperApp)
    prompt = app.chat.prompt
    prompt.focus()
    if typed:
        await pilot.press(*line)
    else:
        prompt.value = line
        prompt.cursor_position = len(line)
    await pilot.press("enter")


async def answered(pilot: Pilot, count: int = 1, timeout: float = 60) -> ExchangeView:
    """Wait until ``count`` exchanges are finished (or failed); return the last one."""
    app = pilot.app
    assert isinstance(app, PaperApp)

    def done() -> bool:
        views = list(app.chat.query(ExchangeView))
        return (len(views) >= count and not app.chat.busy
                and all(v.has_class("-done") or v.has_class("-failed")
                        or v.has_class("-cancelled") for v in views))

    await wait_for(pilot, done, timeout, "the answer")
    await pilot.pause(0.1)
    return list(app.chat.query(ExchangeView))[-1]


def openai_assistant(store_dir: Path, base_url: str, **llm) -> Assistant:
    settings = load_settings(None, store={"path": str(store_dir)},
                             llm={"engine": "openai", "base_url": base_url, **llm})
    return Assistant(settings=settings)


@pytest.fixture(scope="module")
def markup_library(tmp_path_factory) -> Assistant:
    """A store holding one small paper whose title and text are full of markup."""
    folder = tmp_path_factory.mktemp("markup-library")
    paper = folder / "zebra-finch.md"
    paper.write_text(INJECTION_PAPER, encoding="utf-8")
    a = Assistant(store=folder / "store")
    report = a.ingest([paper])
    assert not report.failed, report.failed
    return a


# -- chat ------------------------------------------------------------------------------------------
async def test_ask_shows_answer_and_sources(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        n_papers = len(sample_library.papers())
        assert f"{n_papers} papers" in app.sub_title and "extractive" in app.sub_title
        await submit(pilot, "What are marginalization models?", typed=True)
        view = await answered(pilot)
        assert view.answer is not None and view.answer.citations
        assert "marginalization" in view.markdown.source.lower()
        assert "(cite:1)" in view.markdown.source  # the markers are links
        sources = app.chat.query_one(SourcesList)
        assert sources.option_count == len(view.answer.citations)
        text = screen_text(app)
        assert "[1]" in text and "Generative Marginalization Models" in text
        assert "✓ supported" in text and "Sources · answer 1" in text
        assert app.focused is app.chat.prompt  # ready for the next question
        exchanges = app.history.exchanges(app.session_id)  # kept in the history
        assert [e.question for e in exchanges] == ["What are marginalization models?"]
        assert exchanges[0].answer.citations[0].title == view.answer.citations[0].title


async def test_select_citation_brings_passage_into_view(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await submit(pilot, "Which papers use diffusion models?")
        view = await answered(pilot)
        assert view.answer is not None and len(view.answer.citations) >= 6
        sources = app.chat.sources
        # A real click on a citation in the answer text.
        links = {a: xy for a, xy in click_actions(app).items() if a.startswith("link('cite:")}
        assert links, "no clickable citation on screen"
        action = max(links, key=lambda a: int(re.findall(r"\d+", a)[0]))
        n = int(re.findall(r"\d+", action)[0])
        await pilot.click(offset=links[action])
        await pilot.pause(0.2)
        assert sources.selected_citation == n and n in sources.expanded
        # The last citation, selected from the code path the link uses, scrolls into view.
        last = view.answer.citations[-1]
        assert app.chat.select_citation(view, last.n)
        await pilot.pause(0.3)
        assert sources.selected_citation == last.n
        assert sources.scroll_y > 0
        shown = " ".join(widget_text(app, sources).split())
        assert f"[{last.n}]" in shown
        assert " ".join(last.quote.split())[:40] in shown
        # Keyboard: ctrl+o focuses the sources, up moves, enter expands, escape goes back.
        await pilot.press("ctrl+o")
        assert app.focused is sources
        await pilot.press("up")
        assert sources.selected_citation == last.n - 1
        await pilot.press("enter")
        assert last.n - 1 in sources.expanded
        await pilot.press("escape")
        assert app.focused is app.chat.prompt


async def test_summarize_command_with_completion(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        prompt = app.chat.prompt
        prompt.focus()
        await pilot.press(*"/summ")
        await pilot.pause(0.1)
        await pilot.press("tab")
        assert prompt.value == "/summarize "
        await pilot.press(*"generative marg")
        await pilot.pause(0.1)
        await pilot.press("tab")
        assert prompt.value == '/summarize "Generative Marginalization Models"'
        await pilot.press("enter")
        view = await answered(pilot)
        assert view.kind == "summarize" and view.question == "Generative Marginalization Models"
        assert view.answer is not None and view.answer.citations
        assert "TL;DR" in view.markdown.source
        question = view.query_one(".question", Static).content
        assert "Summary: Generative Marginalization Models" in str(question)
        assert app.history.exchanges(app.session_id)[0].kind == "summarize"


async def test_compare_command_shows_table(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await submit(pilot, '/compare "Generative Marginalization Models" PaSa')
        view = await answered(pilot)
        assert view.kind == "compare" and view.answer is not None
        assert view.answer.table and "|" in view.markdown.source
        assert view.answer.citations


async def test_library_filter_and_scope(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("f3")
        assert isinstance(app.screen, LibraryScreen)
        library = app.screen
        table = library.query_one(PaperTable)
        assert table.row_count == len(sample_library.papers())
        await pilot.press(*"marginalization")
        expected = [p for p in sample_library.papers() if "marginalization" in p.title.lower()]
        # (a pause while typing may filter by a part of the word first: wait for the whole)
        await wait_for(pilot, lambda: 1 <= table.row_count <= len(expected) + 2, 5)
        assert any(p.title == "Generative Marginalization Models" for p in library.shown)
        target = next(p for p in library.shown if p.title == "Generative Marginalization Models")
        await pilot.press("down")  # from the filter into the table
        assert app.focused is table
        while library.current_paper() is not target:
            await pilot.press("down")
        await pilot.press("space")
        assert app.scope == (target.id,)
        assert "1 of" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen)
        assert "Scope: 1 of" in screen_text(app)
        await submit(pilot, "What does this paper propose?")
        view = await answered(pilot)
        assert view.answer is not None and view.answer.citations
        assert {c.paper_id for c in view.answer.citations} == {target.id}
        await pilot.press("f3")
        await pilot.press("ctrl+l")  # clear the scope
        assert app.scope == ()


async def test_escape_cancels_a_running_answer(sample_library, tmp_path):
    with FakeOpenAIServer() as server:
        server.script(hang(30))
        a = openai_assistant(sample_library.store_dir, server.base_url, timeout=60,
                             max_retries=0)
        app = make_app(a, tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await started(pilot)
            await submit(pilot, "What are marginalization models?")
            await wait_for(pilot, lambda: len(server.requests) == 1, 30, "the request")
            assert app.chat.busy
            t = time.monotonic()
            await pilot.press("escape")
            view = await answered(pilot, timeout=5)
            assert time.monotonic() - t < 2
            assert view.has_class("-cancelled") and "Cancelled" in screen_text(app)
            assert not app.chat.busy
            # The input is usable at once: the next question gets an answer.
            server.script(answer("Marginalization models are generative models [1].",
                                 pieces=["Marginalization models ", "are generative ",
                                         "models [1]."]))
            await submit(pilot, "What are marginalization models?")
            view = await answered(pilot, count=2)
            assert view.has_class("-done") and view.answer is not None
            assert view.answer.citations
        a.close()


async def test_endpoint_error_is_a_notification_and_input_stays_usable(sample_library, tmp_path):
    a = openai_assistant(sample_library.store_dir, "http://127.0.0.1:9/v1", timeout=2,
                         max_retries=0)
    app = make_app(a, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await submit(pilot, "What are marginalization models?")
        view = await answered(pilot)
        assert view.has_class("-failed")
        await wait_for(pilot, lambda: any(n.severity == "error" and "127.0.0.1" in n.message
                                          for n in app._notifications), 5, "the notification")
        assert app.focused is app.chat.prompt and not app.chat.busy
        # A bad REF is a notification too, and nothing else happens.
        await submit(pilot, "/compare nosuchpaperxyz PaSa")
        await wait_for(pilot, lambda: any("nosuchpaperxyz" in n.message
                                          for n in app._notifications), 10, "the REF error")
        assert not app.chat.busy
        assert len(app.chat.query(ExchangeView)) == 1
        # Switch to the offline engine and ask again from the same input.
        await submit(pilot, "/engine extractive")
        await wait_for(pilot, lambda: app.engine == "extractive", 10, "the engine switch")
        assert "extractive" in app.sub_title
        await submit(pilot, "What are marginalization models?")
        view = await answered(pilot, count=2)
        assert view.has_class("-done")
    a.close()


async def test_markup_in_a_paper_is_shown_literally_and_never_acts(markup_library, tmp_path):
    app = make_app(markup_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await submit(pilot, "How do zebra finches learn their songs?")
        view = await answered(pilot)
        assert view.answer is not None and view.answer.citations
        text = screen_text(app)
        for markup in MARKUP:
            assert markup in text, f"{markup} not shown literally"
        title = "Zebra Finch Song Learning [bold red]Under Markup[/bold red]"
        assert title in " ".join(widget_text(app, app.chat.sources).split())
        # No clickable action came from the paper: only citation links are on the screen.
        actions = click_actions(app)
        assert all(a.startswith("link('cite:") for a in actions), actions
        # Clicking where the injected action is written does nothing.
        where = [(x, y) for y, line in enumerate(text.splitlines())
                 for x in [line.find("[@click=app.quit]")] if x >= 0]
        assert where
        await pilot.click(offset=(where[0][0] + 3, where[0][1]))
        await pilot.pause(0.2)
        assert app.is_running and app.return_value is None
        # The library table and the command palette show the title literally too.
        await pilot.press("f3")
        await pilot.pause(0.2)
        assert title in screen_text(app)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"zebra")
        await pilot.pause(0.5)
        assert "[bold red]Under Markup" in screen_text(app)
        assert not any("quit" in a for a in click_actions(app))
        await pilot.press("escape")
        assert app.is_running


# -- library changes, history, keys ----------------------------------------------------------------
async def test_ingest_with_progress_and_remove_with_confirmation(tmp_path):
    paper = tmp_path / "finches.md"
    paper.write_text(INJECTION_PAPER, encoding="utf-8")
    a = Assistant(store=tmp_path / "store")
    app = make_app(a, tmp_path)
    seen: list[object] = []
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert app.papers == ()
        app.watch(app, "ingest", lambda state: seen.append(state))
        await submit(pilot, f"/ingest {paper}")
        await wait_for(pilot, lambda: len(app.papers) == 1, 60, "the ingest")
        await wait_for(pilot, lambda: app.ingest is None, 10)
        progress = [s for s in seen if s is not None]
        assert progress and progress[-1].done == 1 and progress[-1].files == 1
        assert any(n.title == "Ingest finished" for n in app._notifications)
        await pilot.press("f3")
        library = app.screen
        assert isinstance(library, LibraryScreen)
        library.table.focus()
        await pilot.press("delete")
        await pilot.pause(0.1)
        assert "Remove" in screen_text(app) and "chunks from the library" in screen_text(app)
        await pilot.press("n")  # no: nothing happens
        await pilot.pause(0.1)
        assert len(app.papers) == 1
        await pilot.press("delete")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.papers == (), 30, "the removal")
        assert a.papers() == []
    a.close()


async def test_empty_library_is_ingested_on_start(tmp_path):
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / "finches.md").write_text(INJECTION_PAPER, encoding="utf-8")
    a = Assistant(store=tmp_path / "store")
    app = make_app(a, tmp_path, ingest_if_empty=str(folder))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert len(app.papers) == 1
        assert re.search(r"\b1 paper · \d+ chunks?$", app.sub_title), app.sub_title
    a.close()


async def test_a_library_that_cannot_open_is_reported_and_the_app_stays_up(tmp_path):
    (tmp_path / "not-a-folder").write_text("x", encoding="utf-8")
    a = Assistant(store=tmp_path / "not-a-folder")
    app = make_app(a, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert "library unavailable" in app.sub_title
        await wait_for(pilot, lambda: any(n.severity == "error" and "not-a-folder" in n.message
                                          for n in app._notifications), 5, "the notification")
        await submit(pilot, "What are marginalization models?")
        view = await answered(pilot)
        assert view.has_class("-failed") and "could not open the library" in screen_text(app)
        assert app.focused is app.chat.prompt and app.is_running


async def test_history_resume_and_export(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    out = tmp_path / "conversation.md"
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await submit(pilot, "What are marginalization models?")
        await answered(pilot)
        await submit(pilot, "What is PaSa?")
        await answered(pilot, count=2)
        await submit(pilot, f"/export {out}")
        await wait_for(pilot, lambda: out.exists(), 10, "the export")
        exported = out.read_text(encoding="utf-8")
        assert "## 1. What are marginalization models?" in exported
        assert "## 2. What is PaSa?" in exported and "## References" in exported
        assert re.search(r"^- \[1\] \*Generative Marginalization Models\*", exported, re.M)
        session = app.session_id
        await pilot.press("ctrl+n")
        assert not app.chat.query(ExchangeView) and app.session_id is None
        await pilot.press("f4")
        assert isinstance(app.screen, SessionsScreen)
        table = app.screen.query_one(SessionTable)
        await wait_for(pilot, lambda: table.row_count == 1, 10, "the sessions list")
        assert "What are marginalization models?" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.chat.query(ExchangeView)) == 2, 10, "the resume")
        assert isinstance(app.screen, ChatScreen) and app.session_id == session
        resumed = list(app.chat.query(ExchangeView))
        assert resumed[0].question == "What are marginalization models?"
        assert app.chat.sources.option_count == len(resumed[1].answer.citations)
        await submit(pilot, "How are marginalization models trained?")
        await answered(pilot, count=3)
        assert len(app.history.exchanges(session)) == 3


async def test_keys_can_be_remapped_by_binding_id(sample_library, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[ui.keys]\nlibrary = "f7"\nnew-chat = "ctrl+g"\nno-such = "f6"\n',
                      encoding="utf-8")
    a = Assistant(store=sample_library.store_dir, config=config)
    app = make_app(a, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert any("no-such" in n.message for n in app._notifications)
        await pilot.press("f3")
        assert isinstance(app.screen, ChatScreen)
        await pilot.press("f7")
        assert isinstance(app.screen, LibraryScreen)
        await pilot.press("escape")
        footer = screen_text(app).splitlines()[-1]
        assert "^g New chat" in footer and "f7" in footer


async def test_commands_and_help(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await submit(pilot, "/nosuch")
        await pilot.pause(0.1)
        assert any("unknown command /nosuch" in n.message for n in app._notifications)
        assert app.chat.prompt.value == "/nosuch"  # kept, to fix
        app.chat.prompt.value = ""
        await submit(pilot, "/help")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "/summarize REF" in text and "command-palette" in text
        await pilot.press("escape")
        await submit(pilot, "/papers marginalization")
        await pilot.pause(0.1)
        assert isinstance(app.screen, LibraryScreen)
        assert app.screen.query_one("#filter").value == "marginalization"
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.press(*"history")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, SessionsScreen)


async def test_typing_is_not_blocked_while_the_library_loads(tmp_path, sample_library):
    """The first screen is interactive before the store is open (loading runs in a worker)."""
    from assistant.library.locking import data_lock

    a = Assistant(store=sample_library.store_dir)  # a fresh object: nothing loaded yet
    app = make_app(a, tmp_path)
    with contextlib.ExitStack() as writer:
        writer.enter_context(data_lock(a.store_dir).exclusive())  # opening the store waits
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press(*"hello")
            await pilot.pause(0.3)
            assert app.chat.prompt.value == "hello" and not app.is_ready
            assert "opening the library" in app.sub_title
            writer.close()  # the write step ends: the library opens
            await asyncio.wait_for(app.wait_ready(), 60)
            assert f"{len(sample_library.papers())} papers" in app.sub_title
    a.close()
