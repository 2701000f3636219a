"""Questions with nothing to search for (punctuation, code, a lone symbol) are refused at once."""

from __future__ import annotations

import re

# Characters of code and markup that questions in prose hardly ever hold.
_CODE_MARK = re.compile(r"[;{}<>=`$\\|]|--|\*\*|/\*|\*/|&&")
_WORD = re.compile(r"[^\W\d_]{2,}")


def meaningless_reason(question: str) -> str | None:
    """Why the question cannot be searched for, or None when it reads as a question.

    A question needs words (two letters or more, any script); and one that reads as code,
    two code marks or more ("'; DROP TABLE x; --", "{{7*7}}"), is not a question about news.
    """
    if not _WORD.search(question):
        return "The question has no words to search for."
    if len(_CODE_MARK.findall(question)) >= 2:
        return "The question reads as code or markup, not as a question about the articles."
    return None
