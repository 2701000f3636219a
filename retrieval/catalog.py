"""The per-collection catalog: articles with their full text, chunk spans, and the BM25 index.

SQLite (one file per collection) is the record of what is ingested. Vectors live in Chroma; an
article is searchable only once its state is 'ready', which is set in the same transaction that
fills its lexical index, so the two indexes agree even after a crash (see `CollectionStore`).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from retrieval.articles import Article, Chunk
from retrieval.near_duplicates import Signature
from retrieval.scripts import holds_unspaced, space_unspaced, words_with_marks
from retrieval.sqlite_files import connect_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT,
    date TEXT,
    lang TEXT NOT NULL,
    text TEXT NOT NULL,
    n_chunks INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'ready', 'deleting')),
    added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_source ON articles (source);
CREATE INDEX IF NOT EXISTS articles_state ON articles (state);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    article_id TEXT NOT NULL REFERENCES articles (article_id),
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks (article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (
    body, tokenize = 'unicode61 remove_diacritics 2'
);
-- Near-duplicates (retrieval/near_duplicates.py): each stored article's MinHash signature and
-- LSH buckets, and the other copies of its story that were not stored ("also in"). A source is
-- in at most one also-in list.
CREATE TABLE IF NOT EXISTS signatures (
    article_id TEXT PRIMARY KEY, n_shingles INTEGER NOT NULL, minhash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS signature_buckets (
    band INTEGER NOT NULL, bucket INTEGER NOT NULL, article_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS signature_buckets_key ON signature_buckets (band, bucket);
CREATE INDEX IF NOT EXISTS signature_buckets_article ON signature_buckets (article_id);
CREATE TABLE IF NOT EXISTS also_in (
    source TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT,
    date TEXT,
    added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS also_in_article ON also_in (article_id);
"""

# Digit groups are written "8000", "8 000", "8,000" or "8.000" depending on the language;
# index and query them in one form so a number matches across languages.
_DIGIT_GROUP = re.compile(r"(?<=\d)[\s,.'\u00a0\u202f](?=\d{3}(?!\d))")
# Words too common to carry a match; a short list across the corpus languages.
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "them",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "would",
        "many",
        "much",
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "du",
        "de",
        "et",
        "en",
        "est",
        "que",
        "qui",
        "dans",
        "pour",
        "par",
        "sur",
        "au",
        "aux",
        "ce",
        "ces",
        "il",
        "elle",
        "ils",
        "der",
        "die",
        "das",
        "und",
        "ist",
        "ein",
        "eine",
        "einer",
        "den",
        "dem",
        "des",
        "im",
        "in",
        "zu",
        "mit",
        "von",
        "auf",
        "für",
        "wie",
        "was",
        "wer",
        "el",
        "los",
        "las",
        "y",
        "es",
        "en",
        "un",
        "una",
        "del",
        "que",
        "por",
        "con",
        "para",
        "como",
        "qué",
        "cuál",
        "quién",
        "cuántos",
        "cuántas",
    ]
)


# The lexical index's text, by version: 2 spaces Chinese and Japanese characters. SQLite's
# unicode61 tokenizer reads a run of them as one token ("郑州地铁5号线一列列车被困"), so no
# number or Latin name glued to them ("5号线", "14名乘客") could be found.
LEXICAL_INDEX_VERSION = "2"


def normalize_for_index(text: str) -> str:
    """Text as the lexical index holds it, and as queries are read against it: one form for
    digit groups, and every Chinese or Japanese character a token of its own."""
    return space_unspaced(_DIGIT_GROUP.sub("", text))


def lexical_terms(query: str) -> list[str]:
    """The query's words as full-text terms, each searched as a phrase.

    A word keeps the marks written inside it: \\w+ cut "सैनिक" into "स", "न" and "क", single
    letters dropped below, so a Devanagari (or Bengali, Tamil, Thai) noun never reached the
    index. Quoted whole, the index's tokenizer splits it as it split the stored text and the
    pieces must then stand in order, as in the word.
    """
    terms = []
    for word in words_with_marks(r"\w").findall(normalize_for_index(query).lower()):
        if word in _STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        terms.append(word)
    return list(dict.fromkeys(terms))


