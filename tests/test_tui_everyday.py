"""The chat app in everyday use (Pilot, real stores and model): focus and scrolling, readable
comparisons at 80 and 160 columns, the library's details, completion, the palette, exports,
notifications, the empty library and a slow engine's start."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from textual.widgets import Header

from assistant import Assistant
from assistant.answering.engines.extractive import ExtractiveEngine
from assistant.config import load_settings
from assistant.tui.screens.chat import ChatScreen
from assistant.tui.screens.library import LibraryScreen, PaperDetail, PaperTable
from assistant.tui.widgets.exchange import ExchangeView
from assistant.types import Answer, Citation, Sentence

from .test_tui import (
    SIZE,
    answered,
    click_actions,
    make_app,
    screen_text,
    started,
    submit,
    wait_for,
    widget_text,
)

SPECTR = "SpecTr: Fast Speculative Decoding via Optimal Transport"
MULTI = "Towards Optimal Multi-draft Speculative Decoding"


def truncated_words(text: str, known: set[str]) -> list[str]:
    """Words cut with an ellipsis (``diffic…``); a clause may end with "…", a word may not."""
    return [w for w in re.findall(r"([A-Za-z][\w-]*)…", text) if w.casefold() not in known]


def detail_text(detail: PaperDetail) -> str:
    """All the detail pane says (also what is scrolled out of its few rows at 80×24)."""
    return " ".join(str(detail.query_one("#paper-detail-text").render()).split())


def words_of(answer: Answer) -> set[str]:
    text = " ".join([p.text + " " + p.title for p in answer.retrieved]
                    + [c.quote for c in answer.citations])
    return {w.casefold() for w in re.findall(r"[\w-]+", text)}


# -- focus and scrolling ---------------------------------------------------------------------------
async def test_typing_always_reaches_the_input_and_escape_comes_back(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await submit(pilot, "Which papers use diffusion models?")
        view = await answered(pilot)
        sources = app.chat.sources
        await pilot.press("ctrl+o")
        assert app.focused is sources
        expanded = set(sources.expanded)
        await pilot.press(*"/compare Sp")  # typed while the sources pane has the focus
        assert app.focused is app.chat.prompt and app.chat.prompt.value == "/compare Sp"
        assert sources.expanded == expanded  # nothing went to the list
        app.chat.prompt.value = ""
        await pilot.press("ctrl+o", "escape")
        assert app.focused is app.chat.prompt
        # tab and shift+tab come back round to the input
        for key in ("tab", "shift+tab"):
            seen = []
            for _ in range(6):
                await pilot.press(key)
                seen.append(app.focused)
                if app.focused is app.chat.prompt:
                    break
            assert app.focused is app.chat.prompt, (key, seen)
        # a click on a citation shows its passage and leaves the focus in the input
        links = {a: xy for a, xy in click_actions(app).items() if a.startswith("link('cite:")}
        action = next(iter(links))
        await pilot.click(offset=links[action])
        await pilot.pause(0.2)
        n = int(re.findall(r"\d+", action)[0])
        assert sources.selected_citation == n and app.focused is app.chat.prompt
        assert view.answer is not None


async def test_page_keys_scroll_the_conversation_from_the_input(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=(100, 24)) as pilot:
        await started(pilot)
        for i, q in enumerate(["Which papers use diffusion models?", "What is PaSa?"], 1):
            await submit(pilot, q)
            await answered(pilot, count=i)
        conversation = app.chat.conversation
        await pilot.pause(0.3)
        bottom = conversation.scroll_y
        assert bottom > 0 and bottom == conversation.max_scroll_y
        prompt = app.chat.prompt
        await pilot.press("pageup")
        await pilot.pause(0.1)
        assert conversation.scroll_y < bottom and app.focused is prompt
        await pilot.press("home")  # empty input: straight to the top
        await pilot.pause(0.1)
        assert conversation.scroll_y == 0
        await pilot.press("pagedown")
        await pilot.pause(0.1)
        assert conversation.scroll_y > 0
        await pilot.press("end")
        await pilot.pause(0.1)
        assert conversation.scroll_y == conversation.max_scroll_y
        await pilot.press(*"abc", "home")  # with text: the cursor goes first, then the view
        assert prompt.cursor_position == 0 and conversation.scroll_y == conversation.max_scroll_y
        await pilot.press("home")
        await pilot.pause(0.1)
        assert conversation.scroll_y == 0 and prompt.value == "abc"
        footer = screen_text(app).splitlines()[-1]
        assert "PgUp/PgDn Scroll" in footer


# -- comparisons -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("size", "refs", "table", "pane"), [
    ((80, 24), ["SpecTr", "Multi-draft"], True, False),
    ((80, 24), ["SpecTr", "Multi-draft", "PaSa"], False, False),
    ((160, 50), ["SpecTr", "Multi-draft", "PaSa"], True, True),
])
async def test_comparison_is_readable(sample_library, tmp_path, size, refs, table, pane):
    """Aspects as rows with a column per paper where it fits, else a card per paper; cells are
    key clauses whose words are never cut."""
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        line = "/compare " + " ".join(f'"{r}"' for r in refs)
        await submit(pilot, line)
        view = await answered(pilot)
        assert view.answer is not None and view.answer.table
        assert app.chat.query_one("#sources-pane").display is pane
        tables = view.markdown.query("MarkdownTable")
        assert bool(tables) is table
        source = view.markdown.source
        if table:
            assert re.search(r"^\| \*\*Problem\*\* \|", source, re.M)
        else:
            assert f"#### {SPECTR}" in source and "- *Problem*:" in source
        assert "(cite:1)" in source  # cells keep clickable citations
        text = widget_text(app, view)
        assert not truncated_words(text, words_of(view.answer))
        for cell_words in re.findall(r"\| ([^|]{40,}?) \[", source):
            assert len(cell_words.split()) <= 18


async def test_sources_pane_toggles_and_the_chat_maximizes(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(pilot)
        await submit(pilot, '/compare SpecTr "Multi-draft" PaSa')
        view = await answered(pilot)
        pane = app.chat.query_one("#sources-pane")
        assert pane.display and not view.markdown.query("MarkdownTable")  # cards beside it
        await pilot.press("f5")
        await pilot.pause(0.5)
        assert not pane.display
        assert view.markdown.query("MarkdownTable")  # the room makes a table
        await pilot.press("f5")
        await pilot.pause(0.5)
        assert pane.display and not view.markdown.query("MarkdownTable")
        await pilot.press("f6")
        await pilot.pause(0.2)
        assert not pane.display and not app.chat.query_one(Header).display
        assert app.focused is app.chat.prompt
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert pane.display and app.chat.query_one(Header).display
        # a citation chosen while the pane is hidden brings it back
        await pilot.press("f5")
        assert app.chat.select_citation(view, 1)
        assert pane.display


# -- rendering -------------------------------------------------------------------------------------
async def test_which_papers_bullets_share_their_line(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await submit(pilot, "Which papers study speculative decoding?")
        view = await answered(pilot)
        assert view.markdown.source.lstrip().startswith("- ")
        lines = widget_text(app, view.markdown).splitlines()
        bullets = [ln for ln in lines if ln.strip().startswith("•")]
        assert len(bullets) >= 2
        assert all(len(ln.strip()) > 5 for ln in bullets), bullets


async def test_weak_lines_plain_latex_tidied_plurals(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        answer = Answer(
            text="**Patch Models** use 64{times}64 patches with D{=}2048/128 [1].",
            citations=[Citation(1, "p1", "Patch Models", "p1:0", 2, "64{times}64 patches")],
            sentences=[Sentence("**Patch Models** use 64{times}64 patches [1].", [1], "weak")],
            abstained=False, retrieved=[], engine="extractive")
        view = ExchangeView("a test")
        await app.chat._mount_exchange(view)
        await view.show_answer(answer, "extractive")
        app.chat.show_sources(view)
        await pilot.pause(0.2)
        shown = widget_text(app, view)
        assert "? doubtful: Patch Models use 64×64 patches" in shown
        assert "**" not in shown and "{times}" not in shown and "D=2048/128" in shown
        assert "1 source ·" in shown
        assert "64×64" in widget_text(app, app.chat.sources)
        await submit(pilot, "/engine")
        await pilot.pause(0.1)
        note = next(n.message for n in app._notifications if n.message.startswith("Engine:"))
        assert "extractive" not in note.split("Others:")[1]


async def test_welcome_lines_do_not_wrap(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        welcome = app.chat.query_one("#welcome")
        lines = str(welcome.render()).splitlines()
        assert max(len(line) for line in lines) <= welcome.content_region.width


# -- library ---------------------------------------------------------------------------------------
async def test_library_columns_details_and_author_filter(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("f3")
        library = app.screen
        assert isinstance(library, LibraryScreen)
        table = library.query_one(PaperTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert labels[1:] == ["Title", "Authors", "Year", "Source"]  # no room for chunks
        assert sum(c.width + 2 for c in table.columns.values()) <= 80
        text = screen_text(app)
        assert re.search(r"\b\d \w+ authors?\b|\d authors", text)
        assert not re.search(r"[0-9a-f]{16}\.txt", text)  # no full hash file names
        # typing in the table goes to the filter: an author's name finds their paper
        table.focus()
        await pilot.press(*"wellawatte")
        assert library.query_one("#filter").value == "wellawatte"
        await wait_for(pilot, lambda: len(library.shown) == 1, 5, "the filter")
        paper = library.shown[0]
        assert "Wellawatte" in paper.authors[0]
        detail = library.query_one(PaperDetail)
        await wait_for(pilot, lambda: "reading…" not in detail_text(detail), 10, "the abstract")
        shown = detail_text(detail)
        assert paper.title[:30] in shown and "Wellawatte" in shown and "1 source" in shown
        assert str(paper.year) in shown and "chunks" in shown
        # a listing entry: counted authors, said so; its abstract
        library.set_filter("Generative Marginalization Models")
        await wait_for(pilot, lambda: len(library.shown) == 1, 5, "the filter")
        await wait_for(pilot, lambda: "marginalization models (MaMs)" in detail_text(detail),
                       10, "the listing abstract")
        assert "3 authors (the source gives no names)" in detail_text(detail)


# -- completion and the palette --------------------------------------------------------------------
async def test_tab_completes_what_is_typed_and_nothing_else(sample_library, tmp_path):
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        prompt = app.chat.prompt
        prompt.focus()
        await pilot.press(*"/summarize")
        await pilot.pause(0.1)
        await pilot.press("tab")
        await pilot.pause(0.2)
        assert prompt.value == "/summarize "
        assert prompt._suggestion == ""  # no ghost inviting a second tab
        await pilot.press("tab")
        assert prompt.value == "/summarize "  # nothing typed: no arbitrary title
        prompt.value = ""
        await pilot.press(*"/compare SpecTr Towards Opt")
        await pilot.pause(0.2)
        await pilot.press("tab")
        assert prompt.value == f'/compare SpecTr "{MULTI}" '
        await pilot.pause(0.2)
        assert prompt._suggestion == ""


async def test_palette_never_runs_a_stale_hit(sample_library, tmp_path, monkeypatch):
    """Enter pressed while the hits for what was typed are still coming runs the best of them,
    not the highlighted hit left from a shorter query. The search is slowed down as a large
    library would make it, so that enter surely comes early."""
    from assistant.tui.palette import Palette, PaperCommands

    search = PaperCommands.search

    async def slow_search(self, query):
        await asyncio.sleep(0.6)
        async for hit in search(self, query):
            yield hit

    monkeypatch.setattr(PaperCommands, "search", slow_search)
    app = make_app(sample_library, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("ctrl+p")
        await pilot.press("m")
        await pilot.pause(1.5)  # the hits for "m" are listed, one highlighted
        await pilot.press(*"aximize", "enter")  # enter before the hits for "maximize" are in
        await wait_for(pilot, lambda: not isinstance(app.screen, Palette), 10,
                       "the palette to run an entry")
        await pilot.pause(0.3)
        assert app.chat.full_width  # "Maximize the chat", the best hit for "maximize"
        assert not app.chat.query(ExchangeView) and not app.chat.prompt.value
        assert isinstance(app.screen, ChatScreen)


# -- exports and notifications ---------------------------------------------------------------------
async def test_export_goes_to_the_configured_folder_with_support_marks(sample_library, tmp_path):
    folder = tmp_path / "exports"
    settings = load_settings(None, store={"path": str(sample_library.store_dir)},
                             ui={"export_dir": str(folder)})
    a = Assistant(settings=settings)
    app = make_app(a, tmp_path / "h")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        await submit(pilot, "What are marginalization models?")
        await answered(pilot)
        await submit(pilot, "/export")
        await wait_for(pilot, lambda: folder.is_dir() and list(folder.glob("*.md")), 10,
                       "the export")
        text = next(folder.glob("*.md")).read_text(encoding="utf-8")
        assert "*Check: ✓" in text and "## References" in text
        await submit(pilot, "/export notes.md")
        await wait_for(pilot, lambda: (folder / "notes.md").exists(), 10, "the named export")
        note = next(n for n in app._notifications if "notes.md" in n.message)
        assert "1 exchange to" in note.message
        # notifications never cover the input
        await pilot.pause(0.2)
        prompt = app.chat.prompt.region
        toasts = [t.region for t in app.screen.query("Toast")]
        assert toasts and all(not t.overlaps(prompt) for t in toasts)
    a.close()


def test_default_export_folder_is_documents_or_data_dir():
    import os
    from pathlib import Path

    from assistant.paths import export_folder

    folder = export_folder(load_settings(None).ui.export_dir)
    data = Path(os.environ["XDG_DATA_HOME"]) / "paper-assistant" / "exports"
    assert folder == data or folder.parent.name in ("Documents", "documents") or \
        folder.name == "paper-assistant"


# -- the library it uses, an empty one, a slow engine ----------------------------------------------
async def test_empty_library_says_how_to_add_papers_and_is_not_created(tmp_path):
    store = tmp_path / "nowhere" / "store"
    a = Assistant(store=store)
    app = make_app(a, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert "0 papers" in app.sub_title
        welcome = " ".join(widget_text(app, app.chat.query_one("#welcome")).split())
        assert "is empty: add papers with /ingest PATH" in welcome
        await submit(pilot, "What is PaSa?")
        view = await answered(pilot)
        assert view.has_class("-failed") and "/ingest PATH" in widget_text(app, view)
        assert not store.exists()  # nothing created until something is ingested
    a.close()


class SlowLocal(ExtractiveEngine):
    """Stands in for the bundled model: its warm-up takes a while (the real one is timed in
    benchmarks); the answers are extractive."""

    name = "local"

    def warm(self) -> None:
        time.sleep(2.0)


async def test_a_warming_engine_says_loading_the_local_model(sample_library, tmp_path):
    a = Assistant(store=sample_library.store_dir, engines={"local": SlowLocal()})
    app = make_app(a, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await submit(pilot, "/engine local")
        await pilot.pause(0.1)
        assert app.warming == "loading the local model" and "(loading…)" in app.sub_title
        await submit(pilot, "What are marginalization models?")
        await pilot.pause(0.5)
        view = app.chat.query(ExchangeView).last()
        status = widget_text(app, view.meta)
        assert "loading the local model…" in status and "searching" not in status
        assert re.search(r"\d s", status)
        view = await answered(pilot, timeout=30)
        assert view.has_class("-done") and view.answer is not None
        assert view.answer.engine == "local" and app.warming == ""
    a.close()


async def test_singular_counts_in_the_app(tmp_path):
    from .test_tui import INJECTION_PAPER

    paper = tmp_path / "finches.md"
    paper.write_text(INJECTION_PAPER, encoding="utf-8")
    a = Assistant(store=tmp_path / "store")
    a.ingest([paper])
    app = make_app(a, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert re.search(r"· 1 paper · \d+ chunks?$", app.sub_title)
        await submit(pilot, "How do zebra finches learn their songs?")
        await answered(pilot)
        await pilot.press("f4")
        await pilot.pause(0.5)
        await wait_for(pilot, lambda: "1 conversation in" in screen_text(app), 5, "the list")
    a.close()
