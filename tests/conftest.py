"""Shared fixtures: temp data dirs, the sample article, and the shared evaluation data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.service import NewsService
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "coree-du-nord-russie-koursk.fr.txt"
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
):
    """No test reads the developer's own settings, store or config file."""
    for name in list(__import__("os").environ):
        if name.startswith("NEWSBOT_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSBOT_CONFIG", str(tmp_path_factory.getbasetemp() / "no-config.toml"))
    from bot.settings import get_settings

    get_settings.cache_clear()


@pytest.fixture
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"needs the shared data folder beside the checkout ({SHARED}), absent here")
    return SHARED


def make_service(data_dir: Path, **overrides: object) -> NewsService:
    return NewsService(Settings(data_dir=data_dir, **overrides))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[NewsService]:
    svc = make_service(tmp_path / "data")
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def sample_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsService]:
    """One store holding the sample article, shared by a module's read-only tests."""
    svc = make_service(tmp_path_factory.mktemp("sample") / "data")
    report = svc.ingest([str(SAMPLE)])
    assert [item.status for item in report.items] == ["added"]
    yield svc
    svc.close()
