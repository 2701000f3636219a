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
from collections.abc import Collection, Mapping, Sequence

from bot.answering.number_mentions import Mention, mentions, mentions_of
from bot.answering.question_types import word_list
from bot.answering.sentence_offers import mentions_currency
from bot.answering.verification import TextIndex, fold, is_name_word, words_of

# How far from the number, in words either side, the source may name what it counts.
SOURCE_WINDOW = 12
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
    for number in mentions(written):
        names = number.following_names
        if number.is_year or not names:
            continue
        places = mentions_of(number.value, sources)
        windows = [w for w in map(_window, places) if w is not None]
        # A number spelled out in the source ("vier") has no position here: other checks judge it.
        if windows and not any(all(w.has_name(n) for n in names) for w in windows):
            problems.append(f"{number.written} {' '.join(names)}")
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
    for number in mentions(written):
        if not number.is_sum:
            continue
        holding = {place.text for place in mentions_of(number.value, sources)}
        if holding and not any(mentions_currency(text) for text in holding):
            problems.append(number.written)
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
    for number in mentions(written):
        if number.is_year or number.is_sum or number.counted is None:
            continue
        places = mentions_of(number.value, sources)
        if places and all(place.is_sum for place in places):
            counted = number.counted
            problems.append(f"{number.written}{'' if counted == '%' else ' '}{counted}")
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
    for number in mentions(written):
        exponent, words = number.scale
        if not words and not number.is_sum:
            continue
        places = mentions_of(number.value, sources)
        if places and all(place.scale[0] != exponent for place in places):
            problems.append((number.with_scale, places[0].with_scale))
    return problems


def numbers_of_others(
    written: str, asked: TextIndex, named: Collection[str], sources: Mapping[str, TextIndex]
) -> list[str]:
    """The written sentence's numbers given to a name of the question ("Barclays has 6,000
    branches") where the source sentence holding that number does not name it and gives the
    number to another name in the same clause ("… whereas Wells Fargo operates … from 6,000
    branches"), each as "number (name)"; empty when none is.

    The question's names may be written without a source (the premise), so a number the
    article gives a neighbour of the subject reads as the subject's own. Only the clause
    holding the number is read: "According to Antony Blinken, up to 8000 …" attributes the
    number, and "The bank, led by John Varley, employs 76,200 staff" gives it to the bank.
    `asked` indexes the question, `named` holds its names (folded); `sources` maps each source
    sentence to its index (the evidence's, built once per question).
    """
    subject_numbers = _subject_numbers(written, named)
    if not subject_numbers:
        return []
    problems = []
    written_index = TextIndex(written)
    for number, subject in subject_numbers:
        # Where each source sentence first gives the number.
        first: dict[str, Mention] = {}
        for place in mentions_of(number.value, list(sources)):
            first.setdefault(place.text, place)
        holding = list(first.values())
        if not holding or any(sources[p.text].has_name(n) for p in holding for n in subject):
            continue
        others = [_other_names(p.text[: p.start], asked, written_index) for p in holding]
        if all(others):
            problems.append(f"{number.written} ({' '.join(others[0])})")
    return problems


def _subject_numbers(written: str, named: Collection[str]) -> list[tuple[Mention, list[str]]]:
    """The written sentence's numbers (not years) given to names of the question (`named`,
    folded), each with those names ("Barclays has 6,000 branches" gives 6,000 with
    ["Barclays"]). "Every day 112,000 people …" gives none: "every" is no name of "How many
    people ride … every day?"."""
    found = []
    for number in mentions(written):
        if number.is_year:
            continue
        acting = _acting_names(written[: number.start], sentence_start=False)
        subject = [n for n in acting if fold(n) in named]
        if subject:
            found.append((number, subject))
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


def _window(place: Mention) -> TextIndex | None:
    """The words of its sentence within `SOURCE_WINDOW` words of a number, indexed (None
    when the sentence has no words)."""
    words = words_of(place.text)
    before = sum(1 for w in words if w.end() <= place.start)
    span = words[max(0, before - SOURCE_WINDOW) : before + SOURCE_WINDOW]
    return TextIndex(place.text[span[0].start() : span[-1].end()]) if span else None
