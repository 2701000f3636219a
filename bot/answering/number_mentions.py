"""A number where a sentence writes it, and what stands right after it: its one spelling,
whether it is a year, its scale, whether it is a sum of money, what it counts, the names that
qualify it.

The reader's number checks (`number_binding`) ask these of the same written sentence and the
same few source sentences, one check after another; each sentence's numbers are read once and
each reading is made once, when a check first asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache

from bot.answering.number_words import SCALE_WORDS, scale_after
from bot.answering.sentence_offers import is_sum
from bot.answering.verification import (
    COMMON_VERBS,
    FUNCTION_WORDS,
    MONTHS,
    fold,
    is_name_word,
    number_spans,
    words_of,
)

# The words after a number that say what it counts ("8000 North Korean soldiers").
FOLLOWING_WORDS = 3
# A year dates an event; the words after it are the event, not what the year counts.
_YEAR = re.compile(r"1\d{3}|20\d{2}")
_BREAK = re.compile(r"[.,;:!?()\[\]«»“”\"]")


@dataclass(frozen=True, eq=False)
class Mention:
    """One number of `text`, written at `text[start:end]`, with `value` its one spelling
    (`normalize_number`: "8,000" and "8.000" are "8000")."""

    text: str
    start: int
    end: int
    value: str

    @property
    def written(self) -> str:
        return self.text[self.start : self.end]

    @property
    def is_year(self) -> bool:
        return bool(_YEAR.fullmatch(self.written))

    @cached_property
    def scale(self) -> tuple[int, str]:
        """The power of ten its scale words give it, and the text up to their end."""
        return scale_after(self.text, self.end)

    @property
    def with_scale(self) -> str:
        """As written, with its scale words: "5 miliardi"; "£10bn" gives "10bn"."""
        return self.written + self.scale[1]

    @cached_property
    def is_sum(self) -> bool:
        """Whether it is a sum of money: a currency beside it (`sentence_offers.is_sum`)."""
        return is_sum(self.text, self.start, self.end)

    @cached_property
    def counted(self) -> str | None:
        """What it counts or measures: "%" or the first word after it past a scale ("10
        million people" gives "people"); None for a function word, a verb, a month ("on 10
        March") or a break."""
        rest = self.text[self.end :]
        if rest.lstrip().startswith("%"):
            return "%"
        position = 0
        for match in words_of(rest)[:2]:
            if _BREAK.search(rest[position : match.start()]):
                return None
            position = match.end()
            word = fold(match.group(0))
            if word in SCALE_WORDS:
                continue
            if word in FUNCTION_WORDS or word in COMMON_VERBS or word in MONTHS:
                return None
            return match.group(0)
        return None

    @cached_property
    def following_names(self) -> tuple[str, ...]:
        """The capitalised words right after it: "8000 North Korean soldiers" gives "Korean"
        ("North" is a descriptor); "10% of Earth's forests" gives none, since what follows
        "of" is not what the number counts."""
        names = []
        position = self.end
        for match in words_of(self.text[self.end :])[:FOLLOWING_WORDS]:
            word = match.group(0)
            if _BREAK.search(self.text[position : self.end + match.start()]):
                break
            if not word[:1].isupper():
                break
            position = self.end + match.end()
            if is_name_word(word):
                names.append(word)
        return tuple(names)


@lru_cache(maxsize=4096)
def mentions(text: str) -> tuple[Mention, ...]:
    """The numbers of `text` in order, each read once however many checks ask."""
    return tuple(Mention(text, start, end, value) for start, end, value in number_spans(text))


def mentions_of(value: str, texts: Iterable[str]) -> list[Mention]:
    """Every place where `texts` write the number `value` (in its one spelling)."""
    return [m for text in texts for m in mentions(text) if m.value == value]
