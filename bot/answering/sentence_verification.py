"""Check a written answer sentence by sentence against the numbered sentences it cites.

Each written sentence's numbers, dates and names must appear in the sentences it cites. When
they do not but other given sentences hold them all, the claim is re-attributed to those (the
model often cites a neighbour of the right sentence); otherwise the sentence is dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.answering.evidence import EvidenceSentence
from bot.answering.languages import ANSWER_LANGUAGES
from bot.answering.meaning_support import MeaningSupport
from bot.answering.number_binding import (
    counted_sums,
    numbers_of_others,
    rescaled_numbers,
    unbound_numbers,
    unpriced_sums,
)
from bot.answering.verification import (
    Claims,
    TextIndex,
    cited_numbers,
    claims_of,
    content_words,
    fold,
    looks_like_instruction,
    normalize_number,
    split_sentences,
    strip_markers,
)
from retrieval.language import capitalises_nouns, detect_language

Status = Literal["verified", "reattributed", "dropped"]
# At most this many sentences may together support one written sentence.
MAX_SUPPORT = 2
# The model sometimes translates NOT FOUND into the language it answers in ("לא נמצא",
# "見つかりません"), or says the refusal the bot would say in that language. Languages that
# join their endings to the word ("見つかりませんでした", "찾을 수 없습니다") take any ending.
_NOT_FOUND_WORDS = (
    "not found|no answer|the articles don.t say|n/a|none|unknown|"
    "non trouvée?|pas trouvée?|introuvable|nicht gefunden|no encontrado|non trovato|"
    "não encontrado|niet gevonden|nie znaleziono|hittades inte|ikke fundet|ikke funnet|"
    "ei löytynyt|nenalezeno|nenájdené|nem található|negăsit|nu a fost găsit|bulunamadı|"
    "tidak ditemukan|không tìm thấy|не найдено|не знайдено|δεν βρέθηκε|לא נמצא\\w*|"
    "غير موجود|لم يتم العثور|नहीं मिला|未找到|没有找到|見つかりませ\\w*|該当な\\w*|찾을 수 없\\w*"
)
_NOT_FOUND = re.compile(
    r"^\W*("
    + _NOT_FOUND_WORDS
    + "|"
    + "|".join(re.escape(language.refusal.rstrip(".。।")) for language in ANSWER_LANGUAGES.values())
    + r")(?!\w)",
    re.IGNORECASE,
)
# A written sentence that says the sentences hold no answer, in other words than NOT FOUND.
_SAYS_NOTHING = re.compile(
    r"\b(do(es)? not|don.t|doesn.t|cannot|can.t|no|not)\b.{0,60}\b(answer|mention|say|"
    r"state|provide|contain|give|information|specif|found)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class WrittenSentence:
    text: str  # without its markers
    cited: tuple[int, ...]  # the ids the model gave that exist
    status: Status
    support: tuple[int, ...] = ()  # the ids that hold its claims
    problem: str | None = None
    # Numbers (one spelling each) that its sources give for something else than it says.
    misbound: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadCheck:
    sentences: tuple[WrittenSentence, ...]
    unknown_ids: tuple[int, ...]
    refusal: bool = False

    @property
    def kept(self) -> list[WrittenSentence]:
        return [s for s in self.sentences if s.status != "dropped"]

    def count(self, status: Status) -> int:
        return sum(1 for s in self.sentences if s.status == status)


def is_not_found(text: str) -> bool:
    """The model's refusal: "NOT FOUND" (or a close variant) at the start of its reply."""
    return bool(_NOT_FOUND.match(strip_markers(text).strip()))


# A sentence whose subject is the source itself saying it does not tell ("The article does
# not provide information about the number of soldiers [1]"): a refusal even when it cites,
# since every word of it may stand in the sentence it cites.
_SOURCE_SAYS_NOTHING = re.compile(
    r"^\W*((the|these|this|given) )*(article|articles|sentences?|text|texts|passages?|"
    r"sources?|information)(?: (?!of\b)\w+){0,2} (do(es)?n.t|do(es)? not|did not|didn.t|"
    r"cannot|can.t|fails? to)( \w+ly)? (provide|mention|say|state|specify|give|contain|"
    r"include|answer|tell|indicate|report|reveal)|"
    r"^\W*(l.article|les articles|le texte|les phrases) ne (\w+ )?(pr[ée]cise|mentionne|dit|"
    r"donne|indique|fournit)|"
    r"^\W*(der artikel|die artikel|der text|die sätze) (nennt|nennen|erwähnt|erwähnen|sagt|"
    r"sagen|gibt|geben|enthält|enthalten) (\w+ ){0,3}?(nicht|keine)|"
    r"^\W*(el artículo|los artículos|el texto|las frases) no (menciona|mencionan|dice|dicen|"
    r"indica|indican|precisa|especifica|proporciona)",
    re.IGNORECASE,
)


