"""Detect an article's language as an ISO 639-1 code, or "und" when the text is too thin to tell."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence

from py3langid.langid import MODEL_FILE, LanguageIdentifier

UNDETERMINED = "und"
# Languages that capitalise every noun ("8000 Soldaten"): a capital there does not make a name.
CAPITALISED_NOUNS = frozenset({"de", "lb"})

# Below these the classifier's best guess is close to noise ("Bonjour" scores 0.15 for "fr", and
# a single word often lands on an unrelated small language), so we say "und" rather than guess.
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.6

# The language of a whole article is settled long before its end; bounding the input keeps
# detection cheap for very long texts.
MAX_CHARS = 20_000

# The model also knows a few ISO 639-3 varieties; fold those that belong to a macrolanguage with a
# two-letter code into it, so callers only ever see ISO 639-1 codes.
_TO_ISO_639_1 = {
    "ary": "ar",
    "arz": "ar",
    "fuv": "ff",
    "gug": "gn",
    "sdh": "ku",
    "uzs": "uz",
    "wuu": "zh",
    "yue": "zh",
}

_identifier: LanguageIdentifier | None = None
_lock = threading.Lock()


def _get_identifier() -> LanguageIdentifier:
    # Loading the model takes most of a second, so it happens once, on first use, not at import.
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                _identifier = LanguageIdentifier.from_model_file(
                    MODEL_FILE, norm_probs=True, min_confidence=MIN_CONFIDENCE
                )
    return _identifier


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of `text`'s language ("fr", "en", ...), or "und" if unsure."""
    sample = text[:MAX_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return UNDETERMINED
    code, _confidence = _get_identifier().classify(sample)
    code = _TO_ISO_639_1.get(code, code)
    # "zxx" (no linguistic content) and other three-letter codes have no ISO 639-1 equivalent.
    if len(code) != 2:
        return UNDETERMINED
    return code


def language_ranking(text: str) -> tuple[tuple[str, float], ...]:
    """Every language the model knows for `text`, likeliest first, as (ISO 639-1 code, share);
    empty when the text has too few letters to tell."""
    sample = text[:MAX_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return ()
    return tuple(
        (_TO_ISO_639_1.get(code, code), share) for code, share in _get_identifier().rank(sample)
    )


def best_among(
    ranking: Sequence[tuple[str, float]], languages: Collection[str], min_share: float = 0.15
) -> str:
    """The likeliest of `languages` in a `language_ranking`, or "und" (see
    `detect_language_among`)."""
    for code, share in ranking:
        if code in languages:
            return code if share >= min_share else UNDETERMINED
    return UNDETERMINED


def detect_language_among(text: str, languages: Collection[str], min_share: float = 0.15) -> str:
    """The most likely of `languages` for a short text, or "und".

    A one-line question is thin evidence: "Hoe groot is het leger?" scores 0.60 Afrikaans and
    0.39 Dutch, "Quem visitou Pyongyang em junho?" 0.23 Portuguese and 0.17 Tagalog. Among the
    languages a caller can use, the best is right far more often than the unconstrained guess;
    one with no real share ("北朝鮮は…" is Japanese, 0.00 for all of them) is none of them.
    """
    return best_among(language_ranking(text), languages, min_share)


def capitalises_nouns(lang: str | None) -> bool:
    """Whether text in `lang` (a code such as "de" or "de-CH") capitalises every noun."""
    return (lang or "")[:2] in CAPITALISED_NOUNS
