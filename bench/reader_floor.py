"""The reader's evidence floor: how many answerable questions each floor would stop before the
reader sees them, and how many unanswerable ones it stops on its own.

Input: the --json report of an extractive eval run with the gate open, so that every question
has the evidence of its best sentence:

    NEWSBOT_ABSTAIN_THRESHOLD=0 newsbot eval --questions ../shared/eval/xquad/en.jsonl \\
      --contexts ../shared/eval/xquad/de.contexts.jsonl \\
      --contexts ../shared/eval/xquad/es.contexts.jsonl --make-unanswerable --json > open.json
    python bench/reader_floor.py open.json

With a calibrated decision the gate also reads its probability (`NEWSBOT_READER_LEVEL`); every
row of a run since the rows hold it (`confidence`) has it, gate open or not, and the second
table gives how many questions each level stops.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FLOORS = (0.70, 0.72, 0.74, 0.75, 0.76, 0.77, 0.78, 0.79, 0.80)
LEVELS = (0.02, 0.05, 0.08, 0.10, 0.12, 0.15, 0.20, 0.25, 0.30)


def main() -> None:
    report = json.loads(Path(sys.argv[1]).read_text())
    rows = report["questions"]
    answerable = [r["evidence"] for r in rows if r["kind"] == "answerable"]
    unanswerable = [r["evidence"] for r in rows if r["kind"] == "unanswerable"]
    # A question with no citation at all has nothing for the reader to read.
    answerable = [e if e is not None else 0.0 for e in answerable]
    unanswerable = [e if e is not None else 0.0 for e in unanswerable]
    gold_kept = [
        r["evidence"] for r in rows if r["kind"] == "answerable" and r["answer_in_first_quote"]
    ]
    print(f"{len(answerable)} answerable, {len(unanswerable)} unanswerable questions")
    ordered = sorted(answerable)
    for q in (0.005, 0.01, 0.02, 0.05):
        print(f"answerable evidence, {q:.1%} quantile: {ordered[int(q * len(ordered))]:.4f}")
    print("floor   answerable stopped   gold-in-first-quote stopped   unanswerable stopped")
    for floor in FLOORS:
        stopped = sum(e < floor for e in answerable) / len(answerable)
        gold = sum(e < floor for e in gold_kept) / len(gold_kept) if gold_kept else 0.0
        refused = sum(e < floor for e in unanswerable) / len(unanswerable)
        print(f"{floor:.2f}    {stopped:18.3f}   {gold:27.3f}   {refused:20.3f}")
    levels(rows)


def levels(rows: list[dict]) -> None:
    """Questions stopped by each level of the calibrated decision's probability."""
    if not any(r.get("confidence") is not None for r in rows):
        print("(no confidence in these rows: run newsbot eval again for the level table)")
        return
    # No probability means nothing was searched: such a question is refused anyway.
    answerable = [r.get("confidence") or 0.0 for r in rows if r["kind"] == "answerable"]
    unanswerable = [r.get("confidence") or 0.0 for r in rows if r["kind"] == "unanswerable"]
    print("level   answerable stopped   unanswerable stopped")
    for level in LEVELS:
        stopped = sum(c < level for c in answerable) / len(answerable)
        refused = sum(c < level for c in unanswerable) / len(unanswerable)
        print(f"{level:.2f}    {stopped:18.3f}   {refused:20.3f}")


if __name__ == "__main__":
    main()
