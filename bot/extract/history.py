"""When were the words said: the article's date, or a past one the text recalls.

A sentence is historical when it carries a marker from rules/language.yaml ("had said",
"at the time", "shortly after") or a date (outside quotations) more than `recent_days` before
the article ("in late February" in a May article, "two years ago", "in March 2024").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.extract.patterns import compile_phrases, one_of
from bot.rules import RuleSet


@dataclass(frozen=True)
class TimeReading:
    historical: bool
    said_on: date | None
    markers: tuple[str, ...]


class HistoryReader:
    """Dates and markers of rules/language.yaml, compiled once: months, their abbreviations and
    parts ("late February"), counted units ("two years ago"), the words before a date."""

    def __init__(self, rules: RuleSet):
        lang = rules.language
        self._markers = compile_phrases(list(lang.historical_markers))
        self._not_statement = compile_phrases(list(lang.date_not_statement))
        self.recent = timedelta(days=lang.recent_days)
        self._months = {m: i + 1 for i, m in enumerate(lang.month_names)}
        self._month_abbr = {a: self._months[m] for a in lang.month_abbreviations
                            for m in lang.month_names if m.startswith(a)}
        month_rx = "|".join(sorted([*map(re.escape, self._months),
                                    *(f"{re.escape(k)}\\.?" for k in self._month_abbr)],
                                   key=len, reverse=True))
        self._month_parts = dict(lang.month_parts)
        self._ambiguous_months = frozenset(lang.ambiguous_month_names)   # "may": the modal verb
        self._month_prepositions = tuple(f"{p} " for p in lang.month_prepositions)
        self._date = re.compile(
            rf"(?<![\w])(?:(?:{one_of(lang.date_prepositions)})\s+)?(?:({one_of(lang.month_parts)})\s*)?"
            rf"({month_rx})(?:\s+(\d{{1,2}})(?:st|nd|rd|th)?)?(?:,?\s+(\d{{4}}))?(?![\w])")
        self._year = re.compile(
            rf"(?<![\w])(?:{one_of(lang.year_prepositions)})\s+((?:19|20)\d{{2}})(?![\w])")
        self._numbers = dict(lang.number_words)
        self._units = dict(lang.time_units)
        self._ago = re.compile(rf"(?<![\w])(\d+|{one_of(lang.number_words)})\s+"
                               rf"({one_of(lang.time_units)})s?\s+ago(?![\w])")
        self._last = re.compile(rf"(?<![\w])last\s+({one_of(lang.units_after_last)})(?![\w])")
        # A month named after these looks ahead ("should use the summit in July", "will decide in
        # March"): it is next July, not the last one.
        self._future = re.compile(rf"(?<![\w'])(?:{one_of(lang.future_markers)})(?![\w])")

    def read(self, lower: str, published: date, quoted: list[tuple[int, int]]) -> TimeReading:
        def outside(pos: int) -> bool:
            return not any(a <= pos < b for a, b in quoted)

        markers: list[str] = []
        said_on: date | None = None
        if self._markers is not None:
            markers += [m.group(0) for m in self._markers.finditer(lower) if outside(m.start())]
        for day, text, pos in self._dates(lower, published):
            if not outside(pos) or self._about_something_else(lower, pos) or self._ahead(lower, pos, text):
                continue
            if day < published - self.recent:
                markers.append(text)
                said_on = said_on or day
        return TimeReading(bool(markers), said_on, tuple(markers))

    def _ahead(self, lower: str, pos: int, text: str) -> bool:
        if re.search(r"\d{4}|\bago\b|\blast\b", text):
            return False
        return self._future.search(" ".join(lower[max(0, pos - 80):pos].split()[-8:])) is not None

    def _about_something_else(self, lower: str, pos: int) -> bool:
        if self._not_statement is None:
            return False
        before = " ".join(lower[max(0, pos - 60):pos].split()[-4:])
        return self._not_statement.search(before) is not None

    def _dates(self, lower: str, published: date) -> list[tuple[date, str, int]]:
        out = []
        for m in self._date.finditer(lower):
            if m.group(2) in self._ambiguous_months and not (m.group(3) or m.group(4)) \
                    and not m.group(0).startswith(self._month_prepositions):
                continue  # the modal verb
            month_word = m.group(2).rstrip(".")
            month = self._months.get(month_word) or self._month_abbr.get(month_word[:4]) \
                or self._month_abbr.get(month_word[:3])
            if not month:
                continue
            part = m.group(1) or ""
            day_num = int(m.group(3)) if m.group(3) else self._month_parts.get(part, 15)
            year = int(m.group(4)) if m.group(4) else published.year
            if not m.group(4) and (month, day_num) > (published.month, published.day):
                year -= 1
            try:
                out.append((date(year, month, min(day_num, 28)), m.group(0), m.start()))
            except ValueError:
                continue
        for m in self._year.finditer(lower):
            year = int(m.group(1))
            if year < published.year:
                out.append((date(year, 12, 31), m.group(0), m.start()))
        for m in self._ago.finditer(lower):
            n = int(m.group(1)) if m.group(1).isdigit() else self._numbers[m.group(1)]
            out.append((published - timedelta(days=n * self._units[m.group(2)]), m.group(0), m.start()))
        for m in self._last.finditer(lower):
            out.append((published - timedelta(days=self._units[m.group(1)]), m.group(0), m.start()))
        return out
