"""The article and chunk records that flow from loading to search, with content-hash identities."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


def content_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Article:
    """One article as loaded; every citation offset points into its full text."""

    text: str
    source: str
    title: str = ""
    url: str | None = None
    date: str | None = None
    lang: str = "und"
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def id(self) -> str:
        # The source is part of the identity so that two feeds carrying the same wire story can be
        # forgotten separately; their identical chunk texts still share one cached embedding.
        return content_hash(self.source, self.title, self.text)[:24]


@dataclass(frozen=True)
class Chunk:
    """A span of an article's text: `article.text[start:end] == text`, always."""

    article_id: str
    index: int
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.article_id}-{self.index:05d}"
