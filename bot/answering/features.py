"""Explainable numbers about each candidate sentence and the question, from what search already has.

Two stages read them: the ranker (which sentence answers best) and the decision (answer or
refuse). Both take the raw numbers through `ranker_vector` and `decision_vector`, the same
functions at run time and when `bench/fit_decision.py` fits their weights on a dump.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.answering.languages import ANSWER_LANGUAGES, AskerLanguage, asker_language
from bot.answering.question_types import AnswerType, expected_answer_type
from bot.answering.sentence_offers import offered_types, question_terms, terms_held
from retrieval.language import UNDETERMINED
from retrieval.search import Hit, SentenceScore
from retrieval.sentences import is_heading

# Sentences of this many best chunks compete to answer (as before the decision model).
TOP_CHUNKS = 3
# A sentence that is itself a question (news headings often are: "Un arsenal nucléaire en
# contrepartie ?") asks rather than states, so it never answers: Latin, Greek, Arabic and
# full-width question marks, before closing quotes or brackets.
_ASKS = re.compile(r"[?\u037e\u061f\uff1f]\W*$|^\W*¿")


def asks(sentence: str) -> bool:
    """True for a sentence that is a question."""
    return bool(_ASKS.search(sentence.strip()))


RANKER_FEATURES = (
    "sentence_sim_gap",  # sentence similarity minus the best candidate's
    "chunk_sim_gap",  # chunk similarity minus the best chunk's
    "type_match",  # the sentence offers the answer type the question asks for
    "type_missing",  # the question asks for a type the sentence does not offer
    "terms_in_sentence",  # share of the question's names and numbers in the sentence
    "lexical",  # the chunk's BM25 score against the best one's (0 when BM25 did not find it)
    "top_chunk",  # the sentence is in the best-ranked chunk
    "best_in_chunk",  # the sentence is its chunk's most similar one
    "length",  # log of the sentence's characters: long sentences hold more facts
    "cross_sim_gap",  # the cross-check model's similarity minus the best candidate's
)
DECISION_FEATURES = (
    "evidence",  # mean of chunk and sentence similarity of the chosen sentence
    "sentence_sim",
    "chunk_sim",
    "top_evidence",  # the best chunk's evidence, whichever sentence was chosen
    "ranker_margin",  # chosen sentence's ranker score over the next candidate's
    "type_match",
    "type_missing",
    "type_unknown",  # the question words name no answer type
    "terms_in_sentence",
    "terms_in_chunk",  # share of the question's names and numbers in the chosen chunk
    "has_terms",  # the question holds names or numbers at all
    "lexical",
    "agreement",  # the chosen sentence lies in the chunk that chunk similarity ranks first
    "question_words",  # log of the question's word count
    "same_language",  # the question is in the chosen sentence's language
    "same_language_evidence",  # evidence when the languages match, else 0: its own slope
    "same_language_top_evidence",
    "cross_sim",  # the cross-check model's similarity of the chosen sentence
)


@dataclass(frozen=True)
class CandidateFeatures:
    """One candidate sentence: where it is and its raw feature values."""

    hit: Hit
    sentence: SentenceScore
    values: dict[str, float]

    @property
    def evidence(self) -> float:
        return self.values["evidence"]


@dataclass(frozen=True)
class QuestionFeatures:
    """The question-level values and every candidate, in search order."""

    expected: AnswerType
    values: dict[str, float]
    candidates: list[CandidateFeatures]


@dataclass
class TextReadings:
    """A question's names and numbers read in texts: the answer types a sentence offers and the
    share of the terms a text holds.

    They depend on the text and the terms only, not on any similarity. A follow-up reads the
    same chunks twice (its own ask picks the sentence, the joined search decides), and this is
    most of the features' time, so both passes share one `TextReadings`.
    """

    terms: list[str]
    _offers: dict[tuple[str, str], frozenset[AnswerType]] = field(default_factory=dict)
    _held: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, terms_from: str) -> TextReadings:
        return cls(question_terms(terms_from))

    def offers(self, text: str, lang: str) -> frozenset[AnswerType]:
        key = (text, lang)
        if key not in self._offers:
            self._offers[key] = offered_types(text, lang, self.terms)
        return self._offers[key]

    def held(self, text: str) -> frozenset[str]:
        """The question's terms that `text` holds."""
        if text not in self._held:
            self._held[text] = terms_held(self.terms, text)
        return self._held[text]

    def coverage(self, text: str) -> float:
        return len(self.held(text)) / len(self.terms) if self.terms else 0.0

    def chunk_coverage(self, hit: Hit) -> float:
        """The share of the terms the hit's chunk holds, read sentence by sentence: a chunk is
        its sentences, which are read anyway, so its words are not read a second time."""
        if not self.terms:
            return 0.0
        if not hit.sentences:
            return self.coverage(hit.chunk.article_text[hit.chunk.start : hit.chunk.end])
        text = hit.chunk.article_text
        held = frozenset().union(*(self.held(text[s.start : s.end]) for s in hit.sentences))
        return len(held) / len(self.terms)


