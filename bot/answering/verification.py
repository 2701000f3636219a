"""Check a generated answer against its passages: each claim must appear in a passage it cites."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from bot.answering.answer import REFUSAL
from bot.answering.number_words import spelled_numbers
from bot.answering.question_types import without_marks
from retrieval.scripts import words_with_marks
from retrieval.sentences import ends_with_abbreviation

# [1], [1][2], [1, 2] and [1; 2] all cite.
_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[\"”»’')]*\s+|\s*\n+\s*")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\])+[.,;:]?\s*")
# An integer with thousands groups ("8,000", "8.000", "8 000" with any space) or a plain
# number with an optional decimal part; grouping is read before decimals so that "8,000" is
# 8000 in every language while "2,5" stays 2.5.
_NUMBER = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:[,.\u00a0\u202f\u2009 ]\d{3})+|\d+(?:[.,]\d+)?)(?![\d])"
)
_GROUP_SEPARATORS = re.compile(r"[,.\u00a0\u202f\u2009 ]")


def _words() -> re.Pattern[str]:
    """Letters with the marks written inside their words ("कितने", not "क" and "तन")."""
    return words_with_marks(r"[^\W\d_]")


_MONTHS = {
    # en, fr, de, es, it, pt, then nl, pl, ru, uk, folded ("маи" is "май"), as the month's
    # name and as dates write it ("28 марта", "28 marca"). One table for the reader's date
    # check and for what a candidate sentence offers (sentence_offers.py); each leaves out the
    # names that are other words too (`NOT_MONTHS`).
    1: "january janvier januar enero gennaio janeiro januari stycznia styczen января январь "
    "січня січень",
    2: "february fevrier februar febrero febbraio fevereiro februari lutego luty февраля "
    "февраль лютого лютии",
    3: "march mars marz marzo marco maart marca marzec марта март березня березень",
    4: "april avril abril aprile kwietnia kwiecien апреля апрель квітня квітень",
    5: "may mai mayo maggio maio mei maja мая маи травня травень",
    6: "june juin juni junio giugno junho czerwca czerwiec июня июнь червня червень",
    7: "july juillet juli julio luglio julho lipca lipiec июля июль липня липень",
    8: "august aout agosto augustus sierpnia sierpien августа август серпня серпень",
    9: "september septembre septiembre setiembre settembre setembro wrzesnia wrzesien "
    "сентября сентябрь вересня вересень",
    10: "october octobre oktober octubre ottobre outubro pazdziernika pazdziernik октября "
    "октябрь жовтня жовтень",
    11: "november novembre noviembre novembro listopada listopad ноября ноябрь листопада",
    12: "december decembre dezember diciembre dicembre dezembro grudnia grudzien декабря "
    "декабрь грудня грудень",
}
# The other languages the bot answers in, written as they are (folded when the table is
# built): Russian and Ukrainian "in June" ("в июне", "у червні"); Swedish, Danish and
# Norwegian; Czech and Slovak with "of" and "in" ("5. června", "v červnu"); Romanian;
# Indonesian; Turkish; Hebrew with "in" and "from" joined ("ביוני"); Arabic, with the Levant's
# names; Hindi. Finnish, Hungarian and Greek add their endings below.
_MORE_MONTHS = {
    1: "январе січні januára ianuarie ocak ינואר يناير जनवरी leden ledna lednu",
    2: "феврале лютому februára februarie şubat פברואר فبراير شباط फ़रवरी únor února únoru",
    3: "марте березні marts marec martie maret mart מרץ مارس آذار मार्च březen března březnu",
    4: "апреле квітні apríl apríla aprilie nisan אפריל أبريل نيسان अप्रैल duben dubna dubnu",
    5: "мае травні maj máj mayıs מאי مايو أيار मई květen května květnu",
    6: "июне червні júna iunie haziran יוני يونيو حزيران जून červen června červnu",
    7: "июле липні júla iulie temmuz יולי يوليو تموز जुलाई červenec července červenci",
    8: "августе серпні augusti agustus ağustos אוגוסט أغسطس अगस्त srpen srpna srpnu",
    9: "сентябре вересні septembra septembrie eylül ספטמבר سبتمبر أيلول सितंबर září",
    10: "октябре жовтні októbra octombrie ekim אוקטובר أكتوبر अक्टूबर říjen října říjnu",
    11: "ноябре листопаді novembra noiembrie kasım נובמבר نوفمبر नवंबर listopadu",
    12: "декабре грудні desember decembra decembrie aralık דצמבר ديسمبر दिसंबर prosinec prosince "
    "prosinci",
}
_FINNISH_MONTHS = "tammi helmi maalis huhti touko kesä heinä elo syys loka marras joulu"
_HUNGARIAN_MONTHS = (
    "január február március április május június július augusztus szeptember október "
    "november december"
)
_GREEK_MONTHS = (
    "ιανουαρι φεβρουαρι μαρτι απριλι μαι ιουνι ιουλι αυγουστ σεπτεμβρι οκτωβρι νοεμβρι δεκεμβρι"
)


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Capitalised words that are not names: sentence starters and function words of the usual
# languages, so that "The North Korean troops" does not claim a name "The".
FUNCTION_WORDS = _word_set(
    """
    a an the this that these those there it its they them their he him his she her we our you
    your i in on at of for to by with from up down about after before since until during into
    and or but so if as according yes no not all some many most more less only also however
    while when where what who whom whose which why how here today yesterday tomorrow
    le la les l un une des du de d en au aux selon il elle ils elles nous vous je on ce cette
    ces cet et ou mais donc si comme alors lors dans sur sous par pour avec sans chez depuis
    pendant apres avant oui non qui que quoi dont quand
    der die das den dem des ein eine einer eines im am vom zum zur und oder aber laut nach
    seit bei mit von fur auf aus es sie er wir ihr ja nein
    el los las lo una unos unas y o pero segun desde durante sobre entre con sin ellos ellas
    si
    """
)
COMMON_VERBS = _word_set(
    """
    have been were will would could should said says does done make made being than then
    very just like over such into also est sont etait ete sera avait fait peut
    """
)
# Directions, titles and institutions are translated word by word ("North" / "Nord",
# "Minister" / "ministre"), so they cannot be checked by spelling; the names they qualify are.
_DESCRIPTORS = _word_set(
    """
    north south east west northern southern eastern western central
    president minister foreign secretary state prime general chancellor king queen prince
    army government ministry council parliament
    monday tuesday wednesday thursday friday saturday sunday
    """
)


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Corée" -> "coree"."""
    if text.isascii():
        return text.casefold()
    return without_marks(unicodedata.normalize("NFKD", text)).casefold()


