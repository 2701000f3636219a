"""Answer-quality evaluation on QA sets: loading, metrics (pure functions) and the runner.

The gold passage of a question is the context with its `context_id` in each contexts file,
scored separately per file: when German and Spanish contexts are pooled in one store (ids
aligned), the German score counts only the German passage as gold and the Spanish score only
the Spanish one. The same passage in the other files (its translations) is left out of that
ranking: finding it is neither a hit nor a miss, while every other passage of every language
competes. (The reference numbers of the issue are reproduced this way.)

Unanswerable questions come from `--unanswerable` (asked against all contexts) or are made:
titles are split into `UNANSWERABLE_FOLDS` folds and each question is asked against a store
holding only the other folds' contexts, so no passage of its article is there to answer it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
import unicodedata
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from bot.errors import UserError
from retrieval.scripts import space_unspaced

if TYPE_CHECKING:
    from bot.service import NewsService
    from retrieval.articles import Article

Kind = Literal["answerable", "unanswerable"]

RECALL_AT = (1, 5, 10)
# Enough ranked articles for recall@10 even when several chunks of one article rank first.
RANKING_DEPTH = 50
UNANSWERABLE_FOLDS = 4


class EvalInputError(UserError):
    """A question, context or answer file cannot be used; the message says how to fix it."""


# --- the QA set ------------------------------------------------------------------------------
@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answers: tuple[str, ...]
    context_id: str | None


@dataclass(frozen=True)
class QAContext:
    context_id: str
    title: str
    text: str
    lang: str


@dataclass(frozen=True)
class EvalSet:
    questions: list[QAItem]
    # Keyed by contexts file name, which is also the prefix of every ingested source.
    contexts: dict[str, list[QAContext]]
    # Target-language gold answers of the same question ids, keyed by contexts file name.
    answers: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    unanswerable: list[QAItem] = field(default_factory=list)


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise EvalInputError(f"{path} is not a file: give the path of a JSONL file.")
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise EvalInputError(
                    f"{path}:{number} is not valid JSON ({error.msg}); "
                    "each line must hold one JSON object."
                ) from None
            if not isinstance(row, dict):
                raise EvalInputError(f"{path}:{number} must be a JSON object, not {row!r:.40}.")
            yield number, row


def _field(path: Path, number: int, row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if not isinstance(value, str) or not value.strip():
        raise EvalInputError(
            f'{path}:{number} has no "{name}" text; every line needs one '
            "(see the format of ../shared/eval/xquad/)."
        )
    return value


def _answers(path: Path, number: int, row: dict[str, Any]) -> tuple[str, ...]:
    answers = row.get("answers", [])
    if isinstance(answers, str):
        answers = [answers]
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise EvalInputError(f'{path}:{number}: "answers" must be a list of strings.')
    return tuple(a for a in answers if a.strip())


def load_questions(path: Path, *, need_answers: bool = True) -> list[QAItem]:
    items: list[QAItem] = []
    for number, row in _read_jsonl(path):
        answers = _answers(path, number, row)
        # Answers as a written answer words them, in English ("up to 8,000") or in the question's
        # own language ("Mosca"), when the set has them.
        for worded in ("answers_en", "answers_asked"):
            if isinstance(row.get(worded), list):
                answers += _answers(path, number, {"answers": row[worded]})
        if need_answers and not answers:
            raise EvalInputError(
                f'{path}:{number} has no "answers"; answerable questions need at least one '
                "(pass questions without answers with --unanswerable)."
            )
        context_id = row.get("context_id")
        items.append(
            QAItem(
                id=str(row.get("id", f"{path.name}:{number}")),
                question=_field(path, number, row, "question"),
                answers=answers,
                context_id=str(context_id) if context_id is not None else None,
            )
        )
    if not items:
        raise EvalInputError(f"{path} holds no questions.")
    return items


def load_contexts(path: Path) -> list[QAContext]:
    contexts: list[QAContext] = []
    seen: set[str] = set()
    for number, row in _read_jsonl(path):
        context_id = _field(path, number, row, "context_id")
        if context_id in seen:
            raise EvalInputError(f"{path}:{number} repeats context_id {context_id!r}.")
        seen.add(context_id)
        contexts.append(
            QAContext(
                context_id=context_id,
                title=str(row.get("title") or ""),
                text=_field(path, number, row, "text"),
                lang=str(row.get("lang") or "und"),
            )
        )
    if not contexts:
        raise EvalInputError(f"{path} holds no contexts.")
    return contexts


def load_answer_file(path: Path) -> dict[str, tuple[str, ...]]:
    return {
        str(row["id"]): _answers(path, number, row)
        for number, row in _read_jsonl(path)
        if "id" in row
    }


def language_prefix(path: Path) -> str:
    """`de` for `de.contexts.jsonl` and `de.jsonl`: how answer files pair with context files."""
    return path.name.split(".", 1)[0]


def pair_answer_files(
    context_paths: Sequence[Path], answer_paths: Sequence[Path] | None
) -> dict[str, Path]:
    """Answers file for each contexts file name: given ones by language prefix, else siblings."""
    paired: dict[str, Path] = {}
    if answer_paths:
        by_prefix = {language_prefix(p): p for p in context_paths}
        for path in answer_paths:
            context = by_prefix.get(language_prefix(path))
            if context is None:
                raise EvalInputError(
                    f"--answers-from {path.name} matches no contexts file: name it after one "
                    f"(e.g. de.jsonl for de.contexts.jsonl); contexts: "
                    f"{', '.join(p.name for p in context_paths)}."
                )
            paired[context.name] = path
        return paired
    for path in context_paths:
        sibling = path.with_name(f"{language_prefix(path)}.jsonl")
        if sibling != path and sibling.is_file():
            paired[path.name] = sibling
    return paired


def load_eval_set(
    questions: Path | Sequence[Path],
    contexts: Sequence[Path],
    *,
    unanswerable: Path | None = None,
    answers_from: Sequence[Path] | None = None,
    limit: int | None = None,
) -> EvalSet:
    if not contexts:
        raise EvalInputError("Give at least one --contexts file.")
    names = [p.name for p in contexts]
    if len(set(names)) != len(names):
        raise EvalInputError(
            "Two --contexts files share a file name; sources are named after it, so rename one."
        )
    # Several question files (e.g. English and French questions about the same articles)
    # are asked against one store; --limit applies to each.
    files = [questions] if isinstance(questions, Path) else list(questions)
    items = [item for path in files for item in load_questions(path)[:limit]]
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise EvalInputError("Two questions share an id across the --questions files.")
    extra = load_questions(unanswerable, need_answers=False)[:limit] if unanswerable else []
    answer_files = pair_answer_files(contexts, answers_from)
    return EvalSet(
        questions=items,
        contexts={p.name: load_contexts(p) for p in contexts},
        answers={name: load_answer_file(path) for name, path in answer_files.items()},
        unanswerable=extra,
    )


def context_source(file_name: str, context_id: str) -> str:
    return f"{file_name}#{context_id}"


def source_file(source: str) -> str:
    return source.split("#", 1)[0]


def context_articles(
    eval_set: EvalSet, keep: Callable[[QAContext], bool] | None = None
) -> list[Article]:
    from retrieval.articles import Article

    return [
        Article(
            context.text,
            source=context_source(name, context.context_id),
            title=context.title,
            lang=context.lang,
        )
        for name, contexts in eval_set.contexts.items()
        for context in contexts
        if keep is None or keep(context)
    ]


def collection_name(eval_set: EvalSet, *parts: str) -> str:
    """Named from the contexts and whatever else shapes the store, so runs reuse it unchanged."""
    digest = hashlib.sha256()
    for name, contexts in sorted(eval_set.contexts.items()):
        digest.update(name.encode())
        for context in contexts:
            digest.update(
                json.dumps([context.context_id, context.title, context.text, context.lang]).encode()
            )
    for part in parts:
        digest.update(part.encode())
    return f"eval-{digest.hexdigest()[:12]}"


def context_titles(eval_set: EvalSet) -> dict[str, str]:
    """The article of each context id: its title in the first contexts file that holds it.

    Ids are aligned across files while titles may be translated, so the id decides.
    """
    titles: dict[str, str] = {}
    for contexts in eval_set.contexts.values():
        for context in contexts:
            titles.setdefault(context.context_id, context.title)
    return titles


def title_folds(eval_set: EvalSet, folds: int = UNANSWERABLE_FOLDS) -> dict[str, int]:
    """Titles dealt round-robin in sorted order: balanced folds, the same on every run."""
    titles = sorted(set(context_titles(eval_set).values()))
    return {title: index % folds for index, title in enumerate(titles)}


# --- metrics (pure) --------------------------------------------------------------------------
# Digit groups are written "8,000", "8.000" or "8 000" depending on the language.
_DIGIT_GROUP = re.compile(r"(?<=\d)[\s,.'\u00a0\u202f](?=\d{3}(?!\d))")


def normalize_answer(text: str) -> str:
    """Case, width, digit grouping, punctuation and spacing folded away."""
    text = _DIGIT_GROUP.sub("", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text)
    # Chinese and Japanese write no spaces: each ideograph or kana is a word of its own.
    return " ".join(space_unspaced(text).split())


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """A gold answer appears in the text as whole words ("308" is not in "1308")."""
    haystack = f" {normalize_answer(text)} "
    return any(
        needle and f" {needle} " in haystack for needle in (normalize_answer(a) for a in answers)
    )


def gold_rank(ranked_sources: Sequence[str], gold: str, ignore: Collection[str] = ()) -> int | None:
    """1-based rank of the gold article among distinct ranked articles, those in `ignore`
    left out; None when absent."""
    kept = (s for s in dict.fromkeys(ranked_sources) if s not in ignore)
    for rank, source in enumerate(kept, start=1):
        if source == gold:
            return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float | None:
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    if not ranks:
        return None
    return sum(1 / r for r in ranks if r is not None) / len(ranks)


def quote_at_offsets(quote: str, article_text: str | None, start: int, end: int) -> bool:
    return article_text is not None and 0 <= start <= end and article_text[start:end] == quote


def share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- what a pipeline answers, and how it is scored -------------------------------------------
@dataclass(frozen=True)
class CitedQuote:
    source: str
    quote: str
    start: int
    end: int
    # The text the pipeline's store holds for the cited article, to check the offsets against.
    article_text: str | None
    # The sentences of the quote that answer (newsbot marks them inside its passage); None when
    # the pipeline marks none, and the whole quote stands as the answer.
    key: str | None = None


@dataclass(frozen=True)
class PipelineAnswer:
    ranked_sources: list[str]
    answer: str
    abstained: bool
    citations: list[CitedQuote]
    latency_ms: float
    evidence: float | None = None
    # The extractive decision's probability that the articles answer (Answer.confidence).
    confidence: float | None = None
    # Time spent choosing the answer after the search (newsbot's `timings_ms["answer"]`).
    answer_ms: float | None = None
    # With the reader: how the answer was made, when something was first shown, and how many
    # written sentences were verified, re-attributed or dropped.
    mode: str = "extractive"
    first_output_ms: float | None = None
    written: dict[str, int] | None = None
    # What the answer says about how it was made: a fallback's reason, a dropped sentence.
    notes: tuple[str, ...] = ()


class Pipeline(Protocol):
    def answer(self, question: str, rank: bool = True) -> PipelineAnswer:
        """The answer; with `rank`, also the ranked sources that retrieval metrics need."""
        ...


@dataclass(frozen=True)
class QuestionOutcome:
    id: str
    kind: Kind
    question: str
    ranks: dict[str, int | None]
    abstained: bool
    answer_in_answer: bool | None
    answer_in_first_quote: bool | None
    answer_in_first_key: bool | None
    citations: int
    citations_valid: int
    first_source: str | None
    first_quote: str | None
    evidence: float | None
    latency_ms: float
    confidence: float | None = None
    answer_ms: float | None = None
    mode: str = "extractive"
    answer: str | None = None
    first_output_ms: float | None = None
    written: dict[str, int] | None = None
    notes: tuple[str, ...] = ()


def gold_answers(item: QAItem, source: str, eval_set: EvalSet) -> tuple[str, ...]:
    """The question's answers plus those in the language of the cited contexts file."""
    translated = eval_set.answers.get(source_file(source), {}).get(item.id, ())
    return item.answers + translated


