"""The reader: a short written answer from numbered sentences, each claim tied to its sentence.

The model sees the best candidate sentences (evidence.py) and cites their ids; newsbot checks
every written sentence against the sentences it cites (sentence_verification.py), re-attributes
or drops what they do not hold, and builds the citations itself from the ids, so every quote is
`article[start:end]` by construction.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from contextlib import closing
from typing import TYPE_CHECKING

from langchain_core.prompts import ChatPromptTemplate

from bot.answering.answer import REFUSAL, Answer, Citation
from bot.answering.evidence import EvidenceSentence, as_data, format_evidence, select_evidence
from bot.answering.extractive import citation_for, passage_around
from bot.answering.followup import Turn
from bot.answering.generation import (
    FALLBACK_SUFFIX,
    AnswerGenerator,
    TokenCallback,
    timed_stream,
)
from bot.answering.languages import AskerLanguage, asker_language
from bot.answering.llm import explain_failure
from bot.answering.meaning_support import MeaningSupport
from bot.answering.number_format import in_asker_convention
from bot.answering.question_types import opening_answer_type
from bot.answering.sentence_offers import (
    adds_to_question,
    gives_answer_type,
    question_terms,
    sentence_gives_answer_type,
)
from bot.answering.sentence_verification import (
    EvidenceIndex,
    PieceCheck,
    ReadCheck,
    WrittenSentence,
    check_piece,
    collect_checks,
    is_not_found,
)
from bot.answering.verification import TextIndex, split_sentences, strip_markers
from bot.settings import Settings
from prompts import prompt_messages
from retrieval.search import Hit

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from retrieval.embedding_cache import CachedEmbeddings

log = logging.getLogger(__name__)

MAX_WRITTEN_SENTENCES = 3
# A piece of the reply that is only the start of citation markers: "[", "[4", "[4][5".
_MARKER_BEGUN = re.compile(r"^\s*(?:\[[\d\s,;]*\]?)+\s*$")


def question_language(question: str, asked: AskerLanguage | None = None) -> str:
    """The language to answer in (`asked`, when already guessed), among those the reader
    writes; English when a short question does not tell."""
    return (asked or asker_language(question)).name


class Reader:
    """Writes, checks and cites; one per process, sharing the loaded model across questions."""

    def __init__(
        self,
        model: BaseChatModel,
        settings: Settings,
        *,
        rewrite_model: BaseChatModel | None = None,
        embeddings: CachedEmbeddings | None = None,
    ) -> None:
        self.model = model
        self.settings = settings
        # The search's embedding model, to check by meaning what names no number or name.
        self.embeddings = embeddings
        self.prompt = ChatPromptTemplate.from_messages(prompt_messages("reader.md"))
        # Follow-ups are rewritten with today's rewrite prompt, by the same model.
        self._rewriter = AnswerGenerator(model, settings, rewrite_model=rewrite_model)

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        return self._rewriter.rewrite(question, history)

    def messages(
        self,
        question: str,
        evidence: Sequence[EvidenceSentence],
        asked: AskerLanguage | None = None,
    ) -> list:
        return self.prompt.format_messages(
            sentences=format_evidence(evidence),
            question=as_data(question),
            language=question_language(question, asked),
        )

    def read(
        self,
        question: str,
        hits: Sequence[Hit],
        fallback: Answer,
        on_token: TokenCallback | None = None,
        asked: AskerLanguage | None = None,
    ) -> Answer:
        """The written, verified answer; `on_token` gets each verified sentence as it comes;
        `asked`: the asker's language, when already guessed."""
        # The quoted answer's sentences are read first: the decision chose them by answer type.
        evidence = select_evidence(hits, fallback.citations[0] if fallback.citations else None)
        if not evidence:
            return _fall_back(fallback, "no candidate sentence to read")
        messages = self.messages(question, evidence, asked)
        meaning = None
        if self.embeddings is not None:
            meaning = MeaningSupport.measured(self.embeddings, question, evidence)
        language = (asked or asker_language(question)).code
        stream = _VerifiedStream(
            evidence, question, self.settings.passage_chars, on_token, meaning, language
        )
        started = time.perf_counter()
        meta: dict[str, float] = {}
        try:
            complete = self._stream(messages, stream, meta)
        except Exception as error:  # a failing model: the quoted answer still stands
            reason = explain_failure(error, self.settings, mid_answer=bool(stream.text))
            return _fall_back(fallback, reason)
        read_ms = (time.perf_counter() - started) * 1000
        if not complete:
            return _fall_back(fallback, "the reader stopped before the answer was complete")
        stream.finish()
        check = stream.check()
        answer = self._assemble(question, check, stream, fallback, len(evidence))
        answer.timings_ms.update(reader=round(read_ms, 1), **meta)
        # The extractive decision's probability stays beside the written answer.
        answer.confidence = fallback.confidence
        return answer

    def _stream(self, messages: list, stream: _VerifiedStream, meta: dict[str, float]) -> bool:
        complete = False
        with closing(timed_stream(self.model, messages, self.settings.llm_timeout_s)) as chunks:
            for chunk, finished in chunks:
                if finished:
                    complete = True
                    info = chunk.response_metadata
                    for key in ("prompt_ms", "generate_ms", "generated_tokens", "prompt_tokens"):
                        if key in info:
                            meta[key] = float(info[key])
                if chunk.text and stream.add(chunk.text):
                    # Enough written sentences: the rest would only cost time.
                    complete = True
                    break
        return complete

    def _assemble(
        self,
        question: str,
        check: ReadCheck,
        stream: _VerifiedStream,
        fallback: Answer,
        shown: int,
    ) -> Answer:
        notes = [f"ignored sentence id [{i}]: no such sentence" for i in check.unknown_ids]
        stats = {
            "verified": check.count("verified"),
            "reattributed": check.count("reattributed"),
            "dropped": check.count("dropped"),
        }
        if check.refusal:
            notes.append(f"the reader found no answer in the {shown} closest sentences")
            return _refusal(question, notes, {"sentences_shown": float(shown)})
        kept = check.kept
        dropped = [s for s in check.sentences if s.status == "dropped"]
        if not kept:
            why = "no written sentence is supported by the sentences it cites"
            if not check.sentences:
                why = f"the reader's reply could not be used ({_brief(stream.text)!r})"
            detail = f" ({_describe(dropped)})" if dropped else ""
            misbound = frozenset(n for s in dropped for n in s.misbound)
            return self._fall_back_or_refuse(
                question, stream, fallback, why + detail, notes, stats, misbound
            )
        written = " ".join(s.text for s in kept)
        if not stream.gives_asked_type(written):
            # "The troops have entered Russia in total [1]." repeats a "how many" question
            # without its number: not an answer, however well its words are supported.
            wanted = _WANTED[stream.asks_for]
            why = f"the written answer gives no {wanted}, which the question asks for"
            why = f"{why} (“{_brief(stream.text)}”)"
            return self._fall_back_or_refuse(question, stream, fallback, why, notes, stats)
        if not adds_to_question(written, question):
            why = f"the written answer only repeats the question (“{_brief(stream.text)}”)"
            return _fall_back(fallback, why, notes, stats)
        for sentence in kept:
            if sentence.status == "reattributed":
                notes.append(
                    f"“{_brief(sentence.text)}” cited the wrong sentence; "
                    "it now cites the sentence that says it"
                )
        if dropped:
            notes.append(f"dropped {len(dropped)} unsupported sentence(s): {_describe(dropped)}")
        # The stream marked each kept sentence as it came, in order: the final citations.
        return Answer(
            question=question,
            answer=" ".join(stream.marked),
            abstained=False,
            citations=stream.builder.citations,
            mode="generated",
            notes=notes,
            timings_ms={
                **{f"sentences_{k}": float(v) for k, v in stats.items()},
                "sentences_shown": float(shown),
            },
        )

    @staticmethod
    def _fall_back_or_refuse(
        question: str,
        stream: _VerifiedStream,
        fallback: Answer,
        why: str,
        notes: list[str],
        stats: dict[str, int],
        misbound: frozenset[str] = frozenset(),
    ) -> Answer:
        """The quoted answer, unless it too lacks the number or date the question asks for,
        or shows the very number the reader was caught misreading.

        The reader read the sentences and gave no supported number or date ("57 years old"
        where no sentence gives an age): when the quote's answering sentences give none either,
        quoting them would answer "how old?" with a sentence that does not say. That is the
        reader's refusal, with the reason in the notes. When the reader's number was dropped
        because its source gives it for something else ("8000 Ukrainian soldiers" from a
        sentence about 8000 North Korean ones), a quote of that same number answers with the
        same misreading: also a refusal.
        """
        wanted = _WANTED.get(stream.asks_for)
        first = fallback.citations[0] if fallback.citations else None
        if first is None or fallback.abstained:
            return _fall_back(fallback, why, notes, stats)
        parts = first.around_key()
        key = parts[1] if parts else first.quote
        same = sorted(misbound & TextIndex(key).numbers)
        if same:
            reason = (
                f"{why}; the quote gives the same {', '.join(same)} for the same other thing, "
                "so the articles do not say"
            )
        elif wanted is None or sentence_gives_answer_type(key, stream.asks_for, stream.terms):
            return _fall_back(fallback, why, notes, stats)
        else:
            reason = (
                f"{why}; the closest sentences give no {wanted} either, so the articles do not say"
            )
        notes = [*notes, reason]
        timings = {f"sentences_{k}": float(v) for k, v in stats.items()}
        return _refusal(
            question, notes, {**timings, "sentences_shown": float(len(stream.evidence))}
        )


