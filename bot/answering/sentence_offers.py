"""What a sentence offers as an answer (numbers, dates, names, places) and the terms it shares."""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

from bot.answering.question_types import AnswerType, fold, word_list
from bot.answering.verification import (
    CJK_MONTH,
    COMMON_VERBS,
    FUNCTION_WORDS,
    MONTH_NAMES,
    NOT_MONTHS,
    TextIndex,
    strip_markers,
)
from retrieval.language import capitalises_nouns
from retrieval.scripts import HANGUL, UNSPACED, space_unspaced

# Weekday names and words of time of the four languages and of Italian, Portuguese and Dutch,
# folded (no accents, lower case), beside the month names of `verification.MONTH_NAMES`, which
# hold Polish, Russian and Ukrainian months too. "marco" (a first name) is left out here as well:
# a sentence naming Marco offers no date.
_CALENDAR = word_list(
    "monday tuesday wednesday thursday friday saturday sunday lundi mardi "
    "mercredi jeudi vendredi samedi dimanche montag dienstag mittwoch donnerstag freitag "
    "samstag sonntag lunes martes miercoles jueves viernes sabado domingo century "
    "centuries siecle siecles jahrhundert jahrhunderts siglo siglos decade decennie "
    "jahrzehnt decada yesterday today tomorrow hier aujourd demain gestern heute morgen "
    "ayer hoy manana lunedi martedi mercoledi giovedi venerdi maandag dinsdag woensdag "
    "donderdag vrijdag zaterdag zondag secolo secoli seculo seculos eeuw decennio decennium "
    "ieri oggi domani ontem hoje gisteren vandaag"
) + [name for name in MONTH_NAMES if name not in NOT_MONTHS | {"marco"}]
_CALENDAR_WORDS = frozenset(_CALENDAR) - {"may", "mars", "morgen", "manana", "hier"}
# Ambiguous in running text ("may", "mars", "hier" = here in German): only beside a number.
_CALENDAR_NEAR_NUMBER = re.compile(
    r"\b\d{1,4}\.? (may|mars|mai)\b|\b(may|mars|mai) \d{1,4}\b|\bhier\b(?! (ist|sind|war))"
)
# Four digits alone: "10000" holds no year 1000, "2024.5" no year 2024.
_YEAR = re.compile(r"(?<![\d.,])(1[0-9]{3}|20[0-9]{2})(?!\d|[.,]\d)")
_ORDINAL_DAY = re.compile(r"\b\d{1,2}(st|nd|rd|th|er|e|\.)(?=\s)")
_NUMERIC_DATE = re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b")
# A time of day answers "when" and "what time": "at 14:20", "à 14h20", "3 pm", "10:30 a.m.".
_CLOCK_TIME = re.compile(
    r"(?<![\d:])([01]?\d|2[0-3]) ?[:h] ?[0-5]\d(?![\d:])|"
    r"\b(1[0-2]|0?[1-9])(:[0-5]\d)? ?[ap]\.? ?m\b\.?",
    re.IGNORECASE,
)
# A day of the month in Chinese, Japanese and Korean ("20日", "20일"); "日本" is Japan.
_CJK_DAY = re.compile(r"(?<!\d)(3[01]|[12]\d|0?[1-9]) ?[日일](?!本)")
# Chinese, Japanese and Korean write numbers against their words ("来自25个国家的600家企业"):
# a number there stands alone although a letter touches it.
_CJK = UNSPACED + HANGUL
# News abbreviates large sums: "£30m", "$2bn", "5k". "A380" and "COVID19" hold no number.
_NUMBER = re.compile(
    rf"(?<![^\W{_CJK}])(?<!\.)\d+(?:[.,\u00a0\u202f ]\d{{3}})*(?:[.,]\d+)?(?:m|bn|mn|k)?"
    rf"(?![^\W{_CJK}])|\d+\s?%"
)
# Number words (folded) that state a quantity without digits. Vague plurals ("thousands of",
# "des milliers de") are left out: they tell that there are many, not how many.
_NUMBER_WORDS = frozenset(
    word_list(
        "two three four five six seven eight nine ten eleven twelve twenty thirty forty "
        "fifty hundred thousand million billion dozen deux trois quatre cinq six sept huit "
        "neuf dix onze douze vingt trente quarante cinquante cent mille million milliard "
        "douzaine zwei drei vier funf sechs sieben acht neun zehn elf zwolf zwanzig dreissig "
        "vierzig hundert tausend million milliarde dutzend dos tres cuatro cinco seis siete "
        "ocho nueve diez once doce veinte treinta cuarenta cien ciento mil millon docena "
        "tre quattro cinque sette nove dieci venti trenta cento milione miliardo dois duas "
        "quatro sete oito dez vinte trinta cem milhao bilhao twee drie vijf zes zeven negen "
        "tien twintig dertig honderd duizend miljoen miljard "
        "percent pourcent prozent half moitie halfte mitad"
    )
)
# Currencies: symbols, codes and names (folded). "livre" and "pound" are also a book and a
# weight; beside a number in a sentence about paying, a sum is the likelier reading. "won",
# "lire" and "cent" are left to their symbols: in running text they are "won", "to read" and
# "hundred".
_CURRENCY_SYMBOL = re.compile(r"[€$£¥₽₩₹]|\b(EUR|USD|GBP|CHF|JPY|CNY|RUB|KRW|INR)\b")
_CURRENCY_WORDS = frozenset(
    word_list(
        "euro euros eur dollar dollars pound pounds sterling franc francs rouble roubles ruble "
        "rubles yen yuan renminbi rupee rupees peso pesos shilling shillings rand krona "
        "kronor krone kroner zloty lira cents livre livres centime centimes "
        "franken rubel dolar dolares libra libras rublo rublos yuanes centimos dollari "
        "dollaro sterline reais"
    )
)
# Latin, Greek and Cyrillic capitals: "Путин", "США" name someone as "Putin" and "USA" do.
_CAPITALISED = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-ſΑ-ΩЀ-Я][\w'’-]*")
_ACRONYM = re.compile(r"\b[A-ZÀ-ÖØ-ÞΑ-ΩЀ-Я]{2,}\b")
# A preposition of place, then a name: "in Kursk", "à Moscou", "nach Berlin", "en Madrid".
_PLACE = re.compile(
    r"(?:\b(?:in|at|from|near|to|à|au|aux|en|dans|vers|près de|nach|im|aus|bei|nahe|a|desde|"
    r"hacia|cerca de|de)\s+(?:the |la |le |les |l'|l’|der |dem |den |die |el |los |las )?)"
    r"[A-ZÀ-ÖØ-Þ][\w'’-]+"
)


def _plain_number(token: str) -> str:
    return re.sub(r"[.,\u00a0\u202f %]|(?<=\d)(m|bn|mn|k)$", "", token)


def question_terms(question: str) -> list[str]:
    """The question's names and numbers, folded: the words that read alike across languages."""
    from retrieval.search import strong_terms

    return list(dict.fromkeys(fold(term) for term in strong_terms(question).split() if term))


def _numbers(text: str) -> set[str]:
    return {_plain_number(m.group(0)) for m in _NUMBER.finditer(text)}


def holds_term(term: str, words: Iterable[str], numbers: set[str]) -> bool:
    """A folded term held by a sentence: a number exactly, a name by its first five letters.

    Five letters let inflections and light translations match ("Koreas", "Europa"/"Europe").
    """
    if term[:1].isdigit():
        return _plain_number(term) in numbers
    stem = term[:5]
    return any(word.startswith(stem) if len(term) > 5 else word == term for word in words)


def terms_held(terms: list[str], text: str) -> frozenset[str]:
    """The question's names and numbers (folded) that the text holds.

    A name also counts when the verifier's spelling rules find it ("Warsaw" / "Warschau",
    "Kursk" / "Koursk", "Korea" / "Corée"): names are the terms that cross languages.
    """
    if not terms:
        return frozenset()
    words = set(fold(text).split())
    numbers = _numbers(text)
    index: TextIndex | None = None
    held = []
    for term in terms:
        if holds_term(term, words, numbers):
            held.append(term)
        elif not term[:1].isdigit():
            index = index or TextIndex(text)
            if index.has_name(term):
                held.append(term)
    return frozenset(held)


def offered_types(
    text: str, lang: str | None = None, question_terms: Iterable[str] = ()
) -> frozenset[AnswerType]:
    """The answer types a sentence offers, leaving out what only repeats the question.

    A number or name the question already holds is not an answer to it: "How many of the
    10,000 soldiers ...?" is not answered by a sentence whose only number is 10,000.
    """
    asked = set(question_terms)
    offers: set[AnswerType] = set()
    folded_words = fold(text).split()
    year_matches = [m for m in _YEAR.finditer(text) if m.group(1) not in asked]
    years = {m.group(1) for m in year_matches}
    # "1000 kilometer", "1500 soldats": a year's shape, a count's use.
    counted = {m.group(1) for m in year_matches if _counts_something(text, m.start(1), m.end(1))}
    # "6月20日" is a date: its digits count nothing.
    dated = bool(CJK_MONTH.search(text) or _CJK_DAY.search(text))
    counting = _CJK_DAY.sub(" ", CJK_MONTH.sub(" ", text)) if dated else text
    numbers = {n for n in _numbers(counting) if n not in asked and (n not in years or n in counted)}
    if numbers or any(w in _NUMBER_WORDS for w in folded_words if w not in asked):
        offers.add("quantity")
        if _names_currency(text, folded_words):
            offers.add("money")
        if numbers and gives_an_age(text):
            offers.add("age")
    if (
        years
        or dated
        or _NUMERIC_DATE.search(text)
        or _CLOCK_TIME.search(text)
        or any(w in _CALENDAR_WORDS for w in folded_words)
        or _CALENDAR_NEAR_NUMBER.search(fold(text))
        or (_ORDINAL_DAY.search(text) and "quantity" in offers)
    ):
        offers.add("date")
    names = [
        m
        for m in _CAPITALISED.finditer(text)
        if m.start() > 0
        and text[max(0, m.start() - 2) : m.start()].strip() not in {".", "!", "?"}
        and fold(m.group(0)) not in asked
    ]
    consecutive = any(text[a.end() : b.start()] == " " for a, b in pairwise(names))
    acronym = any(fold(m.group(0)) not in asked for m in _ACRONYM.finditer(text))
    if consecutive or acronym or (names and not capitalises_nouns(lang)):
        offers.add("person")
    if any(fold(m.group(0).split()[-1]) not in asked for m in _PLACE.finditer(text)):
        offers.add("place")
    return frozenset(offers)


# Words after which a four-digit number is a year ("in 1500", "seit 2000", "depuis 2019").
_BEFORE_A_YEAR = frozenset(
    word_list("in en im seit since depuis desde ab bis until till hasta jusqu year jahr annee ano")
)


def _counts_something(text: str, start: int, end: int) -> bool:
    """Whether the year-shaped number at `text[start:end]` counts what follows it: a lower-case
    word that is not a function word, a verb or a month, after no word that dates it."""
    following = re.match(r"\s+([^\W\d_][\w'’-]*)", text[end:])
    if following is None or not following.group(1)[:1].islower():
        return False
    word = fold(following.group(1))
    if word in FUNCTION_WORDS or word in COMMON_VERBS or word in _CALENDAR_WORDS:
        return False
    return fold(_word_before(text, start)) not in _BEFORE_A_YEAR


def _word_before(text: str, end: int) -> str:
    """The last word of `text[:end]` ("" when there is none), read backwards from `end`."""
    while end > 0 and not text[end - 1].isalpha():
        end -= 1
    start = end
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    return text[start:end]


# Units of time that date an event without a calendar word ("in the coming days", "dans deux
# semaines", "vor drei Jahren"), folded.
_TIME_UNITS = frozenset(
    word_list(
        "day days week weeks month months year years decade decades century hour hours "
        "jour jours semaine semaines mois an ans annee annees heure heures tag tage tagen "
        "woche wochen monat monate monaten jahr jahre jahren stunde stunden dia dias semana "
        "semanas mes meses ano anos hora horas giorno giorni settimana settimane mese mesi anno "
        "anni dag dagen weken maand maanden jaar jaren uur"
    )
)


def _names_currency(text: str, folded_words: Iterable[str]) -> bool:
    return bool(_CURRENCY_SYMBOL.search(text)) or any(w in _CURRENCY_WORDS for w in folded_words)


def mentions_currency(text: str) -> bool:
    """Whether `text` names a currency anywhere: a sign, a code or a currency's name."""
    return _names_currency(text, (fold(w) for w in re.findall(r"\w+", text)))


# How far after a number its currency may be named: "30 millions d'euros", "5 Mrd. Dollar".
_CURRENCY_AFTER_WORDS = 3
_CLAUSE_BREAK = re.compile(r"[,;:()]")


def is_sum(text: str, start: int, end: int) -> bool:
    """Whether the number at `text[start:end]` is a sum of money: a currency sign or code
    right before or after it ("$8000", "30 €", "USD 5"), or a currency's name among the few
    words after it ("30 million pounds", "30 millions d'euros")."""
    if _CURRENCY_SYMBOL.search(text[max(0, start - 4) : start]):
        return True
    following = text[end : end + 200]
    words: list[re.Match[str]] = []
    for word in re.finditer(r"\w+", following):
        # A comma or the next number ends what this number is: "12 soldiers, $5 each".
        gap = following[words[-1].end() if words else 0 : word.start()]
        next_number = word.group(0)[0].isdigit()
        if len(words) == _CURRENCY_AFTER_WORDS or _CLAUSE_BREAK.search(gap) or next_number:
            break
        words.append(word)
    # Up to the end of those words: a sign or code among them counts ("30 Mio. GBP").
    after = following[: words[-1].end() if words else 3]
    if _CURRENCY_SYMBOL.search(after):
        return True
    return any(fold(w.group(0)) in _CURRENCY_WORDS for w in words)


# A number of years of a life: the number then "ans", "years (old)", "Jahre", "años", … (folded:
# "67-year-old" reads "67 year old", "3.200 ans" "3 200 ans"); "aged", "âgé de", "im Alter von"
# … then the number; a number against "歳", "岁", "살", "세"; and English news's "Hoffman, 67,".
_AGE_AFTER = re.compile(
    r"\d (ans?|years?|yrs?|jahre|jahren|jahrige\w*|anos|anni|jaar|jarige\w*|lat|lata|"
    r"letni\w*|лет|года|років|роки|yasında\w*|yas\w*|ετων|χρονων|tuoi|tahun|ani|eves\w*|"
    r"vuotia\w*|let|rokov|ar|arig|arige|aar|aarig)\b"
)
_AGE_BEFORE = re.compile(
    r"\b(aged|age of|age de|agee? de|alter von|edad de|eta di|idade de|leeftijd van|wieku|"
    r"возрасте|віці) \d"
)
_AGE_AGAINST = re.compile(r"\d ?(歳|岁|살|세)")
_APPOSED_AGE = re.compile(r"\b[A-Z][\w'’-]+, \d{1,3},")


def gives_an_age(text: str) -> bool:
    """The text gives someone's or something's age beside a number."""
    folded = fold(text)
    return bool(
        _AGE_AFTER.search(folded)
        or _AGE_BEFORE.search(folded)
        or _AGE_AGAINST.search(text)
        or _APPOSED_AGE.search(text)
    )


# The answer types whose written answers are checked for what they give.
CHECKED_ANSWER_TYPES: tuple[AnswerType, ...] = ("money", "age", "quantity", "date")


def gives_answer_type(text: str, kind: AnswerType, question_terms: Iterable[str] = ()) -> bool:
    """A written answer gives what a sum, quantity or date question asks for: a number (or
    number word) the question does not already hold, with a currency for a sum; for a date, a
    calendar or time word will do. Other answer types are not checked this way (True)."""
    if kind not in CHECKED_ANSWER_TYPES:
        return True
    offers = offered_types(text, None, question_terms)
    if kind == "money":
        return "money" in offers
    # An age written any way ("He is 67") is a number.
    if "quantity" in offers or (kind == "date" and "date" in offers):
        return True
    if kind != "date":
        return False
    # "in the 90s", "in den 90ern": any figure the question does not hold dates it.
    asked = set(question_terms)
    figures = (f for f in re.findall(r"\d+", text) if f not in asked)
    return any(figures) or any(w in _TIME_UNITS for w in fold(text).split())


# Vague amounts (folded): no count, yet an answer to "how much?" ("many times", "viele Male").
_VAGUE_AMOUNTS = frozenset(
    word_list(
        "many much several numerous few dozens hundreds thousands millions most majority "
        "plusieurs nombreux nombreuses beaucoup peu milliers millions majorite "
        "viele vielen mehrere zahlreiche einige wenige tausende millionen meisten mehrheit "
        "muchos muchas varios varias numerosos numerosas pocos pocas miles millones mayoria"
    )
)


def sentence_gives_answer_type(
    text: str, kind: AnswerType, question_terms: Iterable[str] = ()
) -> bool:
    """A source sentence gives what a sum, quantity or date question asks for. Stricter than
    `gives_answer_type` for dates: "8000 soldiers" is no date, whereas a number in a written
    answer to "when?" is one ("in the 90s"). A vague amount ("many times", "des milliers")
    answers "how much?" here, and "des millions d'euros" "how much does it cost?". Other answer
    types are not checked (True)."""
    if kind not in CHECKED_ANSWER_TYPES:
        return True
    offers = offered_types(text, None, question_terms)
    words = fold(text).split()
    if kind == "money":
        vague = any(w in _VAGUE_AMOUNTS for w in words) and _names_currency(text, words)
        return "money" in offers or vague
    if kind in ("quantity", "age"):
        return "quantity" in offers or any(w in _VAGUE_AMOUNTS for w in words)
    return "date" in offers or any(w in _TIME_UNITS for w in words)


# Words that answer a yes/no question although they are function words elsewhere.
_YES_NO = frozenset(word_list("yes no oui non ja nein si"))


# Hiragana are endings and particles, not content.
_HIRAGANA = re.compile("[\u3040-\u309f]")


def _content_stems(text: str) -> set[str]:
    # Chinese and Japanese write no spaces: each ideograph or kana stands as a word ("…で8000人
    # クルスク…" adds "8000" to its question only read so).
    words = [
        w for w in space_unspaced(fold(strip_markers(text))).split() if not _HIRAGANA.fullmatch(w)
    ]
    return {
        w[:5] for w in words if w in _YES_NO or (w not in FUNCTION_WORDS and w not in COMMON_VERBS)
    }


def adds_to_question(text: str, question: str) -> bool:
    """The written answer says something the question does not: a word (by its first five
    letters, as names are matched) or a number beyond the question's own.

    "South Korea has refused to arm Ukraine until now." answers "Why has South Korea refused
    to arm Ukraine until now?" with the question itself.
    """
    return bool(_content_stems(text) - _content_stems(question))
