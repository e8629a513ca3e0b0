"""Bytes to text: UTF-8 (BOM or not), UTF-16 by its BOM, else cp1252 / latin-1 with a warning."""

from __future__ import annotations

import codecs
import re

__all__ = ["decode_text", "drop_controls", "looks_binary"]

_SAMPLE = 65536
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\v\f\r\x1b") + b"\x7f"
_HIGH_BYTES = bytes(range(0x80, 0x100))
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _utf16(data: bytes) -> bool:
    return data.startswith(_UTF16_BOMS)


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text: NUL bytes, many control bytes or mostly high bytes."""
    sample = data[:_SAMPLE]
    if not sample or _utf16(sample):
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > 0.01 * len(sample):
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return False
    except UnicodeDecodeError:
        high = len(sample) - len(sample.translate(None, _HIGH_BYTES))
        return high > 0.3 * len(sample)


# Terminal escape sequences (CSI ... final byte; OSC ... BEL or ST; two-byte ESC x), then any
# control character left: C0 except tab, newline, carriage return and form feed; DEL; C1.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]"
                      r"|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x1b\x9c]*(?:\x07|\x9c)?")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def drop_controls(text: str) -> str:
    """Text without terminal escape sequences and control characters (NUL included), which
    must never reach chunks or quotes; line breaks, tabs and form feeds stay."""
    if not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def decode_text(data: bytes, path: str) -> tuple[str, list[str]]:
    """Decode file bytes; never rejects. Returns the text and any warnings about the encoding."""
    if _utf16(data):
        return data.decode("utf-16", errors="replace"), []
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), [f"{path}: not valid UTF-8, decoded as cp1252"]
    except UnicodeDecodeError:
        return data.decode("latin-1"), [f"{path}: not valid UTF-8, decoded as latin-1"]
