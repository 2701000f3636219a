"""Issue-2 numbers: demo answers, cross-lingual recall vs dense-only, cold start, re-ingest speed.

Run: .venv/bin/python bench/bench_core.py   (needs ../shared for the XQuAD and corpus parts)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.service import NewsService  # noqa: E402
from bot.settings import Settings  # noqa: E402
from retrieval.articles import Article  # noqa: E402
from retrieval.search import search_hybrid  # noqa: E402

SHARED = ROOT.parent / "shared"
SAMPLE = ROOT / "samples" / "coree-du-nord-russie-koursk.fr.txt"
DEMO = [
    ("How many troops?", "8000"),
    ("Who is North Korea's foreign minister?", "Choe Son Hui"),
    ("How much ground did the Russian army gain in October?", "500 km2"),
    ("Who won the 2022 football World Cup?", None),
]


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    return path


def bench_demo(work: Path) -> None:
    service = NewsService(Settings(data_dir=fresh(work / "demo")))
    service.ingest([str(SAMPLE)])
    print("## Demo questions on the sample article")
    for question, fragment in DEMO:
        answer = service.ask(question)
        if fragment is None:
            ok = answer.abstained
        else:
            ok = not answer.abstained and fragment in answer.citations[0].quote
        quote = "(abstained)" if answer.abstained else answer.citations[0].quote[:70]
        print(f"- {'OK  ' if ok else 'FAIL'} {question} -> {quote}")

    runs = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(
            [
                str(ROOT / ".venv/bin/newsbot"),
                "ask",
                "How many troops?",
                "--data-dir",
                str(work / "demo"),
            ],
            check=True,
            capture_output=True,
        )
        runs.append(time.perf_counter() - started)
    print(
        f"- cold start `newsbot ask` (new process): median {statistics.median(runs):.2f} s, "
        f"max {max(runs):.2f} s over {len(runs)} runs"
    )


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def bench_xquad(work: Path, limit: int | None) -> None:
    contexts = read_jsonl(SHARED / "eval/xquad/de.contexts.jsonl")
    questions = read_jsonl(SHARED / "eval/xquad/en.jsonl")
    if limit:
        questions = questions[:limit]
    service = NewsService(Settings(data_dir=work / "xquad-de"))
    started = time.perf_counter()
    service.ingest_articles(
        Article(text=c["text"], source=f"de#{c['context_id']}", title=c["title"], lang="de")
        for c in contexts
    )
    print(f"\n## XQuAD: {len(questions)} English questions, {len(contexts)} German passages")
    print(f"(ingest {time.perf_counter() - started:.1f} s; cached on later runs)")
    store = service.store()
    configs = {
        "dense only (chunk vectors)": dict(use_lexical=False, rerank_sentences=False),
        "newsbot hybrid (default)": {},
    }
    for name, options in configs.items():
        ranks = []
        for q in questions:
            result = search_hybrid(q["question"], [store], service.embeddings, k=10, **options)
            articles = list(dict.fromkeys(h.chunk.source for h in result.hits))
            gold = f"de#{q['context_id']}"
            ranks.append(articles.index(gold) + 1 if gold in articles else None)
        recall5 = sum(1 for r in ranks if r and r <= 5) / len(ranks)
        recall1 = sum(1 for r in ranks if r == 1) / len(ranks)
        mrr = sum(1 / r for r in ranks if r) / len(ranks)
        print(f"- {name}: recall@1 {recall1:.3f}, recall@5 {recall5:.3f}, MRR@10 {mrr:.3f}")


def bench_reingest(work: Path, articles: int) -> None:
    corpus = SHARED / "corpora/orangesum.fr.sample.jsonl"
    subset = work / "orangesum-subset.jsonl"
    with open(corpus, encoding="utf-8") as source, open(subset, "w", encoding="utf-8") as out:
        for _, line in zip(range(articles), source, strict=False):
            out.write(line)
    # A fresh data dir, embedding cache included: the first ingest embeds everything.
    service = NewsService(Settings(data_dir=fresh(work / "reingest")))
    started = time.perf_counter()
    first = service.ingest([str(subset)])
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = service.ingest([str(subset)])
    second_s = time.perf_counter() - started
    chunks = sum(i.chunks for i in first.items)
    print(f"\n## Re-ingest of {articles} unchanged OrangeSum articles ({chunks} chunks)")
    print(
        f"- first ingest {first_s:.2f} s ({chunks / first_s:.1f} chunks/s), "
        f"re-ingest {second_s:.3f} s: {first_s / second_s:.0f}x faster; "
        f"{second.count('unchanged')} unchanged, embedded again: 0 by design"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=ROOT / ".cache/bench")
    parser.add_argument("--limit", type=int, default=None, help="XQuAD questions to ask")
    parser.add_argument("--articles", type=int, default=100, help="articles for re-ingest")
    parser.add_argument("--skip-xquad", action="store_true", help="skip the XQuAD recall part")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    bench_demo(args.work)
    if not SHARED.is_dir():
        print(f"\n{SHARED} is absent: skipping the XQuAD and corpus benchmarks.")
        return
    if not args.skip_xquad:
        bench_xquad(args.work, args.limit)
    bench_reingest(args.work, args.articles)


if __name__ == "__main__":
    main()
