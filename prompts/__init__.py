"""Prompt files shipped beside this module, loaded by name."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

# A chat prompt file is split into messages by marker lines such as `<!-- system -->`;
# HTML comments never clash with the prompt's own Markdown.
_ROLE_MARKER = re.compile(r"^<!--\s*(system|user|assistant)\s*-->\s*$", re.MULTILINE)
_ROLES = {"system": "system", "user": "human", "assistant": "ai"}


@cache
def load_prompt(name: str) -> str:
    """The text of `prompts/<name>`, e.g. `load_prompt("answer.md")`."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def prompt_messages(name: str) -> list[tuple[str, str]]:
    """(role, template) pairs of a chat prompt file, roles as LangChain names them."""
    text = load_prompt(name)
    markers = list(_ROLE_MARKER.finditer(text))
    if not markers:
        raise ValueError(f"prompts/{name} has no <!-- system --> / <!-- user --> markers")
    messages = []
    for marker, following in zip(markers, [*markers[1:], None], strict=True):
        end = following.start() if following else len(text)
        messages.append((_ROLES[marker.group(1)], text[marker.end() : end].strip()))
    return messages
