"""Ingest through NewsService in a separate process, reporting progress to a file.

    python -m tests.helpers.ingest_worker run DATA_DIR PROGRESS_FILE INPUT...
        ingest each INPUT with its own service.ingest call, like uploads arriving one by one;
    python -m tests.helpers.ingest_worker serve
        import everything once, then for each stdin line "ingest DATA_DIR PROGRESS INPUT..."
        fork a child that runs as above and print "pid N"; "wait N" prints "exited N CODE".

The fork server exists for the crash tests: importing Chroma and LangChain takes seconds, a
fork milliseconds, and every kill trial needs a fresh process. The parent never opens a
store, so a child starts from a clean slate just as a new process would.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path


def run(data_dir: Path, progress: Path, inputs: list[str]) -> int:
    from bot.service import NewsService
    from bot.settings import Settings

    with progress.open("a", encoding="utf-8", buffering=1) as out:
        service = NewsService(Settings(data_dir=data_dir))
        service.store()  # opening repairs what an earlier crash left
        out.write(f"opened {time.monotonic():.3f}\n")
        failed = 0
        for raw in inputs:
            for item in service.ingest([raw]).items:
                failed += item.status == "failed"
                out.write(f"item {time.monotonic():.3f} {item.status} {item.source}\n")
        out.write(f"done {time.monotonic():.3f}\n")
        service.close()
    return 1 if failed else 0


def serve() -> None:
    import bot.service  # noqa: F401  (the slow imports, paid once)
    import retrieval.loading  # noqa: F401

    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = shlex.split(line)
        if command == "ingest":
            pid = os.fork()
            if pid == 0:
                code = 2
                try:
                    code = run(Path(args[0]), Path(args[1]), args[2:])
                finally:
                    os._exit(code)
            print(f"pid {pid}", flush=True)
        elif command == "wait":
            pid = int(args[0])
            _, status = os.waitpid(pid, 0)
            print(f"exited {pid} {os.waitstatus_to_exitcode(status)}", flush=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        serve()
        return 0
    if argv[:1] == ["run"] and len(argv) >= 4:
        return run(Path(argv[1]), Path(argv[2]), argv[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
