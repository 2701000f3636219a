"""Near-duplicate stories: word-shingle MinHash signatures, LSH buckets, and the exact check.

The same wire story on several sites differs by a header, a footer, a "Read more" line, a few
edited words, a dropped or moved paragraph, or a cut. Word 5-gram shingles survive all of that
except at the edits themselves, while two distinct articles on one topic share few 5-grams
(only quoted phrases). A MinHash signature (128 values) finds the candidates through LSH
buckets kept in the catalog; each candidate is then checked exactly on the two texts'
shingle sets, so a bucket collision never merges two articles by itself.

A copy is the same story when the shingles they share cover most of the shorter text
(containment), which keeps copies with boilerplate added, and the two texts are similar
overall (Jaccard), which keeps apart a follow-up story that reuses its background paragraphs
under a new lead. A truncated copy lies almost whole inside the original: nearly full
containment is enough there, with a lower Jaccard floor so that a short brief quoted inside a
long piece is not merged into it.
Thresholds measured in bench/bench_near_duplicates.py (BENCHMARKS.md, "Near-duplicates").
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

SHINGLE_WORDS = 5
PERMUTATIONS = 128
# 64 bands of 2 rows: a pair at Jaccard 0.3 is a candidate 99.8% of the time, at 0.1 47%, at
# 0.01 (unrelated articles) 0.6%; the exact check below sorts the candidates out.
BANDS = 64
ROWS = PERMUTATIONS // BANDS
# Fewer shingles than this (about 35 words) cannot tell a copy from a shared quote.
MIN_SHINGLES = 30
# Follow-up stories that reuse their background paragraphs share up to 60-70% of the shorter
# one's shingles but add a new lead (Jaccard 0.25-0.38); copies with a header, a footer, "Read
# more" lines, 3% of words changed and sentences dropped keep 0.66+ and Jaccard 0.35+.
MIN_CONTAINMENT = 0.65
MIN_JACCARD = 0.3
# A copy cut short lies almost whole inside the original, however much of it was cut.
CUT_CONTAINMENT = 0.9
CUT_JACCARD = 0.15

_WORD = re.compile(r"\w+", re.UNICODE)
# Multiply-shift hashing of 32-bit shingle hashes: (a*x + b) mod 2^64, top 32 bits. Fixed seed:
# signatures are stored, so every process must draw the same permutations.
_RNG = np.random.default_rng(20241105)
_A = _RNG.integers(1, 2**63, size=PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
_B = _RNG.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64)
_BLOCK = 4096


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[int]:
    """Hashes of the text's word `size`-grams, case- and punctuation-blind."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return set()
    return {
        zlib.crc32(" ".join(words[i : i + size]).encode("utf-8", "surrogatepass"))
        for i in range(len(words) - size + 1)
    }


@dataclass(frozen=True)
class Signature:
    """A text's MinHash signature and shingle count; `values` is empty for too short a text."""

    values: bytes
    n_shingles: int

    @property
    def usable(self) -> bool:
        return bool(self.values)

    def bands(self) -> list[tuple[int, int]]:
        """(band, bucket) pairs: two texts sharing one bucket are candidates."""
        if not self.values:
            return []
        array = np.frombuffer(self.values, dtype=np.uint32)
        return [
            (band, zlib.crc32(array[band * ROWS : (band + 1) * ROWS].tobytes()))
            for band in range(BANDS)
        ]


def signature(text: str) -> Signature:
    hashes = shingles(text)
    if len(hashes) < MIN_SHINGLES:
        return Signature(b"", len(hashes))
    x = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))
    lowest = np.full(PERMUTATIONS, np.iinfo(np.uint64).max, dtype=np.uint64)
    # In blocks, so that a book-length text needs a few MB, not shingles x 128 x 8 bytes.
    for start in range(0, len(x), _BLOCK):
        block = x[start : start + _BLOCK, None]
        with np.errstate(over="ignore"):  # wrap-around is the hash
            mixed = (block * _A[None, :] + _B[None, :]) >> np.uint64(32)
        np.minimum(lowest, mixed.min(axis=0), out=lowest)
    return Signature(lowest.astype(np.uint32).tobytes(), len(hashes))


@dataclass(frozen=True)
class Overlap:
    containment: float  # shared shingles / shingles of the shorter text
    jaccard: float

    @property
    def same_story(self) -> bool:
        if self.containment >= CUT_CONTAINMENT and self.jaccard >= CUT_JACCARD:
            return True
        return self.containment >= MIN_CONTAINMENT and self.jaccard >= MIN_JACCARD


def overlap(a: set[int], b: set[int]) -> Overlap:
    if not a or not b:
        return Overlap(0.0, 0.0)
    shared = len(a & b)
    return Overlap(shared / min(len(a), len(b)), shared / len(a | b))


def is_same_story(a: set[int], b: set[int]) -> bool:
    return min(len(a), len(b)) >= MIN_SHINGLES and overlap(a, b).same_story


def best_match(text: str, candidates: Iterable[tuple[str, str]]) -> str | None:
    """The id of the candidate (id, text) that is the same story as `text`, the closest first."""
    mine = shingles(text)
    best: tuple[float, str] | None = None
    for candidate_id, candidate_text in candidates:
        theirs = shingles(candidate_text)
        if not is_same_story(mine, theirs):
            continue
        score = overlap(mine, theirs).jaccard
        if best is None or score > best[0]:
            best = (score, candidate_id)
    return best[1] if best else None