def _month_forms() -> dict[str, int]:
    """Every spelling of `_MONTHS` and `_MORE_MONTHS`, folded, with the endings of Finnish
    ("kesäkuussa", in June), Hungarian ("júniusban") and Greek ("Ιουνίου", "Ιούνιο"), and
    Hebrew's joined "in" and "from"."""
    forms: dict[str, int] = {}
    for table in (_MONTHS, _MORE_MONTHS):
        for number, names in table.items():
            for name in names.split():
                forms[fold(name)] = number
                if "\u0590" <= name[0] <= "\u05ff":
                    forms[fold("ב" + name)] = forms[fold("מ" + name)] = number
    for number, stem in enumerate(_FINNISH_MONTHS.split(), 1):
        for ending in ("kuu", "kuun", "kuussa", "kuusta", "kuuhun", "kuuta"):
            forms[fold(stem + ending)] = number
    for number, name in enumerate(_HUNGARIAN_MONTHS.split(), 1):
        inside = "ben" if name.endswith("er") else "ban"
        for ending in ("", inside, "i", "ig", "tól" if inside == "ban" else "től"):
            forms[fold(name + ending)] = number
    for number, stem in enumerate(_GREEK_MONTHS.split(), 1):
        for ending in ("ος", "ου", "ο"):
            forms[fold(stem + ending)] = number
    return forms