def says_no_answer(plain: str, cited: Sequence[int]) -> bool:
    """A sentence saying that the sentences do not tell, and giving no number: part of a
    refusal. Uncited, in any words; cited, only with the source as its subject."""
    if claims_of(plain).numbers:
        return False
    if not cited:
        return bool(_SAYS_NOTHING.search(plain) or _SOURCE_SAYS_NOTHING.search(plain))
    return bool(_SOURCE_SAYS_NOTHING.search(plain))


class EvidenceIndex:
    """The given sentences by id, with their numbers, dates and words indexed once.

    `question` holds the names the answer may repeat without a source: "The Treaty was
    signed in 1985" answers "When did Greenland sign the Treaty?" from "Grönland unterzeichnete
    1985 einen Vertrag", where only 1985 is the answer's claim. That holds only when the given
    sentences speak of the question's subject: when none holds any of its names, its names are
    claims again (an answer about the IPCC from sentences that never name it is dropped).
    Numbers and dates are checked even when the question holds them, so that a question's
    wrong figure is never confirmed.

    A written sentence that repeats the question's names must also draw on sentences about
    them (`about_subject`): "Marconi's demonstration was in 2004" is not carried by a sentence
    about a 2004 exhibition because another given sentence names Marconi.
    """

    def __init__(
        self,
        sentences: Sequence[EvidenceSentence],
        question: str = "",
        meaning: MeaningSupport | None = None,
        language: str | None = None,
    ) -> None:
        self.by_id = {s.id: s for s in sentences}
        # The asker's language: a sentence left in its source's language was copied, not
        # written for the asker (`check_sentence`).
        self.language = language
        # Reads by meaning what a sentence with no number or name says (meaning_support.py).
        self.meaning = meaning
        self.index = {s.id: TextIndex(s.text) for s in sentences}
        given = TextIndex.merge(self.index.values())
        # The question's names that the given sentences speak of: its subject here.
        named = claims_of(question).names
        # Folded, for reading a written sentence's first word as a name (`claims_of`).
        self.named = frozenset(fold(n) for n in named)
        self.subject = tuple(n for n in named if given.has_name(n))
        self.asked = TextIndex(question if self.subject else "")
        self._titles: dict[str, TextIndex] = {}
        # German capitalises every noun ("8000 Soldaten"): a capital after a number is not a
        # name there, so numbers are bound to names only in answers in other languages.
        self.binds_numbers = not capitalises_nouns(detect_language(question)) if question else True
        # A sentence that addresses the model ("ignore the rules") is never evidence.
        self.usable = [s.id for s in sentences if not looks_like_instruction(s.text)]

    def reads_owners(self, ids: Sequence[int]) -> bool:
        """Whether the names around a number in the answer and in sentences `ids` can be read
        as what owns it: not when either capitalises every noun, where a capital is no name."""
        return self.binds_numbers and not any(
            capitalises_nouns(self.by_id[i].hit.chunk.lang) for i in ids
        )

    def missing(self, claims: Claims, ids: Sequence[int]) -> list[str]:
        return TextIndex.merge(self.index[i] for i in ids).missing(claims)

    def cover(self, claims: Claims, preferred: Sequence[int]) -> tuple[int, ...] | None:
        """The fewest usable sentences (up to MAX_SUPPORT) holding every claim, or None.

        The cited sentences and their neighbours are tried first, then the rest by similarity.
        """
        near = {i + d for i in preferred for d in (-1, 0, 1)}
        order = sorted(
            self.usable,
            key=lambda i: (i not in preferred, i not in near, -self.by_id[i].similarity),
        )
        for i in order:
            if not self.index[i].missing(claims):
                return (i,)
        for position, i in enumerate(order):
            if self.index[i].covered(claims) == 0:
                continue
            for j in order[position + 1 :]:
                if not self.missing(claims, (i, j)):
                    return tuple(sorted((i, j)))
        return None

    def shared_words(self, words: Sequence[str], i: int) -> int:
        return sum(self.index[i].has_name(w) for w in words)

    def about_subject(self, support: Sequence[int]) -> bool:
        """Whether a name of the question's subject is in a supporting sentence, in the
        sentence before or after it in the same article, or in that article's title (a
        sentence often says "he" or "the company" where its neighbour or title has the name).
        """
        if not self.subject:
            return True
        for i in support:
            article = self.by_id[i].article_id
            near = [
                j
                for j in (i - 1, i, i + 1)
                if j in self.by_id and self.by_id[j].article_id == article
            ]
            title = self._title(i)
            for name in self.subject:
                if title.has_name(name) or any(self.index[j].has_name(name) for j in near):
                    return True
        return False

    def _title(self, i: int) -> TextIndex:
        chunk = self.by_id[i].hit.chunk
        if chunk.article_id not in self._titles:
            self._titles[chunk.article_id] = TextIndex(chunk.title or "")
        return self._titles[chunk.article_id]