def score_answer(
    item: QAItem, kind: Kind, answer: PipelineAnswer, eval_set: EvalSet
) -> QuestionOutcome:
    ranks: dict[str, int | None] = {}
    if kind == "answerable" and item.context_id is not None:
        holding = [
            name
            for name, contexts in eval_set.contexts.items()
            if any(c.context_id == item.context_id for c in contexts)
        ]
        for name in holding:
            translations = {context_source(o, item.context_id) for o in holding if o != name}
            ranks[name] = gold_rank(
                answer.ranked_sources, context_source(name, item.context_id), translations
            )
    in_answer = in_quote = in_key = None
    if kind == "answerable":
        variants = tuple(
            dict.fromkeys(
                a for c in answer.citations for a in gold_answers(item, c.source, eval_set)
            )
        )
        in_answer = not answer.abstained and contains_answer(
            answer.answer, variants or item.answers
        )
        first = answer.citations[0] if answer.citations else None
        in_quote = (
            not answer.abstained
            and first is not None
            and contains_answer(first.quote, gold_answers(item, first.source, eval_set))
        )
        in_key = (
            not answer.abstained
            and first is not None
            and contains_answer(
                first.quote if first.key is None else first.key,
                gold_answers(item, first.source, eval_set),
            )
        )
    first = answer.citations[0] if answer.citations else None
    return QuestionOutcome(
        id=item.id,
        kind=kind,
        question=item.question,
        ranks=ranks,
        abstained=answer.abstained,
        answer_in_answer=in_answer,
        answer_in_first_quote=in_quote,
        answer_in_first_key=in_key,
        citations=len(answer.citations),
        citations_valid=sum(
            quote_at_offsets(c.quote, c.article_text, c.start, c.end) for c in answer.citations
        ),
        first_source=first.source if first else None,
        first_quote=first.quote if first else None,
        evidence=answer.evidence,
        confidence=answer.confidence,
        latency_ms=round(answer.latency_ms, 1),
        answer_ms=answer.answer_ms,
        mode=answer.mode,
        answer=answer.answer if answer.mode != "extractive" else None,
        first_output_ms=answer.first_output_ms,
        written=answer.written,
        notes=tuple(answer.notes),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def retrieval_block(ranks: Sequence[int | None]) -> dict[str, float | None]:
    block = {f"recall@{k}": _rounded(recall_at(ranks, k)) for k in RECALL_AT}
    block["mrr"] = _rounded(mean_reciprocal_rank(ranks))
    return block


def summarize(outcomes: Sequence[QuestionOutcome], context_files: Sequence[str]) -> dict[str, Any]:
    """The report block: retrieval over all (question, contexts file) pairs and per file."""
    answerable = [o for o in outcomes if o.kind == "answerable"]
    unanswerable = [o for o in outcomes if o.kind == "unanswerable"]
    retrieval: dict[str, Any] = retrieval_block([r for o in answerable for r in o.ranks.values()])
    retrieval["by_contexts"] = {
        name: retrieval_block([o.ranks[name] for o in answerable if name in o.ranks])
        for name in context_files
    }
    citations = sum(o.citations for o in outcomes)
    latencies = [o.latency_ms for o in outcomes]
    answer_times = [o.answer_ms for o in outcomes if o.answer_ms is not None]
    return {
        "retrieval": retrieval,
        "answers": {
            "answer_in_answer": _rounded(share([bool(o.answer_in_answer) for o in answerable])),
            "answer_in_first_quote": _rounded(
                share([bool(o.answer_in_first_quote) for o in answerable])
            ),
            "answer_in_first_key": _rounded(
                share([bool(o.answer_in_first_key) for o in answerable])
            ),
            "citation_offsets_valid": _rounded(
                sum(o.citations_valid for o in outcomes) / citations if citations else None
            ),
        },
        "abstention": {
            "answerable": _rounded(share([o.abstained for o in answerable])),
            "unanswerable": _rounded(share([o.abstained for o in unanswerable])),
        },
        "latency_ms": {
            "p50": _rounded(percentile(latencies, 50)),
            "p95": _rounded(percentile(latencies, 95)),
            # Choosing the answer after the search (sentence features, decision, passages),
            # when the pipeline reports it.
            **(
                {
                    "answer_p50": _rounded(percentile(answer_times, 50)),
                    "answer_p95": _rounded(percentile(answer_times, 95)),
                }
                if answer_times
                else {}
            ),
        },
        **({"written": written_block(outcomes)} if any(o.written for o in outcomes) else {}),
        "questions": [asdict(o) for o in outcomes],
    }


def written_block(outcomes: Sequence[QuestionOutcome]) -> dict[str, Any]:
    """The reader's answers: how often it wrote, held the gold answer, kept its sentences."""
    answerable = [o for o in outcomes if o.kind == "answerable"]
    unanswerable = [o for o in outcomes if o.kind == "unanswerable"]
    counts = {"verified": 0, "reattributed": 0, "dropped": 0}
    for o in outcomes:
        for key in counts:
            counts[key] += (o.written or {}).get(key, 0)
    total = sum(counts.values())
    firsts = [o.first_output_ms for o in outcomes if o.first_output_ms is not None]
    latencies = [o.latency_ms for o in outcomes if o.mode == "generated" and not o.abstained]
    return {
        # Gold answer in the shown answer when the reader wrote it (markers removed).
        "answer_in_written": _rounded(
            share([o.mode == "generated" and bool(o.answer_in_answer) for o in answerable])
        ),
        "written_share": _rounded(
            share([o.mode == "generated" and not o.abstained for o in answerable])
        ),
        "fallbacks": sum(o.mode == "extractive-fallback" for o in outcomes),
        "sentences": {k: _rounded(v / total if total else None) for k, v in counts.items()},
        "sentence_counts": counts,
        "refusals": {
            "answerable": _rounded(share([o.abstained for o in answerable])),
            "unanswerable": _rounded(share([o.abstained for o in unanswerable])),
        },
        "latency_written_ms": {
            "p50": _rounded(percentile(latencies, 50)),
            "p95": _rounded(percentile(latencies, 95)),
        },
        "latency_first_output_ms": {
            "p50": _rounded(percentile(firsts, 50)),
            "p95": _rounded(percentile(firsts, 95)),
        },
    }


# --- the runner ------------------------------------------------------------------------------
class Progress(Protocol):
    def start(self, description: str, total: int | None) -> None: ...
    def advance(self) -> None: ...


class _Silent:
    def start(self, description: str, total: int | None) -> None:
        pass

    def advance(self) -> None:
        pass


@dataclass(frozen=True)
class Task:
    """One question asked of one store: the full pool, or a fold without its article."""

    item: QAItem
    kind: Kind
    store: str  # "all", or the fold number whose titles the store lacks


def plan_tasks(eval_set: EvalSet, make_unanswerable: bool) -> list[Task]:
    tasks = [Task(item, "answerable", "all") for item in eval_set.questions]
    tasks += [Task(item, "unanswerable", "all") for item in eval_set.unanswerable]
    if make_unanswerable:
        folds = title_folds(eval_set)
        if len(set(folds.values())) < 2:
            raise EvalInputError(
                "--make-unanswerable needs contexts of at least two titles: a question is asked "
                "against the contexts of the other titles."
            )
        titles = context_titles(eval_set)
        for item in eval_set.questions:
            title = titles.get(item.context_id or "")
            if title is not None:
                tasks.append(Task(item, "unanswerable", str(folds[title])))
    return tasks


def store_articles(eval_set: EvalSet, store: str) -> list[Article]:
    if store == "all":
        return context_articles(eval_set)
    folds = title_folds(eval_set)
    titles = context_titles(eval_set)
    return context_articles(eval_set, lambda c: folds[titles[c.context_id]] != int(store))


def run_pipeline(
    tasks: Sequence[Task],
    pipelines: Callable[[str], Pipeline],
    eval_set: EvalSet,
    progress: Progress,
    description: str,
) -> dict[str, Any]:
    progress.start(description, len(tasks))
    outcomes = []
    for task in tasks:
        # Unanswerable questions have no gold passage: ranking them would only cost time.
        answer = pipelines(task.store).answer(task.item.question, rank=task.kind == "answerable")
        outcomes.append(score_answer(task.item, task.kind, answer, eval_set))
        progress.advance()
    return summarize(outcomes, list(eval_set.contexts))


class NewsbotPipeline:
    """Questions through `NewsService.ask`, as users ask; the ranking from the same search."""

    def __init__(self, service: NewsService, collection: str, mode: str = "extractive") -> None:
        self.service = service
        self.collection = collection
        self.mode = mode

    def answer(self, question: str, rank: bool = True) -> PipelineAnswer:
        from bot.answering.verification import strip_markers
        from retrieval.search import search_hybrid

        started = time.perf_counter()
        answer = self.service.ask(
            question,
            collections=[self.collection],
            mode=self.mode,  # type: ignore[arg-type]
        )
        latency = (time.perf_counter() - started) * 1000
        store = self.service.store(self.collection)
        ranked: list[str] = []
        if rank:
            # The same search `ask` runs, kept deeper than its top_k to rank for recall@10.
            ranking = search_hybrid(
                self.service.check_question(question),
                [store],
                self.service.embeddings,
                k=RANKING_DEPTH,
                fusion=self.service.settings.search_fusion,
                rerank_depth=self.service.settings.rerank_depth,
                center_languages=self.service.settings.center_languages,
                cross_check=False,  # only the order of the chunks is read here
            )
            ranked = [hit.chunk.source for hit in ranking.hits]
        texts: dict[str, str | None] = {}
        for c in answer.citations:
            if c.article_id not in texts:
                texts[c.article_id] = store.catalog.article_text(c.article_id)
        timings = answer.timings_ms
        written = (
            {
                k: int(timings.get(f"sentences_{k}", 0))
                for k in ("verified", "reattributed", "dropped")
            }
            if "reader" in timings or "sentences_shown" in timings
            else None
        )
        return PipelineAnswer(
            ranked_sources=ranked,
            # Citation markers are not words of the answer ("[1]" would match a gold "1").
            answer=strip_markers(answer.answer) if self.mode == "generate" else answer.answer,
            abstained=answer.abstained,
            citations=[
                CitedQuote(
                    c.source,
                    c.quote,
                    c.start,
                    c.end,
                    texts[c.article_id],
                    key=parts[1] if (parts := c.around_key()) else c.quote,
                )
                for c in answer.citations
            ],
            latency_ms=latency,
            evidence=answer.citations[0].score if answer.citations else None,
            confidence=answer.confidence,
            answer_ms=answer.timings_ms.get("answer"),
            mode=answer.mode,
            first_output_ms=timings.get("first_output", latency),
            written=written,
            notes=tuple(answer.notes),
        )


def ingest_eval_store(
    service: NewsService, eval_set: EvalSet, collection: str, store: str, progress: Progress
) -> None:
    articles = store_articles(eval_set, store)
    progress.start(f"Ingesting contexts into {collection}", len(articles))
    report = service.ingest_articles(
        articles, collection=collection, on_item=lambda _item: progress.advance()
    )
    failed = [item for item in report.items if item.status == "failed"]
    if failed:
        raise EvalInputError(
            f"{len(failed)} context(s) could not be stored, e.g. {failed[0].source}: "
            f"{failed[0].reason}. Fix or remove them from the contexts file."
        )


def eval_collection(service: NewsService, eval_set: EvalSet) -> str:
    """The collection holding all of the set's contexts; the folds add "-u<n>" to it."""
    from retrieval.chunking import DEFAULT_MAX_CHARS, DEFAULT_MAX_TOKENS

    # Chunking decides what is stored for the same article ids: a new setting needs a new store.
    return collection_name(
        eval_set, service.embeddings.model_id, f"{DEFAULT_MAX_CHARS}/{DEFAULT_MAX_TOKENS}"
    )


def run_eval(
    service: NewsService,
    eval_set: EvalSet,
    *,
    make_unanswerable: bool = False,
    baseline: str | None = None,
    mode: str = "extractive",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The full report: newsbot's block, plus the baseline's under "baseline" when asked."""
    if baseline not in (None, "langchain"):
        raise EvalInputError(f"unknown baseline {baseline!r}: the only one is langchain.")
    progress = progress or _Silent()
    tasks = plan_tasks(eval_set, make_unanswerable)
    base = eval_collection(service, eval_set)
    stores = sorted({task.store for task in tasks})
    names = {store: base if store == "all" else f"{base}-u{store}" for store in stores}
    for store in stores:
        ingest_eval_store(service, eval_set, names[store], store, progress)
    ours = {store: NewsbotPipeline(service, names[store], mode) for store in stores}
    report = run_pipeline(tasks, ours.__getitem__, eval_set, progress, "Asking newsbot")
    if baseline == "langchain":
        from bot.langchain_baseline import LangChainBaseline

        theirs: dict[str, Pipeline] = {}

        def baseline_for(store: str) -> Pipeline:
            if store not in theirs:
                theirs[store] = LangChainBaseline(
                    service.embeddings, store_articles(eval_set, store)
                )
            return theirs[store]

        report["baseline"] = run_pipeline(
            tasks, baseline_for, eval_set, progress, "Asking the LangChain baseline"
        )
    return report


# --- feature rows for fitting the decision (bench/fit_decision.py) ---------------------------
def task_group(task: Task, eval_set: EvalSet) -> str:
    """The article a question is about: cross-validation keeps each article in one fold."""
    context = task.item.context_id or ""
    return context_titles(eval_set).get(context) or context or task.item.id


def feature_row(
    service: NewsService,
    collection: str,
    task: Task,
    eval_set: EvalSet,
    group: str,
    without: Collection[str] = (),
) -> dict[str, Any]:
    """The raw features of one question and its candidate sentences, with their gold labels.

    The search is `ask`'s own (same store, depth and fusion), so the rows describe exactly the
    candidates that the extractive answer chooses from; hits from the sources in `without`
    are dropped (a question asked as if its article were not stored).
    """
    from bot.answering.extractive import NEIGHBOUR_MARGIN, Candidate, with_close_neighbours
    from bot.answering.features import question_features
    from retrieval.search import search_hybrid

    question = service.check_question(task.item.question)
    top_k = service.settings.top_k
    result = search_hybrid(
        question,
        [service.store(collection)],
        service.embeddings,
        k=top_k + RANKING_DEPTH if without else top_k,
        fusion=service.settings.search_fusion,
        rerank_depth=service.settings.rerank_depth,
        center_languages=service.settings.center_languages,
    )
    hits = [hit for hit in result.hits if hit.chunk.source not in without][:top_k]
    features = question_features(question, hits)
    candidates = []
    for c in features.candidates:
        text = c.hit.chunk.article_text
        gold_sentence = gold_key = False
        if task.kind == "answerable":
            gold = gold_answers(task.item, c.hit.chunk.source, eval_set)
            key = with_close_neighbours(
                Candidate(c.hit, c.sentence.start, c.sentence.end, c.evidence),
                NEIGHBOUR_MARGIN,
            )
            gold_sentence = contains_answer(text[c.sentence.start : c.sentence.end], gold)
            gold_key = contains_answer(key.quote, gold)
        position = c.hit.sentences.index(c.sentence)
        before = c.hit.sentences[position - 1].end if position else c.sentence.start
        candidates.append(
            {
                "values": {k: round(v, 6) for k, v in c.values.items()},
                "gold_sentence": gold_sentence,
                "gold_key": gold_key,
                "source": c.hit.chunk.source,
                # Where it sits, to try other ways of joining neighbours offline.
                "chunk": c.hit.chunk.chunk_id,
                "position": position,
                "break_before": "\n" in text[before : c.sentence.start],
            }
        )
    return {
        "id": task.item.id,
        "kind": task.kind,
        "store": task.store,
        "group": group,
        "question": question,
        "expected": features.expected,
        "values": {k: round(v, 6) for k, v in features.values.items()},
        "candidates": candidates,
    }


class _QueryVectors:
    """The service's embeddings, answering queries from vectors embedded beforehand."""

    def __init__(self, embeddings: Any, vectors: dict[str, Any]) -> None:
        self._embeddings = embeddings
        self._vectors = vectors

    def embed_queries(self, texts: Sequence[str]) -> Any:
        import numpy as np

        if all(t in self._vectors for t in texts):
            return np.array([self._vectors[t] for t in texts])
        return self._embeddings.embed_queries(texts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._embeddings, name)


class _WithQueryVectors:
    """A service whose `embeddings` use vectors of the questions embedded in one batch."""

    def __init__(self, service: NewsService, vectors: dict[str, Any]) -> None:
        self._service = service
        self.embeddings = _QueryVectors(service.embeddings, vectors)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)


def feature_rows(
    service: NewsService,
    eval_set: EvalSet,
    *,
    make_unanswerable: bool = False,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Feature rows of every task of the set, from the same stores as `run_eval`."""
    progress = progress or _Silent()
    tasks = plan_tasks(eval_set, make_unanswerable)
    base = eval_collection(service, eval_set)
    ingest_eval_store(service, eval_set, base, "all", progress)
    # The folds' stores of `--make-unanswerable` are not built: a question "without its
    # article" is asked of the whole store with every passage of its title left out, which
    # leaves it more competing passages than its fold's store (a little harder, not easier).
    titles = context_titles(eval_set)
    sources_of: dict[str, set[str]] = {}
    for name, contexts in eval_set.contexts.items():
        for context in contexts:
            title = titles[context.context_id]
            sources_of.setdefault(title, set()).add(context_source(name, context.context_id))
    # One batched embedding of every question: one call per question costs many times more.
    questions = list(dict.fromkeys(service.check_question(t.item.question) for t in tasks))
    progress.start("Embedding questions", len(questions))
    vectors: dict[str, Any] = {}
    for start in range(0, len(questions), 64):
        batch = questions[start : start + 64]
        vectors.update(zip(batch, service.embeddings.embed_queries(batch), strict=True))
        for _ in batch:
            progress.advance()
    service = _WithQueryVectors(service, vectors)  # type: ignore[assignment]
    progress.start("Reading features", len(tasks))
    rows = []
    for task in tasks:
        title = titles.get(task.item.context_id or "", "")
        without = sources_of.get(title, set()) if task.store != "all" else set()
        row = feature_row(service, base, task, eval_set, task_group(task, eval_set), without)
        rows.append(row)
        progress.advance()
    return rows