MONTH_NAMES = _month_forms()
# Month names that are other words as often: Polish "marca" is Spanish, "maja" and Dutch "mei"
# are first names, "augustus" an emperor, Czech "leden" is Dutch for members, Turkish "ocak"
# and "aralık" are a stove and a gap, "Kasım" and "Nisan" first names. (What a sentence
# offers leaves out Portuguese "marco" too, a first name; the check of a written answer's
# dates reads it as March.)
NOT_MONTHS = frozenset(
    {"marca", "maja", "mei", "augustus", "leden", "ocak", "aralık", "kasım", "nisan"}
)
MONTHS = {name: number for name, number in MONTH_NAMES.items() if name not in NOT_MONTHS}
_MONTH_LABELS = {number: names.split()[0].capitalize() for number, names in _MONTHS.items()}
_LOWERCASE_AMBIGUOUS_MONTHS = frozenset({"may", "march", "mars", "mai"})
# A month written as its number ("6月", "6월", "tháng 6"): Chinese, Japanese, Korean and
# Vietnamese dates. Its digit is the month, not a number the sentence claims.
CJK_MONTH = re.compile(r"(?<!\d)(1[0-2]|0?[1-9]) ?[月월]|\btháng (1[0-2]|0?[1-9])(?!\d)")


def numbered_months(text: str) -> set[int]:
    """The months `text` writes as their number."""
    return {int(m.group(1) or m.group(2)) for m in CJK_MONTH.finditer(text)}


# Cyrillic and Greek letters (folded: lower case, breves and accents gone) in Latin, so that
# "Podolsk" is found in "в Подольске" and "Zelensky" in "Зеленский": news in Russian,
# Ukrainian, Bulgarian, Serbian or Greek names people as an English answer spells them.
_TO_LATIN = str.maketrans(
    {
        **dict(
            zip(
                "абвгдезийклмнопрстуфыэіїґјўαβγδεζηικλμνξοπρσςτυφω",
                "abvgdeziiklmnoprstufyeiigjuavgdeziiklmnxoprsstyfo",
                strict=True,
            )
        ),
        **{
            "ж": "zh",
            "х": "kh",
            "ц": "ts",
            "ч": "ch",
            "ш": "sh",
            "щ": "shch",
            "ъ": "",
            "ь": "",
            "ю": "yu",
            "я": "ya",
            "є": "ye",
            "ђ": "dj",
            "љ": "lj",
            "њ": "nj",
            "ћ": "c",
            "џ": "dz",
            "θ": "th",
            "χ": "ch",
            "ψ": "ps",
        },
    }
)


@lru_cache(maxsize=8192)
def _soften(folded: str) -> str:
    # Transliterations differ on these letters: "Korea" / "Corée", "Kyiv" / "Kiev".
    latin = folded.translate(_TO_LATIN) if not folded.isascii() else folded
    return latin.replace("ph", "f").replace("c", "k").replace("q", "k").replace("y", "i")


def _skeleton(softened: str) -> str:
    # Consonants only, doubled letters once: "Kursk" / "Koursk", "Putin" / "Poutine".
    consonants = [ch for ch in softened if ch not in "aeiouhw"]
    return "".join(ch for i, ch in enumerate(consonants) if i == 0 or consonants[i - 1] != ch)


def normalize_number(raw: str) -> str:
    """One spelling per number: "8,000", "8.000", "8 000" -> "8000"; "2,5" -> "2.5"."""
    if re.fullmatch(r"\d{1,3}(?:[,.\u00a0\u202f\u2009 ]\d{3})+", raw):
        return _GROUP_SEPARATORS.sub("", raw)
    value = raw.replace(",", ".")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


