"""Pure rendering for Discord: text splitting and answer embeds within every Discord limit."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answering.answer import REFUSAL, Answer, Citation
from bot.discord_bot.render import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FIELDS_PER_EMBED,
    TITLE_LIMIT,
    cited_numbers,
    render_answer_messages,
    render_text_messages,
    shorten,
    split_text,
)


def _words(text: str) -> list[str]:
    return text.split()


def test_split_text_short_text_is_one_piece() -> None:
    assert split_text("  One sentence.  ", 100) == ["One sentence."]
    assert split_text("   ", 10) == []


def test_split_text_prefers_sentence_ends() -> None:
    text = "First sentence here. Second sentence is longer. Third one."
    assert split_text(text, 50) == ["First sentence here. Second sentence is longer.", "Third one."]


def test_split_text_falls_back_to_spaces_never_mid_word() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta"
    pieces = split_text(text, 12)
    assert all(len(p) <= 12 for p in pieces)
    assert _words(" ".join(pieces)) == _words(text)
    assert set(" ".join(pieces).split()) <= set(text.split())


def test_split_text_cuts_only_a_word_longer_than_the_limit() -> None:
    pieces = split_text("short " + "x" * 25 + " end", 10)
    assert all(len(p) <= 10 for p in pieces)
    assert "".join(pieces).replace(" ", "") == "short" + "x" * 25 + "end"


def test_split_text_paragraphs_are_cut_points() -> None:
    text = "Heading without period\nA body sentence that goes on."
    assert split_text(text, 30) == ["Heading without period", "A body sentence that goes on."]


sentences = st.lists(
    st.text(alphabet="abcdefgh ÀÉ,", min_size=1, max_size=40).map(lambda s: s.strip().capitalize()),
    min_size=1,
    max_size=30,
).map(lambda items: " ".join(f"{s}." for s in items if s))


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(sentences, st.text(max_size=400)), limit=st.integers(1, 120))
def test_split_text_properties(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert all(p == p.strip() for p in pieces)
    # Nothing but whitespace is lost or added.
    assert "".join("".join(pieces).split()) == "".join(text.split())
    # A word fits whole in a piece unless it is longer than the limit itself.
    for word in text.split():
        if len(word) <= limit:
            assert any(word in p.split() for p in pieces)


def test_shorten_cuts_at_word_end_with_ellipsis() -> None:
    assert shorten("a  short\ntitle", 50) == "a short title"
    cut = shorten("The quick brown fox jumps over the lazy dog", 20)
    assert len(cut) <= 20 and cut.endswith("…") and cut[:-1] in "The quick brown fox jumps"
    assert not cut[:-1].endswith(" ")


def test_cited_numbers_in_order_of_appearance() -> None:
    assert cited_numbers("b [2] a [1] again [2] and [10]") == [2, 1, 10]


def _citation(
    n: int, quote: str, title: str = "Article", key: tuple[int, int] | None = None
) -> Citation:
    key_start, key_end = (100 * n + key[0], 100 * n + key[1]) if key else (None, None)
    return Citation(
        key_start=key_start,
        key_end=key_end,
        n=n,
        source=f"src-{n}",
        title=title,
        url=f"https://example.com/a_{n}(x)",
        quote=quote,
        start=100 * n,
        end=100 * n + len(quote),
        score=0.9,
        article_id=f"a{n}",
    )


def _all_within_limits(rendered: list[tuple[str | None, object]]) -> None:
    for content, embed in rendered:
        data = embed.to_dict()  # type: ignore[attr-defined]
        assert content is None or len(content) <= 2000
        assert len(data.get("title", "")) <= TITLE_LIMIT
        assert len(data.get("description", "")) <= DESCRIPTION_LIMIT
        fields = data.get("fields", [])
        assert len(fields) <= FIELDS_PER_EMBED
        for f in fields:
            assert 0 < len(f["name"]) <= FIELD_NAME_LIMIT
            assert 0 < len(f["value"]) <= FIELD_VALUE_LIMIT
        total = len(data.get("title", "")) + len(data.get("description", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in fields)
        total += len(data.get("footer", {}).get("text", ""))
        assert total <= EMBED_TOTAL_LIMIT


def _field_numbers(rendered: list[tuple[str | None, object]]) -> set[int]:
    found = set()
    for _, embed in rendered:
        for f in embed.to_dict().get("fields", []):  # type: ignore[attr-defined]
            found.add(int(re.match(r"\[(\d+)\]", f["name"]).group(1)))
    return found


def test_short_answer_is_one_embed_with_a_field_per_citation() -> None:
    answer = Answer(
        question="Combien de soldats ?",
        answer="Jusqu'à 8000 soldats [1]. Ils sont à Koursk [2].",
        abstained=False,
        citations=[_citation(1, "Jusqu’à 8000 soldats nord-coréens."), _citation(2, "Koursk.")],
    )
    [(content, embed)] = render_answer_messages(answer)
    assert content is None
    assert embed.title == "Combien de soldats ?"
    assert "[1]" in embed.description and "[2]" in embed.description
    assert [f.name for f in embed.fields] == ["[1] Article", "[2] Article"]
    value = embed.fields[0].value
    assert value.startswith("> Jusqu’à 8000 soldats nord-coréens.")
    # Title linked to the URL (parentheses encoded), with the quote's position.
    assert "(https://example.com/a_1%28x%29)" in value and "characters 100–" in value
    assert embed.footer.text == "2 quoted passages"


def test_markdown_in_article_text_is_shown_literally() -> None:
    answer = Answer(
        question="q",
        answer="It is *bold* [1].",
        abstained=False,
        citations=[_citation(1, "A __quote__ with ~~marks~~ and `code`.")],
    )
    [(_, embed)] = render_answer_messages(answer)
    assert "\\*bold\\*" in embed.description
    assert "\\_\\_quote\\_\\_" in embed.fields[0].value


def test_long_answer_is_split_within_limits_and_keeps_every_citation() -> None:
    sentence = "Les troupes nord-coréennes avancent dans la région de Koursk selon Washington"
    citations = [
        _citation(n, f"{sentence} et la citation numéro {n} continue. " * 8) for n in range(1, 41)
    ]
    text = " ".join(f"{sentence}, point {n} [{n}]." for n in range(1, 41)) * 3
    answer = Answer(question="Q " * 200, answer=text, abstained=False, citations=citations)
    rendered = render_answer_messages(answer)
    assert len(rendered) > 1
    _all_within_limits(rendered)
    assert _field_numbers(rendered) == set(range(1, 41))
    # Reading order: a citation comes with or after the first text that refers to it.
    first_marker: dict[int, int] = {}
    first_field: dict[int, int] = {}
    for index, (_, embed) in enumerate(rendered):
        for n in cited_numbers(embed.description or ""):
            first_marker.setdefault(n, index)
        for n in _field_numbers([(None, embed)]):
            first_field.setdefault(n, index)
    assert all(first_field[n] >= first_marker[n] for n in first_marker)
    # The text is all there, in order.
    described = " ".join(e.description or "" for _, e in rendered)
    assert "".join(described.split()) == "".join(text.split())


def test_quote_longer_than_a_field_continues_in_the_next_field() -> None:
    quote = "Une phrase assez longue pour remplir un champ entier de Discord. " * 40
    answer = Answer(
        question="q", answer="Voir [1].", abstained=False, citations=[_citation(1, quote)]
    )
    rendered = render_answer_messages(answer)
    _all_within_limits(rendered)
    names = [f.name for _, e in rendered for f in e.fields]
    assert names[0] == "[1] Article" and all(n == "[1] (continued)" for n in names[1:])
    values = " ".join(f.value.removeprefix("> ") for _, e in rendered for f in e.fields)
    assert "".join(quote.split()) in "".join(values.split())


def _bold_markers(value: str) -> int:
    """The "**" that Discord reads as bold markers: a backslash escapes the next character."""
    count, i = 0, 0
    while i < len(value):
        if value[i] == "\\":
            i += 2
        elif value.startswith("**", i):
            count, i = count + 1, i + 2
        else:
            i += 1
    return count


def _field_values(rendered: list[tuple[str | None, object]]) -> list[str]:
    return [f["value"] for _, e in rendered for f in e.to_dict().get("fields", [])]  # type: ignore[attr-defined]


def test_the_sentences_that_answer_are_bold_inside_the_passage() -> None:
    passage = "Kim a envoyé des troupes. Jusqu’à 8000 soldats sont à Koursk. Kiev le confirme."
    key = (passage.index("Jusqu"), passage.index(" Kiev"))
    answer = Answer(
        question="q",
        answer="Jusqu’à 8000 soldats sont à Koursk. [1]",
        abstained=False,
        citations=[_citation(1, passage, key=key)],
    )
    [(_, embed)] = render_answer_messages(answer)
    assert embed.fields[0].value.startswith(
        "> Kim a envoyé des troupes. **Jusqu’à 8000 soldats sont à Koursk.** Kiev le confirme."
    )


def test_bold_is_closed_and_reopened_when_a_long_passage_continues() -> None:
    sentence = "Une phrase assez longue pour remplir un champ entier de Discord. "
    passage = (sentence * 30).strip()
    key = (len(sentence) * 5, len(sentence) * 25 - 1)
    answer = Answer(
        question="q",
        answer="Voir [1].",
        abstained=False,
        citations=[_citation(1, passage, key=key)],
    )
    rendered = render_answer_messages(answer)
    _all_within_limits(rendered)
    values = _field_values(rendered)
    assert len(values) >= 2
    for value in values:
        assert _bold_markers(value) % 2 == 0, value
    # The bold stretch covers the key, and only the key: 20 sentences.
    bold = re.findall(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", " ".join(values), flags=re.S)
    assert sum(chunk.count("Une phrase") for chunk in bold) == 20


def test_refusal_renders_without_fields() -> None:
    answer = Answer(question="Who won?", answer=REFUSAL, abstained=True)
    [(_, embed)] = render_answer_messages(answer)
    assert embed.description == REFUSAL and not embed.fields
    assert "No passage" in embed.footer.text


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(min_size=0, max_size=9000),
    quotes=st.lists(st.text(min_size=1, max_size=2500), max_size=30),
    question=st.text(max_size=600),
    cut=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_any_answer_renders_within_limits(
    text: str, quotes: list[str], question: str, cut: tuple[float, float]
) -> None:
    def key(quote: str) -> tuple[int, int]:
        a, b = sorted(int(f * len(quote)) for f in cut)
        return a, max(b, a + 1)

    citations = [_citation(n, q, title=q[:300], key=key(q)) for n, q in enumerate(quotes, 1)]
    marked = text + "".join(f" [{c.n}]" for c in citations)
    answer = Answer(question=question, answer=marked, abstained=False, citations=citations)
    rendered = render_answer_messages(answer)
    _all_within_limits(rendered)
    assert _field_numbers(rendered) == {c.n for c in citations}
    for value in _field_values(rendered):
        assert _bold_markers(value) % 2 == 0, value


def test_render_text_messages_within_message_limit() -> None:
    pieces = render_text_messages("word " * 1000)
    assert len(pieces) == 3 and all(len(p) <= 2000 for p in pieces)
