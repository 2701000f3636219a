"""Follow-ups without an LLM, measured on XQuAD.

    python bench/bench_followups.py --data-dir DIR [--weights 0 0.5 0.8 1] [--json]

Each English question that refers back ("When did he die?", "What did they build?") is asked
as a follow-up: with the passage's previous question (and the answer newsbot gave it) as the
history, as `newsbot chat` does. German and Spanish passages are pooled, as in
`newsbot eval`. For each `followup_weight` (how much the follow-up's own words choose its
sentence; 0 is the joined search alone) it prints the share of follow-ups whose gold answer is
in the answering sentences and in the first quote, and the share refused; "alone" is the same
question asked without history, for comparison. All runs share one store and one process.

DIR is an eval data dir: the store `newsbot eval` builds for these contexts is reused (or built).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.followup import Turn, asks_something_new, needs_context  # noqa: E402
from bot.evaluation import (  # noqa: E402
    QAItem,
    _Silent,
    contains_answer,
    eval_collection,
    gold_answers,
    ingest_eval_store,
    load_eval_set,
)
from bot.service import NewsService  # noqa: E402
from bot.settings import Settings  # noqa: E402

XQUAD = ROOT.parent / "shared" / "eval" / "xquad"


def follow_up_pairs(items: list[QAItem]) -> list[tuple[QAItem, QAItem]]:
    """(previous, follow-up) pairs: a referring question after the one before it on its passage."""
    by_context: dict[str, list[QAItem]] = defaultdict(list)
    for item in items:
        if item.context_id is not None:
            by_context[item.context_id].append(item)
    pairs = []
    for questions in by_context.values():
        for previous, item in pairwise(questions):
            if needs_context(item.question) and asks_something_new(item.question):
                pairs.append((previous, item))
    return pairs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--xquad", type=Path, default=XQUAD)
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.5, 0.8, 1.0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (args.xquad / "en.jsonl").is_file():
        print(f"no XQuAD in {args.xquad}: give --xquad", file=sys.stderr)
        return 2

    eval_set = load_eval_set(
        args.xquad / "en.jsonl",
        [args.xquad / "de.contexts.jsonl", args.xquad / "es.contexts.jsonl"],
    )
    pairs = follow_up_pairs(eval_set.questions)
    service = NewsService(Settings(data_dir=args.data_dir))
    try:
        collection = eval_collection(service, eval_set)
        print(f"store {collection}: built or checked (slow the first time)", file=sys.stderr)
        ingest_eval_store(service, eval_set, collection, "all", _Silent())
        results: dict[str, dict[str, float]] = {}
        started = time.perf_counter()
        firsts = {
            prev.id: service.ask(prev.question, collections=[collection]) for prev, _ in pairs
        }
        runs: list[tuple[str, float | None]] = [("alone", None)]
        runs += [(f"weight {w:g}", w) for w in args.weights]
        for label, weight in runs:
            if weight is not None:
                service.settings.followup_weight = weight
            in_answer = in_first = refused = 0
            for previous, item in pairs:
                history = (
                    [] if weight is None else [Turn(previous.question, firsts[previous.id].answer)]
                )
                answer = service.ask(item.question, collections=[collection], history=history)
                if answer.abstained:
                    refused += 1
                    continue
                golds = [gold_answers(item, c.source, eval_set) for c in answer.citations]
                keys = [c.quote[c.key[0] - c.start : c.key[1] - c.start] for c in answer.citations]
                in_answer += any(contains_answer(k, g) for k, g in zip(keys, golds, strict=True))
                in_first += bool(keys) and contains_answer(keys[0], golds[0])
            n = len(pairs)
            results[label] = {
                "gold_in_answering_sentences": round(in_answer / n, 3),
                "gold_in_first_quote_sentences": round(in_first / n, 3),
                "refused": round(refused / n, 3),
            }
        took = time.perf_counter() - started
    finally:
        service.close()
    if args.json:
        print(json.dumps({"follow_ups": len(pairs), "results": results}, indent=1))
        return 0
    print(
        f"{len(pairs)} XQuAD follow-ups (English, German and Spanish passages pooled), {took:.0f} s"
    )
    print(f"{'run':<12} {'gold in answer':>15} {'gold first':>11} {'refused':>8}")
    for label, r in results.items():
        print(
            f"{label:<12} {r['gold_in_answering_sentences']:>15.3f} "
            f"{r['gold_in_first_quote_sentences']:>11.3f} {r['refused']:>8.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
