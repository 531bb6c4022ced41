"""The cue-phrase language used in rules/*.yaml, compiled to regular expressions.

A phrase is words matched whole, case- and accent-insensitively:
- `word*`    any ending: `rul*` matches rule, rules, ruled, ruling
- `(a|b c)`  alternatives, each one or more words; `(a|b)?` optional
- `...`      a gap of up to three words
- `-` inside a word also matches a space or nothing: `cease-fire` ~ `cease fire`, `ceasefire`;
  a space between words also matches a hyphen (`5 percent` ~ `5-percent`) or a comma and a space
  (`difficult if not` ~ `difficult, if not`): a cue runs on across a comma
- a word of symbols only may touch the word before it: `5 %` ~ `5%`, `5 %`
Everything else is literal. Phrases are matched against folded text (see bot.textnorm).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from bot.textnorm import fold_lower


class PatternError(ValueError):
    """A phrase that cannot be compiled."""


_WORD_BOUNDARY_L = r"(?<![\w'])"
_WORD_BOUNDARY_R = r"(?![\w])"
# A quotation mark may open or close a word: 'backed the Commission "fully"', '"will not abandon" its'.
# Between words: white space (a comma may end the first word, a quotation mark open or close
# either), or a hyphen: "five percent" matches "five-percent", "difficult if not" "difficult, if not".
_SEP = r'(?:,?"?\s+"?|-)'
# Before a symbol ("5%", "5 %"), the space is optional.
_SEP_SYMBOL = r'(?:"?\s*"?|-)'
GAP = r"(?:\s+\"?[\w'.,\"-]+){0,3}?"


def _word(token: str) -> str:
    star = token.endswith("*")
    token = token[:-1] if star else token
    if not token:
        raise PatternError("a lone * is not a word")
    parts = [re.escape(p) for p in token.split("-")]
    body = r"(?:-|\s)?".join(parts)
    return body + (r"[\w'-]*" if star else "")


def _is_symbol(token: str) -> bool:
    return not re.search(r"\w", token)


def _units(phrase: str) -> list[tuple[str, str]]:
    """A phrase -> ("word", regex) / ("group", regex) / ("opt", regex) / ("gap", "") units;
    a "word" or "group" that may start with a symbol is "symbol-word" / "symbol-group"."""
    units: list[tuple[str, str]] = []
    i = 0
    while i < len(phrase):
        ch = phrase[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            close = phrase.find(")", i)
            if close < 0:
                raise PatternError("unbalanced (")
            inner = phrase[i + 1:close]
            if "(" in inner:
                raise PatternError("nested ( ) is not supported")
            alts = []
            for alt in inner.split("|"):
                words = alt.split()
                if not words or "..." in words:
                    raise PatternError("empty alternative" if not words else "... inside ( )")
                alts.append(r"\s+".join(_word(w) for w in words))
            optional = close + 1 < len(phrase) and phrase[close + 1] == "?"
            kind = "opt" if optional else "group"
            if any(_is_symbol(alt.split()[0]) for alt in inner.split("|")):
                kind = "symbol-" + kind
            units.append((kind, "(?:" + "|".join(alts) + ")"))
            i = close + (2 if optional else 1)
        elif ch == ")":
            raise PatternError("unbalanced )")
        else:
            j = i
            while j < len(phrase) and not phrase[j].isspace() and phrase[j] not in "()":
                j += 1
            token = phrase[i:j]
            if token == "...":
                units.append(("gap", ""))
            else:
                units.append(("symbol-word" if _is_symbol(token) else "word", _word(token)))
            i = j
    if not units:
        raise PatternError("empty phrase")
    if units[0][0] == "gap" or units[-1][0] == "gap":
        raise PatternError("... must stand between two words")
    if all(kind.endswith("opt") for kind, _ in units):
        raise PatternError("a phrase needs at least one required word")
    return units


def _to_regex(phrase: str) -> str:
    out = ""
    need_space = False  # whether the next required unit must be preceded by white space
    for kind, rx in _units(phrase):
        sep = _SEP_SYMBOL if kind.startswith("symbol-") else _SEP
        if kind == "gap":
            out += GAP
            need_space = True
        elif kind.endswith("opt"):
            out += rf"(?:{sep}{rx})?" if need_space else rf"(?:{rx}{_SEP})?"
        else:
            out += (sep if need_space else "") + rx
            need_space = True
    return out


@lru_cache(maxsize=8192)
def _after_boundary(phrase: str) -> str:
    """A phrase's regex source from its first word on: every phrase starts at a word boundary."""
    if not isinstance(phrase, str) or not phrase.strip():
        raise PatternError("empty phrase")
    source = _to_regex(fold_lower(phrase.strip()))
    try:
        re.compile(source)
    except re.error as exc:  # pragma: no cover - every construct above is escaped
        raise PatternError(str(exc)) from None
    return source + _WORD_BOUNDARY_R


def compile_phrase(phrase: str) -> str:
    """One phrase -> a regex source (without flags) over folded, lower-case text."""
    return _WORD_BOUNDARY_L + _after_boundary(phrase)


def compile_phrases(phrases: tuple[str, ...] | list[str]) -> re.Pattern[str] | None:
    """Several phrases as one alternation, longest first; None when there are none.

    The word boundary they all start with is tested once, before the alternation: `re` tries
    every alternative at every position, and inside a word each failed on that same test
    (the reporting verbs ran 15 times slower with it repeated in each)."""
    if not phrases:
        return None
    ordered = sorted(set(phrases), key=len, reverse=True)
    return re.compile(_WORD_BOUNDARY_L + "(?:" + "|".join(f"(?:{_after_boundary(p)})" for p in ordered)
                      + ")")


# One unit of a phrase: "(a|b c)" with an optional "?", or a word.
_UNIT = re.compile(r"\(([^()]*)\)(\?)?|([^\s()]+)")


def required_literals(phrase: str) -> tuple[tuple[str, ...], ...]:
    """Plain strings a match of `phrase` must contain: one of each tuple, longest tuples first.

    Each required word (or group of alternatives) contributes its longest literal piece (the
    stem of `rul*`, one half of `cease-fire`); optional groups and gaps contribute nothing.
    A text lacking them cannot match, so the substring test may reject, never wrongly accept.
    """
    def piece(words: list[str]) -> str:
        return max((p for w in words for p in w.rstrip("*").split("-")), key=len, default="")

    units: list[tuple[str, ...]] = []
    for m in _UNIT.finditer(fold_lower(phrase.strip())):
        group, optional, word = m.groups()
        if group is not None:
            alts = tuple(piece(alt.split()) for alt in group.split("|"))
            if not optional and all(alts):
                units.append(tuple(sorted(set(alts))))
        elif word != "...":
            lit = piece([word])
            if lit:
                units.append((lit,))
    return tuple(sorted(set(units), key=lambda u: -min(map(len, u))))


def has_literals(units: tuple[tuple[str, ...], ...], text: str, seen: dict[str, bool]) -> bool:
    """Whether `text` holds one literal of each unit (`required_literals`); `seen` caches the
    substring tests across the phrases tried on one text."""
    # plain loops: this runs for every phrase on every text, and nested generators cost more
    # here than the substring tests themselves
    for unit in units:
        for lit in unit:
            present = seen.get(lit)
            if present is None:
                present = seen[lit] = lit in text
            if present:
                break
        else:
            return False
    return True


def one_of(words: Iterable[str]) -> str:
    """The words of a language.yaml word list as a regex alternation, in their order (put a word
    before the shorter words it starts with where the regex after it does not decide). An empty
    list matches nothing."""
    return "|".join(re.escape(w) for w in words) or "(?!)"
