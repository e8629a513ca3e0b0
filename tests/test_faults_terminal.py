"""No text can act on the terminal: control sequences in papers, file names and model output are
shown as visible characters, markup is never interpreted, one line stays one line; JSON keeps
the original text."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.textsafe import json_text, safe_line, safe_text
from tests.fake_openai_server import FakeOpenAIServer, answer
from tests.storecheck import driver_env

CLEAR = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;pwned\x07"
CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"
LINK = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
C1_CSI = "\x9b31m"
RAW = ("\x1b", "\x07", "\x9b", "\x9d", "\x00")


def no_raw_controls(text: str) -> None:
    for ch in RAW:
        assert ch not in text, f"{ch!r} reached the terminal: {text[:300]!r}"


def test_sanitiser_shows_controls_and_keeps_json_original():
    nasty = f"a{CLEAR}b{TITLE}c{CLIPBOARD}d{LINK}e{C1_CSI}f\u202eg\r\nh\ti\x00"
    shown = safe_text(nasty)
    no_raw_controls(shown)
    assert "␛[2J" in shown and "␇" in shown and "\\x9b" in shown and "\\u202e" in shown
    assert "\nh\ti" in shown  # newline and tab kept; CRLF became a newline
    line = safe_line("bad\nfailed: forged.pdf\t")
    assert "\n" not in line and "\t" not in line and "␊" in line
    assert safe_line("[/bold] [@click=app.quit]x[/]") == "[/bold] [@click=app.quit]x[/]"
    encoded = json_text({"t": nasty})
    no_raw_controls(encoded)
    assert "\u202e" not in encoded and json.loads(encoded)["t"] == nasty


def cli(store, *args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "assistant", "--store", str(store), *args],
                          capture_output=True, text=True, timeout=timeout,
                          env=env or driver_env())


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A library whose file names and texts carry terminal sequences and Rich markup."""
    root = tmp_path_factory.mktemp("hostile")
    papers = root / "papers"
    papers.mkdir()
    (papers / f"evil{TITLE}name[blink].md").write_text(
        f"# Quokka [/bold] Graphs [red]Study[/red] {CLEAR}\n\n"
        f"Quokkaspar removes 80% of edges from citation graphs{CLIPBOARD}. "
        f"It keeps retrieval accuracy{LINK} within 1.5 points.{C1_CSI}\n")
    (papers / "bad\nfailed: forged.pdf").write_bytes(os.urandom(2000))
    (papers / f"noise{CLEAR}.pdf").write_bytes(os.urandom(2000))
    store = root / "store"
    ingest = cli(store, "ingest", str(papers))
    return store, papers, ingest


def test_failed_lines_cannot_be_forged_or_act(hostile):
    _, _, ingest = hostile
    assert ingest.returncode == 1
    no_raw_controls(ingest.stderr + ingest.stdout)
    lines = ingest.stderr.splitlines()
    failed = [ln for ln in lines if ln.startswith("failed: ")]
    assert len(failed) == 2  # two bad files, two lines: the newline in a name forged none
    assert any("bad␊failed: forged.pdf" in ln for ln in failed)
    assert not any(ln.startswith("failed: forged") for ln in lines)


def test_papers_show_remove_ask_summarize_print_inert_text(hostile, tmp_path):
    store, papers, _ = hostile
    listing = cli(store, "papers")
    assert listing.returncode == 0, listing.stderr  # '[/bold]' in a title no longer crashes
    assert "Traceback" not in listing.stderr
    no_raw_controls(listing.stdout)
    assert "[/bold]" in listing.stdout and "[red]Study[/red]" in listing.stdout
    doc = json.loads(cli(store, "papers", "--json").stdout)
    assert doc[0]["title"].startswith("Quokka [/bold] Graphs [red]Study[/red]")
    assert TITLE in doc[0]["source"]  # JSON keeps the original file name, escaped
    for args in (["show", "Quokka"], ["ask", "How many edges does quokkaspar remove?"],
                 ["summarize", "Quokka"]):
        proc = cli(store, *args)
        assert proc.returncode == 0, (args, proc.stderr)
        no_raw_controls(proc.stdout + proc.stderr)
    ask = cli(store, "ask", "How many edges does quokkaspar remove?", "--json")
    chunks = json.loads(ask.stdout)
    for quote in [c["quote"] for c in chunks["citations"]] + [chunks["answer"]]:
        no_raw_controls(quote)  # the reader dropped them before chunking
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(store, copy)
    removed = cli(copy, "remove", "Quokka")
    assert removed.returncode == 0 and "[/bold]" in removed.stdout
    no_raw_controls(removed.stdout + removed.stderr)
    hint = cli(copy, "show", f"Quokka{CLEAR}")
    assert hint.returncode == 3 and hint.stderr.count("\n") == 1
    no_raw_controls(hint.stderr)


def test_model_output_is_inert_in_the_terminal(hostile, monkeypatch):
    store, _, _ = hostile
    reply = (f"Quokkaspar removes 80% of edges [1].{CLEAR}{CLIPBOARD} See{LINK}.{C1_CSI}")
    with FakeOpenAIServer() as server:
        server.script(answer(reply))
        config = store.parent / "llm.toml"
        config.write_text(f'[llm]\nengine = "openai"\nbase_url = "{server.base_url}"\n'
                          "max_retries = 0\n")
        env = driver_env(OPENAI_API_KEY="sk-test-terminal")
        proc = cli(store, "--config", str(config), "ask", "How many edges?", env=env)
        assert proc.returncode == 0, proc.stderr
        no_raw_controls(proc.stdout + proc.stderr)
        assert "␛" in proc.stdout  # shown, not swallowed
        server.script(answer(reply))
        as_json = cli(store, "--config", str(config), "ask", "How many edges?", "--json",
                      env=env)
        assert CLIPBOARD in json.loads(as_json.stdout)["answer"]  # the original, escaped
        no_raw_controls(as_json.stdout)


def test_tui_render_layer_shows_controls_as_text():
    from assistant.tui.render import (
        flagged_sentences,
        link_citations,
        paper_source,
        short_title,
        source_card,
        table_markdown,
    )
    from assistant.types import Answer, Citation, Paper, Sentence

    evil = f"Quokka{CLEAR}[/bold]{TITLE}"
    c = Citation(n=1, paper_id="p", title=evil, chunk_id="p:0000", page=None,
                 quote=f"removes{CLIPBOARD} edges", section=f"Method{LINK}")
    card = source_card(c, "supported", passage=f"x removes{CLIPBOARD} edges y", expanded=True)
    no_raw_controls(card.plain)
    assert "[/bold]" in card.plain
    answer = Answer(text=f"Edges go{CLEAR} [1].", citations=[c],
                    sentences=[Sentence(f"Edges go{C1_CSI}.", [1], "weak")], abstained=False,
                    retrieved=[], engine="extractive")
    no_raw_controls(link_citations(answer.text))
    no_raw_controls(flagged_sentences(answer).plain)
    no_raw_controls(table_markdown([{"paper": evil, "result": f"a{CLEAR}"}]))
    paper = Paper(id="p", title=evil, authors=[], year=None,
                  sources=[f"/x/evil{TITLE}.md"], chunks=1)
    no_raw_controls(paper_source(paper) + short_title(paper.title))
