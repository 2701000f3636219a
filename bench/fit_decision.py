"""Fit the extractive ranker and the answer-or-refuse decision of one embedding model.

    python bench/fit_decision.py --data-dir DIR [--rows rows.jsonl] [--write]

Reads every development question's candidate sentences and their features from the same
search as `newsbot ask` (`bot.evaluation.feature_rows`): XQuAD's English, German and Spanish
questions over its German and Spanish passages pooled, each question also asked without its
article (sets "xquad", "xquad-de", "xquad-es"), and the news set in `eval/news/` (its answerable
questions and its unanswerable ones; computed, not fitted on by default). `--rows FILE` keeps
those rows, so a second run fits in seconds.

Two models (numpy, L2-regularised Newton steps) are fitted with 5-fold cross-validation by
article (an XQuAD title, a news article id: a question, its translations and its unanswerable
twins stay in one fold, and no article is both fitted and scored):
- the ranker: which candidate sentence (with its close neighbours) holds the gold answer, a
  choice among each question's candidates (a conditional logit);
- the decision: whether the articles answer, from the sentence shown first (the ranker's
  choice, or a near-tie that offers the answer type asked for).
The operating point is the highest probability threshold whose out-of-fold refusals of
answerable questions stay within `--max-answerable-refusals` on every set. `--write` saves
the model fitted on all rows to `bot/answering/decision_models/<model id>.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.decision import (  # noqa: E402
    CalibratedDecider,
    LinearModel,
    model_file_name,
    type_offer_index,
)
from bot.answering.features import (  # noqa: E402
    DECISION_FEATURES,
    RANKER_FEATURES,
    decision_vector,
    ranker_vector,
)

FOLDS = 5
# The shared data folder beside the checkout (../shared), or beside a worktree's parent.
SHARED = next(
    (p / "shared" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()),
    ROOT.parent / "shared",
)
# How close (in ranker logits) a second sentence must come to the first to be quoted with it.
# The ranker fitted as a choice among a question's candidates spreads its scores wider than the
# per-sentence fit before it: 1.85 keeps the share of XQuAD answers quoting a second sentence
# where 1.0 had it (0.84), BENCHMARKS.md.
SECOND_MARGIN = 1.85


@dataclass(frozen=True)
class DevSet:
    name: str
    questions: list[Path]
    contexts: list[Path]
    unanswerable: Path | None
    make_unanswerable: bool


def news_contexts(news: Path, corpora: Path) -> Path | None:
    """The news set's articles.jsonl, built from the shared corpora by bench/news_devset.py."""
    out = ROOT / ".cache" / "news-devset"
    path = out / "articles.jsonl"
    if not path.is_file():
        sys.path.insert(0, str(ROOT / "bench"))
        import news_devset

        if news_devset.main(["--corpora", str(corpora), "--out", str(out)]) != 0:
            return None
    return path


def dev_sets(xquad: Path, news: Path, corpora: Path) -> list[DevSet]:
    passages = [xquad / "de.contexts.jsonl", xquad / "es.contexts.jsonl"]
    # "xquad": English questions, asked across languages. "xquad-de" and "xquad-es": the
    # German and Spanish questions over the same passages, where the nearest passage (and, once
    # the article is gone, the nearest wrong one) is usually in the question's own language.
    sets = [DevSet("xquad", [xquad / "en.jsonl"], passages, None, True)]
    sets += [
        DevSet(f"xquad-{lang}", [xquad / f"{lang}.jsonl"], passages, None, True)
        for lang in ("de", "es")
    ]
    questions = sorted(news.glob("questions.*.jsonl"))
    contexts = news_contexts(news, corpora) if questions else None
    if contexts is not None:
        unanswerable = news / "unanswerable.jsonl"
        sets.append(
            DevSet(
                "news",
                questions,
                [contexts],
                unanswerable if unanswerable.is_file() else None,
                False,
            )
        )
    else:
        print("no news set articles: fitting on XQuAD alone", file=sys.stderr)
    return sets


