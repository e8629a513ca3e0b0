"""iter_sources: files and folders in, files to read (or failures) out, in a stable order."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from assistant.ingest import iter_sources
from assistant.types import FileFailure, Skipped


def touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def rel(items, root: Path) -> list:
    out = []
    for item in items:
        if isinstance(item, FileFailure):
            out.append((os.path.relpath(item.path, root), item.error))
        else:
            out.append(os.path.relpath(item, root))
    return out


def test_folder_is_walked_sorted_and_hidden_entries_skipped(tmp_path):
    for name in ["b.txt", "a.pdf", "sub/z.md", "sub/deeper/c.html", ".hidden.txt", ".git/x.txt"]:
        touch(tmp_path / name)
    found = list(iter_sources([tmp_path]))
    skipped = sorted(os.path.relpath(s.path, tmp_path) for s in found if isinstance(s, Skipped))
    assert skipped == [".git", ".hidden.txt"]  # reported, not failed, not read
    found = [p for p in found if not isinstance(p, Skipped)]
    assert all(isinstance(p, Path) for p in found)
    assert rel(found, tmp_path) == ["a.pdf", "b.txt", "sub/deeper/c.html", "sub/z.md"]
    assert [p for p in iter_sources([str(tmp_path)]) if not isinstance(p, Skipped)] == found
    named = list(iter_sources([tmp_path / ".git", tmp_path / ".hidden.txt"]))  # named: read
    assert rel(named, tmp_path) == [".git/x.txt", ".hidden.txt"]


def test_missing_path_is_a_failure_and_the_walk_goes_on(tmp_path):
    touch(tmp_path / "ok.txt")
    found = list(iter_sources([tmp_path / "nope.pdf", tmp_path / "ok.txt"]))
    assert found[0] == FileFailure(str(tmp_path / "nope.pdf"), "no such file or directory")
    assert found[1] == tmp_path / "ok.txt"


def test_symlink_loops_are_reported_once_and_skipped(tmp_path):
    touch(tmp_path / "a" / "paper.txt")
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a")  # a directory that contains itself
    (tmp_path / "a" / "self").symlink_to(tmp_path / "a" / "self")  # a link to itself
    touch(tmp_path / "b" / "later.txt")
    assert rel(iter_sources([tmp_path]), tmp_path) == [
        ("a/loop", "symlink loop"),
        "a/paper.txt",
        ("a/self", "symlink loop"),
        "b/later.txt",
    ]


def test_broken_symlink(tmp_path):
    (tmp_path / "dangling.pdf").symlink_to(tmp_path / "missing.pdf")
    assert rel(iter_sources([tmp_path]), tmp_path) == [("dangling.pdf", "broken symbolic link")]


def test_a_file_reached_twice_is_yielded_once(tmp_path):
    paper = touch(tmp_path / "docs" / "paper.txt")
    (tmp_path / "docs" / "alias.txt").symlink_to(paper)
    found = list(iter_sources([paper, tmp_path / "docs", paper]))
    assert found == [paper]


def test_fifo_in_a_folder_is_a_failure(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    touch(tmp_path / "real.txt")
    assert rel(iter_sources([tmp_path]), tmp_path) == [
        ("pipe", "not a regular file"),
        "real.txt",
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can list folders without permission")
def test_unreadable_folder(tmp_path):
    locked = tmp_path / "locked"
    touch(locked / "x.txt")
    locked.chmod(0)
    try:
        assert rel(iter_sources([tmp_path]), tmp_path) == [("locked", "permission denied")]
    finally:
        locked.chmod(0o755)


def test_sample_library_order():
    root = Path(__file__).resolve().parent.parent / "examples" / "papers"
    names = [p.name for p in iter_sources([root])]
    assert names[:5] == sorted(names[:5]) and len(names) == 7
    assert names[-2:] == ["paper.pdf", "pasa.pdf"]


def test_os_errors_become_short_reasons():
    from assistant.ingest.fsutil import os_reason

    assert os_reason(PermissionError(errno.EACCES, "Permission denied")) == "permission denied"
    assert os_reason(OSError(errno.ELOOP, "Too many levels of symbolic links")) == "symlink loop"
    assert os_reason(OSError(errno.EIO, "Input/output error")) == "input/output error"
