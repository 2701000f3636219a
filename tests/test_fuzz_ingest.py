"""Hostile inputs fed to NewsService.ingest in batches with good articles: each bad item fails
alone with a clear reason, every good one is stored and answered, nothing crashes or hangs."""

from __future__ import annotations

import dataclasses
import os
import random
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.service import IngestItem, IngestReport, NewsService
from bot.settings import Settings
from retrieval.sentences import sentence_spans
from tests.helpers.corpus import GoodArticle, good_articles, write_articles
from tests.helpers.hostile_inputs import Hostile, make_hostile_corpus
from tests.helpers.store_checks import assert_answers
from tests.helpers.warm_cache import CORPUS_SIZE, copy_warm_cache

BATCHES = 5
BATCH_LIMIT_S = 240.0  # a batch slower than this counts as a hang (normal: seconds)
EXTRACT_LIMIT_S = 3.0  # per HTML page in this test (the default is 30 s)
# Words that only a loader or ingest bug would put in a reason.
BUG_WORDS = ("unexpected error", "please report", "Traceback")


def _good_inputs(root: Path) -> tuple[list[str], list[GoodArticle]]:
    """Good articles as .txt, .md, .jsonl records and HTML pages."""
    articles = good_articles(CORPUS_SIZE, version=2)[:12]
    write_articles(root / "good", articles[:9], jsonl_every=3)
    for article in articles[9:]:
        title, *paragraphs = article.text.splitlines()
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        page = f"<html><head><title>{title}</title></head><body><article>{body}</article>"
        (root / "good" / f"{article.name}.html").write_text(page + "</body></html>", "utf-8")
    return sorted(str(p.resolve()) for p in (root / "good").iterdir()), articles


def _outcomes_of(source: str, items: list[IngestItem]) -> list[IngestItem]:
    """The outcomes of one input: itself, or its JSON Lines records (path:LINE or path#ID)."""
    return [
        i for i in items if i.source == source or i.source.startswith((source + ":", source + "#"))
    ]


def _realpath(raw: str) -> str:
    try:
        return os.path.realpath(raw)
    except ValueError:  # a NUL in the name
        return raw


def _ingest_with_deadline(service: NewsService, inputs: list[str]) -> tuple[IngestReport, float]:
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["report"] = service.ingest(inputs)
        except BaseException as exc:  # a crash: reported below, not swallowed
            result["error"] = exc

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(BATCH_LIMIT_S)
    elapsed = time.monotonic() - started
    assert not thread.is_alive(), f"ingest hung: no result after {BATCH_LIMIT_S} s"
    if "error" in result:
        raise AssertionError("ingest crashed") from result["error"]  # type: ignore[arg-type]
    return result["report"], elapsed  # type: ignore[return-value]


def _check_hostile(hostile: Hostile, items: list[IngestItem]) -> None:
    source = str(hostile.path.resolve())
    outcomes = _outcomes_of(source, items)
    assert outcomes, f"no outcome for {hostile.path.name}"
    if hostile.records is None:
        if hostile.path.suffix != ".jsonl":
            assert len(outcomes) == 1, (hostile.path.name, outcomes)
    else:
        assert len(outcomes) == hostile.records, (hostile.path.name, outcomes)
    for item in outcomes:
        assert item.status in ("added", "failed"), (hostile.path.name, item)
        if item.status == "failed":
            assert item.reason.strip(), (hostile.path.name, item)
            assert not any(w in item.reason for w in BUG_WORDS), (hostile.path.name, item)
    statuses = [item.status for item in outcomes]
    if hostile.expect == "fail":
        assert set(statuses) == {"failed"}, (hostile.path.name, outcomes)
    elif hostile.expect == "add":
        assert set(statuses) == {"added"}, (hostile.path.name, outcomes)
    assert statuses.count("added") >= hostile.good_records, (hostile.path.name, outcomes)


@pytest.mark.slow
def test_hostile_inputs_fail_alone_and_good_articles_stay_answerable(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile, odd = make_hostile_corpus(tmp_path / "hostile")
    good, articles = _good_inputs(tmp_path)
    data_dir = tmp_path / "data"
    copy_warm_cache(tmp_path_factory.getbasetemp(), data_dir)
    service = NewsService(Settings(data_dir=data_dir))
    load_options = service.load_options
    monkeypatch.setattr(
        service,
        "load_options",
        lambda *a, **k: dataclasses.replace(
            load_options(*a, **k), extract_timeout_s=EXTRACT_LIMIT_S
        ),
    )

    rng = random.Random(7)
    order = [str(h.path) for h in hostile] + odd
    rng.shuffle(order)
    batches = [order[i::BATCHES] for i in range(BATCHES)]
    for i, source in enumerate(good):
        batch = batches[i % BATCHES]
        batch.insert(rng.randrange(len(batch) + 1), source)

    items: list[IngestItem] = []
    timings = []
    for batch in batches:
        report, elapsed = _ingest_with_deadline(service, batch)
        timings.append(round(elapsed, 1))
        items.extend(report.items)

    for h in hostile:
        _check_hostile(h, items)
    odd_outcomes = [i for i in items if i.source in odd]
    for raw in odd:
        # Odd inputs are reported under the input as given, or its resolved path.
        matching = [i for i in items if i.source in (raw, _realpath(raw))]
        assert len(matching) == 1 and matching[0].status == "failed", (raw, matching)
        assert not any(w in matching[0].reason for w in BUG_WORDS), matching[0]
    for source in good:
        outcomes = _outcomes_of(source, items)
        assert outcomes and {i.status for i in outcomes} == {"added"}, outcomes

    store = service.store()
    assert store.check_consistency().consistent
    assert_answers(service, articles)
    service.close()
    failed = sum(i.status == "failed" for i in items)
    print(
        f"\n{len(hostile) + len(odd)} hostile inputs ({len(odd_outcomes)} odd paths and URLs) "
        f"in {BATCHES} batches with {len(good)} good inputs: {len(items)} outcomes, "
        f"{failed} failed cleanly, 0 crashes, 0 hangs; batches took {timings} s"
    )
    assert len(hostile) + len(odd) >= 200


# --- sentence spans: the offsets every quote relies on ---------------------------------------

_ALPHABET = list("ab Z9 .!?…\"'”’»)(«“¿¡-–\n\u00a0。！？Mr")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_ALPHABET), max_size=400))
def test_sentence_spans_are_ordered_trimmed_and_cover_every_visible_character(text: str) -> None:
    spans = sentence_spans(text)
    previous = 0
    for start, end in spans:
        assert previous <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip() and "\n" not in piece
        previous = end
    visible = [i for i, ch in enumerate(text) if not ch.isspace()]
    covered = {i for start, end in spans for i in range(start, end)}
    assert all(i in covered for i in visible)


@pytest.mark.parametrize(
    "run", ["!" * 200_000, "?!" * 100_000, "." * 200_000 + " x", "…" * 200_000]
)
def test_sentence_spans_take_linear_time_on_runs_of_end_marks(run: str) -> None:
    # Quadratic before: 16 kB of "!" took 11 s, 200 kB would have taken half an hour.
    started = time.monotonic()
    sentence_spans(run)
    assert time.monotonic() - started < 2.0
