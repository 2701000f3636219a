"""How often the first quote holds the gold answer, for other ways of cutting the quote.

    python bench/bench_quotes.py --questions ../shared/eval/xquad/en.jsonl \\
        --contexts ../shared/eval/xquad/de.contexts.jsonl \\
        --contexts ../shared/eval/xquad/es.contexts.jsonl --data-dir .cache/eval

Same store, search and abstention as `newsbot eval` (whose store it reuses in the same data
directory); only the span quoted first changes: the best sentence alone, newsbot's answering
sentences (the best sentence with its close neighbours), the sentence with both neighbours,
newsbot's cited passage (the answering sentences grown inside their paragraph to at most
1,000 characters), and the whole chunk that holds the best sentence. Each is scored with
newsbot's abstention and without any, which bounds what a longer quote could reach against a
baseline that never abstains. `--sweep` also asks
every question against the store without its article (the folds of `--make-unanswerable`)
and prints, for thresholds around newsbot's, the abstention on both kinds of question and how
often newsbot's passage would hold the answer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.extractive import (  # noqa: E402
    NEIGHBOUR_MARGIN,
    Candidate,
    passage_around,
    rank_sentences,
    with_close_neighbours,
)
from bot.evaluation import (  # noqa: E402
    _Silent,
    contains_answer,
    context_titles,
    eval_collection,
    gold_answers,
    ingest_eval_store,
    load_eval_set,
    title_folds,
)
from bot.service import NewsService  # noqa: E402
from bot.settings import Settings  # noqa: E402
from retrieval.search import search_hybrid  # noqa: E402
from retrieval.store import CollectionStore  # noqa: E402

Cut = Callable[[Candidate], tuple[int, int]]


def both_neighbours(candidate: Candidate) -> tuple[int, int]:
    widened = with_close_neighbours(candidate, margin=2.0)  # any similarity joins
    return widened.start, widened.end


def answering_sentences(candidate: Candidate) -> tuple[int, int]:
    key = with_close_neighbours(candidate, NEIGHBOUR_MARGIN)
    return key.start, key.end


CUTS: dict[str, Cut] = {
    "best sentence": lambda c: (c.start, c.end),
    "newsbot answering sentences": answering_sentences,
    "sentence and both neighbours": both_neighbours,
    "newsbot passage": lambda c: passage_around(with_close_neighbours(c, NEIGHBOUR_MARGIN)),
    "the whole chunk": lambda c: (c.hit.chunk.start, c.hit.chunk.end),
}


def best_candidate(service: NewsService, store: CollectionStore, question: str) -> Candidate | None:
    result = search_hybrid(
        service.check_question(question),
        [store],
        service.embeddings,
        k=service.settings.top_k,
        fusion=service.settings.search_fusion,
    )
    ranked = rank_sentences(result.hits)
    return ranked[0] if ranked else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--contexts", type=Path, action="append", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--sweep", action="store_true", help="abstention thresholds too")
    args = parser.parse_args()

    service = NewsService(Settings(data_dir=args.data_dir))
    eval_set = load_eval_set(args.questions, args.contexts)
    collection = eval_collection(service, eval_set)
    ingest_eval_store(service, eval_set, collection, "all", _Silent())
    store = service.store(collection)
    threshold = service.abstain_threshold
    found = {name: [0, 0] for name in CUTS}  # with abstention, without
    chars: dict[str, list[int]] = {name: [] for name in CUTS}
    abstained = 0
    folds, titles = title_folds(eval_set), context_titles(eval_set)
    if args.sweep:
        for fold in sorted(set(folds.values())):
            ingest_eval_store(service, eval_set, f"{collection}-u{fold}", str(fold), _Silent())
    # Per question: evidence, newsbot's passage holds the answer, evidence without its article.
    sweep: list[tuple[float, bool, float]] = []
    for item in eval_set.questions:
        best = best_candidate(service, store, item.question)
        if best is None:
            abstained += 1
            continue
        if args.sweep:
            fold_store = service.store(f"{collection}-u{folds[titles[item.context_id or '']]}")
            other = best_candidate(service, fold_store, item.question)
            start, end = CUTS["newsbot passage"](best)
            answers = gold_answers(item, best.hit.chunk.source, eval_set)
            sweep.append(
                (
                    best.evidence,
                    contains_answer(best.hit.chunk.article_text[start:end], answers),
                    other.evidence if other else -1.0,
                )
            )
        abstains = best.evidence < threshold
        abstained += abstains
        answers = gold_answers(item, best.hit.chunk.source, eval_set)
        for name, cut in CUTS.items():
            start, end = cut(best)
            hit = contains_answer(best.hit.chunk.article_text[start:end], answers)
            found[name][0] += hit and not abstains
            found[name][1] += hit
            chars[name].append(end - start)
    total = len(eval_set.questions)
    print(f"{total} answerable questions; newsbot abstains on {abstained / total:.3f}")
    print(f"{'first quote':32} {'with abstention':>16} {'never abstaining':>17} {'mean chars':>11}")
    for name in CUTS:
        with_abstention, without = (n / total for n in found[name])
        mean_chars = statistics.fmean(chars[name])
        print(f"{name:32} {with_abstention:16.3f} {without:17.3f} {mean_chars:11.0f}")
    if sweep:
        header = ("threshold", "abstains: answerable", "unanswerable", "passage")
        print("\n{:>9} {:>21} {:>13} {:>12}".format(*header))
        for step in range(-8, 3):
            t = round(threshold + step / 1000, 4)
            answerable = sum(e < t for e, _, _ in sweep) / total
            unanswerable = sum(u < t for _, _, u in sweep) / total
            passage_found = sum(h and e >= t for e, h, _ in sweep) / total
            print(f"{t:9.3f} {answerable:21.3f} {unanswerable:13.3f} {passage_found:12.3f}")
    service.close()


if __name__ == "__main__":
    main()
