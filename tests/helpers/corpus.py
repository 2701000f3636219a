"""Small good articles with one distinctive fact each, and the question that finds it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

_TOWNS = [
    "Varnholm", "Quillbury", "Ostravik", "Pellingford", "Zandermoor", "Kestrelton",
    "Brightwater", "Morrowgate", "Tullamere", "Ashcombe", "Dunmarrow", "Fennick",
    "Galloway Cross", "Harrowfield", "Ivel Bay", "Jorvale", "Kilnsea", "Lanthorne",
    "Merriton", "Northcairn", "Oakhurst", "Pryce Harbour", "Redlynch", "Saltmarsh",
    "Thornwick", "Upcott", "Vellacourt", "Westerby", "Yarrowdale", "Zennor Point",
    "Ambleford", "Bexworth", "Corrin", "Delford", "Eastwold", "Foxhaven",
]  # fmt: skip
_THINGS = [
    ("library", "books"), ("swimming pool", "swimmers"), ("tram line", "passengers"),
    ("wind farm", "homes"), ("hospital wing", "beds"), ("football stadium", "seats"),
    ("ferry terminal", "travellers"), ("solar plant", "households"), ("concert hall", "seats"),
    ("water plant", "residents"), ("cycle bridge", "cyclists"), ("school campus", "pupils"),
]  # fmt: skip


@dataclass(frozen=True)
class GoodArticle:
    name: str  # file stem
    text: str
    question: str
    fact: str  # a substring of the sentence that answers `question`
    town: str


def good_articles(count: int, *, version: int = 1) -> list[GoodArticle]:
    """`count` distinct articles; `version` 2 changes each article's figure (an update)."""
    articles = []
    for i in range(count):
        town = _TOWNS[i % len(_TOWNS)]
        thing, users = _THINGS[i % len(_THINGS)]
        cost = 11 + 7 * i + (500 if version == 2 else 0)
        serves = 1000 + 137 * i
        fact = f"{cost} million euros"
        text = (
            f"Council report from {town}\n"
            f"Work finished on Tuesday after two years, the regional council said. "
            f"The new {thing} in {town} cost {fact}. "
            f"It will serve about {serves} {users} every day.\n"
        )
        articles.append(
            GoodArticle(
                name=f"{i:02d}-{town.lower().replace(' ', '-')}",
                text=text,
                question=f"How much did the new {thing} in {town} cost?",
                fact=fact,
                town=town,
            )
        )
    return articles


def write_articles(directory: Path, articles: list[GoodArticle], *, jsonl_every: int = 0) -> None:
    """Write each article as .txt or .md; with jsonl_every=n, every n-th goes into feed.jsonl."""
    directory.mkdir(parents=True, exist_ok=True)
    records = []
    for i, article in enumerate(articles):
        if jsonl_every and i % jsonl_every == jsonl_every - 1:
            records.append({"id": article.name, "title": article.town, "text": article.text})
            continue
        suffix = ".md" if i % 3 == 1 else ".txt"
        (directory / f"{article.name}{suffix}").write_text(article.text, encoding="utf-8")
    if records:
        lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n"
        (directory / "feed.jsonl").write_text(lines, encoding="utf-8")
