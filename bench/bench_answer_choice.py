"""What the calibrated decision adds to a question: the answer step timed on the same hits.

    python bench/bench_answer_choice.py --data-dir DIR [--limit 300]

Searches each XQuAD question once (English questions, German and Spanish passages pooled, the
store `newsbot eval` built in DIR), then times on the same hits what the decision adds (the
features of every candidate sentence, the ranker and the decision), next to the ranking by
evidence it replaces and the whole extractive answer, and prints p50/p95 of each.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from unittest.mock import patch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.answering.decision import load_decider  # noqa: E402
from bot.answering.extractive import extractive_answer, rank_sentences  # noqa: E402
from bot.answering.features import question_features  # noqa: E402
from bot.evaluation import _Silent, eval_collection, ingest_eval_store, load_eval_set  # noqa: E402
from bot.service import NewsService  # noqa: E402
from bot.settings import Settings  # noqa: E402
from retrieval import search  # noqa: E402
from retrieval.cross_check import CrossCheck  # noqa: E402
from retrieval.search import cross_checked, search_hybrid  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    xquad = ROOT.parent / "shared" / "eval" / "xquad"
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    service = NewsService(Settings(data_dir=args.data_dir))
    try:
        eval_set = load_eval_set(
            xquad / "en.jsonl",
            [xquad / "de.contexts.jsonl", xquad / "es.contexts.jsonl"],
            limit=args.limit,
        )
        collection = eval_collection(service, eval_set)
        ingest_eval_store(service, eval_set, collection, "all", _Silent())
        calibrated = load_decider(service.embeddings.model_id)
        if calibrated is None:
            print(f"no calibrated decision for {service.embeddings.model_id}")
            return 2
        store = service.store(collection)
        searched = [
            (
                item.question,
                search_hybrid(item.question, [store], service.embeddings, cross_check=False).hits,
            )
            for item in eval_set.questions
        ]
        # The cross-check is part of search (its similarities are there before the answer
        # step): timed on its own, the first time (a fresh model, every sentence new) and
        # again (the sentences a running bot has already seen). Loading is not timed.
        checks: dict[str, list[float]] = {"first": [], "again": []}
        checker = CrossCheck()
        checker.load()
        checked = []
        for label in ("first", "again"):
            with patch.object(search, "shared_cross_check", lambda: checker):
                for question, hits in searched:
                    started = time.perf_counter()
                    done = cross_checked(hits, question)
                    checks[label].append((time.perf_counter() - started) * 1000)
                    if label == "first":
                        checked.append((question, done))
        searched = checked
        for label, values in checks.items():
            print(
                f"cross-check in search ({label}): p50 {np.percentile(values, 50):.2f} ms, "
                f"p95 {np.percentile(values, 95):.2f} ms"
            )
        times: dict[str, list[float]] = {"before": [], "added": [], "answer": []}
        for _ in range(args.repeat):
            for question, hits in searched:
                # Before: the best sentence by evidence, as the threshold rule ranked them.
                started = time.perf_counter()
                rank_sentences(hits)
                times["before"].append((time.perf_counter() - started) * 1000)
                # Added: the features of every candidate, the ranker and the decision.
                started = time.perf_counter()
                calibrated.decide(question_features(question, hits))
                times["added"].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                extractive_answer(question, hits, calibrated)
                times["answer"].append((time.perf_counter() - started) * 1000)
        labels = {
            "before": "ranking by evidence (the rule it replaces)",
            "added": "features + ranker + decision",
            "answer": "the whole extractive answer (with passages)",
        }
        first = len(searched)
        for name, values in times.items():
            # The first pass reads every text for the first time, as a new question does; the
            # later ones find the words already folded (the caches a running bot keeps warm).
            print(
                f"{labels[name]}: p50 {np.percentile(values, 50):.2f} ms, "
                f"p95 {np.percentile(values, 95):.2f} ms "
                f"(first pass p95 {np.percentile(values[:first], 95):.2f} ms)"
            )
        print(f"{len(searched)} questions x {args.repeat}")
    finally:
        service.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