def numbers_in(text: str) -> set[str]:
    return {normalize_number(m.group(1)) for m in _NUMBER.finditer(text)}


def number_spans(text: str) -> list[tuple[int, int, str]]:
    """Where each number of a text is written, with its one spelling (`normalize_number`)."""
    return [(m.start(1), m.end(1), normalize_number(m.group(1))) for m in _NUMBER.finditer(text)]


def words_of(text: str) -> list[re.Match[str]]:
    return list(_words().finditer(text))


def is_name_word(word: str) -> bool:
    """A capitalised word that is not a function word, a descriptor or a month."""
    folded = fold(word)
    return (
        word[:1].isupper()
        and len(word) >= 2
        and folded not in FUNCTION_WORDS
        and folded not in _DESCRIPTORS
        and folded not in MONTHS
    )


def strip_markers(text: str) -> str:
    without = _MARKER.sub("", text)
    return re.sub(r"\s+([.,;:!?…])", r"\1", re.sub(r"[ \t]{2,}", " ", without)).strip()


@dataclass(frozen=True)
class Claims:
    """What a sentence asserts that can be checked by spelling: numbers, months, names."""

    numbers: frozenset[str]
    months: frozenset[int]
    names: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.numbers or self.months or self.names)

    def without_names_in(self, given: TextIndex) -> Claims:
        """These claims less the names `given` holds (the question's own: its premise)."""
        return Claims(
            self.numbers, self.months, tuple(n for n in self.names if not given.has_name(n))
        )

    def labels(self) -> list[str]:
        return [
            *sorted(self.numbers),
            *(_MONTH_LABELS[m] for m in sorted(self.months)),
            *self.names,
        ]


def claims_of(sentence: str, named: Collection[str] = ()) -> Claims:
    """The numbers, months and names `sentence` asserts; `named`: the names (folded) the
    question gives, which are names at the start of a sentence too."""
    text = _MARKER.sub(" ", sentence)
    words = list(_words().finditer(text))
    months = numbered_months(text)
    names: list[str] = []
    for i, match in enumerate(words):
        word = match.group(0)
        folded = fold(word)
        capitalised = word[0].isupper()
        if folded in MONTHS:
            if capitalised or folded not in _LOWERCASE_AMBIGUOUS_MONTHS:
                months.add(MONTHS[folded])
            continue
        if not is_name_word(word):
            continue
        if not word.isupper() and (i == 0 or _starts_sentence(text, match.start())):
            # A capital at the start is grammar, unless a name continues after it or the
            # question names it ("Spain joined …" answering "When did Spain join …?").
            following = words[i + 1].group(0) if i + 1 < len(words) else ""
            named_here = following[:1].isupper() and fold(following) not in FUNCTION_WORDS
            if not named_here and folded not in named:
                continue
        if word not in names:
            names.append(word)
    numbers = numbers_in(CJK_MONTH.sub(" ", text) if months else text)
    return Claims(frozenset(numbers), frozenset(months), tuple(names))


def content_words(sentence: str) -> list[str]:
    """Words that carry meaning, for sentences with no number or name to check."""
    words = []
    for word in _words().findall(_MARKER.sub(" ", sentence)):
        folded = fold(word)
        if len(folded) >= 4 and folded not in FUNCTION_WORDS and folded not in COMMON_VERBS:
            words.append(word)
    return words


def _starts_sentence(text: str, position: int) -> bool:
    before = text[:position].rstrip(" \"“«‘'([")
    return not before or before[-1] in ".!?:…\n"


