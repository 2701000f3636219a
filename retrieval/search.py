"""Hybrid search: dense chunk vectors reranked by their best sentence, plus a BM25 bonus."""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Literal

import numpy as np

from retrieval.catalog import ChunkRecord, SearchFilters
from retrieval.cross_check import shared_cross_check
from retrieval.embedding_cache import CachedEmbeddings, text_key
from retrieval.language_means import merge_means
from retrieval.scripts import char_class, space_unspaced
from retrieval.sentences import sentence_spans
from retrieval.store import CollectionStore

# Cross-lingually BM25 finds mostly noise, so it speaks only through the terms that survive
# translation (names, numbers), and only as a small bonus on the dense score: 1.0 for the
# store's best lexical match. Rank fusion (RRF) let the lexical ranking reorder the close dense
# top and cost 4 points of recall@5 on the development set (BENCHMARKS.md); a bonus this size
# settles near-ties and brings in chunks that the dense candidates missed.
LEXICAL_WEIGHT = 0.02
# Reciprocal rank fusion stays available (fusion="rrf") for monolingual stores and comparison.
RRF_K = 60
RRF_LEXICAL_WEIGHT = 0.5


@cache
def _strong_term(every_script: bool) -> re.Pattern[str]:
    """A number, a word that opens with a capital, or one with two capitals inside ("iPhone",
    "McLaren"). Latin capitals ("Kursk", "Łódź", "İstanbul"): the names the answer's checks
    can find in a text of any Latin-script language ("Kursk" / "Koursk"); with
    `every_script`, the capitals of every script that has them ("Кемерово", "Αθήνα"), which
    only a text in that script holds. Built on first use from the Basic Multilingual Plane."""
    capital = char_class(
        cp
        for cp in range(0x10000)
        if chr(cp).isupper() and (every_script or unicodedata.name(chr(cp), "").startswith("LATIN"))
    )
    return re.compile(rf"\d+(?:[.,]\d+)?|[{capital}][\w'’-]*|\w*[{capital}]\w*[{capital}]\w*")


@dataclass(frozen=True)
class SentenceScore:
    start: int
    end: int
    similarity: float
    # The cross-check model's similarity (`retrieval.cross_check`), for the returned hits;
    # None when it was not run.
    cross: float | None = None


@dataclass
class Hit:
    chunk: ChunkRecord
    collection: str
    chunk_similarity: float
    sentences: list[SentenceScore]
    lexical_score: float | None = None
    score: float = 0.0

    @property
    def best_sentence_similarity(self) -> float:
        return max((s.similarity for s in self.sentences), default=-1.0)

    @property
    def evidence(self) -> float:
        """How well the chunk answers: mean of chunk and best-sentence similarity."""
        return (self.chunk_similarity + self.best_sentence_similarity) / 2


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)


def strong_terms(query: str, every_script: bool = False) -> str:
    """Names and numbers of the question, the words that read the same in every language.

    `every_script`: names in any script with capitals, for the lexical search, where a
    Russian name finds the Russian articles that hold it. The answer's features leave them
    out (the default): they were fitted on names a Latin-script text can be checked for, and
    a Cyrillic name would count as missing from every French or English sentence.
    """
    # A Chinese or Japanese character is a word: "5号线" holds the number 5.
    words = space_unspaced(query).split()
    kept = []
    for position, word in enumerate(words):
        for match in _strong_term(every_script).finditer(word):
            token = match.group(0)
            # The first word of a question is capitalised by grammar, not because it is a name.
            if position == 0 and not token[0].isdigit() and not token.isupper():
                continue
            kept.append(token)
    return " ".join(kept)


def _score_sentences(
    embeddings: CachedEmbeddings, query_vector: np.ndarray, records: Sequence[ChunkRecord]
) -> dict[str, list[SentenceScore]]:
    spans = {
        r.chunk_id: sentence_spans(r.article_text, r.start, r.end) or [(r.start, r.end)]
        for r in records
    }
    texts = {
        text_key(r.article_text[s:e]): r.article_text[s:e]
        for r in records
        for s, e in spans[r.chunk_id]
    }
    vectors = embeddings.cached_passages(list(texts.values()))
    missing = [t for k, t in texts.items() if k not in vectors]
    if missing:
        # Ingest embeds chunk texts only: a chunk's sentences are embedded the first time it is
        # a candidate, once, in one batch, and cached for every later question.
        for text, vector in zip(missing, embeddings.embed_passages(missing), strict=True):
            vectors[text_key(text)] = vector
    scored: dict[str, list[SentenceScore]] = {}
    for r in records:
        scored[r.chunk_id] = [
            SentenceScore(s, e, float(vectors[text_key(r.article_text[s:e])] @ query_vector))
            for s, e in spans[r.chunk_id]
        ]
    return scored


