"""The answer as one typed structure that every interface renders."""

from __future__ import annotations

from pydantic import BaseModel, Field

REFUSAL = "The articles don't say."


class AlsoIn(BaseModel):
    """Another site that carried the same story; its copy was not stored separately."""

    source: str
    title: str
    url: str | None
    date: str | None = None


class Citation(BaseModel):
    """One quoted passage: `quote == article_text[start:end]` for the article at `source`.

    `key_start`..`key_end` (inside the passage) are the sentences that answer; the rest of the
    passage is their context. None means the whole quote is the key.
    """

    n: int
    source: str
    title: str
    url: str | None
    quote: str
    start: int
    end: int
    score: float
    article_id: str
    date: str | None = None
    lang: str | None = None
    key_start: int | None = None
    key_end: int | None = None
    also_in: list[AlsoIn] = Field(default_factory=list)

    @property
    def key(self) -> tuple[int, int]:
        """Article offsets of the sentences that answer."""
        start = self.start if self.key_start is None else self.key_start
        return start, self.end if self.key_end is None else self.key_end

    def around_key(self) -> tuple[str, str, str] | None:
        """The quote as (before, key, after), for marking the key; None when it is all key."""
        key_start, key_end = (offset - self.start for offset in self.key)
        if not 0 <= key_start < key_end <= len(self.quote):
            return None
        if (key_start, key_end) == (0, len(self.quote)):
            return None
        return self.quote[:key_start], self.quote[key_start:key_end], self.quote[key_end:]


class Answer(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    # How the answer was made: "extractive", "generated", or "extractive-fallback".
    mode: str = "extractive"
    notes: list[str] = Field(default_factory=list)
    # The extractive decision's probability that the articles answer (the evidence when no
    # calibrated model exists for the embedding model); None when nothing was searched.
    confidence: float | None = None
    # The standalone question that retrieval used, when a follow-up was rewritten.
    search_query: str | None = None

    def to_json_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json")
