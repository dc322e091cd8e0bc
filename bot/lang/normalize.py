"""Normalise free text before matching.

People type on phones: mixed case, accents, emoji, zero-width characters, "dont",
"fb", "opt-out". Everything here maps such variants onto one spelling so the fuzzy
matcher compares like with like. Pure functions, no state.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Contractions people write with or without the apostrophe.
CONTRACTIONS: dict[str, str] = {
    "can't": "cannot",
    "cant": "cannot",
    "won't": "will not",
    "wont": "will not",
    "don't": "do not",
    "dont": "do not",
    "doesn't": "does not",
    "doesnt": "does not",
    "didn't": "did not",
    "didnt": "did not",
    "isn't": "is not",
    "isnt": "is not",
    "aren't": "are not",
    "arent": "are not",
    "wasn't": "was not",
    "wasnt": "was not",
    "haven't": "have not",
    "havent": "have not",
    "hasn't": "has not",
    "hasnt": "has not",
    "shouldn't": "should not",
    "shouldnt": "should not",
    "wouldn't": "would not",
    "wouldnt": "would not",
    "couldn't": "could not",
    "couldnt": "could not",
    "i'm": "i am",
    "im": "i am",
    "i've": "i have",
    "ive": "i have",
    "i'd": "i would",
    "i'll": "i will",
    "it's": "it is",
    "what's": "what is",
    "whats": "what is",
    "that's": "that is",
    "thats": "that is",
    "there's": "there is",
    "who's": "who is",
    "how's": "how is",
    "where's": "where is",
    "you're": "you are",
    "youre": "you are",
    "they're": "they are",
    "we're": "we are",
    "let's": "let us",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "y'all": "you",
}

_ZERO_WIDTH = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_APOSTROPHES = re.compile("[\u2018\u2019\u02bc\u0060\u00b4]")
_HYPHENS = re.compile("[\u2010-\u2015\u2212]")
_NON_WORD = re.compile(r"[^\w']+")
_REPEATS = re.compile(r"(\w)\1{2,}")


# Letters of the eight languages that Unicode does not decompose into base + accent.
_UNDECOMPOSED = str.maketrans({"ł": "l", "œ": "oe", "æ": "ae", "ø": "o"})


def _strip_accents(text: str) -> str:
    """'wyłączyć' -> 'wylaczyc': people on phones often leave diacritics out."""
    decomposed = unicodedata.normalize("NFD", text.translate(_UNDECOMPOSED))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """Lowercase, fold accents and punctuation, expand contractions, squeeze repeats."""
    text = unicodedata.normalize("NFKC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = "".join(
        c if not unicodedata.category(c).startswith("C") else (" " if c.isspace() else "")
        for c in text
    )
    text = _APOSTROPHES.sub("'", text)
    text = _HYPHENS.sub("-", text)
    text = _strip_accents(text.casefold())
    text = text.replace("a.i.", "ai").replace("&", " and ")
    text = _NON_WORD.sub(" ", text.replace("_", " "))
    words = []
    for word in text.split():
        word = word.strip("'")
        if not word:
            continue
        word = _REPEATS.sub(r"\1\1", word)  # "pleeeease" -> "pleease"
        words.append(CONTRACTIONS.get(word, word.replace("'", "")))
    return " ".join(" ".join(words).split())


def tokens(text: str) -> list[str]:
    return normalize(text).split()
