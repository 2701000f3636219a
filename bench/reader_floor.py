"""The reader's evidence floor: how many answerable questions each floor would stop before the
reader sees them, and how many unanswerable ones it stops on its own.

Input: the --json report of an extractive eval run with the gate open, so that every question
has the evidence of its best sentence:

    NEWSBOT_ABSTAIN_THRESHOLD=0 newsbot eval --questions ../shared/eval/xquad/en.jsonl \\
      --contexts ../shared/eval/xquad/de.contexts.jsonl \\
      --contexts ../shared/eval/xquad/es.contexts.jsonl --make-unanswerable --json > open.json
    python bench/reader_floor.py open.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FLOORS = (0.70, 0.72, 0.74, 0.75, 0.76, 0.77, 0.78, 0.79, 0.80)


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


if __name__ == "__main__":
    main()
