"""SIGKILL an ingest at random points; re-running it leaves exactly the expected store."""

from __future__ import annotations

import itertools
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.service import NewsService
from bot.settings import Settings
from retrieval.loading import iter_articles
from tests.conftest import ROOT
from tests.helpers.corpus import GoodArticle, good_articles, write_articles
from tests.helpers.environment import clean_environment
from tests.helpers.store_checks import (
    assert_answers,
    assert_exact_store,
    assert_lexically_findable,
)
from tests.helpers.warm_cache import CORPUS_SIZE, copy_warm_cache

MIN_KILLS = 20  # trials whose kill landed while the ingest was still running
CLI_TRIALS = 2  # the first trials kill `newsbot ingest DIR` (one process, one batch); the
# others a child of the fork server, which ingests file by file, like uploads arriving
MAX_TRIALS = 32
ARTICLES = CORPUS_SIZE
UPDATED = 8  # the template store holds an older version of the first 8: re-runs replace them

NEWSBOT = Path(sys.executable).with_name("newsbot")


@dataclass
class Template:
    data_dir: Path  # a store with the old versions, and every text's vector in the cache
    corpus: Path
    articles: list[GoodArticle]
    inputs: list[str]  # the corpus's files, in the order the workers ingest them
    expected: dict[str, str]  # source -> article id after a complete ingest


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    root = tmp_path_factory.mktemp("crash")
    with clean_environment(root):
        yield _make_template(root, tmp_path_factory.getbasetemp())


def _make_template(root: Path, session_root: Path) -> Template:
    corpus = root / "corpus"
    old, new = good_articles(UPDATED, version=1), good_articles(ARTICLES, version=2)
    data_dir = root / "template"
    # Every text is already embedded: trials spend their time writing, not in the model.
    copy_warm_cache(session_root, data_dir)
    service = NewsService(Settings(data_dir=data_dir))
    write_articles(corpus, old, jsonl_every=6)
    assert service.ingest([str(corpus)]).exit_code == 0
    write_articles(corpus, new, jsonl_every=6)  # same paths: the first 8 become updates
    service.close()
    expected = {a.source: a.id for a in iter_articles([str(corpus)])}  # type: ignore[union-attr]
    inputs = sorted(str(p) for p in corpus.iterdir())
    return Template(data_dir, corpus, new, inputs, expected)


class ForkServer:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.ingest_worker", "serve"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def _send(self, *words: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(shlex.join(words) + "\n")
        self.process.stdin.flush()

    def start(self, data_dir: Path, progress: Path, inputs: list[str]) -> int:
        self._send("ingest", str(data_dir), str(progress), *inputs)
        word, pid = self._line().split()
        assert word == "pid"
        return int(pid)

    def wait(self, pid: int) -> int:
        self._send("wait", str(pid))
        return int(self._line().split()[2])

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _progress(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _wait_for(path: Path, prefix: str, count: int = 1, timeout_s: float = 60.0) -> None:
    """Until `path` has `count` lines starting with `prefix`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if sum(line.startswith(prefix) for line in _progress(path)) >= count:
            return
        time.sleep(0.005)
    raise AssertionError(f"fewer than {count} {prefix!r} lines in {path} after {timeout_s} s")


def _where(lines: list[str], total: int) -> str:
    if not any(line.startswith("opened") for line in lines):
        return "while opening"
    items = sum(line.startswith("item") for line in lines)
    return f"after {items}/{total} articles"


def _verify(trial_dir: Path, template: Template, questions: list[GoodArticle]) -> None:
    """Re-run the same ingest, then demand exactly the expected store."""
    service = NewsService(Settings(data_dir=trial_dir))
    try:
        report = service.ingest([str(template.corpus)])
        assert report.exit_code == 0, [i for i in report.items if i.status == "failed"]
        store = service.store()
        assert_exact_store(store, template.expected)
        assert_lexically_findable(store, template.articles)
        assert_answers(service, questions)
    finally:
        service.close()


@pytest.mark.slow
def test_sigkill_at_random_points_then_rerun_gives_exactly_the_expected_store(
    template: Template, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    rng = random.Random(20240607)
    total = len(template.expected)
    server = ForkServer()
    try:
        # One uninterrupted run measures how long the ingest phase lasts on this machine.
        calibration = tmp_path / "calibration"
        shutil.copytree(template.data_dir, calibration)
        pid = server.start(calibration, tmp_path / "calibration.log", template.inputs)
        assert server.wait(pid) == 0
        # Moments of "opened", of each reported article and of "done": the kills are spread
        # evenly over the gaps between them, each gap a write (or the model loading, first).
        moments = [float(line.split()[1]) for line in _progress(tmp_path / "calibration.log")]
        gaps = [later - earlier for earlier, later in itertools.pairwise(moments)]

        kills: list[str] = []
        trial_dir = tmp_path / "none"
        trial = 0
        # Until enough kills landed mid-ingest: on a busy machine a few runs finish first.
        while trial < CLI_TRIALS or len(kills) < MIN_KILLS:
            assert trial < MAX_TRIALS, f"only {len(kills)} kills landed in {trial} trials"
            shutil.rmtree(trial_dir, ignore_errors=True)
            trial_dir = tmp_path / f"trial-{trial:02d}"
            shutil.copytree(template.data_dir, trial_dir)
            log = tmp_path / f"trial-{trial:02d}.log"
            if trial >= CLI_TRIALS:
                pid = server.start(trial_dir, log, template.inputs)
                # Some kills land while the store opens (and repairs); most during writes.
                if trial % 6 == 5:
                    time.sleep(rng.uniform(0, 0.3))
                else:
                    gap = rng.randrange(len(gaps) - 1)  # not the last: after it comes "done"
                    _wait_for(log, "opened" if gap == 0 else "item", count=gap)
                    time.sleep(rng.uniform(0, gaps[gap]))
                os.kill(pid, signal.SIGKILL)
                code = server.wait(pid)
                lines = _progress(log)
            else:
                cli = subprocess.Popen(
                    [str(NEWSBOT), "ingest", str(template.corpus), "--data-dir", str(trial_dir)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(rng.uniform(1.0, 4.0))
                cli.send_signal(signal.SIGKILL)
                code = cli.wait()
                lines = ["cli"] if code == -signal.SIGKILL else ["done"]
            if code == -signal.SIGKILL and not any(line.startswith("done") for line in lines):
                kills.append("cli run" if lines == ["cli"] else _where(lines, total))
            # Every article is checked in both indexes each time; asking costs a model pass,
            # so one question per trial here, and all of them once at the end.
            _verify(trial_dir, template, [rng.choice(template.articles)])
            trial += 1
    finally:
        server.close()
    service = NewsService(Settings(data_dir=trial_dir))
    assert_answers(service, template.articles)
    service.close()
    record_property("kills", len(kills))
    print(f"\n{len(kills)} kills landed in {trial} trials, every re-run exact:", sorted(kills))
    assert len(kills) >= MIN_KILLS, kills
