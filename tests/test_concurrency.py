"""Several real processes on one embedded store: no corruption and no lost paper.

Two ingests at once queue on the writer lock (each says it waits). A process that keeps
the store open and asks questions (the TUI) while another ingests gets answers throughout,
waits at most one write step, and sees the new papers after the ingest; a process that opens
the store in the middle of an ingest does not damage the vector index (measured: without the
locks, it grew the index file without bound).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

from assistant import Assistant
from assistant.library.locking import store_lock
from tests.storecheck import (
    assert_complete,
    assert_vectors_intact,
    driver,
    driver_env,
    paper_files,
    seed_library,
)

ASKER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from assistant import Assistant
    store, stop = sys.argv[1], Path(sys.argv[2])
    a = Assistant(store=store)
    question = "What does quokkaspar remove from citation graphs?"
    while True:
        t = time.perf_counter()
        try:
            ans = a.ask(question)
            row = {"s": time.perf_counter() - t, "found": any(
                "quokkaspar" in (c.quote or "").lower() for c in ans.citations),
                "papers": len(a.papers())}
        except Exception as exc:
            row = {"error": f"{type(exc).__name__}: {exc}"}
        row["at"] = time.time()
        print(json.dumps(row), flush=True)
        if stop.exists():
            break
        time.sleep(0.05)
    """
)

QUOKKA = """# Graph Sparsification for Efficient Retrieval

We study sparsifiers that keep spectral properties of citation graphs. The method, called
quokkaspar, removes 80% of edges from citation graphs while keeping retrieval accuracy within
1.5 points.
"""


def test_two_ingests_at_once_queue_and_lose_nothing(tmp_path):
    store = tmp_path / "store"
    first, second = tmp_path / "a", tmp_path / "b"
    paper_files(first, 0, 14, listing=1)
    paper_files(second, 10, 14, listing=1)  # four papers in both folders
    expected = paper_files(tmp_path / "all", 0, 24, listing=1)
    with store_lock(store):  # both start while the store is busy, so they surely overlap
        procs = [subprocess.Popen(driver(store, folder), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=driver_env())
                 for folder in (first, second)]
        for p in procs:
            assert p.stderr is not None
            said = p.stderr.readline()
            assert "waiting: another process is writing to the store" in said, said
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0 and "finished" in out, err
    a = Assistant(store=store)
    assert_complete(a, expected)
    assert_vectors_intact(a)
    shared = [p for p in a.papers() if len(p.sources) == 2]
    assert len(shared) == 4


def test_open_reader_keeps_answering_during_an_ingest_and_sees_the_new_paper(tmp_path):
    store = tmp_path / "store"
    papers = tmp_path / "papers"
    n = paper_files(papers, 0, 16, listing=3)
    (papers / "008-quokka.md").write_text(QUOKKA)
    seeded = seed_library(Assistant(store=store), 1500)  # Chroma keeps its index on disk
    stop = tmp_path / "stop"
    asker = subprocess.Popen([sys.executable, "-c", ASKER, str(store), str(stop)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=driver_env())
    assert asker.stdout is not None
    json.loads(asker.stdout.readline())  # it is open and answering
    writer = subprocess.Popen(driver(store, papers), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=driver_env())
    assert writer.stdout is not None
    late = None
    for line in writer.stdout:
        if line.startswith("done") and late is None:
            # a second reader opens the store in the middle of the ingest
            late = subprocess.Popen([sys.executable, "-m", "assistant", "--store", str(store),
                                     "ask", "--json", "How are graphs sparsified?"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=driver_env())
        if line.startswith("finished"):
            break
    writer.wait(timeout=300)
    ended = time.time()
    assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
    assert late is not None
    out, err = late.communicate(timeout=300)
    assert late.returncode == 0 and json.loads(out)["answer"], err
    rows = []
    for line in asker.stdout:
        rows.append(json.loads(line))
        at = rows[-1].get("at", 0)
        if at > ended + 1 and rows[-1].get("found") or at > ended + 60:
            break
    stop.write_text("")
    asker.communicate(timeout=120)
    assert not [r for r in rows if "error" in r], rows
    assert rows[-1]["found"] and rows[-1]["papers"] == seeded + n + 1
    assert max(r["s"] for r in rows) < 20  # waits out write steps, never the whole ingest
    assert len(rows) >= 3
    a = Assistant(store=store)
    assert_complete(a, seeded + n + 1)
    assert_vectors_intact(a)


def test_a_process_opening_the_store_during_a_write_step_waits_for_it(tmp_path):
    from assistant.library.locking import data_lock

    store = tmp_path / "store"
    paper_files(tmp_path / "p", 0, 2)
    Assistant(store=store).ingest([tmp_path / "p"])
    with data_lock(store).exclusive():  # as a writer in the middle of a write step
        proc = subprocess.Popen([sys.executable, "-m", "assistant", "--store", str(store),
                                 "papers", "--json"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=driver_env())
        assert proc.stderr is not None
        said = proc.stderr.readline()  # blocks until it has something to say
        assert "waiting: the store at" in said and "is busy" in said, said
        time.sleep(0.5)
        assert proc.poll() is None  # still waiting: it has not opened Chroma
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and len(json.loads(out)) == 2, err
