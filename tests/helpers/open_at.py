"""Open embedded Chroma in DATA_DIR at wall-clock time START, then create a collection.

    python -m tests.helpers.open_at DATA_DIR START

Imports first, then waits, so that several of these open the same directory within a
millisecond of each other: the moment a lock-free first open races.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from retrieval.vector_index import open_chroma_client


def main(argv: list[str]) -> int:
    data_dir, start = Path(argv[0]), float(argv[1])
    while time.time() < start:
        time.sleep(0.0005)
    client = open_chroma_client(data_dir)
    client.get_or_create_collection("news", embedding_function=None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
