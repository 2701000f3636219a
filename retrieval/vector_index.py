"""Chunk vectors in Chroma (embedded or server), through LangChain's Chroma vector store."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma

from retrieval.catalog import SearchFilters
from retrieval.embedding_cache import CachedEmbeddings
from retrieval.write_lock import WriteLock, opening_lock


class StoreError(RuntimeError):
    """The store cannot be opened or used as configured; the message says what to do."""


class ModelMismatchError(StoreError):
    pass


_COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,54}[A-Za-z0-9]$|^[A-Za-z0-9]$")


def check_collection_name(name: str) -> str:
    # fullmatch, not match: "$" also matches before a final newline, so "guild-1\n" passed,
    # created a catalog file with a newline in its name, then failed inside Chroma.
    if not _COLLECTION_NAME.fullmatch(name) or ".." in name:
        raise StoreError(
            f"invalid collection name {name!r}: use 1-56 letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit"
        )
    return name


def open_chroma_client(
    data_dir: Path, url: str | None = None, token: str | None = None
) -> chromadb.ClientAPI:
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if not url:
        with opening_lock(data_dir):
            return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=settings)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise StoreError(f"NEWSBOT_CHROMA_URL must look like http://host:port, not {url!r}")
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        client = chromadb.HttpClient(
            host=parsed.hostname,
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            headers=headers,
            settings=settings,
        )
        client.heartbeat()
    except Exception as error:
        reason = str(error)
        if token:
            # A server (or proxy) that rejects the token may quote it back in its message.
            reason = reason.replace(token, "***")
        raise StoreError(
            f"cannot reach the Chroma server at {url}: {reason}. "
            "Start it (chroma run --path DIR --port PORT) or unset NEWSBOT_CHROMA_URL."
        ) from None  # the chained error would print the token again in a traceback
    return client


def _where(filters: SearchFilters | None) -> dict[str, Any] | None:
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict[str, Any]] = []
    if filters.source:
        clauses.append({"source": filters.source})
    if filters.lang:
        clauses.append({"lang": filters.lang})
    if filters.date_from:
        clauses.append({"date_num": {"$gte": _date_num(filters.date_from)}})
    if filters.date_to:
        clauses.append({"date_num": {"$lte": _date_num(filters.date_to)}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _date_num(date: str | None) -> int:
    # Chroma compares numbers only; 20241031 orders like the date.
    if not date:
        return 0
    digits = re.sub(r"\D", "", date)[:8]
    return int(digits.ljust(8, "0")) if digits else 0


class _Generation:
    """Which version of an embedded Chroma directory this process has loaded.

    Embedded Chroma keeps each collection's index in memory and never looks at the disk
    again: a process did not see vectors that another process added (2,000 of 2,000 missed),
    and when it wrote next it saved its stale index over the other's (vectors lost, "Error
    finding id"). Every write bumps a counter file; a process whose counter is behind
    restarts its client, which reloads the index from disk (about 50 ms).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: int | None = None  # unknown: the first use reloads

    def read(self) -> int:
        try:
            return int(self.path.read_text(encoding="ascii") or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def refresh(self, client: chromadb.ClientAPI) -> None:
        current = self.read()
        if current != self.seen:
            system = client._system  # type: ignore[attr-defined]
            system.stop()
            system.start()
            self.seen = current

    def bump(self) -> None:
        new = self.read() + 1
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(str(new), encoding="ascii")
        os.replace(tmp, self.path)  # readers see the old number or the new, never half
        self.seen = new


_GENERATIONS: dict[Path, _Generation] = {}
_GENERATIONS_GUARD = threading.Lock()


def _generation(client: chromadb.ClientAPI) -> _Generation | None:
    """The process's one tracker for an embedded client's directory; None for a server."""
    settings = client.get_settings()
    if not settings.is_persistent or not settings.persist_directory:
        return None
    path = (Path(settings.persist_directory) / "newsbot-generation").absolute()
    with _GENERATIONS_GUARD:
        return _GENERATIONS.setdefault(path, _Generation(path))


class VectorIndex:
    """One Chroma collection of chunk vectors, bound to one embedding model.

    With `lock` (the data directory's), reads hold it shared and writes exclusively, and an
    embedded client is reloaded whenever another process has written since its last use.
    """

    def __init__(
        self,
        client: chromadb.ClientAPI,
        collection: str,
        embeddings: CachedEmbeddings,
        reset: bool = False,
        lock: WriteLock | None = None,
    ) -> None:
        self.name = f"newsbot-{check_collection_name(collection)}"
        self._client = client
        self._lock = lock
        self._generation = _generation(client) if lock is not None else None
        self.embeddings = embeddings
        with self._writing() as changed:
            if reset and self.name in {c.name for c in client.list_collections()}:
                client.delete_collection(self.name)
                changed()
            metadata = {
                "hnsw:space": "cosine",
                "embedding_model": embeddings.model_id,
                "embedding_dim": embeddings.dim,
            }
            self._store = Chroma(
                collection_name=self.name,
                embedding_function=embeddings,
                client=client,
                collection_metadata=metadata,
            )
            if self._check_model(collection):
                changed()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        if self._lock is None or self._generation is None:
            yield
            return
        with self._lock.shared():
            self._generation.refresh(self._client)
            yield

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Callable[[], None]]:
        """Yields `changed`, to call once the collection was modified."""
        if self._lock is None:
            yield lambda: None
            return
        modified = False

        def changed() -> None:
            nonlocal modified
            modified = True

        with self._lock.hold():
            if self._generation is not None:
                self._generation.refresh(self._client)
            try:
                yield changed
            finally:
                # Bumped even after a failure: the collection may be partly changed.
                if modified and self._generation is not None:
                    self._generation.bump()

    @property
    def collection(self) -> chromadb.Collection:
        return self._store._collection

    def _check_model(self, collection: str) -> bool:
        """Raise on vectors of another model; True if the collection's metadata was updated."""
        existing = self.collection.metadata or {}
        model = existing.get("embedding_model")
        dim = existing.get("embedding_dim")
        if model == self.embeddings.model_id and dim == self.embeddings.dim:
            return False
        if self.collection.count() == 0:
            # An empty collection made by another model holds nothing to mix; adopt it.
            self.collection.modify(
                metadata={
                    **existing,
                    "embedding_model": self.embeddings.model_id,
                    "embedding_dim": self.embeddings.dim,
                }
            )
            return True
        raise ModelMismatchError(
            f"collection {collection!r} was built with {model} ({dim} dimensions) but the "
            f"configured embedder is {self.embeddings.model_id} ({self.embeddings.dim}). "
            "Vectors of two models cannot be mixed. Either set the embedder back, or re-embed "
            f"the stored articles with: newsbot rebuild --collection {collection}"
        )

    def add(
        self, chunk_ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[dict]
    ) -> None:
        if not chunk_ids:
            return
        enriched = [{**m, "date_num": _date_num(m.get("date"))} for m in metadatas]
        clean = [{k: v for k, v in m.items() if v is not None} for m in enriched]
        with self._writing() as changed:
            changed()
            self._store.add_texts(list(texts), metadatas=clean, ids=list(chunk_ids))

    def delete(self, chunk_ids: Sequence[str]) -> None:
        if not chunk_ids:
            return
        with self._writing() as changed:
            changed()
            for i in range(0, len(chunk_ids), 5000):
                part = list(chunk_ids[i : i + 5000])
                if part:
                    self._store.delete(ids=part)

    def existing_ids(self, chunk_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        with self._reading():
            for i in range(0, len(chunk_ids), 5000):
                part = list(chunk_ids[i : i + 5000])
                if part:
                    found.update(self.collection.get(ids=part, include=[])["ids"])
        return found

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset = 0
        with self._reading():
            while True:
                page = self.collection.get(include=[], limit=10000, offset=offset)["ids"]
                ids.update(page)
                if len(page) < 10000:
                    return ids
                offset += len(page)

    def count(self) -> int:
        with self._reading():
            return self.collection.count()

    def search(
        self, query_vector: np.ndarray, k: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity), best first."""
        with self._reading():
            total = self.count()
            if total == 0:
                return []
            result = self.collection.query(
                query_embeddings=[np.asarray(query_vector, dtype=np.float32).tolist()],
                n_results=min(k, total),
                where=_where(filters),
                include=["distances"],
            )
        ids = result["ids"][0]
        distances = (result.get("distances") or [[]])[0]
        return [(chunk_id, 1.0 - float(d)) for chunk_id, d in zip(ids, distances, strict=True)]

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not chunk_ids:
            return {}
        with self._reading():
            result = self.collection.get(ids=list(chunk_ids), include=["embeddings"])
        return {
            chunk_id: np.asarray(vector, dtype=np.float32)
            for chunk_id, vector in zip(result["ids"], result["embeddings"], strict=True)
        }
