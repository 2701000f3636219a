"""Turn a follow-up ("How many of them?") into a question that retrieval can answer alone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.answering.question_types import fold, word_list
from retrieval.embedding_cache import CachedEmbeddings, text_key
from retrieval.search import Hit, SentenceScore

_REFERRING = re.compile(
    r"\b(it|its|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|there|"
    r"one|ones|same|also|too|else|more|why|il|elle|ils|elles|eux|leur|leurs|er|sie|es|ihr|"
    r"ellos|ellas|él|ella|eso|esto)\b",
    re.IGNORECASE,
)
# Function and question words of English, French, German and Spanish (folded): what is left of
# a question without them is its subject ("How many North Korean troops are in Kursk?" →
# "North Korean troops Kursk").
_FUNCTION_WORDS = frozenset(
    word_list(
        "a an the and or but of to in on at by for from with about into over after before is "
        "are was were be been being am do does did done have has had will would can could "
        "shall should may might must not no yes so as than then that this these those there "
        "it its they them their he him his she her we us our you your i me my what which who "
        "whom whose when where why how many much more most some any all also too else one "
        "ones same other others again did say said tell told le la les l un une des du de d "
        "au aux et ou mais en dans sur sous par pour avec sans est sont etait ete etre a ont "
        "avait fait il elle ils elles on nous vous je me se ce cet cette ces qui que quoi "
        "quel quelle quels quelles quand comment combien pourquoi ou leur leurs lui eux y ne "
        "pas plus aussi encore der die das den dem des ein eine einen einem einer und oder "
        "aber von zu im in an auf mit fur aus bei nach uber unter ist sind war waren sein "
        "hat haben hatte wird werden er sie es ihr ihre wir man wer wen wem wessen was wann "
        "wo wie warum welche welcher welches viele viel auch noch nicht kein el los las lo "
        "una unos unas del al y o pero en con sin por para sobre es son era fue ser ha han "
        "habia ellos ellas el ella nosotros que quien quienes cuando donde como cuanto "
        "cuantos cuanta cuantas cual cuales por que tambien mas no se su sus"
    )
)


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str


def needs_context(question: str) -> bool:
    words = question.split()
    return len(words) <= 4 or bool(_REFERRING.search(question))


def subject_words(question: str) -> list[str]:
    """The question's content words in their own spelling, without function or question words."""
    words = re.findall(r"[\w'’-]+", question)
    return [w for w in words if fold(w) not in _FUNCTION_WORDS and len(w) > 1]


def standalone_question(question: str, history: Sequence[Turn], max_turns: int = 3) -> str:
    """Without an LLM: the new question, followed by the conversation's subject.

    The subject is the content words of the earlier questions (back to the last one that
    stood alone, at most `max_turns`) that the new question does not already hold. The new
    question comes first and keeps all its words, so its own ask ("what were they trained
    for?") leads the search and the subject only resolves "they" and breaks ties; prefixing
    the whole previous question made the search answer that question again.
    """
    if not history or not needs_context(question):
        return question
    own = {fold(w) for w in subject_words(question)}
    subject: list[str] = []
    for turn in reversed(history[-max_turns:]):
        earlier = [w for w in subject_words(turn.question) if fold(w) not in own]
        subject = earlier + [w for w in subject if w not in earlier]
        if not needs_context(turn.question):
            break
    if not subject:
        return question
    return f"{question} ({' '.join(dict.fromkeys(subject))})"


def rescored_by_question(
    question: str, hits: Sequence[Hit], embeddings: CachedEmbeddings
) -> list[Hit]:
    """The hits with each sentence's similarity to the follow-up's own words.

    The chunks were found with the subject carried over (they are about the same thing);
    which of their sentences answers is read from the new question alone, so "And what were
    they trained for?" picks the training sentence, not the one that answered the previous
    question. One query embedding; the sentences' vectors come from the cache.
    """
    vector = embeddings.embed_queries([question])[0]
    texts = {
        text_key(quote): quote
        for hit in hits
        for s in hit.sentences
        for quote in (hit.chunk.article_text[s.start : s.end],)
    }
    vectors = embeddings.cached_passages(list(texts.values()))
    missing = [text for key, text in texts.items() if key not in vectors]
    if missing:
        for text, found in zip(missing, embeddings.embed_passages(missing), strict=True):
            vectors[text_key(text)] = found
    return [
        replace(
            hit,
            sentences=[
                SentenceScore(
                    s.start,
                    s.end,
                    float(vectors[text_key(hit.chunk.article_text[s.start : s.end])] @ vector),
                )
                for s in hit.sentences
            ],
        )
        for hit in hits
    ]