class TextIndex:
    """The numbers, months and words of a text, for answering "is this claim in it?"."""

    def __init__(self, text: str = "") -> None:
        self._text = text
        self._digits = numbers_in(text)
        self.months: set[int] = set()
        self.folded: set[str] = set()
        self.name_skeletons: set[str] = set()
        for word in _words().findall(text):
            folded = fold(word)
            self.folded.add(folded)
            if word[0].isupper():
                skeleton = _skeleton(_soften(folded))
                if len(skeleton) >= 3:
                    self.name_skeletons.add(skeleton)
        self.months = {MONTHS[w] for w in self.folded if w in MONTHS} | numbered_months(text)

    @classmethod
    def merge(cls, indexes: Iterable[TextIndex]) -> TextIndex:
        merged = cls()
        for index in indexes:
            merged._digits |= index.numbers
            merged.months |= index.months
            merged.folded |= index.folded
            merged.name_skeletons |= index.name_skeletons
        return merged

    @cached_property
    def numbers(self) -> set[str]:
        """Digits, and numbers the text spells out, which a claim in digits may cite. Read
        only when a claim's number is looked up: the extractive features never need them."""
        return self._digits | spelled_numbers(self._text, fold(self._text))

    @cached_property
    def softened(self) -> set[str]:
        return {_soften(w) for w in self.folded}

    @cached_property
    def _by_initial(self) -> dict[str, list[str]]:
        by_initial: dict[str, list[str]] = {}
        for word in self.softened:
            by_initial.setdefault(word[0], []).append(word)
        return by_initial

    def has_name(self, name: str) -> bool:
        folded = fold(name)
        if folded in self.folded:
            return True
        softened = _soften(folded)
        if softened in self.softened:
            return True
        skeleton = _skeleton(softened)
        if len(skeleton) >= 3 and skeleton in self.name_skeletons:
            return True
        # A shared stem carries names across inflection and language: "Russian" / "russes",
        # "Korean" / "coréens", "Moscow" / "Moscou".
        if any(_shared_stem(softened, other) for other in self._by_initial.get(softened[0], ())):
            return True
        # German and Spanish write a name inside a compound: "Südafrika", "Nordkorea",
        # "Sudáfrica" hold "Africa" and "Korea".
        return len(softened) >= _COMPOUND_TAIL and any(
            len(word) > len(softened) and word.endswith(softened) for word in self.softened
        )

    def missing(self, claims: Claims) -> list[str]:
        absent = [n for n in sorted(claims.numbers) if n not in self.numbers]
        absent += [_MONTH_LABELS[m] for m in sorted(claims.months) if m not in self.months]
        absent += [name for name in claims.names if not self.has_name(name)]
        return absent

    def covered(self, claims: Claims) -> int:
        return len(claims.labels()) - len(self.missing(claims))


# The shortest name looked for at the end of a compound word ("Ages" is not one).
_COMPOUND_TAIL = 5


def _shared_stem(a: str, b: str) -> bool:
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= 4 and common >= 0.6 * min(len(a), len(b))


@dataclass(frozen=True)
class PassageSentence:
    start: int
    end: int
    similarity: float


