"""Builds the news development set's store (articles.jsonl) from its article ids and the corpora.

    python bench/news_devset.py --corpora ../shared/corpora --out .cache/news-devset

The BBC and OrangeSum texts may not be redistributed, so the repository keeps only their ids
(eval/news/article_ids.txt); this script looks them up in the corpora files and writes
OUT/articles.jsonl, one {"context_id", "title", "text", "lang", "date"?} per line, the format
`newsbot eval --contexts` reads. The same ids always give the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTICLE_IDS = ROOT / "eval" / "news" / "article_ids.txt"
DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
CORPUS_FILES = ("bbc.en.jsonl", "orangesum.fr.sample.jsonl")


class DevsetError(Exception):
    """The corpora or the id list cannot be used; the message says what to do."""


def read_article_ids(path: Path = ARTICLE_IDS) -> dict[str, list[str]]:
    """Ids by section ("questioned", "distractors"), in file order; '#' lines are comments."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif current is None:
            raise DevsetError(f"{path}:{number}: an id before any [section] line.")
        else:
            current.append(line)
    return sections


def all_ids(sections: dict[str, list[str]]) -> list[str]:
    return [article_id for ids in sections.values() for article_id in ids]


def read_corpora(corpora: Path, wanted: Iterable[str]) -> dict[str, dict[str, object]]:
    """The corpus rows of the wanted ids; fails naming what is missing."""
    wanted = set(wanted)
    missing_files = [name for name in CORPUS_FILES if not (corpora / name).is_file()]
    if missing_files:
        raise DevsetError(
            f"{corpora} lacks {', '.join(missing_files)}: the news development set's articles "
            "come from the shared corpora (BBC and OrangeSum), which are not in the repository. "
            "Pass their folder with --corpora (usually ../shared/corpora)."
        )
    found: dict[str, dict[str, object]] = {}
    for name in CORPUS_FILES:
        with (corpora / name).open(encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                if row.get("id") in wanted:
                    found[row["id"]] = row
    absent = sorted(wanted - found.keys())
    if absent:
        raise DevsetError(
            f"{len(absent)} article ids are not in {corpora} (first: {', '.join(absent[:5])}); "
            "these corpora are not the ones the set was written from."
        )
    return found


def store_rows(ids: Iterable[str], corpus: dict[str, dict[str, object]]) -> list[dict[str, object]]:
    rows = []
    for article_id in ids:
        article = corpus[article_id]
        row: dict[str, object] = {
            "context_id": article_id,
            "title": article["title"],
            "text": article["text"],
            "lang": article["lang"],
        }
        if article.get("date"):
            row["date"] = article["date"]
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--out", type=Path, required=True, help="folder for articles.jsonl")
    parser.add_argument("--ids", type=Path, default=ARTICLE_IDS)
    args = parser.parse_args(argv)
    try:
        ids = all_ids(read_article_ids(args.ids))
        rows = store_rows(ids, read_corpora(args.corpora, ids))
    except (DevsetError, OSError, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "articles.jsonl"
    with target.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} articles to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
