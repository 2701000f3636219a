"""The conftest's clean environment, for module-scoped fixtures that run before it applies."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def clean_environment(config_dir: Path) -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("NEWSBOT_") or name == "DISCORD_TOKEN":
                patch.delenv(name)
        patch.setenv("NEWSBOT_CONFIG", str(config_dir / "no-config.toml"))
        yield patch