@dataclass(frozen=True)
class SearchFilters:
    source: str | None = None
    lang: str | None = None
    date_from: str | None = None  # ISO dates, inclusive
    date_to: str | None = None

    def is_empty(self) -> bool:
        return not (self.source or self.lang or self.date_from or self.date_to)

    def sql(self, alias: str = "a") -> tuple[str, list[str]]:
        clauses, params = [], []
        if self.source:
            clauses.append(f"{alias}.source = ?")
            params.append(self.source)
        if self.lang:
            clauses.append(f"{alias}.lang = ?")
            params.append(self.lang)
        if self.date_from:
            clauses.append(f"{alias}.date >= ?")
            params.append(self.date_from)
        if self.date_to:
            clauses.append(f"{alias}.date <= ?")
            params.append(self.date_to)
        return " AND ".join(clauses), params


@dataclass(frozen=True)
class ArticleRecord:
    article_id: str
    source: str
    title: str
    url: str | None
    date: str | None
    lang: str
    n_chunks: int
    state: str
    added_at: str


@dataclass(frozen=True)
class ChunkRecord:
    chunk_id: str
    article_id: str
    start: int
    end: int
    article_text: str
    source: str
    title: str
    url: str | None
    date: str | None
    lang: str

    @property
    def text(self) -> str:
        return self.article_text[self.start : self.end]


@dataclass(frozen=True)
class AlsoIn:
    """Another copy of a stored article's story, recorded instead of stored."""

    source: str
    title: str
    url: str | None
    date: str | None


def _chunk_record(row: tuple, article_text: str) -> ChunkRecord:
    """A ChunkRecord from (chunk_id, article_id, start, end, source, title, url, date, lang)."""
    chunk_id, article_id, start, end, *meta = row
    return ChunkRecord(chunk_id, article_id, start, end, article_text, *meta)


_ARTICLE_COLUMNS = "article_id, source, title, url, date, lang, n_chunks, state, added_at"