class CitationBuilder:
    """Citations numbered in order of use; a sentence inside an earlier passage reuses it."""

    def __init__(
        self,
        evidence: Sequence[EvidenceSentence],
        passage_chars: int,
        language: str | None = None,
    ) -> None:
        self.by_id = {s.id: s for s in evidence}
        self.passage_chars = passage_chars
        # The asker's language: numbers copied from the sources are written its way.
        self.language = language
        self.citations: list[Citation] = []

    def number(self, sentence_id: int) -> int:
        sentence = self.by_id[sentence_id]
        for citation in self.citations:
            if (
                citation.article_id == sentence.article_id
                and citation.start <= sentence.start
                and sentence.end <= citation.end
            ):
                return citation.n
        candidate = sentence.candidate()
        taken = [(c.start, c.end) for c in self.citations if c.article_id == sentence.article_id]
        passage = passage_around(candidate, self.passage_chars, taken)
        citation = citation_for(len(self.citations) + 1, candidate, passage)
        self.citations.append(citation)
        return citation.n

    def marked(self, sentence: WrittenSentence) -> str:
        refs = list(dict.fromkeys(self.number(i) for i in sentence.support))
        markers = "".join(f"[{n}]" for n in refs)
        body = sentence.text.rstrip()
        if self.language is not None:
            sources = [(self.by_id[i].text, self.by_id[i].hit.chunk.lang) for i in sentence.support]
            body = in_asker_convention(body, sources, self.language)
        end = len(body)
        while end and body[end - 1] in ".!?…":
            end -= 1
        return f"{body[:end]} {markers}{body[end:]}"


