"""Scale: synthetic libraries of 1k, 10k, 100k (and 1M) chunks; prints Markdown tables.

    .venv/bin/python benchmarks/scale.py [--sizes 1000,10000,100000] [--server] [--work DIR]
        [--keep] [--questions N]

Text: chunks are runs of sentences from the sample papers (examples/papers), papers get a real
title plus a variant number, 6-40 chunks each. Vectors: ~2,000 real sentences are embedded once
with the real model (cached in the work folder); a chunk's vector is the normalised mean of its
sentences' vectors plus a little noise, and the pipeline's embedder does the same by hash of
the text, so the benchmark measures the store, not the model. The question vectors come from
the real model (ask() below includes embedding the question).

Each size runs in its own processes: build (bulk writes of 40 papers per step, as ingesting a
listing of abstracts does), ask (a fresh process: open time, warm latency, peak memory) and
change (adding one paper through the real ingest pipeline, re-ingesting a changed one, the
keyword-index share, another process catching up, and pipeline throughput on 40 files).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

PAPERS = ROOT / "examples" / "papers"
QUESTION_FILES = [ROOT / "tests/data/dev_questions.json", ROOT / "tests/data/extra_questions.json"]
POOL = 2000  # sentences embedded with the real model
CHUNK_CHARS = 900  # ~200 model tokens
BULK_PAPERS = 40


# --- the synthetic corpus ------------------------------------------------------------------------
def corpus(work: Path) -> dict:
    """Sample papers' titles and sentences, with a vector per sentence (cached)."""
    cache = work / "corpus.npz"
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        meta = json.loads(z["meta"].tobytes())
        return {**meta, "vectors": z["vectors"]}
    from assistant.answering.sentences import split_sentences
    from assistant.config import load_settings
    from assistant.ingest import iter_sources, read_file
    from assistant.library.embedding import make_embedder

    papers = []
    for src in iter_sources([PAPERS]):
        for doc in read_file(src, max_bytes=1 << 30).papers:
            sents = [s.strip() for s in split_sentences(doc.text) if 40 <= len(s.strip()) <= 400]
            if sents:
                papers.append((doc.title, sents))
    sentences = sorted({s for _, ss in papers for s in ss})
    index = {s: i for i, s in enumerate(sentences)}
    rng = random.Random(1)
    chosen = sorted(rng.sample(range(len(sentences)), min(POOL, len(sentences))))
    embedder = make_embedder(load_settings(None).embedding)
    t = time.perf_counter()
    pool = np.concatenate([embedder.embed([sentences[i] for i in chosen[s:s + 64]])
                           for s in range(0, len(chosen), 64)])
    print(f"embedded {len(chosen)} sentences in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    vectors = np.zeros((len(sentences), pool.shape[1]), dtype=np.float32)
    vectors[chosen] = pool
    others = [i for i in range(len(sentences)) if i not in set(chosen)]
    nrng = np.random.default_rng(1)
    for i in others:  # reuse a pooled vector, perturbed
        v = pool[nrng.integers(len(pool))] + nrng.normal(0, 0.02, pool.shape[1])
        vectors[i] = v / np.linalg.norm(v)
    meta = {"titles": [t for t, _ in papers], "sentences": sentences,
            "paper_sentences": [[index[s] for s in ss] for _, ss in papers]}
    work.mkdir(parents=True, exist_ok=True)
    np.savez(cache, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
             vectors=vectors)
    return {**meta, "vectors": vectors}


def synthetic_paper(c: dict, rng: random.Random, n: int) -> tuple[str, list[list[int]]]:
    """A title and chunks (lists of sentence ids): runs from one source paper and others."""
    src = rng.randrange(len(c["titles"]))
    title = f"{c['titles'][src]} (variant {n})"
    chunks = []
    for j in range(rng.randint(6, 40)):
        pick = src if j % 3 == 0 else rng.randrange(len(c["titles"]))
        sents = c["paper_sentences"][pick]
        start = rng.randrange(len(sents))
        run, size = [], 0
        for sid in (sents + sents)[start:]:
            run.append(sid)
            size += len(c["sentences"][sid]) + 1
            if size >= CHUNK_CHARS or len(run) >= len(sents):
                break
        chunks.append(run)
    return title, chunks


def chunk_vector(c: dict, sids: list[int], rng: np.random.Generator) -> np.ndarray:
    v = c["vectors"][sids].mean(axis=0) + rng.normal(0, 0.01, c["vectors"].shape[1])
    return (v / np.linalg.norm(v)).astype(np.float32)


class ReuseEmbedder:
    """The real model's name and tokenizer; vectors from the pool, chosen by hash of the text."""

    def __init__(self, real, c: dict) -> None:
        self.name, self.dim, self.tokenizer = real.name, real.dim, real.tokenizer
        self._pool = c["vectors"]

    def embed(self, texts: list[str]) -> np.ndarray:
        out = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "little")
            rng = np.random.default_rng(seed)
            v = self._pool[rng.integers(len(self._pool), size=6)].mean(axis=0)
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, dtype=np.float32)


