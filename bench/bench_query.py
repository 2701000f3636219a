"""Query latency (retrieval + extractive answer) and peak memory at 10k, 100k and 1M chunks.

The store holds real text: the sample article, ingested normally with real vectors, plus
copies of the articles of ../shared/corpora (each copy a distinct source, so a distinct article
with its own chunks, lexical rows and vectors). Only the corpus vectors come from a cheaper
source: random unit vectors, written to Chroma for the chunks and to the embedding cache for
the sentences, through the catalog's own write calls. Questions are embedded by the real model
and answered by NewsService.ask, the path the CLI and Discord use.

    python bench/bench_query.py run --data-dir .cache/bench-query --sizes 10000 100000 1000000
    python bench/bench_query.py run --data-dir .cache/bench-query --sizes 100000 --server

`run` grows the store to each size (resuming an interrupted build), then measures in a fresh
process: once with embedded Chroma and, with --server, against `chroma run` on the same files.
Building and measuring never overlap, and building stops if the disk runs low. Do not open the
store from another process while a run is going on: embedded Chroma does not share its files.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Spinning OpenMP threads of the embedding engine lose their core on a shared machine and one
# query then takes seconds; sleeping waits keep it in tens of ms (BENCHMARKS.md, Scale).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from bot.service import NewsService  # noqa: E402
from bot.settings import Settings  # noqa: E402
from retrieval.articles import Article, Chunk  # noqa: E402
from retrieval.chunking import chunk_spans  # noqa: E402
from retrieval.embedding_cache import text_key  # noqa: E402
from retrieval.loading import LoadOptions, iter_articles  # noqa: E402
from retrieval.sentences import sentence_spans  # noqa: E402

SHARED = ROOT.parent / "shared"
CORPORA = [SHARED / "corpora" / "orangesum.fr.sample.jsonl", SHARED / "corpora" / "bbc.en.jsonl"]
SAMPLE = ROOT / "samples" / "coree-du-nord-russie-koursk.fr.txt"
BATCH_CHUNKS = 5000  # about Chroma's largest batch (5461)
# The machine is shared: stop building well before the disk fills (1M chunks need ~15 GB).
MIN_FREE_BYTES = 20 * 2**30

QUESTIONS = [
    "How many troops?",
    "Where are the North Korean soldiers deployed?",
    "Who cited US intelligence about the soldiers?",
    "What did Olivier Véran announce for hospital staff?",
    "How much did Time Warner profits rise?",
    "What happened to the euro against the dollar?",
    "Who won the election in Ukraine?",
    "How many people died in the floods?",
    "What did Emmanuel Macron say about pensions?",
    "Why did the company cut jobs?",
]


def require_shared() -> None:
    missing = [str(p) for p in CORPORA if not p.is_file()]
    if missing:
        print(f"skipped: needs the shared corpora beside the checkout ({', '.join(missing)})")
        sys.exit(0)


def settings(data_dir: Path, chroma_url: str | None = None) -> Settings:
    return Settings(data_dir=data_dir, chroma_url=chroma_url)


def base_articles() -> list[tuple[Article, list[tuple[int, int]]]]:
    """Every corpus article with its chunk spans (by characters: the copies skip the tokenizer)."""
    articles = []
    for item in iter_articles([str(p) for p in CORPORA], LoadOptions()):
        if isinstance(item, Article):
            articles.append((item, chunk_spans(item.text)))
    return articles


def copies(
    base: list[tuple[Article, list[tuple[int, int]]]], start: int
) -> Iterator[tuple[Article, list[Chunk]]]:
    """Copy n of article i is number n * len(base) + i; dates spread over ten years."""
    rng = random.Random(start)
    number = start
    while True:
        round_, index = divmod(number, len(base))
        original, spans = base[index]
        day = rng.randrange(3650)
        article = Article(
            text=original.text,
            source=f"{original.source}~{round_}",
            title=original.title,
            url=original.url,
            date=time.strftime("%Y-%m-%d", time.gmtime(1420070400 + day * 86400)),
            lang=original.lang,
        )
        chunks = [Chunk(article.id, i, s, e, article.text[s:e]) for i, (s, e) in enumerate(spans)]
        yield article, chunks
        number += 1


def unit_vectors(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def build(data_dir: Path, target_chunks: int) -> int:
    """Grow the store to at least `target_chunks` chunks; returns the chunk count."""
    service = NewsService(settings(data_dir))
    store = service.store()
    catalog = store.catalog
    if catalog.get_meta("bench_sample") is None:
        report = service.ingest([str(SAMPLE)])
        assert report.count("added") == 1, report.items
        catalog.set_meta("bench_sample", "1")
    count = catalog.chunk_count()
    if count >= target_chunks:
        service.close()
        return count
    embeddings = service.embeddings
    dim = embeddings.dim
    made = int(catalog.get_meta("bench_copies") or 0)
    base = base_articles()
    rng = np.random.default_rng(made)
    seeded = catalog.get_meta("bench_sentences_seeded") == "1"
    if not seeded:
        # One vector per distinct sentence text, shared by every copy, as the cache would.
        texts = {
            text_key(a.text[s:e]): a.text[s:e]
            for a, spans in base
            for cs, ce in spans
            for s, e in sentence_spans(a.text, cs, ce)
        }
        keys = list(texts)
        for i in range(0, len(keys), 10000):
            part = keys[i : i + 10000]
            vectors = unit_vectors(rng, len(part), dim)
            embeddings.cache.put(embeddings.model_id, list(zip(part, vectors, strict=True)))
        catalog.set_meta("bench_sentences_seeded", "1")
    collection = store.vectors.collection
    started = time.perf_counter()
    batch: list[tuple[Article, list[Chunk]]] = []
    batch_chunks = 0
    for article, chunks in copies(base, made):
        batch.append((article, chunks))
        batch_chunks += len(chunks)
        if batch_chunks < min(BATCH_CHUNKS, target_chunks - count):
            continue
        # The store's write order: pending in the catalog, vectors, then ready with BM25 rows.
        catalog.begin(batch)
        all_chunks = [c for _, cs in batch for c in cs]
        collection.upsert(
            ids=[c.id for c in all_chunks],
            embeddings=unit_vectors(rng, len(all_chunks), dim),
            documents=[c.text for c in all_chunks],
            metadatas=[_metadata(a, c) for a, cs in batch for c in cs],
        )
        catalog.finish([a.id for a, _ in batch], [])
        made += len(batch)
        count += batch_chunks
        catalog.set_meta("bench_copies", str(made))
        elapsed = time.perf_counter() - started
        print(f"  built {count} chunks ({elapsed:.0f} s)", flush=True)
        free = shutil.disk_usage(data_dir).free
        if free < MIN_FREE_BYTES:
            print(f"  stopped: only {free / 2**30:.1f} GiB left on the disk", flush=True)
            break
        batch, batch_chunks = [], 0
        if count >= target_chunks:
            break
    service.close()
    return count


def _metadata(article: Article, chunk: Chunk) -> dict:
    metadata = {
        "article_id": article.id,
        "source": article.source,
        "title": article.title,
        "url": article.url,
        "date": article.date,
        "lang": article.lang,
        "start": chunk.start,
        "end": chunk.end,
        # As the store writes it: Chroma filters compare numbers only.
        "date_num": int(article.date.replace("-", "")) if article.date else 0,
    }
    return {k: v for k, v in metadata.items() if v is not None}


def measure(data_dir: Path, queries: int, chroma_url: str | None) -> dict:
    """Ask `queries` questions after a warm-up; latency percentiles and this process's peak RSS."""
    service = NewsService(settings(data_dir, chroma_url))
    started = time.perf_counter()
    service.store()
    open_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    first = service.ask(QUESTIONS[0])
    open_s = time.perf_counter() - started
    answer_ok = not first.abstained and "8000" in first.citations[0].quote
    for question in QUESTIONS[:3]:
        service.ask(question)
    latencies, parts = [], {}
    for i in range(queries):
        question = QUESTIONS[i % len(QUESTIONS)]
        started = time.perf_counter()
        answer = service.ask(question)
        latencies.append((time.perf_counter() - started) * 1000)
        for key, value in answer.timings_ms.items():
            parts.setdefault(key, []).append(value)
    latencies.sort()
    store = service.store()
    return {
        "chunks": store.catalog.chunk_count(),
        "mode": "server" if chroma_url else "embedded",
        "queries": queries,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "max_ms": round(latencies[-1], 1),
        "median_parts_ms": {k: round(statistics.median(v), 1) for k, v in parts.items()},
        "first_query_s": round(open_s, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "answer_ok": answer_ok,
        "rss_after_open_mb": round(open_rss / 1024),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def measure_in_subprocess(data_dir: Path, queries: int, chroma_url: str | None) -> dict:
    command = [sys.executable, __file__, "query", "--data-dir", str(data_dir)]
    command += ["--queries", str(queries)]
    if chroma_url:
        command += ["--chroma-url", chroma_url]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def peak_rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def with_server(data_dir: Path, queries: int) -> dict:
    """The same measurement against `chroma run` serving the store's own Chroma files."""
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    chroma = Path(sys.executable).parent / "chroma"
    command = [str(chroma), "run", "--path", str(data_dir / "chroma"), "--host", "127.0.0.1"]
    with open(data_dir / "chroma-server.log", "wb") as log:
        server = subprocess.Popen([*command, "--port", str(port)], stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            result = measure_in_subprocess(data_dir, queries, url)
            result["server_peak_rss_mb"] = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=60)
    return result


def disk_mb(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) // 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="build to each size and measure")
    run.add_argument("--data-dir", type=Path, required=True)
    run.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    run.add_argument("--queries", type=int, default=60)
    run.add_argument("--server", action="store_true", help="also measure via chroma run")
    run.add_argument("--results", type=Path, help="append one JSON line per measurement")
    grow = sub.add_parser("build", help="grow the store in this process (used by run)")
    grow.add_argument("--data-dir", type=Path, required=True)
    grow.add_argument("--chunks", type=int, required=True)
    query = sub.add_parser("query", help="measure in this process (used by run)")
    query.add_argument("--data-dir", type=Path, required=True)
    query.add_argument("--queries", type=int, default=60)
    query.add_argument("--chroma-url")
    args = parser.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.command == "query":
        print(json.dumps(measure(args.data_dir, args.queries, args.chroma_url)))
        return
    require_shared()
    if args.command == "build":
        build(args.data_dir, args.chunks)
        return
    for size in sorted(args.sizes):
        started = time.perf_counter()
        # Each step in its own process, never two at once: an embedded Chroma directory opened
        # by two processes (or by a process and a server) gets its index files overwritten.
        command = [sys.executable, __file__, "build", "--data-dir", str(args.data_dir)]
        subprocess.run([*command, "--chunks", str(size)], check=True)
        print(f"store: {size} chunks ({time.perf_counter() - started:.0f} s to build this step)")
        results = [measure_in_subprocess(args.data_dir, args.queries, None)]
        if args.server:
            results.append(with_server(args.data_dir, args.queries))
        for result in results:
            result["target"] = size
            result["disk_mb"] = disk_mb(args.data_dir)
            print(json.dumps(result), flush=True)
            if args.results:
                with args.results.open("a") as f:
                    f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
