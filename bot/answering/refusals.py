"""The refusal, said in the language the question was asked in.

A reader's written answer is in the asker's language; "The articles don't say." to a question
asked in French or Dutch would be the one English line they get. The languages and their
refusals are `languages.ANSWER_LANGUAGES`, the same the reader writes in.
"""

from __future__ import annotations

from bot.answering.answer import REFUSAL, Answer
from bot.answering.languages import ANSWER_LANGUAGES, AskerLanguage, asker_language

REFUSALS = {code: language.refusal for code, language in ANSWER_LANGUAGES.items()}


def refusal_for(question: str, asked: AskerLanguage | None = None) -> str:
    """The refusal in the question's language (`asked`, when already guessed); English when a
    short question does not tell."""
    return (asked or asker_language(question)).refusal


def in_asker_language(answer: Answer, asked: AskerLanguage | None = None) -> Answer:
    """`answer` with its refusal in the asker's language; any other answer unchanged."""
    if not answer.abstained or answer.answer != REFUSAL:
        return answer
    said = refusal_for(answer.question, asked)
    return answer if said == REFUSAL else answer.model_copy(update={"answer": said})