class _VerifiedStream:
    """Collects the model's text; each sentence is checked once, when complete, and shown
    once verified.

    Nothing unverified reaches `on_token`: a sentence shows when the next one begins (or the
    reply ends), after its check, with the citation numbers of the final answer. The final
    answer is made of the same checks (`check`) and marked sentences (`marked`).
    """

    def __init__(
        self,
        evidence: Sequence[EvidenceSentence],
        question: str,
        passage_chars: int,
        on_token: TokenCallback | None,
        meaning: MeaningSupport | None = None,
        language: str | None = None,
    ) -> None:
        self.evidence = list(evidence)
        self.index = EvidenceIndex(evidence, question, meaning, language)
        self.builder = CitationBuilder(evidence, passage_chars, language)
        self.on_token = on_token
        self.parts: list[str] = []
        # The written sentences checked so far, as they were split while streaming.
        self.emitted: list[str] = []
        self.shown = 0
        # Verified sentences wait here, unseen, until one of them answers: says something the
        # question does not, and gives the number, sum or date a "how many", "how much" or
        # "when" question asks for.
        self.question = question
        self.asks_for = opening_answer_type(question)
        self.terms = question_terms(question)
        self.pieces: list[PieceCheck] = []
        # Each kept sentence with its citation markers, in order.
        self.marked: list[str] = []
        self.waiting: list[str] = []
        self.checked: list[str] = []
        self.answering = False

    def gives_asked_type(self, text: str) -> bool:
        return gives_answer_type(text, self.asks_for, self.terms)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def add(self, token: str) -> bool:
        """Take a token; True once enough sentences are written."""
        self.parts.append(token)
        text = self.text
        if is_not_found(text):
            return False
        pieces = split_sentences(text)
        # The last piece may still grow; earlier ones are done, unless the last is a citation
        # marker being written ("… missiles. [4"): that marker joins the sentence before it.
        done = len(pieces) - 1
        if pieces and _MARKER_BEGUN.match(pieces[-1]):
            done -= 1
        for piece in pieces[len(self.emitted) : max(done, 0)]:
            self._emit(piece)
        if len(self.emitted) >= MAX_WRITTEN_SENTENCES:
            # What follows the last full sentence is cut, so the check sees what was shown.
            self.parts = [" ".join(pieces[:MAX_WRITTEN_SENTENCES])]
            return True
        return False

    def finish(self) -> None:
        if is_not_found(self.text):
            return
        pieces = split_sentences(self.text)
        for piece in pieces[len(self.emitted) :]:
            self._emit(piece)

    def check(self) -> ReadCheck:
        """The whole reply, checked: the checks made as it streamed, unless the complete reply
        splits into other sentences than the stream saw, which are then checked as they stand
        (and their citations numbered afresh)."""
        if is_not_found(self.text):
            return ReadCheck((), (), refusal=True)
        pieces = split_sentences(self.text)
        if pieces != self.emitted:
            self.pieces = [check_piece(piece, self.index) for piece in pieces]
            old = self.builder
            self.builder = CitationBuilder(self.evidence, old.passage_chars, old.language)
            self.marked = [
                self.builder.marked(p.sentence)
                for p in self.pieces
                if p.sentence is not None and p.sentence.status != "dropped"
            ]
        return collect_checks(self.text, self.pieces)

    def _emit(self, piece: str) -> None:
        self.emitted.append(piece)
        checked = check_piece(piece, self.index)
        self.pieces.append(checked)
        sentence = checked.sentence
        if sentence is None or sentence.status == "dropped":
            return
        self.marked.append(self.builder.marked(sentence))
        if self.on_token is None:
            return
        self.waiting.append(self.marked[-1])
        # The same test the finished answer passes (Reader._assemble), on what is written so far.
        self.checked.append(sentence.text)
        written = " ".join(self.checked)
        self.answering = self.answering or (
            self.gives_asked_type(written) and adds_to_question(written, self.question)
        )
        if not self.answering:
            return
        for text in self.waiting:
            self._show(text)
        self.waiting.clear()

    def _show(self, text: str) -> None:
        if self.on_token is None:
            return
        try:
            self.on_token(("" if self.shown == 0 else " ") + text)
        except Exception:
            log.exception("showing the written answer failed; it continues unseen")
            self.on_token = None
        self.shown += 1


_WANTED = {"money": "sum of money", "age": "age", "quantity": "number", "date": "date or time"}


def _refusal(question: str, notes: list[str], timings: dict[str, float]) -> Answer:
    """The reader's "the articles don't say", with why in the notes."""
    return Answer(
        question=question,
        answer=REFUSAL,
        abstained=True,
        mode="generated",
        notes=notes,
        timings_ms=timings,
    )


def _brief(text: str, limit: int = 100) -> str:
    text = " ".join(strip_markers(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(dropped: Sequence[WrittenSentence]) -> str:
    return "; ".join(f"“{_brief(s.text)}” ({s.problem})" for s in dropped)


def _fall_back(
    fallback: Answer,
    reason: str,
    notes: Sequence[str] = (),
    stats: dict[str, int] | None = None,
) -> Answer:
    timings = dict(fallback.timings_ms)
    if stats:
        timings.update({f"sentences_{k}": float(v) for k, v in stats.items()})
    return fallback.model_copy(
        update={
            "mode": "extractive-fallback",
            "notes": [*fallback.notes, *notes, reason + FALLBACK_SUFFIX],
            "timings_ms": timings,
        }
    )
