"""One embedding cache holding every text of the shared test corpora, built once per session.

Embedding is the slow part of ingesting here (seconds per article on a busy CPU); the crash,
concurrency and fuzz tests copy this cache into their data directories so that what they
measure is writing, killing and asking, not the model.
"""

from __future__ import annotations

import fcntl
import sqlite3
from pathlib import Path

from bot.service import NewsService
from bot.settings import Settings
from retrieval.sentences import sentence_spans
from tests.helpers.corpus import good_articles, write_articles
from tests.helpers.environment import clean_environment

CORPUS_SIZE = 24
CACHE_NAME = "embeddings.sqlite"


def warm_cache(base: Path) -> Path:
    """The path of the warm cache under `base` (a session's temp root), built if missing."""
    root = base / "warm-embeddings"
    root.mkdir(parents=True, exist_ok=True)
    cache = root / "data" / CACHE_NAME
    with (root / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder even if test processes run in parallel
        if not (root / "ready").exists():
            with clean_environment(root):
                for version in (1, 2):
                    articles = good_articles(CORPUS_SIZE, version=version)
                    write_articles(root / f"v{version}", articles)
                service = NewsService(Settings(data_dir=root / "data"))
                report = service.ingest([str(root / "v1"), str(root / "v2")], collection="warm")
                assert report.exit_code == 0, report.items
                # Ingest embeds chunk texts only; search embeds sentences when first needed.
                # The tests that ask should measure asking, so the sentences are cached too.
                store = service.store("warm")
                chunks = store.catalog.chunks_of([r.article_id for r in store.catalog.articles()])
                service.embeddings.embed_passages(
                    [
                        c.article_text[s:e]
                        for c in chunks
                        for s, e in sentence_spans(c.article_text, c.start, c.end)
                    ]
                )
                service.close()
            (root / "ready").touch()
    return cache


def copy_warm_cache(base: Path, data_dir: Path) -> None:
    """Put a consistent copy of the warm cache into `data_dir` (SQLite's backup, not cp: WAL)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(warm_cache(base))
    target = sqlite3.connect(data_dir / CACHE_NAME)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
