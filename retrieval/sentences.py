"""Sentence and paragraph boundaries as character spans, so that quotes are exact slices."""

from __future__ import annotations

import re

from retrieval.scripts import CASELESS

Span = tuple[int, int]

# A sentence ends at . ! ? … (with closing quotes/brackets) when whitespace and a plausible
# sentence start follow. Lower-case starts are not breaks: "5 km. de large" is one sentence.
# The run of end marks is matched only from its first character and without backtracking
# (possessive quantifiers): otherwise a long run such as "!!!!…" with no sentence start after
# it is retried from every position, which is quadratic (200 kB of "!" took minutes).
# Scraped news often glues sentences together: "ministère de la Santé.Six milliards", "jambe."La
# police". A mark right after two lower-case letters or digits and right before a capitalised
# word ends a sentence there too; "U.S.A", "Mr.Benn", "ASP.NET", "Node.js" and "am 7.Januar"
# stay whole (upper case before, an abbreviation, lower case after, an ordinal).
# Scripts without capitals start a sentence with any letter (`CASELESS`). Arabic and Urdu end
# a question with "؟" and Urdu a sentence with "۔"; Hindi and Bengali end one with a danda ("।").
_ENDS = ".!?…؟۔।"
_BOUNDARY = re.compile(
    rf"""(?<![{_ENDS}])[{_ENDS}]++["'”’»)\]]*+"""
    rf"""(?=\s+["'“‘«(\[¿¡–—-]?\s*[A-ZÀ-ÖØ-ÞĀ-ſΑ-ΩЀ-Я0-9{CASELESS}])"""
    r"""|(?<=[a-zß-öø-ÿ0-9%]{2})[.!?…]++["”’»)\]]*+(?=["“«]?[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ])"""
    r"""|[。！？]+""",
)
# Tokens that end in a period without ending a sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "nr",
        "art",
        "fig",
        "p",
        "pp",
        "vol",
        "ed",
        "eds",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "gov",
        "sen",
        "rep",
        "rev",
        "hon",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "m",
        "mm",
        "mme",
        "mlle",
        "me",
        "pr",
        "dr",
        "st",
        "ste",
        "cf",
        "env",
        "ca",
        "bzw",
        "usw",
        "z",
        "b",
        "dh",
        "evtl",
        "ggf",
        "nr",
        "sr",
        "sra",
        "srta",
        "dña",
        "ud",
        "uds",
        "av",
        "avda",
    ]
)
_LAST_WORD = re.compile(r"(\w+)\W*$")
# German writes ordinals with a period: "am 7. Januar", "im 20. Jahrhundert", "(5. Rang)".
# Only a standalone number of one or two digits is taken as one, and only after a German
# article or preposition, before a month or century word, or right after an opening bracket:
# "Sauerstoff-18. Meereslebewesen", "Route 9. Heute" and "Er war 20. Danach" still end there.
_ORDINAL_NUMBER = re.compile(
    r"(?:(?<![\w-])(am|im|zum|zur|vom|beim|ins|der|die|das|den|dem|des|und|bis|ab|seit)\s+"
    r"|(?<=\()|(?<=\s))\d{1,2}$",
    re.IGNORECASE,
)
_ORDINAL_FOLLOWERS = re.compile(
    r"\s+(?:Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|"
    r"November|Dezember|Jahrhunderts?|Jahrtausends?|Jh\b)",
)


def ends_with_abbreviation(text: str) -> bool:
    """Whether `text` ends with an initial or a known abbreviation and its full stop ("W.",
    "U.S.", "Mr.", "30 Mio."): the stop does not end a sentence."""
    text = text.rstrip()
    dot = len(text) - 1
    return text.endswith(".") and (_is_abbreviation(text, dot) or _is_scale(text, dot))


def _is_abbreviation(text: str, dot: int) -> bool:
    match = _LAST_WORD.search(text, max(0, dot - 12), dot)
    if not match:
        return False
    word = match.group(1)
    # Single capitals are initials ("J. Smith"), except the pronoun-like "I" which is rare here.
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


# Scale words that German and Spanish abbreviate with a full stop after a number ("30 Mio.
# GBP", "5 Mrd. Euro", "3 mill. de euros"): the sum goes on. Only after a number, since "bio"
# and "mill" end sentences as words of their own.
_SCALE_ABBREVIATIONS = frozenset(["mio", "mrd", "tsd", "bio", "mill", "mld", "mln"])
_SCALED_NUMBER = re.compile(r"\d\s?(\w+)$")


def _is_scale(text: str, dot: int) -> bool:
    match = _SCALED_NUMBER.search(text, max(0, dot - 8), dot)
    return bool(match) and match.group(1).lower() in _SCALE_ABBREVIATIONS


def _is_ordinal(text: str, dot: int) -> bool:
    number = _ORDINAL_NUMBER.search(text, max(0, dot - 9), dot)
    if not number:
        return False
    after_bracket = text[number.start() - 1 : number.start()] == "("
    return bool(number.group(1)) or after_bracket or bool(_ORDINAL_FOLLOWERS.match(text, dot + 1))


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


# A heading is a short line of its own that ends without a sentence's final mark ("Jusqu'à 8000
# soldats nord-coréens déployés", "Harbour crane arrives"): it names what the paragraph below
# says in full. A line that opens with a dash is no heading: it says who said the quote above
# it ("– Choe Son Hui, ministre nord-coréenne des Affaires étrangères").
HEADING_CHARS = 150
_ENDS_A_LINE = re.compile(rf"[{_ENDS}。！？:;]\W*$")
_ATTRIBUTION = re.compile(r"^[-–—―]")


def is_heading(text: str, start: int, end: int) -> bool:
    """True when text[start:end] is a heading: alone on its line, short, no final mark."""
    if end - start > HEADING_CHARS:
        return False
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    if text[line_start:start].strip() or text[end:line_end].strip():
        return False
    line = text[start:end].strip()
    return not _ENDS_A_LINE.search(line) and not _ATTRIBUTION.match(line)


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Non-empty lines (paragraphs, headings) between start and end."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    pos = start
    while pos < end:
        newline = text.find("\n", pos, end)
        stop = end if newline == -1 else newline
        span = _trim(text, pos, stop)
        if span:
            spans.append(span)
        pos = stop + 1
    return spans


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences between start and end; a paragraph break always ends a sentence."""
    spans: list[Span] = []
    for p_start, p_end in paragraph_spans(text, start, end):
        cursor = p_start
        for match in _BOUNDARY.finditer(text, p_start, p_end):
            stop = match.end()
            # Glued to the next sentence, a straight quote closes this sentence only when it
            # holds an open one: in "jambe."La police …" the quote opens the next.
            glued_quote = text[stop - 1] == '"' and stop < p_end and not text[stop].isspace()
            if glued_quote and text.count('"', cursor, match.start()) % 2 == 0:
                stop -= 1
            if (
                text[match.start()] == "."
                and match.end() - match.start() == 1
                and (
                    _is_abbreviation(text, match.start())
                    or _is_ordinal(text, match.start())
                    or _is_scale(text, match.start())
                )
            ):
                continue
            span = _trim(text, cursor, stop)
            if span:
                spans.append(span)
            cursor = stop
        span = _trim(text, cursor, p_end)
        if span:
            spans.append(span)
    return spans
