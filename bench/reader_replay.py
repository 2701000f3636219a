"""Record the reader's replies during a run, then replay them: a change to what happens after
the model (the checks, citations, fallbacks, refusals) is measured in minutes instead of the
model's half hour.

    python bench/reader_replay.py record replies.jsonl eval --questions … --mode generate --json
    python bench/reader_replay.py replay replies.jsonl eval --questions … --mode generate --json
    python bench/reader_replay.py replay replies.jsonl bench/bench_reader.py --json

After the file name comes a `newsbot` command, or a script and its arguments. The bundled model
decodes greedily, so the same prompt gives the same reply: a replayed run gives the answers a
full run gives, for every prompt in the file. A prompt that is not there (the change altered what
the model reads) goes to the model and is added to the file; the count is printed at the end.
A reply cut by the model's time limit is not recorded, so it is asked again. Latencies of a
replayed run measure nothing.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import re
import runpy
import sys
from pathlib import Path
from typing import Any

from bot.answering import reader

# The model's tokens: a word with the space after it, but digits one by one and brackets alone,
# as the bundled model writes "[4]" (so a marker after a full stop comes after that sentence).
_PIECES = re.compile(r"\d|[\[\]]|[^\s\d\[\]]+\s*|\s+")


def prompt_key(messages: list[Any]) -> str:
    return hashlib.sha256(json.dumps([m.content for m in messages]).encode()).hexdigest()


def load(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return {row["key"]: row for row in rows}


def install(mode: str, path: Path) -> list[str]:
    """Wrap the reader's model call: `record` writes every reply, `replay` feeds known ones.
    Returns the list of questions whose prompt went to the model, filled as the run goes."""
    known = load(path) if mode == "replay" else {}
    model_stream = reader.Reader._stream
    asked: list[str] = []

    def record(key: str, stream: Any, complete: bool, meta: dict[str, float]) -> None:
        row = {"key": key, "question": stream.question, "reply": stream.text}
        row |= {"meta": meta, "complete": complete}
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")

    def stream(self: Any, messages: list, verified: Any, meta: dict[str, float]) -> bool:
        key = prompt_key(messages)
        row = known.get(key)
        if row is None:
            asked.append(verified.question)
            complete = model_stream(self, messages, verified, meta)
            record(key, verified, complete, meta)
            return complete
        # Token by token, as the model streams: the stream stops where it stopped then.
        for piece in _PIECES.findall(row["reply"]):
            if verified.add(piece):
                return True
        meta.update(row["meta"])
        return bool(row["complete"])

    reader.Reader._stream = stream  # type: ignore[method-assign]
    return asked


def main() -> None:
    if len(sys.argv) < 4 or sys.argv[1] not in ("record", "replay"):
        sys.exit(__doc__)
    mode, path, command = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
    asked = install(mode, path)
    if mode == "replay":
        atexit.register(lambda: print(f"prompts not in {path}: {len(asked)}", file=sys.stderr))
    if command[0].endswith(".py"):
        sys.argv = command
        runpy.run_path(command[0], run_name="__main__")
        return
    from bot.cli import app

    sys.argv = ["newsbot", *command]
    app()


if __name__ == "__main__":
    main()
