"""What a file is, by its content first and its extension second."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from assistant.errors import IngestError

from .decode import looks_binary
from .html import looks_like_html
from .listing import is_listing
from .text import looks_like_markdown

__all__ = ["sniff_bytes", "text_kind", "UNSUPPORTED_SUFFIXES"]

TextKind = Literal["html", "listing", "markdown", "text"]

# fmt: off
UNSUPPORTED_SUFFIXES = frozenset(
    {
        ".doc", ".docx", ".odt", ".rtf", ".pages", ".ppt", ".pptx", ".odp", ".key", ".xls",
        ".xlsx", ".ods", ".epub", ".djvu", ".ps", ".eps", ".png", ".jpg", ".jpeg", ".gif", ".bmp",
        ".tif", ".tiff", ".webp", ".svg", ".ico", ".heic", ".zip", ".gz", ".tgz", ".bz2", ".xz",
        ".7z", ".rar", ".tar", ".zst", ".mp3", ".mp4", ".wav", ".ogg", ".flac", ".avi", ".mov",
        ".mkv", ".webm", ".exe", ".dll", ".so", ".dylib", ".bin", ".o", ".a", ".class", ".jar",
        ".pyc", ".whl", ".pkl", ".pickle", ".npy", ".npz", ".pt", ".pth", ".onnx", ".gguf",
        ".safetensors", ".h5", ".parquet", ".sqlite", ".db",
    }
)
# fmt: on
_HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
_MD_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd"})


def sniff_bytes(path: Path, data: bytes) -> Literal["pdf", "text"]:
    """Return "pdf" for a %PDF- header, "text" for decodable text; IngestError for anything else."""
    suffix = path.suffix.lower()
    if data.lstrip()[:5] == b"%PDF-" or (suffix == ".pdf" and b"%PDF-" in data[:1024]):
        return "pdf"  # readers accept junk before the header; only trust that for .pdf names
    if suffix == ".pdf":
        raise IngestError(str(path), "not a PDF (no %PDF header)")
    if suffix in UNSUPPORTED_SUFFIXES:
        raise IngestError(str(path), f"unsupported file type {suffix}")
    if looks_binary(data):
        raise IngestError(str(path), "unsupported or binary file")
    return "text"


def text_kind(path: Path, text: str) -> TextKind:
    """HTML by extension or tags, listing dumps by their entry layout, Markdown by extension or
    heading syntax, else plain text."""
    suffix = path.suffix.lower()
    if suffix in _HTML_SUFFIXES or looks_like_html(text):
        return "html"
    if is_listing(text):
        return "listing"
    if suffix in _MD_SUFFIXES or looks_like_markdown(text):
        return "markdown"
    return "text"
