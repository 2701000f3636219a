"""The writing system a text is mostly written in: Latin, Cyrillic, Greek, Han, Arabic, ..."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import cache

# Character ranges, for regular expression classes. Kana and Han ideographs: written with no
# space between words, so each character stands as a word of its own.
UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HANGUL = "\u1100-\u11ff\uac00-\ud7af"
# Scripts without capital letters, where any letter may start a sentence: Hebrew, Arabic,
# Devanagari and Bengali, Thai, Georgian, Hangul, kana and Han.
CASELESS = (
    "\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u0900-\u09ff\u0e00-\u0e7f\u10d0-\u10ff"
    + HANGUL
    + UNSPACED
)


_UNSPACED_CHAR = re.compile(f"([{UNSPACED}])")


def holds_unspaced(text: str) -> bool:
    """Whether `text` holds a Chinese or Japanese character."""
    return _UNSPACED_CHAR.search(text) is not None


def space_unspaced(text: str) -> str:
    """`text` with every Chinese or Japanese character spaced as a word of its own, so that
    "380" is a word in "造成郑州市380人死亡" as it is in "380 people died"."""
    return _UNSPACED_CHAR.sub(r" \1 ", text)


def char_class(codepoints: Iterable[int]) -> str:
    """Ascending code points as the body of a regular expression class, in ranges."""
    ranges: list[tuple[int, int]] = []
    for cp in codepoints:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


@cache
def words_with_marks(letter: str) -> re.Pattern[str]:
    """Runs of `letter` (a class such as r"\\w") with the marks written inside words.

    Devanagari, Bengali or Thai vowel signs, Arabic vowel points and combining accents are
    marks, which Python's \\w leaves out: "\\w+" cuts "कितने" into "क" and "तन". The class of
    every mark of the Basic Multilingual Plane is built on first use, not at start-up.
    """
    marks = char_class(
        cp for cp in range(0x300, 0x10000) if unicodedata.category(chr(cp)) in ("Mn", "Mc", "Me")
    )
    return re.compile(rf"(?:{letter}|[{marks}])+")


# Enough letters to tell; a text's script is settled within its first few hundred.
_SAMPLE = 400
# Japanese mixes kana with the Han characters Chinese writes names in: one family here.
_FAMILY = {"HIRAGANA": "CJK", "KATAKANA": "CJK"}


def dominant_script(text: str) -> str | None:
    """The script of most of `text`'s letters ("LATIN", "CYRILLIC", "GREEK", "CJK" for Han
    and kana, ...), or None when it has no letters."""
    counts: Counter[str] = Counter()
    for ch in text[:_SAMPLE]:
        if not ch.isalpha():
            continue
        if ch.isascii():
            counts["LATIN"] += 1
            continue
        name = unicodedata.name(ch, "")
        script = name.split(" ", 1)[0] if name else "OTHER"
        counts[_FAMILY.get(script, script)] += 1
    return counts.most_common(1)[0][0] if counts else None


def same_script(a: str, b: str) -> bool:
    """Whether two texts are written mostly in one script (True when either has no letters)."""
    first, second = dominant_script(a), dominant_script(b)
    return first is None or second is None or first == second
