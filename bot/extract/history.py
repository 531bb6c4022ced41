"""When were the words said: the article's date, or a past one the text recalls.

A sentence is historical when it carries a marker from rules/language.yaml ("had said",
"at the time", "shortly after") or a date (outside quotations) more than `recent_days` before
the article ("in late February" in a May article, "two years ago", "in March 2024").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.extract.patterns import compile_phrases
from bot.rules import RuleSet

_MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
_MONTH_ABBR = {m[:3]: i for m, i in _MONTHS.items()} | {"sept": 9}
_MONTH_RX = "|".join(
    sorted([*_MONTHS, *(f"{k}\\.?" for k in _MONTH_ABBR)], key=len, reverse=True))
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "several": 3, "few": 3, "ten": 10}
_DATE = re.compile(
    rf"(?<![\w])(?:(?:in|on|by|during|since|from|until|of)\s+)?(?:(early|mid|late|mid-)\s*)?"
    rf"({_MONTH_RX})(?:\s+(\d{{1,2}})(?:st|nd|rd|th)?)?(?:,?\s+(\d{{4}}))?(?![\w])")
_YEAR = re.compile(r"(?<![\w])(?:in|during|since|of)\s+((?:19|20)\d{2})(?![\w])")
_AGO = re.compile(r"(?<![\w])(\d+|a|an|one|two|three|four|five|six|several|few|ten)\s+"
                  r"(day|week|month|year)s?\s+ago(?![\w])")
_LAST = re.compile(r"(?<![\w])last\s+(week|month|year)(?![\w])")


# A month named after these looks ahead ("should use the summit in July", "will decide in
# March"): it is next July, not the last one.
_FUTURE = re.compile(r"(?<![\w'])(?:will|shall|should|would|'ll|next|upcoming|coming|planned|scheduled|due)"
                     r"(?![\w])")


def _ahead(lower: str, pos: int, text: str) -> bool:
    if re.search(r"\d{4}|\bago\b|\blast\b", text):
        return False
    return _FUTURE.search(" ".join(lower[max(0, pos - 80):pos].split()[-8:])) is not None


@dataclass(frozen=True)
class TimeReading:
    historical: bool
    said_on: date | None
    markers: tuple[str, ...]


class HistoryReader:
    def __init__(self, rules: RuleSet):
        lang = rules.language
        self._markers = compile_phrases(list(lang.historical_markers))
        self._not_statement = compile_phrases(list(lang.date_not_statement))
        self.recent = timedelta(days=lang.recent_days)

    def read(self, lower: str, published: date, quoted: list[tuple[int, int]]) -> TimeReading:
        def outside(pos: int) -> bool:
            return not any(a <= pos < b for a, b in quoted)

        markers: list[str] = []
        said_on: date | None = None
        if self._markers is not None:
            markers += [m.group(0) for m in self._markers.finditer(lower) if outside(m.start())]
        for day, text, pos in self._dates(lower, published):
            if not outside(pos) or self._about_something_else(lower, pos) or _ahead(lower, pos, text):
                continue
            if day < published - self.recent:
                markers.append(text)
                said_on = said_on or day
        return TimeReading(bool(markers), said_on, tuple(markers))

    def _about_something_else(self, lower: str, pos: int) -> bool:
        if self._not_statement is None:
            return False
        before = " ".join(lower[max(0, pos - 60):pos].split()[-4:])
        return self._not_statement.search(before) is not None

    @staticmethod
    def _dates(lower: str, published: date) -> list[tuple[date, str, int]]:
        out = []
        for m in _DATE.finditer(lower):
            if m.group(2) == "may" and not (m.group(3) or m.group(4)) and not m.group(0).startswith(
                    ("in ", "during ", "since ", "until ", "by ", "of ")):
                continue  # the modal verb
            month_word = m.group(2).rstrip(".")
            month = _MONTHS.get(month_word) or _MONTH_ABBR.get(month_word[:4]) or _MONTH_ABBR.get(
                month_word[:3])
            if not month:
                continue
            part = m.group(1) or ""
            day_num = int(m.group(3)) if m.group(3) else {"early": 5, "mid": 15, "mid-": 15,
                                                         "late": 25}.get(part, 15)
            year = int(m.group(4)) if m.group(4) else published.year
            if not m.group(4) and (month, day_num) > (published.month, published.day):
                year -= 1
            try:
                out.append((date(year, month, min(day_num, 28)), m.group(0), m.start()))
            except ValueError:
                continue
        for m in _YEAR.finditer(lower):
            year = int(m.group(1))
            if year < published.year:
                out.append((date(year, 12, 31), m.group(0), m.start()))
        for m in _AGO.finditer(lower):
            n = int(m.group(1)) if m.group(1).isdigit() else _NUMBERS[m.group(1)]
            unit = {"day": 1, "week": 7, "month": 30, "year": 365}[m.group(2)]
            out.append((published - timedelta(days=n * unit), m.group(0), m.start()))
        for m in _LAST.finditer(lower):
            unit = {"week": 7, "month": 30, "year": 365}[m.group(1)]
            out.append((published - timedelta(days=unit), m.group(0), m.start()))
        return out