def paper_markdown(c: dict, title: str, chunks: list[list[int]]) -> str:
    parts = [f"# {title}\n"]
    for j, sids in enumerate(chunks):
        if j % 5 == 0:
            parts.append(f"\n## Section {j // 5 + 1}\n")
        parts.append(" ".join(c["sentences"][s] for s in sids) + "\n")
    return "\n".join(parts)


# --- steps (each in its own process) ------------------------------------------------------
def assistant_for(folder: Path, c: dict | None = None):
    from assistant import Assistant
    from assistant.config import EmbeddingSettings
    from assistant.library.embedding import make_embedder

    if c is None:
        return Assistant(store=folder)
    return Assistant(store=folder, embedder=ReuseEmbedder(make_embedder(EmbeddingSettings()), c))


def step_build(folder: Path, size: int, work: Path) -> dict:
    """Bulk-write ``size`` chunks through Store.write_papers (and file records)."""
    from assistant.library.ingestor import paper_meta
    from assistant.types import Block, Chunk, PaperDoc

    c = corpus(work)
    a = assistant_for(folder)
    store = a.library.store
    rng, nrng = random.Random(size), np.random.default_rng(size)
    written, n, batch, files = 0, 0, [], []
    t0 = time.perf_counter()
    write_time = 0.0
    while written < size:
        title, chunks = synthetic_paper(c, rng, n)
        chunks = chunks[: size - written]
        pid = f"s{n:07d}"
        texts = [" ".join(c["sentences"][s] for s in sids) for sids in chunks]
        doc = PaperDoc(title=title, blocks=[Block(t) for t in texts], source=f"/synthetic/{pid}.md",
                       kind="markdown")
        objs = [Chunk(f"{pid}:{j:04d}", pid, t, j, None, None, 0, len(t))
                for j, t in enumerate(texts)]
        vectors = np.stack([chunk_vector(c, sids, nrng) for sids in chunks])
        batch.append((paper_meta(pid, doc, [doc.source], len(objs)), objs, vectors))
        files.append((doc.source, pid))
        written += len(objs)
        n += 1
        if len(batch) >= BULK_PAPERS or written >= size:
            t = time.perf_counter()
            store.write_papers(batch)
            with store.writing():
                store.files.upsert(ids=[f for f, _ in files], embeddings=[[1.0]] * len(files),
                                   metadatas=[{"sha256": "-", "paper_ids": json.dumps([p])}
                                              for _, p in files])
            write_time += time.perf_counter() - t
            batch, files = [], []
    total = time.perf_counter() - t0
    return {"chunks": store.count_chunks(), "papers": n, "build_s": total,
            "write_s": write_time, "rate": size / write_time,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def questions(limit: int | None) -> list[str]:
    qs = [q["question"] for f in QUESTION_FILES for q in json.loads(f.read_text())]
    return qs[:limit] if limit else qs


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def step_ask(folder: Path, limit: int | None) -> dict:
    """Open, first question, then warm ask() latency (extractive) over the question files."""
    t = time.perf_counter()
    a = assistant_for(folder)
    a.library.embedder.embed(["warm the model"])
    a.library.store.count_chunks()
    opened = time.perf_counter() - t
    t = time.perf_counter()
    a.ask("How are large language models evaluated?")
    first = time.perf_counter() - t
    asks, retr, emb = [], [], []
    retriever = a.reader.retriever
    for q in questions(limit):
        t = time.perf_counter()
        a.ask(q, llm="extractive")
        asks.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        a.library.embedder.embed([q])
        emb.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        retriever.retrieve(q)
        retr.append((time.perf_counter() - t) * 1000)
    return {"open_s": opened, "first_ask_s": first, "ask_p50": statistics.median(asks),
            "ask_p95": pct(asks, 0.95), "retrieve_p50": statistics.median(retr),
            "embed_p50": statistics.median(emb), "n_questions": len(asks),
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "keyword_dir": str(a.library.store.keyword.folder)}


READER = """
import json, sys, time
sys.path.insert(0, {root!r})
from assistant import Assistant
a = Assistant(store={folder!r})
a.ask("How are large language models evaluated?")
print("ready", flush=True)
sys.stdin.readline()
t = time.perf_counter(); a.ask("How are graph neural networks trained?")
first = time.perf_counter() - t
t = time.perf_counter(); a.ask("How are graph neural networks trained?")
print(json.dumps({{"catch_up_ask_s": first, "steady_ask_s": time.perf_counter() - t}}), flush=True)
"""


def step_change(folder: Path, work: Path) -> dict:
    """Add one paper, re-ingest it changed, and ingest 40 files, through the real pipeline."""
    from assistant.library.keyword import KeywordIndex
    from assistant.types import Block, PaperDoc

    c = corpus(work)
    a = assistant_for(folder, c)
    a.papers()
    a.library.store.sync_keyword_index()
    warm = PaperDoc("Warm up", [Block("The chunker loads. Once.")], "", "text")
    a.library.chunker.chunk("warm", warm)
    rng = random.Random(7)
    base = 10**9 + time.time_ns() % 10**9  # new titles, even on a kept library
    src = work / f"new-{folder.name}-{time.time_ns()}"  # new files, even on a kept library
    src.mkdir(parents=True)
    kw_times: list[float] = []
    apply = KeywordIndex.apply

    def timed(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return apply(self, *args, **kwargs)
        finally:
            kw_times.append(time.perf_counter() - t)

    KeywordIndex.apply = timed  # type: ignore[method-assign]
    reader = subprocess.Popen([sys.executable, "-c", READER.format(root=str(ROOT),
                                                                     folder=str(folder))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert reader.stdout is not None and reader.stdin is not None
    reader.stdout.readline()

    title, chunks = synthetic_paper(c, rng, base)
    one = src / "one.md"
    one.write_text(paper_markdown(c, title, chunks))
    t = time.perf_counter()
    report = a.ingest([one])
    first_s = time.perf_counter() - t  # includes Chroma loading its index writers
    reader.stdin.write("go\n")
    reader.stdin.flush()
    caught = json.loads(reader.stdout.readline())
    reader.wait(timeout=60)
    assert len(report.added) == 1, report

    title, chunks = synthetic_paper(c, rng, base + 1)
    two = src / "two.md"
    two.write_text(paper_markdown(c, title, chunks))
    kw_times.clear()
    t = time.perf_counter()
    report = a.ingest([two])
    add_s = time.perf_counter() - t
    add_kw = sum(kw_times)
    assert len(report.added) == 1, report

    one.write_text(paper_markdown(c, title, chunks[: len(chunks) // 2] + chunks[:2]))
    kw_times.clear()
    t = time.perf_counter()
    report = a.ingest([one])
    update_s = time.perf_counter() - t
    update_kw = sum(kw_times)
    assert len(report.updated) == 1, report

    many = src / "many"
    many.mkdir()
    n_chunks = 0
    for i in range(40):
        title, chunks = synthetic_paper(c, rng, base + 2 + i)
        (many / f"{i:02d}.md").write_text(paper_markdown(c, title, chunks))
    t = time.perf_counter()
    report = a.ingest([many])
    many_s = time.perf_counter() - t
    n_chunks = report.chunks_added
    shutil.rmtree(src, ignore_errors=True)
    return {"first_add_s": first_s, "add_one_s": add_s, "add_one_kw_s": add_kw,
            "update_one_s": update_s,
            "update_one_kw_s": update_kw, **caught, "pipeline_rate": n_chunks / many_s,
            "pipeline_chunks": n_chunks}


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


# --- driver ---------------------------------------------------------------------------------
def run_step(args: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                         env=env)
    if out.returncode:
        sys.exit(f"step {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_server(work: Path, size: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    log = open(work / "chroma-server.log", "w")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen([chroma, "run", "--path", str(work / f"server-db-{size}"), "--host",
                             "127.0.0.1", "--port", str(port)], stdout=log, stderr=log)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}"


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    lines = [f"\n### {title}\n", "| " + " | ".join(header) + " |",
             "|" + "|".join("---:" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def report(results: list[dict], mode: str) -> str:
    def f(v: float, d: int = 0) -> str:
        return f"{v:,.{d}f}"

    base = results[0]
    out = [table(f"Build, disk and memory ({mode})",
                 ["chunks", "papers", "bulk write chunks/s", "pipeline chunks/s (no model)",
                  "disk MiB (chroma)", "disk MiB (keyword)", "peak RSS MiB (ask process)"],
                 [[f(r["chunks"]), f(r["papers"]), f(r["rate"]), f(r["pipeline_rate"]),
                   f(r["disk_chroma"] / 2**20), f(r["disk_keyword"] / 2**20, 1),
                   f(r["rss_mib"])] for r in results]),
           table(f"ask() without LLM, warm ({mode}; {base['n_questions']} questions)",
                 ["chunks", "ask p50 ms", "ask p95 ms", "retrieve p50 ms (incl. embedding)",
                  "question embedding p50 ms", "open s", "first ask s"],
                 [[f(r["chunks"]), f(r["ask_p50"], 1), f(r["ask_p95"], 1),
                   f(r["retrieve_p50"], 1), f(r["embed_p50"], 1), f(r["open_s"], 2),
                   f(r["first_ask_s"], 2)] for r in results]),
           table(f"Changing one paper in place ({mode}; embedding reused, so ~0)",
                 ["chunks", "first add in a process s", "add one paper s",
                  "of which keyword index ms", "re-ingest changed paper s",
                  "of which keyword index ms", "other process: first ask after change s",
                  "its next ask s"],
                 [[f(r["chunks"]), f(r["first_add_s"], 2), f(r["add_one_s"], 2),
                   f(r["add_one_kw_s"] * 1000, 1), f(r["update_one_s"], 2),
                   f(r["update_one_kw_s"] * 1000, 1), f(r["catch_up_ask_s"], 2),
                   f(r["steady_ask_s"], 3)] for r in results])]
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1000,10000,100000")
    p.add_argument("--server", action="store_true", help="use a `chroma run` server store")
    p.add_argument("--work", default=str(Path(os.environ.get("TMPDIR", "/tmp")) / "scale-bench"))
    p.add_argument("--keep", action="store_true", help="reuse libraries built before")
    p.add_argument("--questions", type=int, default=0, help="limit the questions asked")
    p.add_argument("--step", help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    work = Path(args.work)
    if args.step:
        folder = Path(args.folder)
        result = {"build": lambda: step_build(folder, args.size, work),
                  "ask": lambda: step_ask(folder, args.questions or None),
                  "change": lambda: step_change(folder, work)}[args.step]()
        print(json.dumps(result))
        return
    work.mkdir(parents=True, exist_ok=True)
    corpus(work)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["XDG_CACHE_HOME"] = str(work / "cache")  # a server library's cache: not the user's
    server = None
    results = []
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            if args.server:  # one server per size, so its folder measures that library
                if server is not None:
                    server.terminate()
                    server.wait(timeout=30)
                shutil.rmtree(work / f"server-db-{size}", ignore_errors=True)
                server, env["ASSISTANT_STORE_URL"] = start_server(work, size)
            folder = work / f"{'server' if server else 'lib'}-{size}"
            env["ASSISTANT_STORE_NAME"] = f"scale{size}"
            common = ["--work", str(work), "--folder", str(folder), "--size", str(size),
                      "--questions", str(args.questions)]
            if not (args.keep and folder.exists()):
                shutil.rmtree(folder, ignore_errors=True)
                built = run_step(["--step", "build", *common], env)
            else:
                built = {"chunks": size, "papers": 0, "rate": float("nan")}
            asked = run_step(["--step", "ask", *common], env)
            changed = run_step(["--step", "change", *common], env)
            chroma_dir = folder / "chroma" if not server else work / f"server-db-{size}"
            row = {**built, **asked, **changed, "size": size, "disk_chroma": du(chroma_dir),
                   "disk_keyword": du(Path(asked["keyword_dir"]))}
            results.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    print(report(results, "server" if server else "embedded"))


if __name__ == "__main__":
    main()
