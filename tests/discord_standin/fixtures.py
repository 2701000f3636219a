"""pytest fixtures; a test module uses one by assigning it: `standin = fixtures.standin`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import running_standin
from .server import StandinDiscord


@pytest.fixture
def standin() -> Iterator[StandinDiscord]:
    """A fresh stand-in for one test, with discord.py pointed at it."""
    # A short heartbeat interval lets a test observe many beats in a second or two.
    with running_standin(heartbeat_interval_ms=250) as standin:
        yield standin