def check_answer(text: str, sentences: Sequence[EvidenceSentence], question: str = "") -> ReadCheck:
    """Split the model's reply into sentences and check, re-attribute or drop each."""
    return check_reply(text, EvidenceIndex(sentences, question))


def check_reply(text: str, evidence: EvidenceIndex) -> ReadCheck:
    """`check_answer` against sentences already indexed."""
    if is_not_found(text):
        return ReadCheck((), (), refusal=True)
    return collect_checks(text, [check_piece(piece, evidence) for piece in split_sentences(text)])


@dataclass(frozen=True)
class PieceCheck:
    """One written sentence of a reply, checked; `sentence` is None for a piece that claims
    nothing (markers alone, "NOT FOUND", a sentence saying the sentences do not tell)."""

    sentence: WrittenSentence | None
    unknown_ids: tuple[int, ...]
    says_nothing: bool = False


def check_piece(written: str, evidence: EvidenceIndex) -> PieceCheck:
    """One written sentence, with its markers, checked against the sentences it cites."""
    ids = cited_numbers(written)
    unknown = tuple(dict.fromkeys(i for i in ids if i not in evidence.by_id))
    cited = tuple(i for i in ids if i in evidence.by_id)
    plain = strip_markers(written).strip()
    if not plain or is_not_found(plain) or not re.search(r"\w\w", plain):
        return PieceCheck(None, unknown)
    if says_no_answer(plain, cited):
        return PieceCheck(None, unknown, says_nothing=True)
    return PieceCheck(check_sentence(plain, cited, evidence), unknown)


def collect_checks(text: str, pieces: Sequence[PieceCheck]) -> ReadCheck:
    """The reply's checked sentences; a refusal when it holds none and says it found nothing."""
    checked = tuple(p.sentence for p in pieces if p.sentence is not None)
    unknown = tuple(dict.fromkeys(i for p in pieces for i in p.unknown_ids))
    says_nothing = any(p.says_nothing for p in pieces)
    if not checked and (says_nothing or is_not_found(strip_markers(text))):
        return ReadCheck((), unknown, refusal=True)
    return ReadCheck(checked, unknown)


def check_sentence(text: str, cited: tuple[int, ...], evidence: EvidenceIndex) -> WrittenSentence:
    checked = _check_claims(text, cited, evidence)
    if checked.status == "dropped":
        return checked
    copied = _copied_language(checked, evidence)
    if copied is not None:
        return copied
    if evidence.about_subject(checked.support):
        return checked
    # Only a sentence that names the subject is held to it ("It was 1985 [3]" is not).
    named = claims_of(text, evidence.named).names
    if not any(evidence.asked.has_name(n) for n in named):
        return checked
    subject = ", ".join(evidence.subject)
    problem = f"{_refs(checked.support)} and the sentences around it do not name {subject}"
    return WrittenSentence(text, cited, "dropped", problem=problem)


