"""The library: store, keyword index, chunking, embedding, ingest pipeline, REF resolution.

:class:`Library` is the one object that owns them."""

from .library import Library

__all__ = ["Library"]
