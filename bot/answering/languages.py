"""The languages the bot answers in, and one guess per question of the asker's language.

The guess is made once per question (`asker_language`) and read three ways: the decision asks
whether the question shares a sentence's language, a refusal is said in the asker's language,
and the reader writes in it. When the identifier cannot tell (a short question full of names),
the question word it opens with decides; a question that tells neither way, and code or
punctuation, get English.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

from bot.answering.answer import REFUSAL
from bot.answering.question_types import fold, without_openers, word_list
from retrieval.language import UNDETERMINED, best_among, language_ranking


@dataclass(frozen=True)
class AnswerLanguage:
    """A language the bot answers in, and how it writes what an answer holds."""

    name: str  # in English, for the reader's prompt
    refusal: str
    # How a written number groups its thousands and marks its decimals (number_format.py).
    # French and Polish group with a no-break space, so a number never splits across lines.
    thousands: str
    decimal: str


_NO_BREAK = "\u00a0"
ANSWER_LANGUAGES: dict[str, AnswerLanguage] = {
    "en": AnswerLanguage("English", REFUSAL, ",", "."),
    "fr": AnswerLanguage("French", "Les articles ne le disent pas.", _NO_BREAK, ","),
    "de": AnswerLanguage("German", "Die Artikel sagen es nicht.", ".", ","),
    "es": AnswerLanguage("Spanish", "Los artículos no lo dicen.", ".", ","),
    "it": AnswerLanguage("Italian", "Gli articoli non lo dicono.", ".", ","),
    "pt": AnswerLanguage("Portuguese", "Os artigos não o dizem.", ".", ","),
    "nl": AnswerLanguage("Dutch", "De artikelen zeggen het niet.", ".", ","),
    "pl": AnswerLanguage("Polish", "Artykuły tego nie mówią.", _NO_BREAK, ","),
    "sv": AnswerLanguage("Swedish", "Artiklarna säger inget om det.", _NO_BREAK, ","),
    "da": AnswerLanguage("Danish", "Artiklerne siger det ikke.", ".", ","),
    "nb": AnswerLanguage("Norwegian", "Artiklene sier det ikke.", _NO_BREAK, ","),
    "fi": AnswerLanguage("Finnish", "Artikkelit eivät kerro sitä.", _NO_BREAK, ","),
    "cs": AnswerLanguage("Czech", "Články to neuvádějí.", _NO_BREAK, ","),
    "sk": AnswerLanguage("Slovak", "Články to neuvádzajú.", _NO_BREAK, ","),
    "hu": AnswerLanguage("Hungarian", "A cikkek ezt nem írják.", _NO_BREAK, ","),
    "ro": AnswerLanguage("Romanian", "Articolele nu spun asta.", ".", ","),
    "tr": AnswerLanguage("Turkish", "Makaleler bunu söylemiyor.", ".", ","),
    "el": AnswerLanguage("Greek", "Τα άρθρα δεν το αναφέρουν.", ".", ","),
    "ru": AnswerLanguage("Russian", "В статьях об этом не говорится.", _NO_BREAK, ","),
    "uk": AnswerLanguage("Ukrainian", "У статтях про це не йдеться.", _NO_BREAK, ","),
    "id": AnswerLanguage("Indonesian", "Artikel-artikel itu tidak menyebutkannya.", ".", ","),
    "vi": AnswerLanguage("Vietnamese", "Các bài báo không nói đến điều này.", ".", ","),
    "he": AnswerLanguage("Hebrew", "הכתבות לא מציינות זאת.", ",", "."),
    "ar": AnswerLanguage("Arabic", "لا تذكر المقالات ذلك.", ",", "."),
    "hi": AnswerLanguage("Hindi", "लेखों में यह नहीं बताया गया है।", ",", "."),
    "zh": AnswerLanguage("Chinese", "文章中没有提到。", ",", "."),
    "ja": AnswerLanguage("Japanese", "記事には書かれていません。", ",", "."),
    "ko": AnswerLanguage("Korean", "기사에는 나와 있지 않습니다.", ",", "."),
}
# The identifier's other names for a language above: Norwegian as "no" (Bokmål is "nb").
ANSWER_LANGUAGES["no"] = ANSWER_LANGUAGES["nb"]
DEFAULT_LANGUAGE = "en"

# Question words that open a question in one of those languages only (folded: no accents,
# Greek "ς" as "σ"). A short question full of names ("Quel âge a Choe Son Hui ?") gives the
# identifier too few words of its language to tell; its question word still does. Words two of
# the languages share ("quando", "que", "wie", "como", "qual", Danish and Norwegian "hvem",
# Czech and Polish "co") are left out, and so are words that are names or common words
# elsewhere (Romanian "cat", Turkish "kim", Finnish "mika", Hungarian "mi", Vietnamese "ai").
# Japanese, Korean, Chinese and Hindi put the question word last: the identifier tells those
# scripts alone.
_QUESTION_WORDS: dict[str, str] = {
    word: code
    for code, words in {
        "en": "how what who whom whose when where which why",
        "fr": "quel quelle quels quelles combien pourquoi quand comment qui ou est ce",
        "de": "wer wen wem wessen wann warum weshalb wieso welche welcher welches welchen "
        "welchem wieviel wieviele wo woher wohin",
        "es": "cuanto cuanta cuantos cuantas quien quienes cuando donde cual cuales",
        "it": "quanti quante chi dove perche quale quali",
        "pt": "quantos quantas quem onde porque",
        "nl": "hoeveel wanneer waar waarom welke wat hoe",
        "pl": "ile kto kiedy gdzie dlaczego jaki jaka jakie ktory ktora",
        "sv": "vem vad hur vilken vilket vilka varfor",
        "da": "hvad hvornar",
        "nb": "hva",
        "fi": "kuka missa mista mihin milloin kuinka miksi montako paljonko",
        "cs": "kdo kde kdy kolik proc ktery ktera ktere",
        "hu": "ki kik hol mikor hany mennyi miert melyik hogyan",
        "ro": "cine unde cand",
        "tr": "neden nerede hangi kac nasil",
        "id": "siapa apa dimana kapan berapa mengapa kenapa bagaimana",
        "el": "ποιοσ ποια ποιο ποιοι ποιον που ποτε ποσοι ποσα ποσο ποσουσ γιατι πωσ τι",
        "ru": "кто что где когда сколько почему какои какая какое как",
        "uk": "хто що де коли скільки чому якии яка яке як",
        "he": "מי מה איפה מתי כמה למה איך האם",
        "ar": "من ما ماذا اين متى كم لماذا كيف هل",
    }.items()
    for word in word_list(words)
}


@dataclass(frozen=True)
class AskerLanguage:
    """The language identifier's ranking of one question, read among any set of languages."""

    ranking: tuple[tuple[str, float], ...]
    # The language of the question word the question opens with, for when the identifier
    # cannot tell.
    opening: str = UNDETERMINED

    def among(self, languages: Collection[str]) -> str:
        """The likeliest of `languages`, or "und" when none has a real share."""
        return best_among(self.ranking, languages)

    @cached_property
    def code(self) -> str:
        """The language the bot answers in: one of `ANSWER_LANGUAGES`, English by default."""
        code = self.among(ANSWER_LANGUAGES)
        if code not in ANSWER_LANGUAGES:
            code = self.opening
        return code if code in ANSWER_LANGUAGES else DEFAULT_LANGUAGE

    @property
    def name(self) -> str:
        return ANSWER_LANGUAGES[self.code].name

    @property
    def refusal(self) -> str:
        return ANSWER_LANGUAGES[self.code].refusal


def asker_language(question: str) -> AskerLanguage:
    """The guess for `question`, made once and passed to whatever answers it."""
    return AskerLanguage(language_ranking(question), opening_language(question))


def opening_language(question: str) -> str:
    """The language of the question word the question opens with, or "und"."""
    words = without_openers(fold(question).split())
    if words[:1] == ["en"]:
        # Dutch "and" ("En wanneer …?"), or French and Spanish "in" ("¿En dónde …?"): either
        # way the question word follows.
        words = without_openers(words[1:])
    return _QUESTION_WORDS.get(words[0], UNDETERMINED) if words else UNDETERMINED
