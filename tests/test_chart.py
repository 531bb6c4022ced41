"""The pictures: valid PNGs of a phone's width, the same bytes for the same data, and the
timeline's plain data (points, steps, shifts) as the chart shows them."""

from __future__ import annotations

import io
from datetime import date

import pytest

from bot.chart import matrix_png, stance_colours, timeline_png
from bot.matrix import Matrix
from bot.rules import RuleSet
from bot.timeline import Step, Timeline, first_words
from scripts.make_example_pictures import (
    TROOPS,
    actor_example,
    country_example,
    matrix_example,
    shifts,
    statements,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("kind", ["actor", "country", "matrix"])
def test_pictures_are_valid_pngs_readable_on_a_phone_and_the_same_twice(rules: RuleSet,
                                                                       kind: str) -> None:
    def draw() -> bytes:
        if kind == "actor":
            return timeline_png(actor_example(rules))
        if kind == "country":
            return timeline_png(country_example(rules))
        return matrix_png(matrix_example(rules), "Where countries stand")

    first, second = draw(), draw()
    assert first == second
    width, height = png_size(first)
    assert 900 <= width <= 1400 and 500 <= height <= 3000
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(first), format="png")
    assert pixels.shape[:2] == (height, width)
    assert pixels.std() > 0.05   # something is drawn, not a blank page


def test_different_data_gives_a_different_picture(rules: RuleSet) -> None:
    full = actor_example(rules)
    fewer = Timeline(full.title, full.panels[:1], full.start, full.end)
    assert timeline_png(full) != timeline_png(fewer)


def test_nothing_to_draw_is_refused_rather_than_an_empty_picture() -> None:
    with pytest.raises(ValueError, match="nothing to draw"):
        timeline_png(Timeline("x", (), date.min, date.min))
    with pytest.raises(ValueError, match="nothing to draw"):
        matrix_png(Matrix((TROOPS,), ("opposes",), ()), "x")


def test_a_dollar_in_a_quote_is_text_not_mathematics(rules: RuleSet) -> None:
    from dataclasses import replace

    said = [replace(s, evidence="It costs $5 billion and $3 more") for s in statements()]
    moved = [replace(s, evidence="It costs $5 billion and $3 more") for s in shifts()]
    from bot.timeline import actor_timeline

    t = actor_timeline("Macron", [s for s in said if s.actor_id == "emmanuel-macron"],
                       [s for s in moved if s.actor_id == "emmanuel-macron"], rules.labels_for)
    assert png_size(timeline_png(t))[0] > 0


def test_actor_timeline_steps_follow_confirmed_shifts_only(rules: RuleSet) -> None:
    t = actor_example(rules)
    troops = next(p for p in t.panels if p.topic == TROOPS)
    [series] = troops.series
    # recalled opposition, then two confirmed shifts; the unconfirmed one does not move the line
    assert series.steps == (Step(date(2023, 6, 12), "opposes"), Step(date(2024, 2, 26), "open"),
                            Step(date(2024, 5, 2), "conditional"))
    assert [p.recalled for p in series.points][:2] == [True, False]
    assert series.points[-1].unconfirmed and series.points[-1].stance == "supports"
    assert [n.unconfirmed for n in series.shifts] == [False, False, True]
    assert series.shifts[-1].words == "France is ready to lead…"


def test_country_timeline_joins_its_governments(rules: RuleSet) -> None:
    t = country_example(rules)
    [panel] = t.panels
    government = panel.series[0]
    assert government.government and government.label == "government (prime minister)"
    assert [s.stance for s in government.steps] == ["opposes", "open", "conditional", "supports"]
    assert panel.handovers == ((date(2024, 7, 5), "Keir Starmer"),)
    assert {s.label for s in panel.series[1:]} == {"Keir Starmer", "Rishi Sunak", "David Cameron",
                                                   "David Lammy"}


def test_stance_colours_run_from_against_to_for() -> None:
    four = stance_colours(("opposes", "open", "conditional", "supports"))
    assert four["opposes"] != four["supports"] and len(set(four.values())) == 4
    assert len(set(stance_colours(("no", "maybe", "yes")).values())) == 3


@pytest.mark.parametrize(("text", "words"), [
    ("“France is ready to lead a force,” he said.", "France is ready to lead…"),
    ("Short one.", "Short one."),
])
def test_first_words(text: str, words: str) -> None:
    assert first_words(text, 5) == words
