"""Citations name the other sites that carried the same story ("also in"), from the catalog."""

from __future__ import annotations

from collections.abc import Sequence

from bot.answering.answer import AlsoIn, Answer
from retrieval.store import CollectionStore


def with_also_in(answer: Answer, stores: Sequence[CollectionStore]) -> Answer:
    """`answer` with each citation's also-in list filled from the stores that were searched."""
    ids = list({c.article_id for c in answer.citations})
    if not ids:
        return answer
    found: dict[str, list[AlsoIn]] = {}
    for store in stores:
        for article_id, copies in store.catalog.also_in(ids).items():
            found.setdefault(article_id, []).extend(
                AlsoIn(source=c.source, title=c.title, url=c.url, date=c.date) for c in copies
            )
    citations = [
        c.model_copy(update={"also_in": found[c.article_id]}) if c.article_id in found else c
        for c in answer.citations
    ]
    return answer.model_copy(update={"citations": citations})
