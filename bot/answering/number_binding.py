"""What a number counts and whose it is: the names written right after it must stand near it
in the source, a number given to the question's subject must not belong to another name there,
a sum of money must be a sum there too, a sum there is not a count or a measure here, and a
number keeps its scale ("5 miliardi" is 5 billion, never 5 million).

"Up to 8000 Ukrainian soldiers are fighting in Kursk [1]" cites "jusqu'à 8000 des 10000 soldats
nord-coréens … déployés dans la région de Koursk". Every claim is in the sentence (8000, Kursk,
and "Ukrainian" from the question), yet the number counts North Korean soldiers. The names
that qualify a number in the written sentence ("8000 Ukrainian", "8000 North Korean") must be
found within a few words of the same number in a sentence that supports it. Common nouns are
not compared: "soldiers" and "soldats" cannot be matched by spelling, names can.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from bot.answering.number_words import SCALE_WORDS, scale_after
from bot.answering.question_types import word_list
from bot.answering.sentence_offers import is_sum, mentions_currency
from bot.answering.verification import (
    COMMON_VERBS,
    FUNCTION_WORDS,
    MONTHS,
    TextIndex,
    fold,
    is_name_word,
    number_spans,
    words_of,
)

# The words after a number that say what it counts ("8000 North Korean soldiers").
FOLLOWING_WORDS = 3
# How far from the number, in words either side, the source may name what it counts.
SOURCE_WINDOW = 12
# A year dates an event; the words after it are the event, not what the year counts.
_YEAR = re.compile(r"1\d{3}|20\d{2}")
_BREAK = re.compile(r"[.,;:!?()\[\]«»“”\"]")
# What ends a clause inside a sentence, for the name a number belongs to.
_CLAUSE = re.compile(r"[,;:()«»“”\"]")
# Words after which a name places or qualifies ("near Brisbane", "de l'Etat du Queensland")
# rather than acts, and the articles that may stand between (folded).
_PREPOSITIONS = frozenset(
    word_list(
        """
    of in at on near from to by with for about into across outside inside
    a de du des d dans sur pres chez vers entre au aux en
    von vom im in am bei aus nach zu zum zur
    del desde hasta para por con cerca
    """
    )
)
_ARTICLES = frozenset(word_list("the l la le les el los las der die das dem den des"))


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


def counted_sums(written: str, sources: Sequence[str]) -> list[str]:
    """The written sentence's counts and measures ("10 km long", "10%") whose number the
    sources give only as a sum of money ("the £10bn Crossrail plan"), each as written with
    what it counts; empty when a source gives the number otherwise too.

    The reverse of `unpriced_sums`: a reader asked "how long?" or "how many?" takes the one
    number of the sentence even when it is a price. A bare number ("costs 10 billion") is left
    alone: it may be the sum with its currency left off.
    """
    problems = []
    for start, end, number in number_spans(written):
        if _YEAR.fullmatch(written[start:end]) or is_sum(written, start, end):
            continue
        counted = _counted_word(written, end)
        if counted is None:
            continue
        places = [(text, s, e) for text in sources for s, e, v in number_spans(text) if v == number]
        if places and all(is_sum(text, s, e) for text, s, e in places):
            problems.append(f"{written[start:end]}{'' if counted == '%' else ' '}{counted}")
    return problems


def rescaled_numbers(written: str, sources: Sequence[str]) -> list[tuple[str, str]]:
    """The written sentence's numbers given with another scale than every source gives them
    ("5 million euros" where the sources hold only "5 miliardi di euro"), each as written
    with its scale and as a source writes it ("5 million", "5 miliardi"); empty when a source
    gives the same scale.

    A number is checked when it has a scale word or is a sum of money: "€300" from "300
    millions d'euros" drops six zeros too. Scales read alike in every language ("Mrd.", "bn",
    "miliardi", "mil millones"); a plain count ("14 people") is left to the other checks.
    """
    problems = []
    for start, end, number in number_spans(written):
        exponent, words = scale_after(written, end)
        if not words and not is_sum(written, start, end):
            continue
        given = [
            (text, s, e, scale_after(text, e))
            for text in sources
            for s, e, v in number_spans(text)
            if v == number
        ]
        if given and all(scale != exponent for _t, _s, _e, (scale, _w) in given):
            text, s, e, (_scale, source_words) = given[0]
            shown = f"{written[start:end]} {words}".strip()
            problems.append((shown, f"{text[s:e]} {source_words}".strip()))
    return problems


def numbers_of_others(
    written: str, asked: TextIndex, named: Collection[str], sources: Sequence[str]
) -> list[str]:
    """The written sentence's numbers given to a name of the question ("Barclays has 6,000
    branches") where the source sentence holding that number does not name it and gives the
    number to another name in the same clause ("… whereas Wells Fargo operates … from 6,000
    branches"), each as "number (name)"; empty when none is.

    The question's names may be written without a source (the premise), so a number the
    article gives a neighbour of the subject reads as the subject's own. Only the clause
    holding the number is read: "According to Antony Blinken, up to 8000 …" attributes the
    number, and "The bank, led by John Varley, employs 76,200 staff" gives it to the bank.
    `asked` indexes the question, `named` holds its names (folded).
    """
    problems = []
    for shown, number, subject in _subject_numbers(written, named):
        holding = [
            (text, place)
            for text in sources
            for place in [next((a for a, _b, v in number_spans(text) if v == number), None)]
            if place is not None
        ]
        if not holding or any(TextIndex(text).has_name(n) for text, _ in holding for n in subject):
            continue
        written_index = TextIndex(written)
        others = [_other_names(text[:place], asked, written_index) for text, place in holding]
        if all(others):
            problems.append(f"{shown} ({' '.join(others[0])})")
    return problems


def _subject_numbers(written: str, named: Collection[str]) -> list[tuple[str, str, list[str]]]:
    """The written sentence's numbers (not years) given to names of the question (`named`,
    folded): each as written, in its one spelling, with those names ("Barclays has 6,000
    branches" gives ("6,000", "6000", ["Barclays"])). "Every day 112,000 people …" gives none:
    "every" is no name of "How many people ride … every day?"."""
    found = []
    for start, end, number in number_spans(written):
        if _YEAR.fullmatch(written[start:end]):
            continue
        acting = _acting_names(written[:start], sentence_start=False)
        subject = [n for n in acting if fold(n) in named]
        if subject:
            found.append((written[start:end], number, subject))
    return found


def _other_names(before: str, asked: TextIndex, written: TextIndex) -> list[str]:
    """The names acting in the clause that ends at a number, other than the question's and
    the written sentence's."""
    start = max((m.end() for m in _CLAUSE.finditer(before)), default=0)
    names = _acting_names(before[start:], sentence_start=start == 0)
    return [n for n in names if not asked.has_name(n) and not written.has_name(n)]


def _acting_names(text: str, sentence_start: bool = True) -> list[str]:
    """The names in `text` that may own what follows: not those after a preposition, which
    place or qualify ("near Brisbane", "un résident de l'Etat du Queensland âgé de 60 ans").
    Articles between a preposition and its name are skipped."""
    words = words_of(text)
    names: list[str] = []
    placed = False
    for position, match in enumerate(words):
        word = match.group(0)
        folded = fold(word)
        if position == 0 and sentence_start:
            # A sentence's first word is capitalised as grammar ("Meanwhile", "Selon"), unless
            # a name follows it in a group ("Wells Fargo operates …").
            following = words[1].group(0) if len(words) > 1 else ""
            if not (is_name_word(word) and is_name_word(following)):
                placed = folded in _PREPOSITIONS
                continue
        if is_name_word(word):
            if not placed:
                names.append(word)
            continue
        if folded not in _ARTICLES:
            placed = folded in _PREPOSITIONS
    return names


def _counted_word(text: str, end: int) -> str | None:
    """What the number ending at `end` counts or measures: "%" or the first word after it
    past a scale ("10 million people" gives "people"); None for a function word, a verb, a
    month ("on 10 March") or a break."""
    rest = text[end:]
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