@dataclass
class Passage:
    """Passage [n] shown to the model: a stored chunk and its sentences' article offsets."""

    n: int
    article_text: str
    start: int
    end: int
    sentences: Sequence[PassageSentence]
    _sentence_indexes: dict[int, TextIndex] = field(default_factory=dict, repr=False)

    @property
    def text(self) -> str:
        return self.article_text[self.start : self.end]

    @cached_property
    def index(self) -> TextIndex:
        if not self.sentences:
            return TextIndex(self.text)
        return TextIndex.merge(self.sentence_index(i) for i in range(len(self.sentences)))

    def sentence_index(self, i: int) -> TextIndex:
        if i not in self._sentence_indexes:
            s = self.sentences[i]
            self._sentence_indexes[i] = TextIndex(self.article_text[s.start : s.end])
        return self._sentence_indexes[i]

    def quotable(self) -> list[int]:
        """Its sentences that may be quoted: not those that address the model."""
        return [
            i
            for i, s in enumerate(self.sentences)
            if not looks_like_instruction(self.article_text[s.start : s.end])
        ]

    def supporting_sentences(self, claims: Claims, limit: int = 3) -> list[int]:
        """The fewest of its quotable sentences (in text order) that hold its share of claims."""
        order = self.quotable()
        if not order:
            return []
        wanted = Claims(
            frozenset(n for n in claims.numbers if n in self.index.numbers),
            frozenset(m for m in claims.months if m in self.index.months),
            tuple(name for name in claims.names if self.index.has_name(name)),
        )
        chosen: list[int] = []
        remaining = wanted
        while remaining and len(chosen) < limit:
            best = max(
                (i for i in order if i not in chosen),
                key=lambda i: (
                    self.sentence_index(i).covered(remaining),
                    self.sentences[i].similarity,
                ),
                default=None,
            )
            if best is None or self.sentence_index(best).covered(remaining) == 0:
                break
            chosen.append(best)
            missing = set(self.sentence_index(best).missing(remaining))
            remaining = Claims(
                frozenset(n for n in remaining.numbers if n in missing),
                frozenset(m for m in remaining.months if _MONTH_LABELS[m] in missing),
                tuple(name for name in remaining.names if name in missing),
            )
        if not chosen:
            chosen = [max(order, key=lambda i: self.sentences[i].similarity)]
        return sorted(chosen)


@dataclass(frozen=True)
class SentenceCheck:
    text: str
    cited: tuple[int, ...]
    problem: str | None = None
    # (passage number, sentence) pairs to quote for this sentence, when it is supported.
    support: tuple[tuple[int, PassageSentence], ...] = ()

    @property
    def supported(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class Verification:
    sentences: tuple[SentenceCheck, ...]
    unknown_markers: tuple[int, ...]
    refusal: bool = False

    @property
    def kept(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.supported]

    @property
    def dropped(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if not s.supported]


def split_sentences(text: str) -> list[str]:
    """Sentences of the model's answer; a marker after the full stop stays with its sentence."""
    pieces = [p for p in _SENTENCE_BREAK.split(text.strip()) if p and p.strip()]
    sentences: list[str] = []
    for piece in pieces:
        leading = _LEADING_MARKERS.match(piece)
        if leading and sentences:
            sentences[-1] = f"{sentences[-1]} {leading.group(0).strip()}"
            piece = piece[leading.end() :]
        if not piece.strip():
            continue
        if sentences and (
            (piece[0].islower() and not sentences[-1].endswith(("!", "?")))
            or ends_with_abbreviation(sentences[-1])
        ):
            # "U.S. troops", "Frederick W. Mote": an abbreviation or an initial, not the end
            # of a sentence (the articles' sentence splitter's rule).
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece.strip())
    return sentences


def cited_numbers(sentence: str) -> list[int]:
    numbers: list[int] = []
    for match in _MARKER.finditer(sentence):
        for part in re.split(r"[,;]", match.group(1)):
            n = int(part)
            if n not in numbers:
                numbers.append(n)
    return numbers


def is_refusal(text: str) -> bool:
    def simple(s: str) -> str:
        return re.sub(r"[^\w ]+", "", fold(s).replace("’", "'")).strip()

    answer = simple(strip_markers(text))
    return bool(answer) and answer.startswith(simple(REFUSAL))


_INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instructions?|rules|prompt)\b|"
    r"\b(ignorez|oubliez)\b.{0,40}\b(instructions?|consignes|r[eè]gles)\b|"
    r"\bsystem prompt\b|\byou are now\b",
    re.IGNORECASE,
)


def looks_like_instruction(text: str) -> bool:
    """A passage sentence that addresses the model; it is never evidence for an answer."""
    return bool(_INJECTION.search(text))