class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = connect_sqlite(path)
        self._lock = threading.RLock()
        self._db.executescript(SCHEMA)
        self._upgrade_lexical_index()

    def _upgrade_lexical_index(self) -> None:
        """Re-index, once, the chunks an older version of `normalize_for_index` indexed
        differently: the stored articles holding Chinese or Japanese characters.

        One transaction with the version mark, so a crash leaves the old index and its old
        mark, and the next open does it again.
        """
        if self.get_meta("lexical_index") == LEXICAL_INDEX_VERSION:
            return
        with self._transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'lexical_index'").fetchone()
            if row is not None and row[0] == LEXICAL_INDEX_VERSION:
                return  # another process upgraded it meanwhile
            # Read one article at a time: a large store's texts need not all fit in memory.
            articles = db.cursor().execute(
                "SELECT article_id, text FROM articles WHERE state = 'ready'"
            )
            for article_id, text in articles:
                if holds_unspaced(text):
                    self._index_chunks(db, article_id, text)
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('lexical_index', ?)",
                (LEXICAL_INDEX_VERSION,),
            )

    @staticmethod
    def _index_chunks(db: sqlite3.Connection, article_id: str, text: str) -> None:
        """(Re)write the lexical index rows of one article's chunks."""
        rows = db.execute(
            "SELECT rowid, start, end FROM chunks WHERE article_id = ?", (article_id,)
        ).fetchall()
        db.execute(
            f"DELETE FROM chunks_fts WHERE rowid IN ({','.join('?' * len(rows))})",
            [r[0] for r in rows],
        )
        db.executemany(
            "INSERT INTO chunks_fts (rowid, body) VALUES (?, ?)",
            [(rowid, normalize_for_index(text[s:e])) for rowid, s, e in rows],
        )

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- metadata -------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # --- reading ---------------------------------------------------------------------------
    def article(self, article_id: str) -> ArticleRecord | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE article_id = ?", (article_id,)
            ).fetchone()
        return ArticleRecord(*row) if row else None

    def article_text(self, article_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT text FROM articles WHERE article_id = ?", (article_id,)
            ).fetchone()
        return row[0] if row else None

    def articles(self, source: str | None = None, state: str = "ready") -> list[ArticleRecord]:
        query = f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE state = ?"
        params: list[str] = [state]
        if source is not None:
            query += " AND source = ?"
            params.append(source)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY added_at, source", params).fetchall()
        return [ArticleRecord(*row) for row in rows]

    def ready_count(self) -> int:
        with self._lock:
            return int(
                self._db.execute("SELECT COUNT(*) FROM articles WHERE state = 'ready'").fetchone()[
                    0
                ]
            )

    def chunk_count(self) -> int:
        with self._lock:
            return int(
                self._db.execute(
                    "SELECT COUNT(*) FROM chunks c JOIN articles a USING (article_id)"
                    " WHERE a.state = 'ready'"
                ).fetchone()[0]
            )

    def chunk_counts_by_lang(self) -> dict[str, int]:
        """How many searchable chunks each language has."""
        with self._lock:
            return {
                lang: int(n)
                for lang, n in self._db.execute(
                    "SELECT a.lang, COUNT(*) FROM chunks c JOIN articles a USING (article_id)"
                    " WHERE a.state = 'ready' GROUP BY a.lang"
                )
            }

    def sample_chunk_ids(self, lang: str, limit: int) -> list[str]:
        """Up to `limit` searchable chunks of one language. Chunk ids are hashes, so the
        first ones in id order are a spread over the articles, the same on every call."""
        with self._lock:
            return [
                row[0]
                for row in self._db.execute(
                    "SELECT c.chunk_id FROM chunks c JOIN articles a USING (article_id)"
                    " WHERE a.state = 'ready' AND a.lang = ? ORDER BY c.chunk_id LIMIT ?",
                    (lang, limit),
                )
            ]

    def chunk_ids(self, article_ids: Sequence[str]) -> list[str]:
        ids: list[str] = []
        with self._lock:
            for i in range(0, len(article_ids), 500):
                part = list(article_ids[i : i + 500])
                marks = ",".join("?" * len(part))
                ids.extend(
                    row[0]
                    for row in self._db.execute(
                        f"SELECT chunk_id FROM chunks WHERE article_id IN ({marks})", part
                    )
                )
        return ids

    def ready_chunks(self, chunk_ids: Sequence[str]) -> dict[str, ChunkRecord]:
        """Chunks of ready articles only: a half-written article is never shown."""
        rows: list[tuple] = []
        with self._lock:
            for i in range(0, len(chunk_ids), 500):
                part = list(chunk_ids[i : i + 500])
                marks = ",".join("?" * len(part))
                rows.extend(
                    self._db.execute(
                        "SELECT c.chunk_id, c.article_id, c.start, c.end, a.source, a.title,"
                        " a.url, a.date, a.lang FROM chunks c JOIN articles a USING (article_id)"
                        # "+": SQLite 3.40 otherwise walks the state index (every ready
                        # article, 1.2 s at 1M chunks) instead of looking up the chunk ids.
                        f" WHERE +a.state = 'ready' AND c.chunk_id IN ({marks})",
                        part,
                    ).fetchall()
                )
            texts = self._texts({row[1] for row in rows})
        return {row[0]: _chunk_record(row, texts[row[1]]) for row in rows}

    def lexical_search(
        self, query: str, limit: int, filters: SearchFilters | None = None
    ) -> list[tuple[str, float]]:
        """BM25 over chunk text; returns (chunk_id, score) with higher scores better."""
        terms = lexical_terms(query)
        if not terms:
            return []
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        if filters is None or filters.is_empty():
            # FTS5 ranks its own matches first, the joins then see only the best of them: 2.7x
            # faster for a term in 40,000 of 1M chunks. Enough survivors, or the full query.
            with self._lock:
                rows = self._db.execute(
                    "SELECT c.chunk_id, f.rank FROM (SELECT rowid, rank FROM chunks_fts"
                    " WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?) f"
                    " JOIN chunks c ON c.rowid = f.rowid"
                    " JOIN articles a ON a.article_id = c.article_id"
                    " WHERE +a.state = 'ready' ORDER BY f.rank LIMIT ?",
                    [match, limit * 4, limit],
                ).fetchall()
            if len(rows) == limit:
                return [(chunk_id, -float(rank)) for chunk_id, rank in rows]
        where, params = (filters or SearchFilters()).sql("a")
        sql = (
            "SELECT c.chunk_id, bm25(chunks_fts) AS rank FROM chunks_fts"
            " JOIN chunks c ON c.rowid = chunks_fts.rowid"
            " JOIN articles a ON a.article_id = c.article_id"
            " WHERE chunks_fts MATCH ? AND +a.state = 'ready'"
            + (f" AND {where}" if where else "")
            + " ORDER BY rank LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, [match, *params, limit]).fetchall()
        return [(chunk_id, -float(rank)) for chunk_id, rank in rows]

    # --- writing (see CollectionStore for the order of operations) ---------------------------
    def begin(self, batch: Sequence[tuple[Article, Sequence[Chunk]]]) -> None:
        """Record articles as pending before their vectors are written."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._transaction() as db:
            for article, chunks in batch:
                db.execute(
                    "INSERT OR REPLACE INTO articles (article_id, source, title, url, date, lang,"
                    " text, n_chunks, state, added_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                    (
                        article.id,
                        article.source,
                        article.title,
                        article.url,
                        article.date,
                        article.lang,
                        article.text,
                        len(chunks),
                        now,
                    ),
                )
                db.executemany(
                    "INSERT OR REPLACE INTO chunks (chunk_id, article_id, idx, start, end)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [(c.id, c.article_id, c.index, c.start, c.end) for c in chunks],
                )

    def finish(self, article_ids: Sequence[str], replaced_ids: Sequence[str]) -> None:
        """Make articles searchable and retire the versions they replace, atomically."""
        with self._transaction() as db:
            for article_id in article_ids:
                text = db.execute(
                    "SELECT text FROM articles WHERE article_id = ?", (article_id,)
                ).fetchone()[0]
                self._index_chunks(db, article_id, text)
                db.execute(
                    "UPDATE articles SET state = 'ready' WHERE article_id = ?", (article_id,)
                )
                # The copies of an updated story stay its copies; a source now stored in its
                # own right is no longer a copy of another article.
                db.execute(
                    "UPDATE also_in SET article_id = ?1 WHERE article_id IN (SELECT article_id"
                    " FROM articles WHERE source = (SELECT source FROM articles WHERE"
                    " article_id = ?1) AND article_id != ?1)",
                    (article_id,),
                )
                db.execute(
                    "DELETE FROM also_in WHERE source ="
                    " (SELECT source FROM articles WHERE article_id = ?)",
                    (article_id,),
                )
            self._set_state(db, replaced_ids, "deleting")

    def mark_deleting(self, article_ids: Sequence[str]) -> None:
        with self._transaction() as db:
            self._set_state(db, article_ids, "deleting")

    @staticmethod
    def _set_state(db: sqlite3.Connection, article_ids: Sequence[str], state: str) -> None:
        db.executemany(
            "UPDATE articles SET state = ? WHERE article_id = ?",
            [(state, article_id) for article_id in article_ids],
        )

    def purge(self, article_ids: Sequence[str]) -> None:
        """Remove articles and their chunks from the catalog and the lexical index."""
        with self._transaction() as db:
            for article_id in article_ids:
                db.execute(
                    "DELETE FROM chunks_fts WHERE rowid IN"
                    " (SELECT rowid FROM chunks WHERE article_id = ?)",
                    (article_id,),
                )
                db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
                db.execute("DELETE FROM articles WHERE article_id = ?", (article_id,))
                db.execute("DELETE FROM signatures WHERE article_id = ?", (article_id,))
                db.execute("DELETE FROM signature_buckets WHERE article_id = ?", (article_id,))
                db.execute("DELETE FROM also_in WHERE article_id = ?", (article_id,))

    def unfinished(self) -> tuple[list[str], list[str]]:
        """(pending, deleting) article ids: work a crash interrupted."""
        with self._lock:
            rows = self._db.execute(
                "SELECT article_id, state FROM articles WHERE state != 'ready'"
            ).fetchall()
        pending = [a for a, s in rows if s == "pending"]
        deleting = [a for a, s in rows if s == "deleting"]
        return pending, deleting

    def chunks_of(self, article_ids: Sequence[str]) -> list[ChunkRecord]:
        """Every chunk of these articles, whatever their state (used to re-embed them)."""
        records: list[ChunkRecord] = []
        with self._lock:
            for article_id in article_ids:
                rows = self._db.execute(
                    "SELECT c.chunk_id, c.article_id, c.start, c.end, a.source, a.title,"
                    " a.url, a.date, a.lang FROM chunks c JOIN articles a USING (article_id)"
                    " WHERE c.article_id = ? ORDER BY c.idx",
                    (article_id,),
                ).fetchall()
                if rows:
                    text = self._texts({article_id})[article_id]
                    records.extend(_chunk_record(row, text) for row in rows)
        return records

    def _texts(self, article_ids: set[str]) -> dict[str, str]:
        # Each article's text is read once and shared by its chunk records: selecting it on
        # every chunk row copied a 4 MB article 1,700 times (minutes, gigabytes) on ingest.
        texts: dict[str, str] = {}
        ids = sorted(article_ids)
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            texts.update(
                self._db.execute(
                    f"SELECT article_id, text FROM articles WHERE article_id IN ({marks})", part
                ).fetchall()
            )
        return texts

    def all_chunk_ids(self) -> set[str]:
        with self._lock:
            return {row[0] for row in self._db.execute("SELECT chunk_id FROM chunks")}

    # --- near-duplicates ---------------------------------------------------------------------
    def add_signatures(self, signatures: Sequence[tuple[str, Signature]]) -> None:
        with self._transaction() as db:
            for article_id, sig in signatures:
                db.execute("DELETE FROM signature_buckets WHERE article_id = ?", (article_id,))
                db.execute(
                    "INSERT OR REPLACE INTO signatures (article_id, n_shingles, minhash)"
                    " VALUES (?, ?, ?)",
                    (article_id, sig.n_shingles, sig.values),
                )
                db.executemany(
                    "INSERT INTO signature_buckets (band, bucket, article_id) VALUES (?, ?, ?)",
                    [(band, bucket, article_id) for band, bucket in sig.bands()],
                )

    def unsigned_articles(self, limit: int = 500) -> list[str]:
        """Ready articles stored before signatures were kept (or restored by a sync)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT article_id FROM articles a WHERE state = 'ready' AND NOT EXISTS"
                " (SELECT 1 FROM signatures s WHERE s.article_id = a.article_id) LIMIT ?",
                (limit,),
            ).fetchall()
        return [row[0] for row in rows]

    def duplicate_candidates(self, sig: Signature, limit: int = 20) -> list[str]:
        """Ready articles sharing an LSH bucket with `sig`, those sharing the most first."""
        buckets = sig.bands()
        if not buckets:
            return []
        values = ",".join("(?, ?)" for _ in buckets)
        params = [v for pair in buckets for v in pair]
        with self._lock:
            rows = self._db.execute(
                f"WITH keys (band, bucket) AS (VALUES {values})"
                " SELECT b.article_id, COUNT(*) AS shared FROM keys"
                " JOIN signature_buckets b ON b.band = keys.band AND b.bucket = keys.bucket"
                " JOIN articles a ON a.article_id = b.article_id WHERE a.state = 'ready'"
                " GROUP BY b.article_id ORDER BY shared DESC LIMIT ?",
                [*params, limit],
            ).fetchall()
        return [row[0] for row in rows]

    def add_also_in(self, article_id: str, copy: AlsoIn) -> bool:
        """Record `copy` as another copy of the ready article; False if it is gone meanwhile."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._transaction() as db:
            ready = db.execute(
                "SELECT 1 FROM articles WHERE article_id = ? AND state = 'ready'", (article_id,)
            ).fetchone()
            if not ready:
                return False
            db.execute(
                "INSERT OR REPLACE INTO also_in (source, article_id, title, url, date, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (copy.source, article_id, copy.title, copy.url, copy.date, now),
            )
        return True

    def also_in(self, article_ids: Sequence[str]) -> dict[str, list[AlsoIn]]:
        """The recorded copies of each article, oldest record first."""
        found: dict[str, list[AlsoIn]] = {}
        with self._lock:
            for i in range(0, len(article_ids), 500):
                part = list(article_ids[i : i + 500])
                marks = ",".join("?" * len(part))
                for article_id, *fields in self._db.execute(
                    "SELECT article_id, source, title, url, date FROM also_in"
                    f" WHERE article_id IN ({marks}) ORDER BY added_at, source",
                    part,
                ):
                    found.setdefault(article_id, []).append(AlsoIn(*fields))
        return found

    def forget_also_in(self, source: str) -> int:
        with self._transaction() as db:
            return db.execute("DELETE FROM also_in WHERE source = ?", (source,)).rowcount
