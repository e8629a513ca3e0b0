"""Readers: files and folders in, PaperDocs out.

`iter_sources` expands paths, `read_file` reads one file (PDF, text, Markdown, HTML or a listing
dump of many abstracts) and `paper_id` gives the key that finds the same paper across files.
"""

from __future__ import annotations

from .identity import normalize_title, paper_id
from .read import read_file
from .sources import iter_sources

__all__ = ["iter_sources", "normalize_title", "paper_id", "read_file"]
