"""The pipeline a user would build from the LangChain RAG tutorial: the baseline to beat."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from bot.evaluation import RECALL_AT, CitedQuote, PipelineAnswer
from retrieval.articles import Article

# The tutorial's settings: 1000-character chunks overlapping by 200, four retrieved chunks.
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4


class LangChainBaseline:
    """Split, embed into an in-memory Chroma, similarity search; the top chunk is the answer."""

    def __init__(self, embeddings: Embeddings, articles: Sequence[Article]) -> None:
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
        )
        documents = splitter.create_documents(
            [a.text for a in articles], metadatas=[{"source": a.source} for a in articles]
        )
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        # Ephemeral clients of one process share their collections: a unique name keeps apart
        # the baselines built over different stores.
        self._store = Chroma(
            collection_name=f"baseline-{uuid.uuid4().hex}",
            embedding_function=embeddings,
            client=client,
        )
        self._store.add_documents(documents)
        self._texts = {a.source: a.text for a in articles}
        self._depth = max(TOP_K, *RECALL_AT)

    def answer(self, question: str, rank: bool = True) -> PipelineAnswer:
        started = time.perf_counter()
        # One search deep enough for recall@10; its first TOP_K are what the tutorial retrieves.
        documents = self._store.similarity_search(question, k=self._depth)
        latency = (time.perf_counter() - started) * 1000
        citations = []
        if documents:
            top = documents[0]
            start = int(top.metadata["start_index"])
            source = str(top.metadata["source"])
            citations.append(
                CitedQuote(
                    source,
                    top.page_content,
                    start,
                    start + len(top.page_content),
                    self._texts.get(source),
                )
            )
        return PipelineAnswer(
            ranked_sources=[str(d.metadata["source"]) for d in documents],
            answer=documents[0].page_content if documents else "",
            abstained=False,
            citations=citations,
            latency_ms=latency,
        )
