"""What a number counts: the names written right after it must stand near it in the source,
and a sum of money must be a sum there too.

"Up to 8000 Ukrainian soldiers are fighting in Kursk [1]" cites "jusqu'à 8000 des 10000 soldats
nord-coréens … déployés dans la région de Koursk". Every claim is in the sentence (8000, Kursk,
and "Ukrainian" from the question), yet the number counts North Korean soldiers. The names
that qualify a number in the written sentence ("8000 Ukrainian", "8000 North Korean") must be
found within a few words of the same number in a sentence that supports it. Common nouns are
not compared: "soldiers" and "soldats" cannot be matched by spelling, names can.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answering.sentence_offers import is_sum, mentions_currency
from bot.answering.verification import TextIndex, is_name_word, number_spans, words_of

# The words after a number that say what it counts ("8000 North Korean soldiers").
FOLLOWING_WORDS = 3
# How far from the number, in words either side, the source may name what it counts.
SOURCE_WINDOW = 12
# A year dates an event; the words after it are the event, not what the year counts.
_YEAR = re.compile(r"1\d{3}|20\d{2}")
_BREAK = re.compile(r"[.,;:!?()\[\]«»“”\"]")


def unbound_numbers(written: str, sources: Sequence[str]) -> list[str]:
    """The written sentence's numbers whose qualifying names no source holds near that number,
    each as written with its names ("8000 Ukrainian"); empty when all are bound."""
    problems = []
    for start, end, number in number_spans(written):
        if _YEAR.fullmatch(written[start:end]):
            continue
        names = _following_names(written, end)
        if not names:
            continue
        windows = [window for text in sources for window in _windows(text, number)]
        # A number spelled out in the source ("vier") has no position here: other checks judge it.
        if windows and not any(all(w.has_name(n) for n in names) for w in windows):
            problems.append(f"{written[start:end]} {' '.join(names)}")
    return problems


def unpriced_sums(written: str, sources: Sequence[str]) -> list[str]:
    """The written sentence's sums of money ("$8000") whose number the sources give, but never
    as a sum ("8000 des 10000 soldats"), each number as written; empty when all are sums
    there too.

    Unlike names, a currency reads the same in every language: "$", "€", "dollars", "Dollar".
    A source sentence that names a currency anywhere may leave it off a later sum ("aux six
    milliards d'euros … porte à 6,4 milliards l'enveloppe"), so only a sentence that names none
    gives its number for something else.
    """
    problems = []
    for start, end, number in number_spans(written):
        if not is_sum(written, start, end):
            continue
        holding = [text for text in sources if number in {v for _s, _e, v in number_spans(text)}]
        if holding and not any(mentions_currency(text) for text in holding):
            problems.append(written[start:end])
    return problems


def _following_names(text: str, end: int) -> list[str]:
    """The capitalised words right after a number: "8000 North Korean soldiers" gives
    "Korean" ("North" is a descriptor); "10% of Earth's forests" gives none, since what
    follows "of" is not what the number counts."""
    names = []
    position = end
    for match in words_of(text[end:])[:FOLLOWING_WORDS]:
        word = match.group(0)
        if _BREAK.search(text[position : end + match.start()]) or not word[:1].isupper():
            break
        position = end + match.end()
        if is_name_word(word):
            names.append(word)
    return names


def _windows(text: str, number: str) -> list[TextIndex]:
    words = words_of(text)
    windows = []
    for start, _end, value in number_spans(text):
        if value != number:
            continue
        before = sum(1 for w in words if w.end() <= start)
        low, high = max(0, before - SOURCE_WINDOW), before + SOURCE_WINDOW
        span = words[low:high]
        if span:
            windows.append(TextIndex(text[span[0].start() : span[-1].end()]))
    return windows
