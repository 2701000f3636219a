"""Issue-3 numbers: concurrent /ask from different users against the local Discord stand-in.

Run: .venv/bin/python bench/bench_discord.py [--users 20] [--rounds 1]
Every question goes through the real discord.py client and the real answering service (default
embedder, the sample article in a temp store). Target: all answered, event-loop lag p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.service import NewsService  # noqa: E402
from tests.discord_standin import LoopLag, StandinDiscord, running_standin  # noqa: E402
from tests.discord_standin.newsbot import SHARED, bot_settings, running_bot  # noqa: E402

SAMPLE = ROOT / "samples" / "coree-du-nord-russie-koursk.fr.txt"
QUESTIONS = [
    "How many North Korean soldiers are deployed in Kursk?",
    "Who is Choe Son Hui?",
    "How much ground did the Russian army gain in October?",
    "What does Pyongyang want in exchange?",
    "What did Zelensky say about the West's response?",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


async def run(
    standin: StandinDiscord,
    service: NewsService,
    data: Path,
    users: int,
    rounds: int,
    max_jobs: int,
    timeout: float,
) -> bool:
    guild = standin.world.add_guild("Bench server")
    members = [int(standin.world.add_member(guild.id, f"user{n}")["id"]) for n in range(users)]
    settings = bot_settings(data, discord_max_jobs=max_jobs, discord_cooldown_s=5.0)
    async with running_bot(standin, settings, service):
        # One warm-up question, so the numbers are not about loading the model.
        warm = await standin.invoke(
            "ask", members[0], guild_id=guild.id, options={"question": "warm up"}
        )
        await standin.wait_for(lambda: warm.messages, timeout=120)
        await asyncio.sleep(5.1)  # the warm-up user's cooldown

        records = []
        busy = 0.0  # time spent answering, without the cooldown pauses between rounds
        async with LoopLag() as lag:
            for round_no in range(rounds):
                started = time.monotonic()
                # Every user asks at once: all interactions are dispatched back to back.
                for n, user in enumerate(members):
                    question = QUESTIONS[(n + round_no) % len(QUESTIONS)]
                    records.append(
                        await standin.invoke(
                            "ask",
                            user,
                            guild_id=guild.id,
                            options={"question": f"{question} ({round_no}-{n})"},
                        )
                    )
                try:
                    await standin.wait_for(
                        lambda: all(r.messages for r in records), timeout=timeout
                    )
                except TimeoutError:
                    break
                finally:
                    busy += time.monotonic() - started
                if round_no + 1 < rounds:
                    await asyncio.sleep(settings.discord_cooldown_s)

    answered = [r for r in records if r.messages and r.messages[0].get("embeds")]
    lost = len(records) - len(answered)
    deferred = [r.responded_in_s for r in records if r.responded_in_s is not None]
    latencies = []
    for record in answered:
        # The time the answer arrived is the time of the request that carried it.
        arrived = [q.at for q in standin.requests if record.token in q.path and q.method != "GET"]
        latencies.append(max(arrived) - record.dispatched_at)
    beats = standin.heartbeats
    acks = [b.acked_at - b.received_at for b in beats]
    print(
        f"## {len(records)} concurrent /ask ({users} users x {rounds} rounds), max_jobs={max_jobs}"
    )
    print(
        f"answered: {len(answered)}  lost: {lost}  errors (HTTP >= 400): "
        f"{sum(1 for q in standin.requests if q.status >= 400)}"
    )
    print(f"deferral (s): max {max(deferred):.3f}  (Discord's limit: 3)")
    if latencies:
        print(
            f"answer latency (s): p50 {statistics.median(latencies):.2f}  "
            f"p99 {percentile(latencies, 99):.2f}  max {max(latencies):.2f}  "
            f"(answering {busy:.2f} s, {len(answered) / busy:.1f} answers/s)"
        )
    print(
        f"event-loop lag (ms): p50 {lag.percentile(50) * 1000:.1f}  "
        f"p99 {lag.percentile(99) * 1000:.1f}  max {lag.worst * 1000:.1f}  "
        f"({len(lag.samples)} samples)"
    )
    print(f"heartbeats: {len(beats)} acknowledged, ack delay max {max(acks) * 1000:.1f} ms")
    ok = lost == 0 and lag.percentile(99) < 0.1
    print("target (all answered, lag p99 < 100 ms):", "met" if ok else "NOT met")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--max-jobs", type=int, default=2, help="NEWSBOT_DISCORD_MAX_JOBS")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait per round")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="newsbot-bench-discord-"))
    try:
        service = NewsService(bot_settings(work / "data"))
        service.ingest([str(SAMPLE)], collection=SHARED)
        with running_standin(heartbeat_interval_ms=1000) as standin:
            ok = asyncio.run(
                run(
                    standin,
                    service,
                    work / "data",
                    args.users,
                    args.rounds,
                    args.max_jobs,
                    args.timeout,
                )
            )
        service.close()
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
