"""The languages the bot answers in, and one guess per question of the asker's language.

The guess is made once per question (`asker_language`) and read three ways: the decision asks
whether the question shares a sentence's language, a refusal is said in the asker's language,
and the reader writes in it. A question whose language a short text cannot tell, and code or
punctuation, get English.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

from bot.answering.answer import REFUSAL
from retrieval.language import best_among, language_ranking

# Code: the language's English name (for the reader's prompt) and the refusal said in it.
ANSWER_LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("English", REFUSAL),
    "fr": ("French", "Les articles ne le disent pas."),
    "de": ("German", "Die Artikel sagen es nicht."),
    "es": ("Spanish", "Los artículos no lo dicen."),
    "it": ("Italian", "Gli articoli non lo dicono."),
    "pt": ("Portuguese", "Os artigos não o dizem."),
    "nl": ("Dutch", "De artikelen zeggen het niet."),
    "pl": ("Polish", "Artykuły tego nie mówią."),
}
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class AskerLanguage:
    """The language identifier's ranking of one question, read among any set of languages."""

    ranking: tuple[tuple[str, float], ...]

    def among(self, languages: Collection[str]) -> str:
        """The likeliest of `languages`, or "und" when none has a real share."""
        return best_among(self.ranking, languages)

    @cached_property
    def code(self) -> str:
        """The language the bot answers in: one of `ANSWER_LANGUAGES`, English by default."""
        code = self.among(ANSWER_LANGUAGES)
        return code if code in ANSWER_LANGUAGES else DEFAULT_LANGUAGE

    @property
    def name(self) -> str:
        return ANSWER_LANGUAGES[self.code][0]

    @property
    def refusal(self) -> str:
        return ANSWER_LANGUAGES[self.code][1]


def asker_language(question: str) -> AskerLanguage:
    """The guess for `question`, made once and passed to whatever answers it."""
    return AskerLanguage(language_ranking(question))
