"""Opening the SQLite files that several processes share: the embedding cache, the catalog,
feed logs, subscriptions and Discord conversations.

Every file is opened the same way: write-ahead logging so that readers never wait for a writer,
autocommit so that transactions are opened explicitly where several writes must agree, and a
long busy timeout so that a second process waits for the first instead of failing.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

# 0.05 s apart: ten seconds in all.
_WAL_ATTEMPTS = 200


def connect_sqlite(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
    # Turning a new file to WAL needs a lock that SQLite's busy timeout does not wait for: two
    # feeds polled at once, opening one new log, got "database is locked". Wait here instead.
    for attempt in range(_WAL_ATTEMPTS):
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == _WAL_ATTEMPTS - 1:
                connection.close()
                raise
            time.sleep(0.05)
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=60000")
    return connection
