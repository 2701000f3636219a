"""Collections are separate at the service level: asking one never searches another, and
crafted collection names, source filters and forget targets are refused or inert.

(Discord-level isolation, permissions and DMs are tested with the bot in test_discord_*.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import EmptyStoreError, UserError
from bot.service import NewsService
from bot.settings import Settings
from retrieval.catalog import SearchFilters
from retrieval.vector_index import StoreError
from tests.helpers.corpus import good_articles, write_articles
from tests.helpers.environment import clean_environment
from tests.helpers.warm_cache import CORPUS_SIZE, copy_warm_cache

GUILD_1, GUILD_2 = "guild-1", "guild-2"
ARTICLES = good_articles(CORPUS_SIZE, version=2)[:8]
ONE, TWO = ARTICLES[:4], ARTICLES[4:]

CRAFTED_NAMES = [
    "../x",
    "guild-1/../guild-2",
    "guild-2/..",
    "..",
    ".",
    "/etc/passwd",
    "guild-1\x00",
    "guild-1\n",
    "guild 1",
    "guild-1;DROP TABLE articles",
    "guild-1%",
    "guild-*",
    "~",
    "a" * 57,
    "-guild-1",
    "guild-1.",
    "..guild-2",
    "guild-1/../../outside",
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsService]:
    root = tmp_path_factory.mktemp("isolation")
    with clean_environment(root):
        copy_warm_cache(tmp_path_factory.getbasetemp(), root / "data")
        service = NewsService(Settings(data_dir=root / "data"))
        for name, articles in ((GUILD_1, ONE), (GUILD_2, TWO)):
            write_articles(root / name, articles)
            report = service.ingest([str(root / name)], collection=name)
            assert report.count("added") == len(articles), report.items
        yield service
        service.close()


def _ids(service: NewsService, collection: str) -> set[str]:
    return {r.article_id for r in service.store(collection).catalog.articles()}


def test_asking_one_collection_never_cites_another(service: NewsService) -> None:
    own = {GUILD_1: _ids(service, GUILD_1), GUILD_2: _ids(service, GUILD_2)}
    assert own[GUILD_1].isdisjoint(own[GUILD_2])
    for asked, other_articles in ((GUILD_2, ONE), (GUILD_1, TWO)):
        for article in other_articles:
            answer = service.ask(article.question, collections=[asked])
            assert {c.article_id for c in answer.citations} <= own[asked], answer
            assert article.fact not in answer.answer
    sources = {s.source for s in service.sources(collections=[GUILD_2])}
    assert all(GUILD_2 in source for source in sources) and len(sources) == len(TWO)


def test_an_empty_list_of_collections_is_refused_not_read_as_the_default(
    service: NewsService,
) -> None:
    with pytest.raises(UserError, match="No collection to search"):
        service.ask(ONE[0].question, collections=[])


@pytest.mark.parametrize("name", CRAFTED_NAMES)
def test_crafted_collection_names_are_refused(service: NewsService, name: str) -> None:
    data_dir = service.settings.data_dir
    before = _tree(data_dir.parent)
    with pytest.raises(StoreError, match="invalid collection name"):
        service.ask(ONE[0].question, collections=[name])
    with pytest.raises(StoreError, match="invalid collection name"):
        service.ingest([os.devnull], collection=name)
    with pytest.raises(StoreError, match="invalid collection name"):
        service.forget("anything", collection=name)
    with pytest.raises(StoreError, match="invalid collection name"):
        service.sources(collections=[name])
    assert _tree(data_dir.parent) == before, "a refused name still created files"


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if "chroma" not in p.parts}


def test_a_valid_but_unknown_name_is_an_empty_collection(service: NewsService) -> None:
    # Case and look-alikes name other, empty collections: nothing of guild-1 is reachable.
    for name in ("GUILD-1", "guild-01", "guild-1.0", "guild_1"):
        with pytest.raises(EmptyStoreError):
            service.ask(ONE[0].question, collections=[name])


@pytest.mark.parametrize(
    "filters",
    [
        SearchFilters(source="' OR '1'='1"),
        SearchFilters(source="%"),
        SearchFilters(source="*"),
        SearchFilters(source='{"$ne": ""}'),
        SearchFilters(lang="en' OR '1'='1"),
        SearchFilters(date_from="0000-00-00' OR 1=1 --", date_to="9999"),
    ],
    ids=["sql-quote", "like-wildcard", "glob", "chroma-operator", "lang-quote", "date-quote"],
)
def test_crafted_filters_are_inert(service: NewsService, filters: SearchFilters) -> None:
    answer = service.ask(ONE[0].question, collections=[GUILD_2], filters=filters)
    assert answer.abstained and not answer.citations, answer


def test_a_filter_naming_another_collections_source_finds_nothing(service: NewsService) -> None:
    source = service.sources(collections=[GUILD_1])[0].source
    answer = service.ask(ONE[0].question, collections=[GUILD_2], filters=SearchFilters(source))
    assert answer.abstained and not answer.citations


def test_forget_with_crafted_or_foreign_sources_removes_nothing(service: NewsService) -> None:
    before = {GUILD_1: _ids(service, GUILD_1), GUILD_2: _ids(service, GUILD_2)}
    foreign = service.sources(collections=[GUILD_1])[0].source
    for source in ("%", "*", "' OR '1'='1", "", foreign, foreign + "%"):
        assert service.forget(source, collection=GUILD_2) == 0
    assert {GUILD_1: _ids(service, GUILD_1), GUILD_2: _ids(service, GUILD_2)} == before
    for name in (GUILD_1, GUILD_2):
        assert service.store(name).check_consistency().consistent


@pytest.mark.parametrize(
    "question",
    ['NEAR(bridge cost) OR "x" * AND -', "cost^2 {title}: col:*", '"""', "*", "NOT AND OR"],
)
def test_full_text_search_syntax_in_questions_is_inert(service: NewsService, question: str) -> None:
    answer = service.ask(question, collections=[GUILD_1])
    assert {c.article_id for c in answer.citations} <= _ids(service, GUILD_1)
