"""Paragraphs, sentences and quotations of an item's text, with offsets.

A regex splitter: fast (it must cost a fraction of feedparser's own parse) and good enough
for news prose, which is what it is tuned for: abbreviations (U.S., Gen., Feb.: the
`abbreviations` of rules/language.yaml) and initials do not end a sentence; quotations may run
over several sentences and paragraphs.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

# A sentence ends at . ! or ? (closing quotes and brackets may follow), then white space,
# then something that can start a sentence.
_END = re.compile(r"""[.!?]+["'\u201d\u2019)\]]*(?=\s+["'\u201c\u2018(\[]?[A-Z0-9\u00c0-\u024f])""")
_OPEN_QUOTES = "\u201c\u00ab\u201e"
_CLOSE_QUOTES = "\u201d\u00bb"


@dataclass(frozen=True)
class Sentence:
    """One sentence; offsets are into the item's full text."""

    index: int
    paragraph: int
    start: int
    end: int
    text: str
    quotes: tuple[tuple[int, int], ...]   # quotation spans, relative to `start`
    starts_in_quote: bool                 # begins inside a quotation (or with an opening quote)
    is_title: bool = False

    def inside_quote(self, pos: int) -> bool:
        return any(a <= pos < b for a, b in self.quotes)

    @property
    def fully_quoted(self) -> bool:
        """No words outside quotation marks."""
        outside = list(self.text)
        for a, b in self.quotes:
            outside[a:b] = " " * (b - a)
        return not re.search(r"[A-Za-z]{2,}", "".join(outside))


def quote_spans(text: str, open_at_start: bool = False) -> tuple[list[tuple[int, int]], bool]:
    """Quotation spans in `text` (inclusive of the marks) and whether one is left open."""
    spans: list[tuple[int, int]] = []
    start: int | None = 0 if open_at_start else None
    for i, ch in enumerate(text):
        if ch in _OPEN_QUOTES:
            if start is None:
                start = i
        elif ch in _CLOSE_QUOTES:
            if start is not None:
                spans.append((start, i + 1))
                start = None
        elif ch == '"':
            if start is None:
                start = i
            else:
                spans.append((start, i + 1))
                start = None
    if start is not None:
        spans.append((start, len(text)))
        return spans, True
    return spans, False


def split_sentences(text: str, *, title: str = "", abbreviations: frozenset[str]) -> list[Sentence]:
    """Split an item (title first, as its own paragraph) into sentences; a full stop after one of
    `abbreviations` (lower-case, without their last full stop: "gen", "u.s") ends none."""
    sentences: list[Sentence] = []
    paragraph = 0
    blocks: list[tuple[str, int, bool]] = []
    if title.strip():
        blocks.append((title, -len(title) - 2, True))
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            blocks.append((line, pos, False))
        pos += len(line) + 1
    for block, base, is_title in blocks:
        # An unclosed quote ends with its paragraph; a paragraph that continues it opens with
        # a quote mark again (news style), which `starts_in_quote` records.
        spans, _ = quote_spans(block)
        starts = [0]
        for m in _END.finditer(block):
            end = m.end()
            word = re.search(r"([\w.]+)[.!?]*[\"'\u201d\u2019)\]]*$", block[:end])
            token = (word.group(1) if word else "").lower().rstrip(".")
            if block[m.start()] == "." and (token in abbreviations or re.fullmatch(r"[a-z]", token)):
                continue
            starts.append(end)
        starts.append(len(block))
        for a, b in itertools.pairwise(starts):
            raw = block[a:b]
            lead = len(raw) - len(raw.lstrip())
            body = raw.strip()
            if not body:
                continue
            s0 = a + lead
            rel = tuple((max(x, s0) - s0, min(y, s0 + len(body)) - s0)
                        for x, y in spans if y > s0 and x < s0 + len(body))
            starts_in_quote = any(x <= 0 for x, _ in rel) or body[0] in _OPEN_QUOTES + '"'
            sentences.append(Sentence(
                index=len(sentences), paragraph=paragraph, start=base + s0,
                end=base + s0 + len(body), text=body, quotes=rel,
                starts_in_quote=starts_in_quote, is_title=is_title))
        paragraph += 1
    return sentences