def rescore_sentences(
    hits: Sequence[Hit], embeddings: CachedEmbeddings, text: str, weight: float
) -> list[Hit]:
    """Copies of `hits` whose sentence similarities blend in similarity to another text.

    A sentence's similarity becomes (1 - weight) * its score for the search query plus
    weight * its score for `text`. The chunks and their order stay; the sentence vectors
    are the cached ones, so this costs one query embedding.
    """
    if not hits or weight <= 0:
        return list(hits)
    vector = embeddings.embed_queries([text])[0]
    own = _score_sentences(embeddings, vector, [h.chunk for h in hits])
    blended: list[Hit] = []
    for hit in hits:
        scores = own[hit.chunk.chunk_id]
        sentences = [
            replace(s, similarity=(1 - weight) * s.similarity + weight * o.similarity)
            for s, o in zip(hit.sentences, scores, strict=True)
        ]
        blended.append(replace(hit, sentences=sentences))
    if any(s.cross is not None for h in hits for s in h.sentences):
        blended = cross_checked(blended, text, weight)
    return blended


def _fuse_by_rank(hits: list[Hit]) -> None:
    """Replace each dense score by the weighted RRF of its dense and lexical ranks."""
    dense_order = sorted(hits, key=lambda h: h.score, reverse=True)
    lexical_order = sorted(
        (h for h in hits if h.lexical_score is not None),
        key=lambda h: h.lexical_score or 0.0,
        reverse=True,
    )
    for rank, hit in enumerate(dense_order):
        hit.score = 1.0 / (RRF_K + rank + 1)
    for rank, hit in enumerate(lexical_order):
        hit.score += RRF_LEXICAL_WEIGHT / (RRF_K + rank + 1)


