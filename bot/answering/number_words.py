"""Numbers an article spells out: "vier", "neunzehnten", "dix-huit", "XIX".

A written answer gives numbers in digits ("4 astronauts", "the 19th century") while the article
may spell them ("vier Astronauten", "im neunzehnten Jahrhundert", "dix-huit mois", "siglo XIX").
Only the sources' indexes read numbers this way: a spelled number can support a claim, never
make one. One is left out: "ein", "un", "uno" are articles far more often than numbers.
"""

from __future__ import annotations

import re

from bot.answering.question_types import fold

# Folded (lower case, no accents) cardinal words in English, French, German and Spanish.
_CARDINALS: dict[int, str] = {
    2: "two deux zwei dos",
    3: "three trois drei tres",
    4: "four quatre vier cuatro",
    5: "five cinq funf cinco",
    6: "six sechs seis",
    7: "seven sept sieben siete",
    8: "eight huit acht ocho",
    9: "nine neuf neun nueve",
    10: "ten dix zehn diez",
    # Spanish "once" (11) is left out: English "once" is far more common.
    11: "eleven onze elf",
    12: "twelve douze zwolf doce",
    13: "thirteen treize dreizehn trece",
    14: "fourteen quatorze vierzehn catorce",
    15: "fifteen quinze funfzehn quince",
    16: "sixteen seize sechzehn dieciseis",
    17: "seventeen siebzehn diecisiete",
    18: "eighteen achtzehn dieciocho",
    19: "nineteen neunzehn diecinueve",
    20: "twenty vingt zwanzig veinte",
    30: "thirty trente dreissig treinta",
    40: "forty quarante vierzig cuarenta",
    50: "fifty cinquante funfzig cincuenta",
    60: "sixty soixante sechzig sesenta",
    70: "seventy siebzig setenta",
    80: "eighty achtzig ochenta",
    90: "ninety neunzig noventa",
    100: "hundred cent hundert cien ciento",
    1000: "thousand mille tausend mil",
}
_ORDINALS: dict[int, str] = {
    2: "second deuxieme zweite segundo segunda",
    3: "third troisieme dritte tercero tercera tercer",
    4: "fourth quatrieme vierte cuarto cuarta",
    5: "fifth cinquieme funfte quinto quinta",
    6: "sixth sixieme sechste sexto sexta",
    7: "seventh septieme siebte septimo septima",
    8: "eighth huitieme achte octavo octava",
    9: "ninth neuvieme neunte noveno novena",
    10: "tenth dixieme zehnte decimo decima",
    11: "eleventh onzieme elfte undecimo",
    12: "twelfth douzieme zwolfte duodecimo",
    13: "thirteenth treizieme dreizehnte",
    14: "fourteenth quatorzieme vierzehnte",
    15: "fifteenth quinzieme funfzehnte",
    16: "sixteenth seizieme sechzehnte",
    17: "seventeenth siebzehnte",
    18: "eighteenth achtzehnte",
    19: "nineteenth neunzehnte",
    20: "twentieth vingtieme zwanzigste vigesimo",
    100: "hundredth centieme hundertste centesimo",
    1000: "thousandth millieme tausendste milesimo",
}
# Scale words after a number, by the scale they stand for: "30 million", "£30m", "6,4
# milliards", "5 Mrd.", "5 miliardi", "2,1 milhões", "3 miljard" (folded, lower case). The
# Spanish "billón" is a million millions; "mil millones" is read as two scales (`scale_after`).
_SCALES = {
    "thousand": "thousand k mille tausend mil mila duizend",
    "million": "million millions m mn millionen millones millon mio milione milioni milhao "
    "milhoes miljoen miljoenen",
    "billion": "billion billions bn milliard milliards milliarde milliarden mrd miliardo "
    "miliardi bilhao bilhoes miljard miljarden",
    "trillion": "trillion trillions billon billones",
}
SCALE_WORDS = {word: scale for scale, words in _SCALES.items() for word in words.split()}
# Powers of ten of the scales: "5 mil millones" is 5 × 10^(3+6).
SCALE_EXPONENTS = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12}
# A scale word right after a number, glued ("£10bn") or after one space ("5 Mrd.").
_SCALE_WORD = re.compile(r"[ \u00a0\u202f]?([^\W\d_]+)\.?")
_WORDS = {
    word: value
    for table in (_CARDINALS, _ORDINALS)
    for value, words in table.items()
    for word in words.split()
}
# French teens are written "dix-sept", "dix-huitième"; English tens "twenty-one".
_TENS = {"dix": 10, "twenty": 20, "vingt": 20, "thirty": 30, "forty": 40, "fifty": 50}
_UNITS_IN_COMPOUNDS = {"one": 1, "first": 1}
# German ordinals take case endings: "zehnten", "dritter", "neunzehntes".
_GERMAN_ENDINGS = ("n", "r", "s", "m")
_ROMAN = re.compile(r"\b(?=[IVXLC]{2,}\b)(C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})\b")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def spelled_numbers(text: str, folded: str) -> set[str]:
    """The numbers spelled as words or Roman numerals in `text`; `folded` is its folded form."""
    found: set[str] = set()
    for word in set(re.findall(r"[a-z]+", folded)):
        value = _word_value(word)
        if value is not None:
            found.add(str(value))
    for match in re.finditer(r"\b([a-z]+)-([a-z]+)\b", folded):
        tens = _TENS.get(match.group(1))
        unit = _UNITS_IN_COMPOUNDS.get(match.group(2)) or _word_value(match.group(2))
        if tens is not None and unit is not None and unit < 10:
            found.add(str(tens + unit))
    for match in _ROMAN.finditer(text):
        if match.group(0):
            found.add(str(_roman_value(match.group(0))))
    return found


def _word_value(word: str) -> int | None:
    if word in _WORDS:
        return _WORDS[word]
    for ending in _GERMAN_ENDINGS:
        stem = word.removesuffix(ending)
        if stem != word and stem in _WORDS and stem.endswith("te"):
            return _WORDS[stem]
    return None


def _roman_value(numeral: str) -> int:
    total = 0
    for i, ch in enumerate(numeral):
        value = _ROMAN_VALUES[ch]
        following = _ROMAN_VALUES[numeral[i + 1]] if i + 1 < len(numeral) else 0
        total += -value if value < following else value
    return total


def scale_after(text: str, end: int) -> tuple[int, str]:
    """The power of ten that the scale words right after a number (ending at `end`) give it,
    and the text from the number's end to theirs: "5 miliardi di euro" gives (9, " miliardi"),
    "£10bn" (9, "bn"), "5 mil millones" (9, " mil millones"), "14 morti" (0, "")."""
    exponent = 0
    position = end
    while (match := _SCALE_WORD.match(text, position)) is not None:
        word = fold(match.group(1))
        scale = SCALE_WORDS.get(word)
        # A lone letter is a scale only against the number: "£30m", but "a 10 m wall".
        if scale is None or (len(word) == 1 and match.group(0)[0].isspace()):
            break
        exponent += SCALE_EXPONENTS[scale]
        position = match.end()
    return exponent, text[end:position]
