"""Query latency on an existing store: first-time questions (sentences not yet embedded) and again.

    python bench/bench_query_store.py --data-dir DIR --questions 40

Since issue 13 ingest embeds chunk texts only, and a chunk's sentences are embedded the first
time a question retrieves it. This asks N questions in a fresh process (each a title of an
article of ../shared/corpora/orangesum.fr.sample.jsonl spread over the file, so most retrieve
chunks no question retrieved before), then the same N again (their sentences now cached), and
prints p50/p95 of both passes plus this process's peak RSS.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from bot.service import NewsService  # noqa: E402
from bot.settings import Settings  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "orangesum.fr.sample.jsonl"


def titles(corpus: Path, count: int) -> list[str]:
    with corpus.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    step = max(1, len(rows) // count)
    return [row["title"] for row in itertools.islice(rows[::step], count)]


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"p50 {statistics.median(ordered):7.0f} ms   p95 {p95:7.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    service = NewsService(Settings(data_dir=args.data_dir))
    store = service.store()
    print(
        f"{store.catalog.ready_count():,} articles, {store.catalog.chunk_count():,} chunks; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    service.warm_up()
    questions = titles(args.corpus, args.questions)
    passes: dict[str, list[float]] = {"first time": [], "again": []}
    embedded: dict[str, int] = {}
    for name, latencies in passes.items():
        before = service.embeddings.embedded_count
        for question in questions:
            started = time.perf_counter()
            service.ask(question)
            latencies.append((time.perf_counter() - started) * 1000)
        embedded[name] = service.embeddings.embedded_count - before
    for name, latencies in passes.items():
        print(
            f"{name:10s}: {percentiles(latencies)}   "
            f"({embedded[name] / len(questions):.1f} sentences embedded per question)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB; load average after {os.getloadavg()[0]:.1f}")
    service.close()


if __name__ == "__main__":
    main()
