"""Ingestion: loaded articles -> chunks -> (embedded once) -> store, with a per-item outcome.

Loading and chunking run in a producer thread while the caller's thread embeds and writes, so
the two overlap (the embedding engines release the GIL while they compute). A bounded queue
between them keeps memory flat whatever the size of the input: at most `queue_size` prepared
articles wait, plus the batch being written.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from retrieval.articles import Article, Chunk
from retrieval.chunking import TokenCounter, chunk_article
from retrieval.loading import LoadFailure
from retrieval.near_duplicates import Signature, is_same_story, shingles, signature
from retrieval.store import CollectionStore, PlannedArticle

# "duplicate": the same story as an article of another source, recorded as "also in" it.
Status = Literal["added", "unchanged", "updated", "duplicate", "failed"]

DEFAULT_BATCH_CHUNKS = 64
DEFAULT_QUEUE_SIZE = 256


@dataclass(frozen=True)
class IngestItem:
    source: str
    status: Status
    reason: str = ""
    title: str = ""
    chunks: int = 0


@dataclass(frozen=True)
class _Prepared:
    """What the producer hands over: a failure, a known article, or an article with chunks."""

    item: Article | LoadFailure
    chunks: Sequence[Chunk] | None = None  # None: already stored when looked at
    signature: Signature | None = None
    signing_s: float = 0.0  # time spent on the signature, for the near-duplicate cost


class _ProducerFailed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


def token_counter(store: CollectionStore) -> TokenCounter | None:
    """The model's token counter, or None when the backend cannot count (chunk by characters)."""
    count = store.embeddings.count_tokens
    return count if count("probe") is not None else None


def store_failure(error: Exception, store: CollectionStore) -> str:
    """The reason shown for a batch that could not be written, naming a Chroma server's URL."""
    client = getattr(store.vectors.collection, "_client", None)
    get_url = getattr(client, "get_api_url", None)
    if callable(get_url) and not isinstance(error, ValueError):
        # Transport errors from the server's client do not say which server they tried.
        return f"could not store in the Chroma server at {get_url()}: {error}"
    return f"could not store: {error}"


def _prepare(
    items: Iterable[Article | LoadFailure],
    store: CollectionStore,
    out: queue.Queue,
    stop: threading.Event,
) -> None:
    """Producer: load each item and chunk the articles not stored yet; never blocks forever."""
    count_tokens = token_counter(store)

    def put(value: object) -> bool:
        while not stop.is_set():
            try:
                out.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    try:
        for item in items:
            if isinstance(item, LoadFailure):
                prepared = _Prepared(item)
            elif store.catalog.article(item.id) is not None:
                # Unchanged: no chunking at all, which is what makes a re-ingest cheap.
                prepared = _Prepared(item)
            else:
                started = time.perf_counter()
                sig = signature(item.text)
                signing_s = time.perf_counter() - started
                chunks = chunk_article(item, count_tokens=count_tokens)
                prepared = _Prepared(item, chunks, sig, signing_s)
            if not put(prepared):
                return
    except BaseException as error:  # handed to the consumer, which re-raises it
        put(_ProducerFailed(error))
        return
    put(_DONE)


def _prepared_in_thread(
    items: Iterable[Article | LoadFailure], store: CollectionStore, queue_size: int
) -> Iterator[_Prepared]:
    prepared: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
    stop = threading.Event()
    producer = threading.Thread(
        target=_prepare, args=(items, store, prepared, stop), name="ingest-prepare", daemon=True
    )
    producer.start()
    try:
        while True:
            value = prepared.get()
            if value is _DONE:
                return
            if isinstance(value, _ProducerFailed):
                raise value.error
            yield value
    finally:
        # The consumer stopped (done, error or interrupt): let the producer finish promptly.
        stop.set()
        producer.join(timeout=5)


