"""The OpenAI-compatible embedder against a real HTTP endpoint on 127.0.0.1 (the fake server's
/embeddings route): batching, the key, normalisation, failures as one line, and a library
built and searched with it."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import Assistant
from assistant.config import load_settings
from assistant.errors import EmbeddingError
from assistant.library.embedding import OpenAIEmbedder
from tests.fake_openai_server import EMBEDDING_DIM, error, fake_vector

TEXTS = ["graph sparsification keeps spectral properties", "quokkaspar removes edges",
         "a wombat digs burrows", "burrows of wombats", "citation graphs"]


def test_embeds_in_batches_with_the_named_key_and_unit_rows(fake_openai_server, monkeypatch):
    monkeypatch.setenv("MY_EMBED_KEY", "sk-embed-test")
    embedder = OpenAIEmbedder("fake-embed", fake_openai_server.base_url,
                              api_key_env="MY_EMBED_KEY", batch_size=2)
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (5, EMBEDDING_DIM) and vectors.dtype == np.float32
    assert embedder.dim == EMBEDDING_DIM and embedder.name == "openai:fake-embed"
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(vectors, [fake_vector(t) for t in TEXTS], atol=1e-6)
    requests = fake_openai_server.requests
    assert [r.body["input"] for r in requests] == [TEXTS[0:2], TEXTS[2:4], TEXTS[4:5]]
    assert {r.body["model"] for r in requests} == {"fake-embed"}
    assert {r.headers["Authorization"] for r in requests} == {"Bearer sk-embed-test"}
    assert all(r.path == "/v1/embeddings" for r in requests)


def test_endpoint_from_the_environment(fake_openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai_server.base_url)
    vectors = OpenAIEmbedder("fake-embed").embed(["one text"])
    assert vectors.shape == (1, EMBEDDING_DIM) and len(fake_openai_server.requests) == 1


def test_a_refused_key_is_one_line_without_the_key(fake_openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    fake_openai_server.script(error(401, "bad key sk-secret-value"))
    with pytest.raises(EmbeddingError) as err:
        OpenAIEmbedder("fake-embed", fake_openai_server.base_url).embed(TEXTS)
    message = str(err.value)
    assert "\n" not in message and "sk-secret" not in message
    assert "embedding endpoint failed" in message


NOTES = {
    "sparse.md": "# Graph Sparsification\n\nQuokkaspar removes 80% of edges from citation "
                 "graphs while keeping spectral properties.\n",
    "wombat.md": "# Wombat Burrows\n\nWombats dig long burrows with several entrances and "
                 "sleep there during the day.\n",
}


def test_a_library_built_and_searched_with_endpoint_vectors(fake_openai_server, tmp_path):
    folder = tmp_path / "papers"
    folder.mkdir()
    for name, text in NOTES.items():
        (folder / name).write_text(text)
    settings = load_settings(None, store={"path": str(tmp_path / "store")},
                             embedding={"provider": "openai", "model": "fake-embed",
                                        "base_url": fake_openai_server.base_url})
    a = Assistant(settings=settings)
    report = a.ingest([folder])
    assert not report.failed and report.papers_total == 2
    assert a.library.store.signature["embedding"] == "openai:fake-embed"
    ingest_calls = len(fake_openai_server.requests)
    assert ingest_calls >= 1

    again = Assistant(settings=settings)  # a new process's view: same signature, no refusal
    hits = again.reader.retrieve("where do wombats sleep in burrows").passages
    assert hits and hits[0].title == "Wombat Burrows"
    # the question, embedded by the endpoint
    assert len(fake_openai_server.requests) == ingest_calls + 1
    assert again.ask("How many edges does quokkaspar remove?").citations[0].title == (
        "Graph Sparsification")

    # The embedder knows its dimension now; a store rebuilt by it stays open to new processes,
    # whose embedder learns it only at its first call.
    assert again.library.embedder.dim == EMBEDDING_DIM
    assert again.reindex().papers_total == 2
    assert len(Assistant(settings=settings).papers()) == 2