def search_hybrid(
    query: str,
    stores: Sequence[CollectionStore],
    embeddings: CachedEmbeddings,
    k: int = 5,
    filters: SearchFilters | None = None,
    candidates: int = 30,
    lexical_weight: float = LEXICAL_WEIGHT,
    use_lexical: bool = True,
    rerank_sentences: bool = True,
    fusion: Literal["bonus", "rrf"] = "bonus",
    rerank_depth: int = 0,
    center_languages: bool = True,
    cross_check: bool = True,
) -> SearchResult:
    """The k best chunks for `query` over `stores`, each with its sentences scored.

    `rerank_depth`: how many candidates, best first by chunk similarity plus the lexical bonus,
    have their sentences scored and compete for the top k (0: all). A chunk's sentences are
    embedded the first time it is scored (NEWSBOT_SENTENCE_VECTORS=search), so the depth bounds
    what a question over new articles waits for.

    `center_languages`: in a store of several languages, each chunk's rank score is lowered by
    the question's similarity to its language's mean vector (`language_means`), and every
    language brings its own dense candidates, so that an English question is not drawn to
    English text for its language alone. Similarities (the evidence) are left as they are.

    `cross_check`: the returned hits' sentences also get the cross-check model's similarity
    (`retrieval.cross_check`), one of the answer's ranking features.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    query_vector = embeddings.embed_queries([query])[0]
    timings["embed_query"] = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    offsets: dict[str, float] = {}
    languages: dict[str, list[str]] = {}
    if center_languages and not (filters and filters.lang):
        means = {store.name: store.language_means() for store in stores}
        offsets = merge_means(list(means.values())).offsets(query_vector)
        languages = {name: list(m.counts) for name, m in means.items()}
    timings["language_means"] = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    hits: dict[tuple[str, str], Hit] = {}
    best_lexical: dict[str, float] = {}
    lexical_query = strong_terms(query, every_script=True) if use_lexical else ""
    for store in stores:
        if offsets and len(languages.get(store.name, ())) > 1:
            dense = [
                found
                for lang in languages[store.name]
                for found in store.vectors.search(
                    query_vector, candidates, replace(filters or SearchFilters(), lang=lang)
                )
            ]
        else:
            dense = store.vectors.search(query_vector, candidates, filters)
        lexical = (
            store.catalog.lexical_search(lexical_query, candidates, filters)
            if lexical_query
            else []
        )
        records = store.catalog.ready_chunks([c for c, _ in dense] + [c for c, _ in lexical])
        if offsets:
            # Each language brought `candidates`; the best of them after the correction stay,
            # so the sentence scoring below sees as many chunks as in one language.
            dense = sorted(
                (d for d in dense if d[0] in records),
                key=lambda d: d[1] - offsets.get(records[d[0]].lang, 0.0),
                reverse=True,
            )[:candidates]
            kept = {c for c, _ in dense} | {c for c, _ in lexical}
            records = {c: r for c, r in records.items() if c in kept}
        dense_sim = dict(dense)
        missing = [c for c, _ in lexical if c not in dense_sim and c in records]
        if missing:
            for chunk_id, vector in store.vectors.vectors(missing).items():
                dense_sim[chunk_id] = float(vector @ query_vector)
        lexical_scores = dict(lexical)
        # BM25 scores of two collections are not on one scale; each is read against its best.
        best_lexical[store.name] = max((score for _, score in lexical), default=1.0) or 1.0
        for chunk_id, record in records.items():
            hits[(store.name, chunk_id)] = Hit(
                chunk=record,
                collection=store.name,
                chunk_similarity=dense_sim.get(chunk_id, -1.0),
                sentences=[],
                lexical_score=lexical_scores.get(chunk_id),
            )
    timings["retrieve"] = (time.perf_counter() - started) * 1000

    started = time.perf_counter()

    def bonus(hit: Hit) -> float:
        if hit.lexical_score is None or fusion != "bonus":
            return 0.0
        return lexical_weight * hit.lexical_score / best_lexical[hit.collection]

    def offset(hit: Hit) -> float:
        return offsets.get(hit.chunk.lang, 0.0)

    all_hits = sorted(
        hits.values(), key=lambda h: h.chunk_similarity - offset(h) + bonus(h), reverse=True
    )
    if rerank_depth:
        all_hits = all_hits[: max(k, rerank_depth)]
    sentence_scores = _score_sentences(embeddings, query_vector, [h.chunk for h in all_hits])
    for hit in all_hits:
        hit.sentences = sentence_scores[hit.chunk.chunk_id]
        hit.score = hit.chunk_similarity - offset(hit)
        if rerank_sentences:
            # A sentence is in its chunk's language and owes it as much.
            hit.score += hit.best_sentence_similarity - offset(hit)
        hit.score += bonus(hit)
    if fusion == "rrf":
        _fuse_by_rank(all_hits)
    ranked = sorted(all_hits, key=lambda h: h.score, reverse=True)[:k]
    timings["rerank"] = (time.perf_counter() - started) * 1000
    if cross_check:
        started = time.perf_counter()
        ranked = cross_checked(ranked, query)
        timings["cross_check"] = (time.perf_counter() - started) * 1000
    return SearchResult(query=query, hits=ranked, timings_ms=timings)


def cross_checked(hits: Sequence[Hit], query: str, weight: float = 1.0) -> list[Hit]:
    """The hits with each sentence's cross-check similarity to `query`; with `weight` < 1,
    blended into the similarity they already hold ((1 - weight) * old + weight * new), as
    `rescore_sentences` blends a follow-up's own words."""
    checker = shared_cross_check()
    if checker is None or not hits:
        return list(hits)
    texts = [h.chunk.article_text[s.start : s.end] for h in hits for s in h.sentences]
    scores = iter(checker.similarities(query, texts))
    checked = []
    for hit in hits:
        sentences = []
        for s in hit.sentences:
            new = next(scores)
            old = s.cross if s.cross is not None else new
            sentences.append(replace(s, cross=(1 - weight) * old + weight * new))
        checked.append(replace(hit, sentences=sentences))
    return checked
