"""A persistent text-hash -> vector cache, so no text is ever embedded twice by the same model."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.embedders import ArrayEmbeddings
from retrieval.sqlite_files import connect_sqlite


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:16]


class EmbeddingCache:
    """Vectors keyed by (model id, text hash); safe to share between processes (SQLite WAL)."""

    def __init__(self, path: Path) -> None:
        self._db = connect_sqlite(path)
        self._lock = threading.Lock()
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors ("
            " model TEXT NOT NULL, key BLOB NOT NULL, vector BLOB NOT NULL,"
            " PRIMARY KEY (model, key)) WITHOUT ROWID"
        )

    def get(self, model: str, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            for i in range(0, len(unique), 500):
                part = unique[i : i + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({marks})",
                    [model, *part],
                ).fetchall()
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, model: str, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        if not items:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO vectors (model, key, vector) VALUES (?, ?, ?)",
                [(model, key, np.asarray(v, dtype=np.float32).tobytes()) for key, v in items],
            )
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


# Questions embedded lately, kept in memory: search embeds a question, and the reader's check
# by meaning needs the same vector a moment later (30-50 ms each time on two cores).
RECENT_QUERIES = 64


class CachedEmbeddings(ArrayEmbeddings):
    """Wraps a backend: passages come from the cache when known, new ones are embedded once;
    the last few queries are remembered in memory."""

    def __init__(self, backend: ArrayEmbeddings, cache: EmbeddingCache) -> None:
        self.backend = backend
        self.cache = cache
        self.model_id = backend.model_id
        self.dim = backend.dim
        self.embedded_count = 0
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries_lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        known = self.cache.get(self.model_id, keys)
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in known and key not in missing:
                missing[key] = text
        if missing:
            vectors = self.backend.embed_passages(list(missing.values()))
            fresh = list(zip(missing.keys(), vectors, strict=True))
            self.cache.put(self.model_id, fresh)
            known.update(fresh)
            self.embedded_count += len(fresh)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([known[key] for key in keys])

    def cached_passages(self, texts: Sequence[str]) -> dict[bytes, np.ndarray]:
        """Vectors of the texts already embedded, without embedding anything new."""
        return self.cache.get(self.model_id, [text_key(t) for t in texts])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        unique = list(dict.fromkeys(texts))
        with self._queries_lock:
            known = {t: self._queries[t] for t in unique if t in self._queries}
            for text in known:
                self._queries.move_to_end(text)
        missing = [t for t in unique if t not in known]
        if missing:
            fresh = dict(zip(missing, self.backend.embed_queries(missing), strict=True))
            known.update(fresh)
            with self._queries_lock:
                self._queries.update(fresh)
                while len(self._queries) > RECENT_QUERIES:
                    self._queries.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # A new array: a caller may scale its rows in place.
        return np.vstack([known[t] for t in texts])

    def count_tokens(self, text: str) -> int | None:
        return self.backend.count_tokens(text)
