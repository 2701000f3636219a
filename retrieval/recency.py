"""Questions about what is new ("latest", "today", "cette semaine"...) prefer recent articles.

For such a question each hit loses a little evidence for its age relative to the newest dated
hit: nothing for the newest, RECENCY_PENALTY at HORIZON_DAYS older or more. Among passages
that answer about as well, the recent one wins; a much better old passage still wins. The
penalty never pushes a passage that cleared the abstention floor below it, so asking for the
latest never turns an answer into a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from retrieval.search import Hit

# Sentence similarities of one answer sit within a few hundredths of each other (BENCHMARKS.md):
# 0.03 reorders near-equals, not a clearly better passage.
RECENCY_PENALTY = 0.03
HORIZON_DAYS = 7

# Words that ask for what is recent, in the corpus languages (accents optional).
_RECENT = re.compile(
    r"\b(?:today|tonight|this week|this month|latest|newest|recent(?:ly)?|current(?:ly)?|now"
    r"|so far|yet|aujourd'?hui|aujourd’hui|cette semaine|ce mois|derni[eè]re?s?|r[eé]cente?s?"
    r"|actuel(?:le)?(?:ment)?|heute|diese woche|diesen monat|neueste[nrs]?|aktuell(?:e[nrs]?)?"
    r"|j[uü]ngste[nrs]?|hoy|esta semana|este mes|[uú]ltim[oa]s?|reciente(?:s|mente)?"
    r"|actuales|actualmente)\b",
    re.IGNORECASE,
)


def asks_for_recent(question: str) -> bool:
    return _RECENT.search(question) is not None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def prefer_recent(question: str, hits: Sequence[Hit], floor: float | None = None) -> list[Hit]:
    """The hits, for a question about what is recent, penalised for age and reordered.

    Undated hits count as old (the full penalty). Other questions get the hits unchanged.
    """
    if not asks_for_recent(question):
        return list(hits)
    days = {id(h): _day(h.chunk.date) for h in hits}
    dated = [d for d in days.values() if d is not None]
    if not dated or (len(dated) == len(hits) and len(set(dated)) == 1):
        return list(hits)  # no date, or one for all: nothing to prefer
    newest = max(dated)
    adjusted = []
    for hit in hits:
        day = days[id(hit)]
        age = (newest - day).days if day is not None else HORIZON_DAYS
        penalty = RECENCY_PENALTY * min(age / HORIZON_DAYS, 1.0)
        if floor is not None and hit.evidence >= floor:
            penalty = min(penalty, hit.evidence - floor)
        adjusted.append(_penalised(hit, penalty))
    return sorted(adjusted, key=lambda h: h.score, reverse=True)


def _penalised(hit: Hit, penalty: float) -> Hit:
    if penalty <= 0:
        return hit
    # Chunk and sentence similarities both drop, so the evidence (their mean) drops by `penalty`.
    return replace(
        hit,
        chunk_similarity=hit.chunk_similarity - penalty,
        sentences=[
            replace(
                s,
                similarity=s.similarity - penalty,
                cross=None if s.cross is None else s.cross - penalty,
            )
            for s in hit.sentences
        ],
        score=hit.score - 2 * penalty,
    )
