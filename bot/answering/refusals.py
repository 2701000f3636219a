"""The refusal, said in the language the question was asked in.

A reader's written answer is in the asker's language; "The articles don't say." to a question
asked in French or Dutch would be the one English line they get. The languages are those the
reader writes (`reader.LANGUAGES`). A question whose language a short text cannot tell, and code
or punctuation, get the English sentence.
"""

from __future__ import annotations

from bot.answering.answer import REFUSAL, Answer
from retrieval.language import detect_language_among

REFUSALS = {
    "en": REFUSAL,
    "fr": "Les articles ne le disent pas.",
    "de": "Die Artikel sagen es nicht.",
    "es": "Los artículos no lo dicen.",
    "it": "Gli articoli non lo dicono.",
    "pt": "Os artigos não o dizem.",
    "nl": "De artikelen zeggen het niet.",
    "pl": "Artykuły tego nie mówią.",
}


def refusal_for(question: str) -> str:
    """The refusal in the question's language; English when a short question does not tell."""
    return REFUSALS.get(detect_language_among(question, REFUSALS), REFUSAL)


def in_asker_language(answer: Answer) -> Answer:
    """`answer` with its refusal in the asker's language; any other answer unchanged."""
    if not answer.abstained or answer.answer != REFUSAL:
        return answer
    said = refusal_for(answer.question)
    return answer if said == REFUSAL else answer.model_copy(update={"answer": said})
