"""A refusal is said in the asker's language; every other answer is left as it is."""

from __future__ import annotations

import pytest

from bot.answering.answer import REFUSAL, Answer
from bot.answering.languages import asker_language
from bot.answering.reader import question_language
from bot.answering.refusals import REFUSALS, in_asker_language, refusal_for


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("How old is the North Korean foreign minister?", REFUSAL),
        ("Quel âge a la ministre nord-coréenne des Affaires étrangères ?", REFUSALS["fr"]),
        ("Wie alt ist die nordkoreanische Außenministerin?", REFUSALS["de"]),
        (
            "¿Cuántos años tiene la ministra de Asuntos Exteriores de Corea del Norte?",
            REFUSALS["es"],
        ),
        ("Quanti anni ha il ministro degli esteri nordcoreano?", REFUSALS["it"]),
        (
            "Quantos anos tem a ministra dos Negócios Estrangeiros da Coreia do Norte?",
            REFUSALS["pt"],
        ),
        ("Hoe oud is de Noord-Koreaanse minister van Buitenlandse Zaken?", REFUSALS["nl"]),
        ("Сколько лет министру иностранных дел Северной Кореи?", REFUSALS["ru"]),
        ("Hur gammal är Nordkoreas utrikesminister?", REFUSALS["sv"]),
        ("Kuzey Kore dışişleri bakanı kaç yaşında?", REFUSALS["tr"]),
        ("Πόσων χρονών είναι η υπουργός Εξωτερικών της Βόρειας Κορέας;", REFUSALS["el"]),
        ("בת כמה שרת החוץ של צפון קוריאה?", REFUSALS["he"]),
        ("北朝鮮の外務大臣は何歳ですか？年齢を教えてください。", REFUSALS["ja"]),
        ("북한 외무상의 나이는 몇 살입니까?", REFUSALS["ko"]),
        ("朝鲜外交部长今年多大年纪了？", REFUSALS["zh"]),
    ],
)
def test_the_refusal_is_in_the_questions_language(question: str, said: str) -> None:
    assert refusal_for(question) == said


@pytest.mark.parametrize(
    ("question", "said"),
    [
        # Mostly names: the identifier cannot tell these; the opening question word can.
        ("Quel âge a Choe Son Hui ?", REFUSALS["fr"]),
        ("Et quand ?", REFUSALS["fr"]),
        ("Wer ist Choe Son Hui?", REFUSALS["de"]),
        ("¿Quién es Choe Son Hui?", REFUSALS["es"]),
        ("Chi è Choe Son Hui?", REFUSALS["it"]),
        ("Hoeveel soldaten?", REFUSALS["nl"]),
        ("Who is Choe Son Hui?", REFUSAL),
        ("Kdo je Choe Son Hui?", REFUSALS["cs"]),
        ("Siapa Choe Son Hui?", REFUSALS["id"]),
        ("Hol van Koursk?", REFUSALS["hu"]),
        ("Mikor?", REFUSALS["hu"]),
        # "Kim" opens a Korean name far more often than a Turkish "who?".
        ("Kim Jong Un?", REFUSAL),
    ],
)
def test_a_short_question_full_of_names_is_refused_in_its_question_words_language(
    question: str, said: str
) -> None:
    assert refusal_for(question) == said


@pytest.mark.parametrize(
    "question", ["?", "{{7*7}}", "'; DROP TABLE articles; --", "北朝鮮の兵士は何人?"]
)
def test_a_question_whose_language_does_not_tell_gets_english(question: str) -> None:
    assert refusal_for(question) == REFUSAL


def test_one_guess_of_the_askers_language_serves_refusal_reader_and_decision() -> None:
    german = asker_language("Wie alt ist die nordkoreanische Außenministerin?")
    assert refusal_for("", german) == REFUSALS["de"]
    assert question_language("", german) == "German"
    assert german.among({"de", "fr", "ru"}) == "de"
    russian = asker_language("Сколько пожарных тушили пожар на складе в Подольске?")
    assert refusal_for("", russian) == REFUSALS["ru"]
    assert question_language("", russian) == "Russian"
    assert russian.among({"en", "fr", "ru"}) == "ru"
    # Basque is no language the bot answers in: English, yet the decision still reads that a
    # Basque question shares the language of Basque news.
    basque = asker_language("Zenbat suhiltzaile aritu ziren Podolskeko biltegiko sutea itzaltzen?")
    assert refusal_for("", basque) == REFUSAL
    assert question_language("", basque) == "English"
    assert basque.among({"en", "fr", "eu"}) == "eu"


def test_only_refusals_are_translated() -> None:
    question = "Combien de soldats nord-coréens sont en Russie ?"
    refused = in_asker_language(Answer(question=question, answer=REFUSAL, abstained=True))
    assert refused.abstained and refused.answer == "Les articles ne le disent pas."
    quoted = Answer(question=question, answer="Jusqu'à 8000 soldats [1]", abstained=False)
    assert in_asker_language(quoted).answer == quoted.answer
