"""Mixed-language stores: an English question finds the French article that answers it,
not an English one that is only in its language."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bot.service import NewsService
from retrieval.articles import Article
from retrieval.catalog import SearchFilters
from retrieval.language_means import estimate_means, merge_means
from retrieval.search import search_hybrid
from tests.conftest import SHARED, make_service

# English questions about French OrangeSum articles; each corpus has an English BBC article on
# a neighbouring subject (bacteria in food, speed cameras, the French economy).
CROSS_LINGUAL = [
    ("Which dangerous bacterium did the researchers find in the ancient cheese?", "orangesum-7123"),
    ("How much does one private speed-camera car cost to buy?", "orangesum-6266"),
    ("How much is France's GDP expected to fall this year?", "orangesum-6697"),
]
NEIGHBOURS = {"bbc-tech-210", "bbc-tech-363", "bbc-business-416"}
# The first articles of each corpus, so that each language's mean is not one article.
PER_CORPUS = 8


def read_articles(path: Path, first: int, also: set[str]) -> list[Article]:
    articles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if len(articles) < first or row["id"] in also:
            articles.append(Article(row["text"], row["id"], row["title"], lang=row["lang"]))
    return articles


@pytest.fixture(scope="module")
def mixed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsService]:
    if not SHARED.is_dir():
        pytest.skip(f"needs the shared corpora beside the checkout ({SHARED}), absent here")
    corpora = SHARED / "corpora"
    wanted = NEIGHBOURS | {source for _, source in CROSS_LINGUAL}
    articles = read_articles(corpora / "bbc.en.jsonl", PER_CORPUS, wanted) + read_articles(
        corpora / "orangesum.fr.sample.jsonl", PER_CORPUS, wanted
    )
    service = make_service(tmp_path_factory.mktemp("mixed") / "data", sentence_vectors="search")
    report = service.ingest_articles(articles)
    assert report.exit_code == 0, report.items
    # The same articles split by language into two more collections (vectors come from the
    # embedding cache): a search over both compares languages across collections.
    for lang in ("en", "fr"):
        part = [a for a in articles if a.lang == lang]
        report = service.ingest_articles(part, collection=f"only-{lang}")
        assert report.exit_code == 0, report.items
    yield service
    service.close()


def ranked_sources(service: NewsService, question: str, center: bool) -> list[str]:
    hits = search_hybrid(
        question, [service.store()], service.embeddings, k=10, center_languages=center
    ).hits
    return list(dict.fromkeys(hit.chunk.source for hit in hits))


# Since sentences glued without a space are split (BENCHMARKS.md, seventh session), the French
# price sentence stands alone and the English console article's "$250" sentence outranks it
# by 0.004: second, not first (fourth without centring).
SPLIT_PRICE = pytest.mark.xfail(
    strict=True, reason="the English '$250' sentence outranks the French price sentence"
)
RANKS_FIRST = [
    CROSS_LINGUAL[0],
    pytest.param(*CROSS_LINGUAL[1], marks=SPLIT_PRICE),
    CROSS_LINGUAL[2],
]


@pytest.mark.parametrize(("question", "source"), RANKS_FIRST)
def test_the_french_answer_ranks_first_for_an_english_question(
    mixed_service: NewsService, question: str, source: str
) -> None:
    centred = ranked_sources(mixed_service, question, center=True)
    assert centred[0] == source, centred


@pytest.mark.parametrize(("question", "source"), CROSS_LINGUAL)
def test_centring_never_ranks_the_french_answer_lower(
    mixed_service: NewsService, question: str, source: str
) -> None:
    centred = ranked_sources(mixed_service, question, center=True)
    raw = ranked_sources(mixed_service, question, center=False)
    assert source in centred and centred.index(source) <= raw.index(source), (centred, raw)


def test_uncorrected_the_embedder_prefers_english_articles(mixed_service: NewsService) -> None:
    # What the correction is for: the same embedder puts English articles on the economy above
    # the French one that gives France's expected fall in GDP.
    question, source = CROSS_LINGUAL[2]
    raw = ranked_sources(mixed_service, question, center=False)
    assert raw[0] != source and raw.index(source) > 0, raw
    assert ranked_sources(mixed_service, question, center=True)[0] == source


def test_evidence_is_the_raw_similarity(mixed_service: NewsService) -> None:
    # The decision to answer is fitted on similarities; centring only reorders.
    question = CROSS_LINGUAL[0][0]
    store = mixed_service.store()
    centred = search_hybrid(question, [store], mixed_service.embeddings, k=10).hits
    raw = search_hybrid(question, [store], mixed_service.embeddings, k=10, center_languages=False)
    by_chunk = {hit.chunk.chunk_id: hit for hit in raw.hits}
    for hit in centred:
        if hit.chunk.chunk_id in by_chunk:
            assert hit.evidence == pytest.approx(by_chunk[hit.chunk.chunk_id].evidence)


def test_a_language_filter_turns_the_correction_off(mixed_service: NewsService) -> None:
    question, source = CROSS_LINGUAL[0]
    hits = search_hybrid(
        question,
        [mixed_service.store()],
        mixed_service.embeddings,
        filters=SearchFilters(lang="fr"),
    ).hits
    assert hits and {hit.chunk.lang for hit in hits} == {"fr"}
    assert hits[0].chunk.source == source


def test_means_follow_writes(mixed_service: NewsService) -> None:
    store = mixed_service.store()
    before = store.language_means()
    assert set(before.counts) == {"en", "fr"}
    report = mixed_service.ingest_articles(
        [Article("Ein kurzer Artikel über Käse aus Ägypten.", "de-test", "Käse", lang="de")]
    )
    assert report.exit_code == 0
    after = store.language_means()
    assert set(after.counts) == {"en", "fr", "de"}
    mixed_service.forget("de-test")
    assert set(store.language_means().counts) == {"en", "fr"}


def test_one_language_needs_no_correction() -> None:
    means = estimate_means({"fr": np.eye(3)[:2]}, {"fr": 2})
    assert means.offsets(np.ones(3)) == {}


def test_a_small_language_is_drawn_to_the_overall_mean() -> None:
    big = np.tile([1.0, 0.0], (400, 1))
    small = np.array([[0.0, 1.0]])
    means = estimate_means({"en": big, "fr": small}, {"en": 400, "fr": 1})
    # One French chunk weighs 1 against 20 of the overall mean: a question about that very
    # chunk's subject is barely corrected for it.
    offsets = means.offsets(np.array([0.0, 1.0]), prior=20)
    assert offsets["fr"] < 0.1
    assert offsets["en"] == pytest.approx(0.0, abs=0.01)


def test_a_small_collection_in_its_own_language_is_not_pushed_down() -> None:
    # A server's own collection holds one English article; the shared one a French store.
    # Its mean is its article; drawn towards the mean of all searched chunks, it costs the
    # question about that article little.
    article = np.array([[0.0, 1.0]])
    french = np.tile([1.0, 0.0], (30, 1))
    merged = merge_means(
        [estimate_means({"en": article}, {"en": 1}), estimate_means({"fr": french}, {"fr": 30})]
    )
    offsets = merged.offsets(np.array([0.0, 1.0]), prior=20)
    assert offsets["en"] - offsets["fr"] < 0.1


def test_merged_means_weigh_collections_by_size() -> None:
    a = estimate_means({"en": np.tile([1.0, 0.0], (3, 1))}, {"en": 30})
    b = estimate_means({"en": np.tile([0.0, 1.0], (1, 1))}, {"en": 10})
    merged = merge_means([a, b])
    assert merged.means["en"] == pytest.approx([0.75, 0.25])
    assert merged.counts["en"] == 40


def test_the_bot_quotes_the_french_answer_and_the_setting_reaches_the_search(
    mixed_service: NewsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    question, source = CROSS_LINGUAL[0]
    answer = mixed_service.ask(question, mode="extractive")
    assert not answer.abstained and answer.citations[0].source == source
    # Turned off, the search the bot runs is the uncorrected one (the real search, watched).
    import bot.service

    seen: list[bool] = []

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(bool(kwargs["center_languages"]))
        return search_hybrid(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.service, "search_hybrid", watched)
    settings = mixed_service.settings
    try:
        mixed_service.settings = settings.model_copy(update={"center_languages": False})
        mixed_service.ask(CROSS_LINGUAL[2][0], mode="extractive")
    finally:
        mixed_service.settings = settings
    mixed_service.ask(CROSS_LINGUAL[2][0], mode="extractive")
    assert seen == [False, True]


@pytest.mark.parametrize(("question", "source"), RANKS_FIRST)
def test_collections_in_one_language_each_are_compared_too(
    mixed_service: NewsService, question: str, source: str
) -> None:
    stores = [mixed_service.store("only-en"), mixed_service.store("only-fr")]
    hits = search_hybrid(question, stores, mixed_service.embeddings, k=10).hits
    assert hits[0].chunk.source == source, [h.chunk.source for h in hits]
    # Both collections still bring candidates: the English neighbour is among the hits.
    assert any(hit.chunk.lang == "en" for hit in hits)
