"""Bad input through the real CLI: one line per file, the rest ingested, nothing lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import PDFS
from tests.readers_fixtures import blank_pdf, encrypted_pdf


def run_cli(*args: str, store, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "ORT_DISABLE_TELEMETRY": "1"}
    return subprocess.run(
        [sys.executable, "-m", "assistant", "--store", str(store), *args],
        capture_output=True, text=True, timeout=timeout, env=env,
    )


@pytest.fixture
def bad_folder(tmp_path):
    d = tmp_path / "incoming"
    d.mkdir()
    (d / "empty.txt").write_bytes(b"")
    (d / "noise.pdf").write_bytes(os.urandom(4000))
    (d / "noise.txt").write_bytes(os.urandom(4000))
    pasa = (PDFS / "pasa.pdf").read_bytes()
    (d / "truncated.pdf").write_bytes(pasa[: len(pasa) // 2])
    (d / "header-only.pdf").write_bytes(b"%PDF-1.7\n")
    (d / "locked.pdf").write_bytes(encrypted_pdf())
    (d / "scanned.pdf").write_bytes(blank_pdf())
    (d / "latin1.txt").write_bytes(
        "Caf\xe9 Retrieval Models for Multilingual Corpora\n\n"
        "We measure r\xe9sum\xe9 retrieval in na\xefve settings.".encode("cp1252")
    )
    (d / "huge.txt").write_text("Large File Title\n\n" + "word " * 400_000)
    (d / "slides.pptx").write_bytes(b"PK\x03\x04 not really")
    os.mkfifo(d / "pipe.txt")  # unreadable as a file (tests run as root: no chmod denial)
    loop = d / "loop"
    loop.mkdir()
    (loop / "self").symlink_to(loop, target_is_directory=True)
    (d / "good.md").write_text(
        "# Retrieval Augmented Generation with Sparse Graphs\n\nWe propose sparse graph RAG.\n"
    )
    return d


EXPECTED = {
    "empty.txt": "empty file",
    "noise.pdf": "not a PDF",
    "noise.txt": "unsupported or binary file",
    "truncated.pdf": "corrupt PDF",
    "header-only.pdf": "corrupt PDF",
    "locked.pdf": "encrypted PDF",
    "scanned.pdf": "image-only PDF",
    "huge.txt": "file too large",
    "slides.pptx": "unsupported file type",
    "pipe.txt": "not a regular file",
    "self": "symlink loop",
}


def test_each_bad_file_gets_one_line_and_the_rest_is_ingested(bad_folder, tmp_path):
    store = tmp_path / "store"
    keep = tmp_path / "keep.md"
    keep.write_text("# Earlier Paper About Wombat Sleep\n\nWombats sleep sixteen hours a day.\n")
    first = run_cli("ingest", str(keep), store=store)
    assert first.returncode == 0, first.stderr

    (tmp_path / "config.toml").write_text("[store]\nmax_file_mb = 1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "--store", str(store), "--config",
         str(tmp_path / "config.toml"), "ingest", "--json", str(bad_folder)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    failed = {os.path.basename(f["path"]): f["error"] for f in doc["failed"]}
    for name, reason in EXPECTED.items():
        assert name in failed, f"{name} not reported; failed={failed}"
        assert reason in failed[name], (name, failed[name])
    added = {os.path.basename(p) for p in doc["added"]}
    assert added == {"good.md", "latin1.txt"}
    assert any("latin1.txt" in w and "UTF-8" in w for w in doc["warnings"])
    # one stderr line per failure, each naming the file
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("failed: ")]
    assert len(lines) == len(doc["failed"])
    assert doc["papers_total"] == 3  # keep.md + good.md + latin1.txt: nothing lost

    listed = json.loads(run_cli("papers", "--json", store=store).stdout)
    titles = {p["title"] for p in listed}
    assert "Earlier Paper About Wombat Sleep" in titles
    assert "Café Retrieval Models for Multilingual Corpora" in titles


def test_user_mistakes_are_one_line_not_tracebacks(tmp_path):
    store = tmp_path / "store"
    missing = run_cli("ingest", str(tmp_path / "nope.pdf"), store=store)
    assert missing.returncode == 1 and "no such file" in missing.stderr
    unknown = run_cli("show", "no such paper title", store=store)
    assert unknown.returncode == 3
    assert unknown.stderr.startswith("error: ") and "Traceback" not in unknown.stderr
    bad_cfg = tmp_path / "bad.toml"
    bad_cfg.write_text("[store]\nsize = 3\n")
    proc = run_cli("--config", str(bad_cfg), "papers", store=store)
    assert proc.returncode == 2 and "store.size" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