def _check_claims(text: str, cited: tuple[int, ...], evidence: EvidenceIndex) -> WrittenSentence:
    usable_cited = tuple(i for i in cited if i in evidence.usable)
    claims = claims_of(text, evidence.named).without_names_in(evidence.asked)
    if claims:
        if usable_cited and not evidence.missing(claims, usable_cited):
            # Only the cited sentences that hold a claim are quoted for it.
            support = tuple(i for i in usable_cited if evidence.index[i].covered(claims))
            return _bound(WrittenSentence(text, cited, "verified", support), evidence)
        found = evidence.cover(claims, usable_cited)
        if found is not None:
            return _bound(WrittenSentence(text, cited, "reattributed", found), evidence)
        where = _refs(usable_cited) if usable_cited else "any given sentence"
        missing = evidence.missing(claims, usable_cited or evidence.usable)
        quoted = ", ".join(f"'{m}'" for m in missing) or "its facts"
        return WrittenSentence(text, cited, "dropped", problem=f"{quoted} not in {where}")
    # Nothing to check by spelling: the cited sentence must share meaningful words with it.
    words = content_words(text)
    if not words:
        return WrittenSentence(text, cited, "dropped", problem="says nothing checkable")
    # Half its meaningful words (at least two), so that "the bridge collapsed" is not carried
    # by one shared word; stems carry words across languages ("artillery" / "artillerie").
    need = max(min(2, len(words)), math.ceil(len(words) / 2))
    shared = [i for i in usable_cited if evidence.shared_words(words, i) >= need]
    if shared:
        return WrittenSentence(text, cited, "verified", tuple(shared))
    if evidence.meaning is not None and usable_cited:
        # Across languages few words are shared: the cited sentence may still say it.
        rendered = evidence.meaning.supporting(text, usable_cited)
        if rendered:
            return WrittenSentence(text, cited, "verified", rendered)
    if not cited:
        # Shared words alone are too weak to pick a source the model did not name.
        return WrittenSentence(text, cited, "dropped", problem="cites no sentence")
    best = max(evidence.usable, key=lambda i: evidence.shared_words(words, i), default=None)
    if best is not None and evidence.shared_words(words, best) >= need:
        return WrittenSentence(text, cited, "reattributed", (best,))
    return WrittenSentence(text, cited, "dropped", problem="shares too few words with its sources")


def _copied_language(sentence: WrittenSentence, evidence: EvidenceIndex) -> WrittenSentence | None:
    """The sentence, dropped, when it is in its sources' language rather than the asker's.

    The model sometimes copies a German or Spanish sentence instead of answering in English;
    the quote already shows that sentence, and a written answer is for the asker to read.
    """
    if evidence.language is None:
        return None
    code = detect_language(sentence.text)
    if code in ("und", evidence.language):
        return None
    sources = {evidence.by_id[i].hit.chunk.lang for i in sentence.support}
    if code not in sources:
        return None
    problem = f"is in its source's language ({code}), not the asker's ({evidence.language})"
    return WrittenSentence(sentence.text, sentence.cited, "dropped", problem=problem)


def _bound(sentence: WrittenSentence, evidence: EvidenceIndex) -> WrittenSentence:
    """The sentence, dropped when a number it gives counts something else in its sources,
    belongs to another name there than the question's, is a sum of money where they give it
    for something else, counts what they give as a sum, or has another scale there."""
    sources = [evidence.by_id[i].text for i in sentence.support]
    # A currency reads the same in every language; names after a number only outside German.
    unbound = unbound_numbers(sentence.text, sources) if evidence.binds_numbers else []
    others: list[str] = []
    if evidence.reads_owners(sentence.support):
        indexed = {evidence.by_id[i].text: evidence.index[i] for i in sentence.support}
        others = numbers_of_others(sentence.text, evidence.asked, evidence.named, indexed)
    sums = unpriced_sums(sentence.text, sources)
    counts = counted_sums(sentence.text, sources)
    scaled = rescaled_numbers(sentence.text, sources)
    if not unbound and not others and not sums and not counts and not scaled:
        return sentence
    refs = _refs(sentence.support)
    what = ", ".join(
        [f"'{u}'" for u in [*unbound, *others]]
        + [f"'{u}' as a sum" for u in sums]
        + [f"'{u}' for a sum of money" for u in counts]
    )
    problems = [f"{what}: {refs} gives that number for something else"] if what else []
    problems += [f"'{shown}' is '{source}' in {refs}" for shown, source in scaled]
    # A number given another scale is the source's own, misread: quoting the source is right.
    numbers = tuple(normalize_number(u.split()[0]) for u in [*unbound, *others, *sums, *counts])
    return WrittenSentence(
        sentence.text, sentence.cited, "dropped", problem="; ".join(problems), misbound=numbers
    )


def _refs(ids: Sequence[int]) -> str:
    return "".join(f"[{i}]" for i in ids)
