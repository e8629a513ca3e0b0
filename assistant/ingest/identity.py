"""Which stored paper a document is: identity by DOI, then arXiv id, then normalised title plus
first author, so two papers are never merged because their titles (or a wrongly read title, a
journal's name) agree.

A paper's keys are its DOI, its arXiv id (version dropped), its normalised title with its first
author's surname, and the hash of its text (with its title, unless a PDF's). Two papers
conflict when both have a DOI and they differ, or both an arXiv id and they differ, or both a
first author and the surnames differ: conflicting papers are never one. A document is the
stored paper whose DOI it shares; else whose arXiv id or exact text it shares (DOIs not
differing); else the one stored paper with its title that it does not conflict with. So a
listing entry (title only) joins the PDF of its paper and the same PDF in two files is one
paper (also when a reference manager names its authors otherwise), while two PDFs with one
title and different DOIs stay two.

Ids: "p" + 15 hex digits of the sha1 of "doi:<doi>", else of "arxiv:<id>", else of the title
and the surname, else of the title alone (the scheme every id had before: listing entries and
other title-only papers keep their ids), else of the source and text (a title too short to
tell papers apart). A stored paper keeps the id it was stored under, whatever the scheme: a
document that is that paper takes its id.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from assistant.types import PaperDoc

__all__ = [
    "Identities",
    "bare_doi",
    "Keys",
    "conflicts",
    "doc_keys",
    "meta_keys",
    "normalize_arxiv",
    "normalize_doi",
    "normalize_title",
    "paper_id",
    "surname",
    "text_sha",
]

_EMPTY_SHA = hashlib.sha1(b"").hexdigest()
_NON_WORD = re.compile(r"[\W_]+")
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_NEW_ARXIV = re.compile(r"\d{4}\.\d{4,5}")
_OLD_ARXIV = re.compile(r"[a-z][a-z.-]*/\d{7}", re.IGNORECASE)
_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "le", "la", "du",
              "dos", "das", "ten", "ter", "zu", "jr", "sr", "ii", "iii", "iv"}


def normalize_title(title: str) -> str:
    """Casefold, drop diacritics, turn punctuation into spaces and collapse whitespace runs."""
    decomposed = unicodedata.normalize("NFKD", title)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", bare.casefold()).split())


def bare_doi(doi: str | None) -> str | None:
    """``10.xxxx/yyy`` as written, from a bare DOI, ``doi:...`` or a doi.org link."""
    m = _DOI.search(doi or "")
    return m.group(0).rstrip(".,;:)]}'\"") if m else None


def normalize_doi(doi: str | None) -> str | None:
    """The DOI as a key: bare and lower-cased (DOIs are case-insensitive)."""
    bare = bare_doi(doi)
    return bare.casefold() if bare else None


def normalize_arxiv(arxiv_id: str | None) -> str | None:
    """An arXiv id without prefix or version: ``2501.10120``, ``hep-th/9901001``."""
    text = (arxiv_id or "").strip()
    m = _NEW_ARXIV.search(text) or _OLD_ARXIV.search(text)
    return m.group(0).casefold() if m else None


def surname(author: str) -> str:
    """The last word of a person's family name, normalised: "Kyle Lo" and "Lo, Kyle" give
    "lo"; "Ivan Rodriguez Montoya" and "Rodriguez Montoya, Ivan" give "montoya"."""
    name = author.split(",")[0] if "," in author else author
    words = [w for w in normalize_title(name).split() if w not in _PARTICLES] or [""]
    return words[-1]


def _distinctive(title: str) -> str:
    """The normalised title when it can tell papers apart (3 words or 15 characters), else ''."""
    norm = normalize_title(title)
    return norm if len(norm.split()) >= 3 or len(norm) >= 15 else ""


@dataclass(frozen=True, slots=True)
class Keys:
    """What identifies a paper; '' or None where unknown."""

    doi: str | None
    arxiv: str | None
    title: str  # normalised; '' when too short to tell papers apart
    author: str  # the first author's surname, normalised
    text: str = ""  # sha1 of the text: the same text is the same paper (one PDF in two files)


def _keys(title: str, doi: str | None, arxiv_id: str | None, authors: Iterable[str],
          text: str = "") -> Keys:
    first = next(iter(authors), "")
    text = "" if text == _EMPTY_SHA else text
    return Keys(normalize_doi(doi), normalize_arxiv(arxiv_id), _distinctive(title),
                surname(first) if first else "", text)


def text_sha(doc: PaperDoc) -> str:
    """sha1 of a document's text ('' for no text). A PDF's text holds its own title line; the
    other readers take the title out of the text, so there it is hashed with the text: two
    notes with one body under two titles are two papers."""
    text = doc.text
    if not text:
        return ""
    whole = text if doc.kind == "pdf" else f"{doc.title}\0{text}"
    return hashlib.sha1(whole.encode("utf-8", "surrogatepass")).hexdigest()


def doc_keys(doc: PaperDoc) -> Keys:
    """The keys of a document as a reader found it."""
    return _keys(doc.title, doc.doi, _own_arxiv(doc.kind, doc.arxiv_id), doc.authors,
                 text_sha(doc))


def _own_arxiv(kind: str, arxiv_id: str | None) -> str | None:
    """A listing's arXiv id is one its abstract mentions, maybe another paper's: not a key."""
    return None if kind == "listing" else arxiv_id


def meta_keys(meta: Mapping[str, Any]) -> Keys:
    """The keys of a stored paper, from its metadata (authors as a JSON list)."""
    try:
        authors = json.loads(str(meta.get("authors") or "[]"))
    except ValueError:
        authors = []
    arxiv = _own_arxiv(str(meta.get("kind", "")), str(meta.get("arxiv_id") or ""))
    return _keys(str(meta.get("title", "")), str(meta.get("doi") or ""), arxiv,
                 authors if isinstance(authors, list) else [],
                 str(meta.get("text_sha") or ""))


def conflicts(a: Keys, b: Keys) -> bool:
    """True when ``a`` and ``b`` cannot be one paper (different DOIs, arXiv ids or authors)."""
    return bool(
        (a.doi and b.doi and a.doi != b.doi)
        or (a.arxiv and b.arxiv and a.arxiv != b.arxiv)
        or (a.author and b.author and a.author != b.author)
    )


def _doi_differs(a: Keys, b: Keys) -> bool:
    return bool(a.doi and b.doi and a.doi != b.doi)


def _hashed(text: str) -> str:
    return "p" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:15]


def _id_of(keys: Keys, doc: PaperDoc) -> str:
    if keys.doi:
        return _hashed("doi:" + keys.doi)
    if keys.arxiv:
        return _hashed("arxiv:" + keys.arxiv)
    if keys.title and keys.author:
        return _hashed(f"{keys.title}\0{keys.author}")
    if keys.title:
        return _hashed(keys.title)
    return _hashed(f"{doc.source}\0{doc.text}")


def paper_id(doc: PaperDoc) -> str:
    """The id a new paper gets (see the module docstring)."""
    return _id_of(doc_keys(doc), doc)


class Identities:
    """The keys of the stored papers, to find the one a document is."""

    def __init__(self, known: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._keys: dict[str, Keys] = {}
        self._by_doi: dict[str, set[str]] = {}
        self._by_arxiv: dict[str, set[str]] = {}
        self._by_title: dict[str, set[str]] = {}
        self._by_text: dict[str, set[str]] = {}
        for pid, meta in (known or {}).items():
            self.add(pid, meta_keys(meta))

    def add(self, pid: str, keys: Keys) -> None:
        """Remember (or update) the keys of stored paper ``pid``."""
        self.remove(pid)
        self._keys[pid] = keys
        for index, key in self._indexed(keys):
            if key:
                index.setdefault(key, set()).add(pid)

    def _indexed(self, keys: Keys) -> list[tuple[dict[str, set[str]], str | None]]:
        return [(self._by_doi, keys.doi), (self._by_arxiv, keys.arxiv),
                (self._by_title, keys.title), (self._by_text, keys.text)]

    def remove(self, pid: str) -> None:
        old = self._keys.pop(pid, None)
        if old is None:
            return
        for index, key in self._indexed(old):
            if key and key in index:
                index[key].discard(pid)
                if not index[key]:
                    del index[key]

    def keys(self, pid: str) -> Keys | None:
        return self._keys.get(pid)

    def find(self, keys: Keys) -> str | None:
        """The stored paper these keys name, or None (a new paper, or no telling which).

        The same DOI is the same paper; so is the same arXiv id or the same text unless the
        DOIs differ; the same title is, unless any key conflicts (one such paper only)."""
        def first(pids: Iterable[str]) -> str | None:
            return min(pids, default=None)

        if keys.doi and (found := first(self._by_doi.get(keys.doi, ()))):
            return found
        for index, key in ((self._by_arxiv, keys.arxiv), (self._by_text, keys.text)):
            if key and (found := first(p for p in index.get(key, ())
                                       if not _doi_differs(self._keys[p], keys))):
                return found
        if not keys.title:
            return None
        fits = sorted(p for p in self._by_title.get(keys.title, ())
                      if not conflicts(self._keys[p], keys))
        if len(fits) > 1 and keys.author:  # several papers with this title: the one by this author
            fits = [p for p in fits if self._keys[p].author == keys.author] or fits
        return fits[0] if len(fits) == 1 else None

    def resolve(self, doc: PaperDoc) -> str:
        """The id of the stored paper ``doc`` is, else the id it gets as a new paper (never the
        id of a stored paper it conflicts with)."""
        keys = doc_keys(doc)
        found = self.find(keys)
        if found is not None:
            return found
        pid = _id_of(keys, doc)
        held = self._keys.get(pid)
        if held is not None and conflicts(held, keys):
            pid = _hashed(f"{doc.source}\0{keys.title}\0{doc.text}")
        return pid
