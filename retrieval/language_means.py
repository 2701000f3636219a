"""Each language's mean chunk vector: what a cross-lingual score owes to language alone.

A multilingual embedder scores a question higher against any text in the question's own
language than against a text in another language that says the same thing. In a store that
mixes French and English news, an English question then ranks a loosely related English
article above the French one that answers it. Centring each language's vectors on that
language's mean takes the shared part out (Libovický et al., 2020, "On the language
neutrality of pre-trained multilingual representations"): a chunk's score is lowered by the
question's similarity to its language's mean. Within one language the order is unchanged; a
store in one language is not touched at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# Chunks read per language to estimate its mean; a mean of a thousand vectors is stable to
# well under the differences it corrects.
SAMPLE_PER_LANGUAGE = 1000
# A language with few chunks has a mean that is mostly those chunks: subtracting it would
# push exactly them down. Its mean is drawn towards the store's overall mean as if this many
# chunks of the overall mean had been added.
PRIOR_CHUNKS = 20


@dataclass(frozen=True)
class LanguageMeans:
    """Per language: its mean chunk vector and how many chunks it has."""

    means: Mapping[str, np.ndarray]
    counts: Mapping[str, int]

    def offsets(self, query_vector: np.ndarray, prior: int = PRIOR_CHUNKS) -> dict[str, float]:
        """How much of the query's similarity to each language is language alone.

        Each language's mean is first drawn towards the mean of all chunks (`PRIOR_CHUNKS`), so
        a language of a few chunks, whose mean is mostly their subject, is barely corrected.
        Empty for one language, where the correction would be one constant."""
        if len(self.means) < 2:
            return {}
        total = sum(self.counts.values())
        overall = sum(self.counts[lang] * mean for lang, mean in self.means.items()) / total
        offsets = {}
        for lang, mean in self.means.items():
            n = self.counts[lang]
            shrunk = (n * mean + prior * overall) / (n + prior)
            offsets[lang] = float(query_vector @ shrunk)
        return offsets


NO_MEANS = LanguageMeans({}, {})


def estimate_means(samples: Mapping[str, np.ndarray], counts: Mapping[str, int]) -> LanguageMeans:
    """Per-language means from a sample of each language's chunk vectors; `counts` are the
    languages' full sizes, which weigh them against each other."""
    means = {lang: v.mean(axis=0) for lang, v in samples.items() if len(v)}
    return LanguageMeans(means, {lang: max(counts.get(lang, 0), 1) for lang in means})


def merge_means(parts: Sequence[LanguageMeans]) -> LanguageMeans:
    """One set of means for a search over several collections, weighted by their sizes."""
    parts = [p for p in parts if p.means]
    if len(parts) == 1:
        return parts[0]
    totals: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for part in parts:
        for lang, mean in part.means.items():
            n = part.counts[lang]
            totals[lang] = totals.get(lang, 0) + n * mean
            counts[lang] = counts.get(lang, 0) + n
    return LanguageMeans({lang: totals[lang] / counts[lang] for lang in totals}, counts)
