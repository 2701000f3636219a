"""The reader's numbers: model load, where the time of a written answer goes, and the sample
article's questions (answered with the right fact, refused when it does not say).

Run: .venv/bin/python bench/bench_reader.py
     [--questions eval/sample/questions.jsonl --unanswerable eval/sample/unanswerable.jsonl
      --contexts eval/sample/contexts.jsonl] [--json]

Over a large existing store instead of a fresh one (latency at that size; only the questions
whose article the store holds are asked):
     .venv/bin/python bench/bench_reader.py --data-dir DIR --questions eval/news/questions.en.jsonl
      --unanswerable eval/news/unanswerable.jsonl --limit 20
The XQuAD numbers come from `newsbot eval --mode generate` (see BENCHMARKS.md "Reader").
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.llm import local_model_path  # noqa: E402
from bot.answering.local_model import ModelConfig, load_model  # noqa: E402
from bot.answering.verification import strip_markers  # noqa: E402
from bot.evaluation import contains_answer, load_contexts, load_questions, percentile  # noqa: E402
from bot.service import NewsService  # noqa: E402
from bot.settings import Settings  # noqa: E402
from retrieval.articles import Article  # noqa: E402
from retrieval.language import detect_language  # noqa: E402

SAMPLE_SET = ROOT / "eval" / "sample"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=SAMPLE_SET / "questions.jsonl")
    parser.add_argument("--unanswerable", type=Path, default=SAMPLE_SET / "unanswerable.jsonl")
    parser.add_argument("--contexts", type=Path, default=SAMPLE_SET / "contexts.jsonl")
    parser.add_argument("--json", action="store_true", help="Also print every row as JSON.")
    parser.add_argument(
        "--data-dir", type=Path, help="Ask in this existing store (--contexts is not ingested)."
    )
    parser.add_argument("--limit", type=int, help="At most this many questions of each file.")
    args = parser.parse_args()

    # A fresh store in a temporary folder, unless an existing one is given.
    folder_for = (
        nullcontext(str(args.data_dir))
        if args.data_dir is not None
        else tempfile.TemporaryDirectory(prefix="bench-reader-")
    )
    with folder_for as folder:
        settings = Settings(data_dir=Path(folder), llm_backend="local")
        started = time.perf_counter()
        path = local_model_path(settings)
        find_s = time.perf_counter() - started
        started = time.perf_counter()
        load_model(ModelConfig(path, settings.llm_context, settings.llm_threads))
        load_s = time.perf_counter() - started
        print(f"model: {path.name}; found/verified in {find_s:.2f} s; loaded in {load_s:.2f} s")

        service = NewsService(settings)
        if args.data_dir is None:
            articles = [
                Article(c.text, source=c.context_id, title=c.title, lang=c.lang)
                for c in load_contexts(args.contexts)
            ]
            service.ingest_articles(articles)
        else:
            store = service.store()
            print(
                f"store: {store.catalog.ready_count():,} articles, "
                f"{store.catalog.chunk_count():,} chunks"
            )
        service.warm_up()
        rows = []
        asked = [(q, "answerable") for q in load_questions(args.questions)]
        asked += [
            (q, "unanswerable") for q in load_questions(args.unanswerable, need_answers=False)
        ]
        if args.data_dir is not None:
            # A source is the context id, or "file#context id" for an article of a JSONL file.
            sources = [s.source for s in service.sources()]
            stored = {*sources, *(source.rsplit("#", 1)[-1] for source in sources)}
            kept = [(q, kind) for q, kind in asked if q.context_id in stored]
            print(f"{len(kept)} of {len(asked)} questions are about articles in the store")
            asked = kept
        if args.limit is not None:
            asked = [
                pair
                for kind in ("answerable", "unanswerable")
                for pair in [p for p in asked if p[1] == kind][: args.limit]
            ]
        for item, kind in asked:
            begun = time.perf_counter()
            answer = service.ask(item.question)
            total = (time.perf_counter() - begun) * 1000
            t = answer.timings_ms
            text = strip_markers(answer.answer)
            rows.append(
                {
                    "id": item.id,
                    "kind": kind,
                    "question": item.question,
                    "answer": answer.answer,
                    "mode": answer.mode,
                    "abstained": answer.abstained,
                    "right": kind == "answerable"
                    and not answer.abstained
                    and contains_answer(text, item.answers),
                    "lang": detect_language(text) if not answer.abstained else None,
                    "asker_lang": detect_language(item.question),
                    "first_output_ms": t.get("first_output", total),
                    "total_ms": total,
                    "prompt_ms": t.get("prompt_ms"),
                    "generate_ms": t.get("generate_ms"),
                    "prompt_tokens": t.get("prompt_tokens"),
                    "generated_tokens": t.get("generated_tokens"),
                    "search_ms": t.get("embed_query", 0)
                    + t.get("retrieve", 0)
                    + t.get("rerank", 0),
                    "notes": answer.notes,
                }
            )
            row = rows[-1]
            print(
                f"{kind[:5]} {'OK ' if row['right'] else '   '}{answer.mode[:9]:9} "
                f"{total / 1000:5.1f}s {item.question[:60]!r} -> {answer.answer[:110]!r}",
                flush=True,
            )
        service.close()
    report(rows, load_s)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))


def report(rows: list[dict], load_s: float) -> None:
    answerable = [r for r in rows if r["kind"] == "answerable"]
    unanswerable = [r for r in rows if r["kind"] == "unanswerable"]
    written = [r for r in rows if r["prompt_ms"] is not None]

    def p(values: list[float], q: float) -> str:
        value = percentile(values, q)
        return "-" if value is None else f"{value:.0f}"

    def rate(part: int, whole: int) -> str:
        return f"{part}/{whole} = {part / whole:.2f}" if whole else "-"

    print()
    print(f"model load: {load_s:.2f} s")
    right = sum(r["right"] for r in answerable)
    print(f"answerable answered with the right fact: {rate(right, len(answerable))}")
    # A written answer in the question's language; a short English sentence often reads as
    # "und" (undetermined). A fallback quote is in the article's language, whatever it reads as.
    in_language = sum(
        r["mode"] == "generated" and r["lang"] in (r["asker_lang"], "und")
        for r in answerable
        if r["right"]
    )
    print(f"  of those, written in the asker's language: {rate(in_language, right)}")
    refused = sum(r["abstained"] for r in unanswerable)
    print(f"unanswerable refused: {rate(refused, len(unanswerable))}")
    print(f"answerable refused: {rate(sum(r['abstained'] for r in answerable), len(answerable))}")
    fallbacks = sum(r["mode"] == "extractive-fallback" for r in rows)
    print(f"fallbacks to the quoted answer: {fallbacks}/{len(rows)}")
    firsts = [r["first_output_ms"] for r in rows]
    totals = [r["total_ms"] for r in written]
    print(f"first visible output ms: p50 {p(firsts, 50)}, p95 {p(firsts, 95)}")
    print(f"written answer ms (reader asked): p50 {p(totals, 50)}, p95 {p(totals, 95)}")
    if written:
        prompt_tokens = [r["prompt_tokens"] for r in written if r["prompt_tokens"]]
        generated = [r["generated_tokens"] for r in written]
        prompt_ms = [r["prompt_ms"] for r in written]
        generate_ms = [r["generate_ms"] for r in written]
        search_ms = [r["search_ms"] for r in written]
        rates = [
            r["generated_tokens"] / (r["generate_ms"] / 1000)
            for r in written
            if r["generate_ms"] and r["generated_tokens"] > 1
        ]
        print(
            "where the time goes (means over answers the reader wrote): "
            f"search {statistics.mean(search_ms):.0f} ms, "
            f"prompt {statistics.mean(prompt_ms):.0f} ms for "
            f"{statistics.mean(prompt_tokens) if prompt_tokens else 0:.0f} prompt tokens, "
            f"generation {statistics.mean(generate_ms):.0f} ms for "
            f"{statistics.mean(generated):.1f} tokens "
            f"({statistics.mean(rates) if rates else 0:.1f} tokens/s)"
        )


if __name__ == "__main__":
    main()
