"""What the bot can do, as calls to the answering service run in the bounded job pool."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from bot.answer_types import Answer
from bot.errors import EmptyStoreError, UserError
from bot.service import IngestReport, SourceInfo, Turn
from retrieval.articles import Article
from retrieval.loading import LoadFailure, LoadOptions

from . import messages
from .jobs import JobRunner
from .scopes import Scope
from .uploads import load_upload, upload_source


class AnswerService(Protocol):
    """The part of bot.service.NewsService the Discord layer uses (tests may pass a stand-in)."""

    def ask(
        self, question: str, *, collections: Sequence[str] | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer: ...

    def ingest(
        self, inputs: Sequence[str], *, collection: str | None = None,
        allow_private_urls: bool | None = None,
    ) -> IngestReport: ...

    def ingest_articles(
        self, items: Iterable[Article | LoadFailure], *, collection: str | None = None
    ) -> IngestReport: ...

    def load_options(self, allow_private_urls: bool | None = None) -> LoadOptions: ...

    def forget(self, source: str, *, collection: str | None = None) -> int: ...

    def sources(self, *, collections: Sequence[str] | None = None) -> list[SourceInfo]: ...


class NewsActions:
    def __init__(self, service: AnswerService, jobs: JobRunner) -> None:
        self.service = service
        self.jobs = jobs

    async def ask(self, question: str, scope: Scope, history: Sequence[Turn] = ()) -> Answer:
        collections = scope.search_collections
        if not collections:
            raise UserError(messages.DM_NO_ARTICLES)
        try:
            return await self.jobs.run(
                self.service.ask, question, collections=collections, history=list(history)
            )
        except EmptyStoreError as exc:
            # The service's hint names CLI commands; Discord users add articles with /ingest.
            empty = messages.EMPTY_HERE if scope.guild_id is not None else messages.DM_NO_ARTICLES
            raise UserError(empty) from exc

    async def sources(self, scope: Scope) -> list[SourceInfo]:
        collections = scope.search_collections
        if not collections:
            return []
        return await self.jobs.run(self.service.sources, collections=collections)

    async def own_sources(self, scope: Scope) -> list[SourceInfo]:
        collection = _writable(scope)
        return await self.jobs.run(self.service.sources, collections=[collection])

    async def ingest_url(self, url: str, scope: Scope) -> IngestReport:
        if not url.lower().startswith(("http://", "https://")):
            raise UserError(messages.URL_SCHEME)
        # Whatever the operator allows on the command line, Discord users never reach
        # private or local addresses.
        return await self.jobs.run(
            self.service.ingest, [url], collection=_writable(scope), allow_private_urls=False
        )

    async def ingest_upload(self, data: bytes, filename: str, scope: Scope) -> IngestReport:
        collection = _writable(scope)
        assert scope.guild_id is not None
        source = upload_source(scope.guild_id, filename)

        def load_and_store() -> IngestReport:
            items = load_upload(data, filename, source, self.service.load_options(False))
            return self.service.ingest_articles(items, collection=collection)

        return await self.jobs.run(load_and_store)

    async def forget(self, source: str, scope: Scope) -> int:
        return await self.jobs.run(self.service.forget, source, collection=_writable(scope))


def _writable(scope: Scope) -> str:
    if scope.own_collection is None:
        raise UserError(messages.DM_NO_CHANGES)
    return scope.own_collection
