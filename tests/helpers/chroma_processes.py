"""Reproduce what embedded Chroma does with several processes, without any newsbot code.

    python -m tests.helpers.chroma_processes writers DIR [N_WRITERS] [VECTORS_EACH]
        N processes add vectors to one collection at once; then a fresh process counts
        the vectors that a query with their own embedding no longer finds.
    python -m tests.helpers.chroma_processes stale-reader DIR
        a process keeps its client open while another adds 2,000 vectors; how many of
        them can the first one find?

The numbers are in RELIABILITY.md; they are why retrieval/write_lock.py exists.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings

MODULE = "tests.helpers.chroma_processes"
COLLECTION = "multiprocess"
DIM = 64
# Persist the index every 100 additions (the default is 1,000) so that a few thousand
# vectors show what tens of thousands show with the defaults.
METADATA = {"hnsw:space": "cosine", "hnsw:sync_threshold": 100, "hnsw:batch_size": 50}


def _collection(path: Path) -> chromadb.Collection:
    client = chromadb.PersistentClient(str(path), Settings(anonymized_telemetry=False))
    return client.get_or_create_collection(COLLECTION, metadata=METADATA)


def _vectors(tag: str, count: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(sum(map(ord, tag)))
    return [f"{tag}-{i}" for i in range(count)], rng.normal(size=(count, DIM)).astype("float32")


def add(path: Path, tag: str, count: int) -> None:
    collection = _collection(path)
    ids, vectors = _vectors(tag, count)
    for i in range(0, count, 10):
        collection.add(ids=ids[i : i + 10], embeddings=vectors[i : i + 10].tolist())


def misses(collection: chromadb.Collection, tags: list[str], count: int) -> int:
    missed = 0
    for tag in tags:
        ids, vectors = _vectors(tag, count)
        found = collection.query(query_embeddings=vectors.tolist(), n_results=1)["ids"]
        missed += sum(1 for want, got in zip(ids, found, strict=True) if got[:1] != [want])
    return missed


def writers(path: Path, n: int, count: int) -> None:
    tags = [f"w{i}" for i in range(n)]
    procs = [
        subprocess.Popen([sys.executable, "-m", MODULE, "add", str(path), tag, str(count)])
        for tag in tags
    ]
    for proc in procs:
        proc.wait()
    check = subprocess.run(
        [sys.executable, "-m", MODULE, "check", str(path), ",".join(tags), str(count)]
    )
    if check.returncode:
        print(f"the check process died with exit code {check.returncode}")


def stale_reader(path: Path) -> None:
    collection = _collection(path)
    collection.add(ids=["seed"], embeddings=[[1.0] * DIM])
    collection.query(query_embeddings=[[1.0] * DIM], n_results=1)  # loads the index
    subprocess.run([sys.executable, "-m", MODULE, "add", str(path), "other", "2000"], check=True)
    print(f"count {collection.count()}, missed {misses(collection, ['other'], 2000)} of 2000")


def main(argv: list[str]) -> None:
    command, path = argv[0], Path(argv[1])
    if command == "writers":
        writers(path, int(argv[2]) if len(argv) > 2 else 2, int(argv[3]) if len(argv) > 3 else 1500)
    elif command == "stale-reader":
        stale_reader(path)
    elif command == "add":
        add(path, argv[2], int(argv[3]))
    elif command == "check":
        tags, count = argv[2].split(","), int(argv[3])
        collection = _collection(path)
        total = len(tags) * count
        print(f"count {collection.count()}, missed {misses(collection, tags, count)} of {total}")


if __name__ == "__main__":
    main(sys.argv[1:])
