"""Smoke test in a real terminal: `assistant chat` in tmux, a question typed, the answer and a
citation read back from the screen. Needs tmux (CI: ``apt-get install -y tmux``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None,
    reason="tmux is not installed: apt-get install -y tmux (CI installs it in .ci/run)",
)


class Tmux:
    """One private tmux server (its own socket) running one window."""

    def __init__(self, command: list[str], width: int = 120, height: int = 36) -> None:
        self.socket = f"assistant-test-{uuid.uuid4().hex[:8]}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TMUX", "ASSISTANT_"))}
        env["TERM"] = "xterm-256color"
        self.env = env
        self._tmux("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", str(width),
                   "-y", str(height), " ".join(_quote(c) for c in command))

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], env=self.env,
                              capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "main")

    def wait_for(self, *needles: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if all(n in text for n in needles):
                return text
            time.sleep(0.2)
        raise AssertionError(f"{needles} not on the screen after {timeout} s:\n{text}")

    def keys(self, *keys: str, literal: bool = False) -> None:
        self._tmux("send-keys", "-t", "main", *(["-l"] if literal else []), *keys)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env,
                       capture_output=True, timeout=30)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def test_chat_in_a_real_terminal(sample_library, tmp_path):
    papers = len(sample_library.papers())
    term = Tmux([sys.executable, "-m", "assistant", "--store", str(sample_library.store_dir),
                 "chat"])
    try:
        term.wait_for("Ask about your papers", f"{papers} papers", timeout=90)
        term.keys("What are marginalization models?", literal=True)
        term.keys("Enter")
        screen = term.wait_for("Sources · answer 1", "✓ supported", timeout=60)
        assert "We introduce marginalization models" in screen  # the answer
        assert "[1]" in screen  # a citation marker in the answer and in the sources pane
        assert "Generative Marginalization Models" in screen  # the cited paper
        term.keys("C-q")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                term.screen()
            except RuntimeError:  # the server ended with its only window: the app quit
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the app did not quit on ctrl+q")
    finally:
        term.close()