def question_features(
    question: str,
    hits: Sequence[Hit],
    terms_from: str | None = None,
    asked: AskerLanguage | None = None,
    readings: TextReadings | None = None,
) -> QuestionFeatures:
    """The raw values of the question and of each sentence of the top chunks.

    `terms_from` is the text whose names and numbers are looked for (a follow-up's search
    query, which carries the subject); the answer type is always read from `question`.
    `asked` is the asker's language when already guessed; `readings`, the terms already read
    in these texts by another pass over them (made from `terms_from`).
    """
    expected = expected_answer_type(question)
    readings = readings or TextReadings.of(terms_from or question)
    terms = readings.terms
    top = list(hits[:TOP_CHUNKS])
    best_lexical = max((h.lexical_score or 0.0 for h in top), default=0.0) or 1.0
    best_chunk = max((h.chunk_similarity for h in top), default=0.0)
    best_sentence = max((s.similarity for h in top for s in h.sentences), default=0.0)
    # Without the cross-check model every sentence reads 0: the gap is 0 for all, and the
    # ranking is the rest of the features' (a constant moves every score alike).
    best_cross = max((s.cross or 0.0 for h in top for s in h.sentences), default=0.0)
    top_by_chunk = max(top, key=lambda h: h.chunk_similarity, default=None)
    # A multilingual embedder scores a question higher against any text in its own language:
    # the same evidence means less when question and sentence share a language.
    # Among the bot's languages and the hits' own: a Russian question over Russian news.
    languages = set(ANSWER_LANGUAGES) | {h.chunk.lang for h in top}
    asked_in = (asked or asker_language(question)).among(languages)
    candidates: list[CandidateFeatures] = []
    headings: list[CandidateFeatures] = []
    for rank, hit in enumerate(top):
        text = hit.chunk.article_text
        chunk_coverage = readings.chunk_coverage(hit)
        best_in_chunk = max((s.similarity for s in hit.sentences), default=0.0)
        for sentence in hit.sentences:
            quote = text[sentence.start : sentence.end]
            if asks(quote):
                continue
            offers = readings.offers(quote, hit.chunk.lang)
            # A heading answers only when no sentence of the top chunks could.
            found = headings if is_heading(text, sentence.start, sentence.end) else candidates
            found.append(
                CandidateFeatures(
                    hit,
                    sentence,
                    {
                        "evidence": (hit.chunk_similarity + sentence.similarity) / 2,
                        "sentence_sim": sentence.similarity,
                        "chunk_sim": hit.chunk_similarity,
                        "sentence_sim_gap": sentence.similarity - best_sentence,
                        "cross_sim": sentence.cross or 0.0,
                        "cross_sim_gap": (sentence.cross or 0.0) - best_cross,
                        "chunk_sim_gap": hit.chunk_similarity - best_chunk,
                        "type_match": float(expected in offers),
                        "type_missing": float(expected != "other" and expected not in offers),
                        "terms_in_sentence": readings.coverage(quote),
                        "terms_in_chunk": chunk_coverage,
                        "lexical": (hit.lexical_score or 0.0) / best_lexical,
                        "top_chunk": float(rank == 0),
                        "best_in_chunk": float(sentence.similarity >= best_in_chunk),
                        "length": math.log1p(len(quote)) / 5,
                        "agreement": float(hit is top_by_chunk),
                        "same_language": float(
                            asked_in != UNDETERMINED and asked_in == hit.chunk.lang
                        ),
                    },
                )
            )
    candidates = candidates or headings
    values = {
        "top_evidence": top[0].evidence if top else 0.0,
        "type_unknown": float(expected == "other"),
        "has_terms": float(bool(terms)),
        "question_words": math.log1p(len(question.split())) / 3,
    }
    return QuestionFeatures(expected, values, candidates)


def ranker_vector(candidate: dict[str, float]) -> list[float]:
    return [candidate[name] for name in RANKER_FEATURES]


def decision_vector(
    question: dict[str, float], chosen: dict[str, float], ranker_margin: float
) -> list[float]:
    merged = {**question, **chosen, "ranker_margin": ranker_margin}
    same = merged["same_language"]
    merged["same_language_evidence"] = same * merged["evidence"]
    merged["same_language_top_evidence"] = same * merged["top_evidence"]
    return [merged[name] for name in DECISION_FEATURES]
