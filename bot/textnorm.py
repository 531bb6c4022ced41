"""Text folding that keeps offsets: every character maps to exactly one character.

Matching runs on folded text (accents stripped, typographic quotes and dashes made plain) so
that "Radosław", "Radoslaw" and "RADOSLAW" meet, while evidence is cut from the original text
at the same offsets.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters that Unicode does not decompose into a base letter and a mark.
_SPECIAL = {
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "s", "æ": "a", "Æ": "A",
    "œ": "o", "Œ": "O", "ı": "i", "İ": "I", "þ": "t", "Þ": "T", "ð": "d", "Ð": "D",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2033": '"', "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2015": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": " ", "\u2026": ".",
}


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    if ord(ch) < 128:
        return ch
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if len(base) == 1 else ch


class _FoldTable(dict[int, str]):
    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Strip accents and normalise quotes and dashes; the result has the same length."""
    if text.isascii():
        return text
    return text.translate(_TABLE)


def fold_lower(text: str) -> str:
    """`fold` then lower-case, still the same length (lower() of a folded char stays one char)."""
    folded = fold(text)
    lowered = folded.lower()
    if len(lowered) == len(folded):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)


_NOT_ALNUM = re.compile(r"[\W_]+")


def squash(text: str) -> str:
    """A key for comparing names and quotes: folded, lower case, letters and digits only."""
    return " ".join(_NOT_ALNUM.sub(" ", fold_lower(text)).split())