def iter_ingest(
    items: Iterable[Article | LoadFailure],
    store: CollectionStore,
    batch_chunks: int = DEFAULT_BATCH_CHUNKS,
    queue_size: int = DEFAULT_QUEUE_SIZE,
    max_chunks: int | None = None,
    timings: dict[str, float] | None = None,
) -> Iterator[IngestItem]:
    """Store every article not already stored, yielding one outcome per input item, in order.

    Articles are written in batches of about `batch_chunks` chunks: one model pass per batch,
    and identical texts in a batch are embedded once (the cache covers texts seen before).
    An article from a source with nothing stored that tells the same story as a stored article
    of another source is not stored: it is recorded as "also in" that article. `timings`, when
    given, receives the seconds spent finding copies ("near_duplicates_s").
    """
    timings = timings if timings is not None else {}
    timings.setdefault("near_duplicates_s", 0.0)
    started = time.perf_counter()
    store.sign_unsigned()
    timings["near_duplicates_s"] += time.perf_counter() - started
    planned: list[PlannedArticle] = []
    planned_ids: set[str] = set()
    planned_sources: set[str] = set()
    planned_buckets: set[tuple[int, int]] = set()  # LSH buckets of the planned articles
    # Outcomes wait for their batch so that the report keeps the order of the input.
    waiting: list[tuple[IngestItem, bool]] = []
    chunk_total = 0

    def flush() -> Iterator[IngestItem]:
        nonlocal chunk_total
        failure = ""
        if planned:
            try:
                store.write(planned)
            except Exception as error:
                failure = store_failure(error, store)
                # The batch is recorded as pending until written; repair undoes any half of it,
                # so a failure here loses nothing that was already stored.
                with contextlib.suppress(Exception):
                    # Unreachable store: the rows stay 'pending', and the next open repairs them.
                    store.repair()
        planned.clear()
        planned_ids.clear()
        planned_sources.clear()
        planned_buckets.clear()
        chunk_total = 0
        outcomes = list(waiting)
        waiting.clear()
        for item, written in outcomes:
            if written and failure:
                item = IngestItem(item.source, "failed", failure, item.title)
            yield item

    def report(item: IngestItem) -> Iterator[IngestItem]:
        if planned:
            waiting.append((item, False))
        else:
            yield item

    for prepared in _prepared_in_thread(items, store, queue_size):
        item = prepared.item
        if isinstance(item, LoadFailure):
            yield from report(IngestItem(item.source, "failed", item.reason))
            continue
        article = item
        if (
            prepared.chunks is None
            or article.id in planned_ids
            or store.catalog.article(article.id) is not None
        ):
            yield from report(IngestItem(article.source, "unchanged", title=article.title))
            continue
        if article.source in planned_sources:
            # Two versions of one source in a batch: the later must see the earlier as stored.
            yield from flush()
        older = [r.article_id for r in store.catalog.articles(source=article.source)]
        sig = prepared.signature
        timings["near_duplicates_s"] += prepared.signing_s
        if not older and sig is not None and sig.usable:
            # Only a source with nothing stored can be a copy: a new text from a stored source
            # is its update and replaces it, whatever it resembles.
            started = time.perf_counter()
            if planned_buckets.intersection(sig.bands()) and any(
                is_same_story(shingles(article.text), shingles(p.article.text)) for p in planned
            ):
                # The first copy is not written yet; it must be stored before it is named.
                timings["near_duplicates_s"] += time.perf_counter() - started
                yield from flush()
                started = time.perf_counter()
            kept = store.find_copy_of(article, sig)
            recorded = kept is not None and store.record_copy(kept, article)
            timings["near_duplicates_s"] += time.perf_counter() - started
            if kept is not None and recorded:
                reason = f"same story as {kept.source}; listed as also in it"
                yield from report(IngestItem(article.source, "duplicate", reason, article.title))
                continue
        if not prepared.chunks:
            yield from report(
                IngestItem(article.source, "failed", "no text to index", article.title)
            )
            continue
        if max_chunks is not None and len(prepared.chunks) > max_chunks:
            reason = (
                f"too long: {len(prepared.chunks):,} chunks, over the limit of {max_chunks:,} "
                "per article (NEWSBOT_MAX_CHUNKS_PER_ARTICLE); split the document or raise "
                "the limit"
            )
            yield from report(IngestItem(article.source, "failed", reason, article.title))
            continue
        planned.append(PlannedArticle(article, prepared.chunks, older, sig))
        planned_ids.add(article.id)
        planned_sources.add(article.source)
        if sig is not None:
            planned_buckets.update(sig.bands())
        status: Status = "updated" if older else "added"
        outcome = IngestItem(
            article.source, status, title=article.title, chunks=len(prepared.chunks)
        )
        waiting.append((outcome, True))
        chunk_total += len(prepared.chunks)
        if chunk_total >= batch_chunks:
            yield from flush()
    yield from flush()


def ingest_articles(
    items: Iterable[Article | LoadFailure],
    store: CollectionStore,
    on_item: Callable[[IngestItem], None] | None = None,
    batch_chunks: int = DEFAULT_BATCH_CHUNKS,
    max_chunks: int | None = None,
    timings: dict[str, float] | None = None,
) -> list[IngestItem]:
    """`iter_ingest`, collected; `on_item` sees each outcome as soon as it is known."""
    results: list[IngestItem] = []
    for item in iter_ingest(
        items, store, batch_chunks=batch_chunks, max_chunks=max_chunks, timings=timings
    ):
        results.append(item)
        if on_item:
            on_item(item)
    return results
