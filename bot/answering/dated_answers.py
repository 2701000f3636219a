"""Dates in answers: "as of" the latest cited article, and numbers that the sources disagree on.

News changes: a count of troops or a poll figure from last month may be superseded today. When
the cited articles have different dates the answer says which date it is as of; when two cited
articles give different numbers for the same thing (the same noun or unit after the number:
"8,000 soldiers" / "10,000 soldiers", "15%" / "12%"), both are shown with their dates rather
than one of them silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answering.answer import Answer, Citation
from bot.answering.number_words import SCALE_WORDS
from bot.answering.verification import MONTH_NAMES, fold

# A number as the languages write it: "8000", "8,000", "8 000", "8.000", "1.5", "1,5".
_NUMBER = re.compile(
    r"(?P<currency>[$€£¥]\s?)?"
    r"(?<![\w.,])(?P<int>\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?!\d)|\d+)(?:[.,](?P<dec>\d+))?"
    r"(?P<after>\s?(?:%|per ?cent\b|pour ?cent\b|prozent\b|por ?ciento\b))?"
)
# Words after a number that say nothing about what is counted; month names (a date's "8 mai")
# are read from the month table.
_NOT_A_UNIT_WORDS = """
a an the of in on at to and or for by from with than over under about more less per out
de des du d l la le les et à au aux en sur pour par ou que qui un une
der die das den dem und von vom im mit zu auf über unter als oder ein eine
el los las y del con por para o una al
"""
_NOT_A_UNIT = frozenset(_NOT_A_UNIT_WORDS.split())


def _names_no_unit(word: str) -> bool:
    return word.lower() in _NOT_A_UNIT or fold(word) in MONTH_NAMES


_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)


@dataclass(frozen=True)
class Figure:
    """A number in a cited sentence with what it counts."""

    value: float
    unit: str
    text: str  # as written, e.g. "8,000 soldiers"


def _value(integer: str, decimal: str | None) -> float:
    return float(re.sub(r"\D", "", integer) + (f".{decimal}" if decimal else ""))


def _unit_word(word: str) -> str:
    word = word.lower().strip("'’-")
    # Singular and plural count as one thing ("1 soldier", "8000 soldiers").
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def figures(text: str) -> list[Figure]:
    """The numbers in `text` that name what they count."""
    found = []
    for match in _NUMBER.finditer(text):
        integer, decimal = match.group("int"), match.group("dec")
        value = _value(integer, decimal)
        prefix = (match.group("currency") or "").strip()
        if match.group("after"):
            found.append(Figure(value, prefix + "%", match.group(0).strip()))
            continue
        raw = text[match.end() : match.end() + 60]
        rest = raw.lstrip()
        if not rest[:1].isalpha():
            continue  # "8000." or "8000, ...": nothing named after the number
        first = _WORD.match(rest)
        if first is None:
            continue
        scale = SCALE_WORDS.get(fold(first.group(0)), "")
        noun_match = _WORD.match(rest[first.end() :].lstrip()) if scale else first
        if noun_match is None or _names_no_unit(noun_match.group(0)):
            continue
        if not scale and not decimal and integer.isdigit() and 1800 <= value <= 2100:
            continue  # "the 2024 election": a year, not a count
        noun = noun_match.group(0)
        unit = " ".join(x for x in (prefix, scale, _unit_word(noun)) if x)
        end = match.end() + len(raw) - len(rest) + rest.find(noun, first.end() if scale else 0)
        found.append(Figure(value, unit, text[match.start() : end + len(noun)].strip()))
    return found


def _key_text(citation: Citation) -> str:
    start, end = citation.key
    return citation.quote[start - citation.start : end - citation.start]


def _when(citation: Citation) -> str:
    return citation.date or "undated"


def as_of_line(citations: list[Citation]) -> str | None:
    """ "As of <latest date>" when the cited articles have different dates."""
    dates = {c.date for c in citations if c.date}
    if len(dates) < 2:
        return None
    latest = max(dates)
    marks = "".join(f"[{c.n}]" for c in citations if c.date == latest)
    return f"As of {latest} {marks}."


def conflict_lines(citations: list[Citation]) -> list[str]:
    """One line per thing that two cited articles give different numbers for."""
    by_unit: dict[str, list[tuple[Citation, Figure]]] = {}
    for citation in citations:
        for figure in figures(_key_text(citation)):
            by_unit.setdefault(figure.unit, []).append((citation, figure))
    lines = []
    for unit, found in by_unit.items():
        articles = {c.article_id for c, _ in found}
        values = {f.value for _, f in found}
        if len(articles) < 2 or len(values) < 2:
            continue
        # A difference only between figures of one article is that article's own detail.
        per_value: dict[float, tuple[Citation, Figure]] = {}
        for citation, figure in found:
            per_value.setdefault(figure.value, (citation, figure))
        if len({c.article_id for c, _ in per_value.values()}) < 2:
            continue
        ordered = sorted(per_value.values(), key=lambda cf: cf[0].date or "", reverse=True)
        parts = [f"{f.text} [{c.n}] ({_when(c)})" for c, f in ordered]
        lines.append(f"The sources differ on {unit}: " + "; ".join(parts) + ".")
    return lines


def date_answer(answer: Answer) -> Answer:
    """`answer` with an "as of" line and a line per conflicting figure, when there are any."""
    if answer.abstained or not answer.citations:
        return answer
    extra = conflict_lines(answer.citations)
    as_of = as_of_line(answer.citations)
    if as_of:
        extra.insert(0, as_of)
    if not extra:
        return answer
    return answer.model_copy(update={"answer": answer.answer + "\n\n" + "\n".join(extra)})
