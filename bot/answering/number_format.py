"""Numbers in a written answer, spelled the way its reader writes them.

The reader copies numbers from its sources, and a number copied across languages changes its
meaning: "8.646 Quadratmeilen" is eight thousand six hundred and forty-six to a German reader
and a little over eight to an English one; "22 338 618" reads as three numbers, "2,5" as a
list. A written answer is for the asker, so each copied number is read in its source's
language and written in the asker's. Quotes are never touched: they stay the article's words.

Only numbers that can be read one way are rewritten: a number the written sentence gives as
its source spells it, in a language whose convention is known, with nothing that makes it
part of something longer ("07.12.2026", "192.168.1.1"). A decimal point in an English source
stays a point in every answer: "3.12" there may be a version or a time, which other languages
write with a point too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.answering.languages import ANSWER_LANGUAGES

_SPACES = "\u00a0\u202f\u2009 "
# A number as a source spells it: digits with separators between them, and nothing around it
# that would make it part of a date, an address or a longer number.
_NUMBER = re.compile(r"(?<![\d.,:/])\d+(?:[.,\u00a0\u202f\u2009 ]\d+)*(?![\d]|[.,:/]\d)")
_DECIMAL = re.compile(r"(?<![\d.,])\d+([.,])(?:\d{1,2}|\d{4,})(?![\d]|[.,]\d)")


@dataclass(frozen=True)
class _Reading:
    whole: str  # the digits before the decimal mark
    fraction: str | None  # the digits after it
    grouped: bool  # whether the source grouped the thousands


def _read(raw: str, language: str, decimal_marks: frozenset[str]) -> _Reading | None:
    """`raw` as a writer in `language` means it, or None when it cannot be told;
    `decimal_marks`: the marks its sentence uses as decimal marks elsewhere."""
    if language not in ANSWER_LANGUAGES:
        return None
    # The other mark groups thousands: a comma where a point marks decimals (English, Chinese,
    # Hebrew …), a point where a comma does.
    decimal = ANSWER_LANGUAGES[language].decimal
    group = "," if decimal == "." else "."
    if group in decimal_marks:
        # "210.332 mph (337.96 km/h)" in a French sentence: its writer's point is a decimal
        # point, so "210.332" is no thousands group.
        group = ""
    # Spaces group thousands in every language (the SI way); a point or a comma depends on it.
    groups = re.escape(group + _SPACES)
    match = re.fullmatch(rf"(\d{{1,3}}(?:[{groups}]\d{{3}})+)(?:{re.escape(decimal)}(\d+))?", raw)
    if match:
        return _Reading(re.sub(r"\D", "", match.group(1)), match.group(2), grouped=True)
    match = re.fullmatch(rf"(\d+){re.escape(decimal)}(\d+)", raw)
    if match:
        return _Reading(match.group(1), match.group(2), grouped=False)
    return None


def _write(number: _Reading, language: str) -> str:
    written = ANSWER_LANGUAGES[language]
    group, decimal = written.thousands, written.decimal
    whole = number.whole
    if number.grouped:
        head = len(whole) % 3 or 3
        whole = group.join([whole[:head], *re.findall(r"\d{3}", whole[head:])])
    return whole if number.fraction is None else f"{whole}{decimal}{number.fraction}"


def _spellings(
    sources: Iterable[tuple[str, str]],
) -> dict[str, set[tuple[str, frozenset[str]]]]:
    """Each number the sources spell, with the language of each sentence that spells it so
    and the marks that sentence uses as decimal marks."""
    found: dict[str, set[tuple[str, frozenset[str]]]] = {}
    for text, language in sources:
        # A point or comma followed by other than three digits marks decimals ("337.96").
        marks = frozenset(m.group(1) for m in _DECIMAL.finditer(text))
        for match in _NUMBER.finditer(text):
            found.setdefault(match.group(0), set()).add((language, marks))
    return found


def in_asker_convention(text: str, sources: Iterable[tuple[str, str]], language: str) -> str:
    """`text` with each number copied from `sources` ((sentence, its language) pairs) written
    as `language` writes numbers."""
    if language not in ANSWER_LANGUAGES or not any(ch.isdigit() for ch in text):
        return text
    spellings = _spellings(sources)
    decimal = ANSWER_LANGUAGES[language].decimal

    def rewrite(match: re.Match[str]) -> str:
        raw = match.group(0)
        spelled = spellings.get(raw, set())
        readings = {_read(raw, source, marks) for source, marks in spelled if source != language}
        if len(readings) != 1 or language in {source for source, _marks in spelled}:
            # Not copied, copied from a source in the asker's language, or read two ways.
            return raw
        (reading,) = readings
        if reading is None:
            return raw
        if reading.fraction is not None and decimal != "." and "." in raw:
            # A decimal point stays: in English it may be a version or a time.
            return raw
        return _write(reading, language)

    return _NUMBER.sub(rewrite, text)