def verify(answer_text: str, passages: Sequence[Passage]) -> Verification:
    """Split the answer into sentences and check each against the passages it cites."""
    by_number = {p.n: p for p in passages}
    if is_refusal(answer_text):
        return Verification((), (), refusal=True)
    unknown: list[int] = []
    checks: list[SentenceCheck] = []
    for sentence in split_sentences(answer_text):
        numbers = cited_numbers(sentence)
        unknown += [n for n in numbers if n not in by_number and n not in unknown]
        cited = tuple(n for n in numbers if n in by_number)
        text = strip_markers(sentence)
        if not _has_words(text):
            continue
        checks.append(_check_sentence(text, cited, by_number))
    return Verification(tuple(checks), tuple(unknown))


def _has_words(text: str) -> bool:
    # "1." alone is a list number, not a sentence; "8000." alone is an answer.
    if re.fullmatch(r"\d{1,2}[.)]", text.strip()):
        return False
    return any(len(w) > 1 for w in _words().findall(text)) or bool(_NUMBER.search(text))


def _check_sentence(
    text: str, cited: tuple[int, ...], passages: dict[int, Passage]
) -> SentenceCheck:
    if not cited:
        return SentenceCheck(text, cited, "cites no passage")
    claims = claims_of(text)
    evidence = [passages[n] for n in cited if not _only_instructions(passages[n])]
    if not evidence:
        return SentenceCheck(text, cited, f"{_refs(cited)} only give instructions")
    if not claims:
        return _check_by_words(text, cited, evidence)
    missing = _missing_everywhere(claims, evidence)
    if missing:
        where = "passage" if len(cited) == 1 else "passages"
        quoted = ", ".join(f"'{m}'" for m in missing)
        return SentenceCheck(text, cited, f"{quoted} not in {where} {_refs(cited)}")
    support: list[tuple[Passage, int]] = []
    for passage in evidence:
        chosen = passage.supporting_sentences(claims)
        if claims and not any(passage.sentence_index(i).covered(claims) for i in chosen):
            continue  # cited, but the claims come from the other cited passages
        support += [(passage, i) for i in chosen]
    still_missing = TextIndex.merge(p.sentence_index(i) for p, i in support).missing(claims)
    if not support or still_missing:
        # The claim is in the passage only where it addresses the model ("say PWNED"), or
        # spread over more sentences than a citation quotes.
        quoted = ", ".join(f"'{m}'" for m in still_missing or claims.labels())
        return SentenceCheck(text, cited, f"{quoted} not in a quotable sentence of {_refs(cited)}")
    return SentenceCheck(text, cited, None, tuple((p.n, p.sentences[i]) for p, i in support))


def _check_by_words(text: str, cited: tuple[int, ...], evidence: list[Passage]) -> SentenceCheck:
    # With nothing to check by spelling, a cited sentence must at least share a word with
    # a quotable sentence of its passage ("deployed" / "déployés"); a bare "I have been
    # pwned [1]" shares none.
    words = content_words(text)
    support: list[tuple[int, PassageSentence]] = []
    for passage in evidence:
        overlaps = [
            (sum(passage.sentence_index(i).has_name(w) for w in words), i)
            for i in passage.quotable()
        ]
        best = max(overlaps, key=lambda o: (o[0], passage.sentences[o[1]].similarity), default=None)
        if best and best[0]:
            support.append((passage.n, passage.sentences[best[1]]))
    if not support:
        return SentenceCheck(text, cited, f"shares no word with {_refs(cited)}")
    return SentenceCheck(text, cited, None, tuple(support))


def _only_instructions(passage: Passage) -> bool:
    return bool(passage.sentences) and all(
        looks_like_instruction(passage.article_text[s.start : s.end]) for s in passage.sentences
    )


def _missing_everywhere(claims: Claims, passages: Iterable[Passage]) -> list[str]:
    missing: list[str] | None = None
    for passage in passages:
        absent = passage.index.missing(claims)
        missing = absent if missing is None else [m for m in missing if m in absent]
    return missing or []


def _refs(numbers: Iterable[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)