def compute_rows(
    sets: Sequence[DevSet], data_dirs: dict[str, Path | None], limit: int | None
) -> list[dict]:
    from bot.evaluation import feature_rows, load_eval_set
    from bot.service import NewsService
    from bot.settings import Settings

    rows: list[dict[str, Any]] = []
    for dev in sets:
        data_dir = data_dirs.get(dev.name)
        settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
        service = NewsService(settings)
        try:
            eval_set = load_eval_set(
                dev.questions, dev.contexts, unanswerable=dev.unanswerable, limit=limit
            )
            started = time.perf_counter()
            found = feature_rows(service, eval_set, make_unanswerable=dev.make_unanswerable)
            for row in found:
                row["set"] = dev.name
                row["model_id"] = service.embeddings.model_id
            rows += found
            print(
                f"{dev.name}: {len(found)} rows in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
        finally:
            service.close()
    return rows


# --- logistic regression ---------------------------------------------------------------------
def fit_logistic(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None, l2: float = 1.0
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Weights, bias, mean and scale of an L2-regularised logistic regression (Newton steps)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    w = np.ones(len(x)) if weight is None else weight
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(z @ beta, -50, 50)))
        gradient = z.T @ (w * (y - p)) - penalty * beta
        hessian = (
            (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(penalty) + 1e-9 * np.eye(len(beta))
        )
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta[1:], float(beta[0]), mean, scale


def as_model(
    fitted: tuple[np.ndarray, float, np.ndarray, np.ndarray], names: tuple[str, ...]
) -> LinearModel:
    weights, bias, mean, scale = fitted
    return LinearModel(names, tuple(weights), bias, tuple(mean), tuple(scale))


def fit_choice(
    groups: Sequence[tuple[np.ndarray, np.ndarray]], l2: float
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Weights, bias (0), mean and scale of a conditional logit: the probability that a
    candidate answers is the softmax of the scores of its question's candidates, and the
    likelihood is the probability of the candidates that hold the gold answer.

    The ranker is used to choose one sentence among a question's, so it is fitted as that
    choice (one softmax per question) rather than as each sentence on its own. Newton-like
    steps with the softmax's covariance, which keeps every step uphill."""
    every = np.vstack([x for x, _ in groups])
    mean = every.mean(axis=0)
    scale = every.std(axis=0)
    scale[scale < 1e-9] = 1.0
    standard = [((x - mean) / scale, y) for x, y in groups]
    beta = np.zeros(every.shape[1])
    for _ in range(100):
        gradient = -l2 * beta
        curvature = l2 * np.eye(len(beta))
        for z, y in standard:
            s = z @ beta
            p = np.exp(s - s.max())
            p /= p.sum()
            q = p * y / (p * y).sum()
            gradient += z.T @ (q - p)
            mean_z = z.T @ p
            curvature += (z.T * p) @ z - np.outer(mean_z, mean_z)
        step = np.linalg.solve(curvature, gradient)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta, 0.0, mean, scale


def fit_ranker(rows: Sequence[dict], l2: float, sets: Collection[str] | None = None) -> LinearModel:
    groups = []
    for row in rows:
        if sets is not None and row["set"] not in sets:
            continue
        gold = np.array([float(c["gold_key"]) for c in row["candidates"]])
        # A question no candidate answers, or every candidate does, says nothing about which
        # one answers.
        if row["kind"] != "answerable" or not gold.any() or gold.all():
            continue
        groups.append((np.array([ranker_vector(c["values"]) for c in row["candidates"]]), gold))
    return as_model(fit_choice(groups, l2), RANKER_FEATURES)


def choose(ranker: LinearModel, row: dict) -> tuple[dict, float] | None:
    """The candidate answering first (`type_offer_index`) and the ranker's margin of its best."""
    if not row["candidates"]:
        return None
    scored = sorted(
        ((ranker.logit(ranker_vector(c["values"])), i) for i, c in enumerate(row["candidates"])),
        reverse=True,
    )
    margin = scored[0][0] - scored[1][0] if len(scored) > 1 else 5.0
    ordered = [row["candidates"][i]["values"] for _, i in scored]
    # The decision is taken on the sentence the user is shown, as `newsbot ask` does.
    first = type_offer_index(ordered, row["expected"])
    return row["candidates"][scored[first][1]], margin


def decision_data(
    ranker: LinearModel, rows: Sequence[dict]
) -> tuple[np.ndarray, list[dict | None]]:
    vectors, chosen = [], []
    for row in rows:
        picked = choose(ranker, row)
        if picked is None:
            vectors.append([0.0] * len(DECISION_FEATURES))
            chosen.append(None)
            continue
        candidate, margin = picked
        vectors.append(decision_vector(row["values"], candidate["values"], margin))
        chosen.append(candidate)
    return np.array(vectors), chosen


def set_weights(rows: Sequence[dict], weights: dict[str, float]) -> np.ndarray:
    return np.array([weights.get(row["set"], 1.0) for row in rows])


def fit_decision(
    ranker: LinearModel, rows: Sequence[dict], l2: float, weights: dict[str, float]
) -> LinearModel:
    x, _ = decision_data(ranker, rows)
    y = np.array([float(row["kind"] == "answerable") for row in rows])
    return as_model(fit_logistic(x, y, set_weights(rows, weights), l2=l2), DECISION_FEATURES)


def folds_of(rows: Sequence[dict]) -> list[int]:
    """Articles dealt round-robin in sorted order: every article in one fold, in every set
    (XQuAD's English, German and Spanish questions about one title are scored together)."""
    groups = sorted({row["group"] for row in rows})
    fold = {group: index % FOLDS for index, group in enumerate(groups)}
    return [fold[row["group"]] for row in rows]


@dataclass
class OutOfFold:
    probability: np.ndarray
    gold_key: np.ndarray  # the chosen sentence (with neighbours) holds the gold answer
    evidence: np.ndarray


def cross_validate(
    rows: Sequence[dict],
    l2: float,
    weights: dict[str, float],
    ranker_sets: Collection[str] | None = None,
) -> OutOfFold:
    folds = np.array(folds_of(rows))
    probability = np.zeros(len(rows))
    gold_key = np.zeros(len(rows), dtype=bool)
    evidence = np.zeros(len(rows))
    for fold in range(FOLDS):
        train = [row for row, f in zip(rows, folds, strict=True) if f != fold]
        test_index = np.flatnonzero(folds == fold)
        test = [rows[i] for i in test_index]
        ranker = fit_ranker(train, l2, ranker_sets)
        decision = fit_decision(ranker, train, l2, weights)
        x, chosen = decision_data(ranker, test)
        for i, vector, candidate in zip(test_index, x, chosen, strict=True):
            probability[i] = 1 / (1 + np.exp(-decision.logit(list(vector))))
            gold_key[i] = bool(candidate and candidate["gold_key"])
            evidence[i] = candidate["values"]["evidence"] if candidate else 0.0
    return OutOfFold(probability, gold_key, evidence)


def rates(
    rows: Sequence[dict], answered: np.ndarray, gold_key: np.ndarray, name: str
) -> dict[str, float]:
    index = [i for i, row in enumerate(rows) if row["set"] == name]
    answerable = np.array([i for i in index if rows[i]["kind"] == "answerable"], dtype=int)
    unanswerable = np.array([i for i in index if rows[i]["kind"] != "answerable"], dtype=int)
    result = {
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "refusals_answerable": float(np.mean(~answered[answerable]))
        if len(answerable)
        else float("nan"),
        "refusals_unanswerable": float(np.mean(~answered[unanswerable]))
        if len(unanswerable)
        else float("nan"),
        "gold_in_answering_sentences": float(np.mean(answered[answerable] & gold_key[answerable]))
        if len(answerable)
        else float("nan"),
    }
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}


def operating_point(rows: Sequence[dict], probability: np.ndarray, max_refusals: float) -> float:
    """The highest threshold whose answerable refusals stay within `max_refusals` on every set."""
    best = 0.0
    for threshold in np.unique(np.round(probability, 4)):
        ok = True
        for name in {row["set"] for row in rows}:
            answerable = [
                i
                for i, row in enumerate(rows)
                if row["set"] == name and row["kind"] == "answerable"
            ]
            if answerable and np.mean(probability[answerable] < threshold) > max_refusals:
                ok = False
                break
        if ok:
            best = max(best, float(threshold))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--xquad", type=Path, default=SHARED / "eval" / "xquad")
    parser.add_argument("--news", type=Path, default=ROOT / "eval" / "news")
    parser.add_argument("--corpora", type=Path, default=SHARED / "corpora")
    parser.add_argument(
        "--data-dir", type=Path, help="Where the eval stores live (NEWSBOT_DATA_DIR)."
    )
    parser.add_argument(
        "--news-data-dir", type=Path, help="Another data dir for the news set's store."
    )
    parser.add_argument("--rows", type=Path, help="Feature rows: read when present, else written.")
    parser.add_argument("--limit", type=int, help="Only the first N questions of each file.")
    parser.add_argument("--l2", type=float, default=10.0)
    parser.add_argument(
        "--news-weight",
        type=float,
        default=3.0,
        help="Weight of a news row against an XQuAD row in the decision fit.",
    )
    parser.add_argument(
        "--xquad-weight",
        type=float,
        default=3.0,
        help="Weight of an English-question XQuAD row against a German or Spanish one: the "
        "typical question is asked across languages, and its refusals set the operating point "
        "(weights 1, 2, 3, 4 and 6 measured in BENCHMARKS.md).",
    )
    parser.add_argument(
        "--sets",
        nargs="+",
        choices=["xquad", "xquad-de", "xquad-es", "news"],
        default=["xquad", "xquad-de", "xquad-es"],
        help="The sets fitted (default XQuAD's three question languages: the news set stays a "
        "held-out check; fitting on it too was measured and not shipped, BENCHMARKS.md).",
    )
    parser.add_argument(
        "--ranker-sets",
        nargs="+",
        default=["xquad"],
        help="The sets the ranker (which sentence answers) is fitted on. Default: the English "
        "questions, asked across languages as users typically ask; fitting it on all three "
        "languages was measured and not shipped (BENCHMARKS.md).",
    )
    parser.add_argument("--max-answerable-refusals", type=float, default=0.05)
    parser.add_argument("--write", action="store_true", help="Save the fitted model file.")
    args = parser.parse_args()

    started = time.perf_counter()
    sets = dev_sets(args.xquad, args.news, args.corpora)
    if args.rows and args.rows.is_file():
        rows = [
            json.loads(line) for line in args.rows.read_text(encoding="utf-8").splitlines() if line
        ]
    else:
        data_dirs = {dev.name: args.data_dir for dev in sets}
        data_dirs["news"] = args.news_data_dir or args.data_dir
        rows = compute_rows(sets, data_dirs, args.limit)
        if args.rows:
            args.rows.write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
            )
    rows = [row for row in rows if row["set"] in args.sets]
    model_ids = {row["model_id"] for row in rows}
    if len(model_ids) != 1:
        print(f"rows of several embedding models: {sorted(model_ids)}", file=sys.stderr)
        return 2
    model_id = model_ids.pop()
    weights = {"news": args.news_weight, "xquad": args.xquad_weight}

    oof = cross_validate(rows, args.l2, weights, args.ranker_sets)
    threshold = operating_point(rows, oof.probability, args.max_answerable_refusals)
    answered = oof.probability >= threshold
    names = sorted({row["set"] for row in rows})
    cv = {name: rates(rows, answered, oof.gold_key, name) for name in names}
    never = {
        name: rates(rows, np.ones(len(rows), dtype=bool), oof.gold_key, name) for name in names
    }
    print(
        f"model {model_id}; {len(rows)} rows; operating point {threshold:.4f} "
        "(probability that the articles answer)"
    )
    for name in names:
        print(f"  {name} cross-validated by article: {json.dumps(cv[name])}")
        print(
            f"  {name} never refusing: gold in answering sentences "
            f"{never[name]['gold_in_answering_sentences']}"
        )
    for level in (0.3, 0.5, threshold, 0.7, 0.8):
        at = oof.probability >= level
        summary = {name: rates(rows, at, oof.gold_key, name) for name in names}
        print(
            f"  level {level:.3f}: "
            + "; ".join(
                f"{n} refusals {s['refusals_unanswerable']} unanswerable / "
                f"{s['refusals_answerable']} answerable"
                for n, s in summary.items()
            )
        )

    ranker = fit_ranker(rows, args.l2, args.ranker_sets)
    decision = fit_decision(ranker, rows, args.l2, weights)
    sets_meta = {
        name: {
            "answerable": sum(1 for r in rows if r["set"] == name and r["kind"] == "answerable"),
            "unanswerable": sum(1 for r in rows if r["set"] == name and r["kind"] != "answerable"),
            "articles": len({r["group"] for r in rows if r["set"] == name}),
        }
        for name in names
    }
    decider = CalibratedDecider(
        model_id,
        ranker,
        decision,
        threshold,
        {
            "second_margin": SECOND_MARGIN,
            "fitted_on": {
                "sets": sets_meta,
                "command": "python bench/fit_decision.py --write",
                "max_answerable_refusals": args.max_answerable_refusals,
                "news_weight": args.news_weight,
                "xquad_weight": args.xquad_weight,
                "ranker_sets": args.ranker_sets,
                "l2": args.l2,
            },
            "cross_validation": {"folds": FOLDS, "by": "article", **cv},
        },
    )
    print(
        "ranker weights:",
        dict(zip(RANKER_FEATURES, (round(w, 3) for w in ranker.weights), strict=True)),
    )
    print(
        "decision weights:",
        dict(zip(DECISION_FEATURES, (round(w, 3) for w in decision.weights), strict=True)),
    )
    if args.write:
        path = ROOT / "bot" / "answering" / "decision_models" / model_file_name(model_id)
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(decider.to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    print(f"took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
