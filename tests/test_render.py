"""Alerts and positions in every format: magnitude in words, extra sources, unconfirmed stances,
and escaping of feed text."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.models import Pending, Position
from bot.render import (
    AlertView,
    duration_text,
    pending_note,
    plural,
    position_json,
    position_line,
    shift_json,
    shift_slack,
    shift_telegram_html,
    shift_text,
)

DAY = datetime(2025, 5, 2, 9, tzinfo=UTC)
BEFORE = datetime(2025, 3, 1, 9, tzinfo=UTC)

ALERT = AlertView(
    shift_id=7, actor="Tove Lindqvist", actor_id="tove-lindqvist", country="SE",
    topic="troops-to-ukraine", from_stance="opposes", to_stance="conditional", magnitude=2,
    item="w9", url="https://wire.example/news/w9", published=DAY,
    evidence="Swedish troops could go <after> a truce & only then, she said.", confidence=0.9,
    prev_item="w1", prev_url="https://wire.example/news/w1", prev_published=BEFORE,
    prev_evidence="No Swedish soldiers will go.",
    copies=(("Regional Daily", "https://regional.example/r3"),
            ("Evening <Post>", "https://evening.example/e1")),
    corroborated_by="https://daily.example/d2")


def test_text_alert_names_the_magnitude_and_lists_every_extra_source() -> None:
    text = shift_text(ALERT)
    assert text.splitlines()[0] == ("SHIFT Tove Lindqvist (SE) on troops-to-ukraine: opposes ->"
                                    " conditional [full flop, two steps]")
    assert "  confirmed by: https://daily.example/d2" in text
    assert "  also reported by Regional Daily: https://regional.example/r3" in text
    assert text.index("confirmed by") < text.index("before (2025-03-01")


def test_json_alert_keeps_its_keys_and_adds_magnitude_label_and_sources() -> None:
    data = shift_json(ALERT)
    assert (data["magnitude"], data["magnitude_label"]) == (2, "full flop")
    assert data["corroborated_by"] == "https://daily.example/d2"
    assert data["also_reported_by"][0] == {"feed": "Regional Daily",
                                           "url": "https://regional.example/r3"}
    assert {"type", "item", "url", "from", "to", "evidence", "previous"} <= set(data)
    json.dumps(data)


def test_telegram_alert_shows_magnitude_and_escaped_source_links() -> None:
    html = shift_telegram_html(ALERT)
    assert "<b>opposes → conditional</b> (full flop)" in html
    assert '<a href="https://daily.example/d2">confirmed by a second source</a>' in html
    assert '<a href="https://evening.example/e1">Evening &lt;Post&gt;</a>' in html
    assert "&lt;after&gt; a truce &amp; only" in html


def test_slack_alert_shows_magnitude_and_sources_in_blocks() -> None:
    fallback, blocks = shift_slack(ALERT)
    texts = json.dumps(blocks)
    assert "full flop (two steps)" in texts
    also = blocks[-1]["elements"][0]["text"]
    assert also.startswith("Also: <https://daily.example/d2|confirmed by a second source>")
    assert "<https://evening.example/e1|Evening &lt;Post&gt;>" in also
    assert "<after>" not in fallback


def test_slack_alert_links_the_source_and_the_earlier_statement() -> None:
    _, blocks = shift_slack(replace(ALERT, prev_url="https://wire.example/news/w1?a=1&b=<2>"))
    [links] = [b["text"]["text"] for b in blocks if b["type"] == "section"
               and "Read the source" in b["text"]["text"]]
    assert links == ("<https://wire.example/news/w9|Read the source> · "
                     "<https://wire.example/news/w1?a=1&amp;b=&lt;2&gt;|The earlier statement "
                     "(2025-03-01)>")


def test_slack_alert_without_an_earlier_link_links_the_source_only() -> None:
    _, blocks = shift_slack(replace(ALERT, prev_url=""))
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert "<https://wire.example/news/w9|Read the source>" in sections
    assert "earlier statement" not in json.dumps(blocks)


def test_plural_counts_one_thing_in_the_singular() -> None:
    assert [plural(n, "shift") for n in (0, 1, 2)] == ["0 shifts", "1 shift", "2 shifts"]
    assert plural(3, "entry", "entries") == "3 entries"
    assert plural(1, "entry", "entries") == "1 entry"


def test_durations_read_as_the_settings_take_them() -> None:
    assert [duration_text(v) for v in (0.5, 30, 600, 90 * 60 + 1, timedelta(hours=48),
                                       timedelta(days=7), None)] == [
        "0.5s", "30s", "10m", "5401s", "48h", "7d", "off"]


def test_an_alert_with_no_extra_sources_shows_none() -> None:
    plain = replace(ALERT, copies=(), corroborated_by="", magnitude=1)
    assert "also reported" not in shift_text(plain) and "confirmed by" not in shift_text(plain)
    assert "[half flip, one step]" in shift_text(plain)
    assert "Also:" not in shift_telegram_html(plain)
    assert all(b["type"] != "context" or "Also:" not in json.dumps(b) for b in shift_slack(plain)[1])


def test_many_copies_are_summarised() -> None:
    many = replace(ALERT, corroborated_by="",
                   copies=tuple((f"Feed {i}", f"https://f{i}.example/x") for i in range(12)))
    assert "  and: 4 more" in shift_text(many)


POSITION = Position("tove-lindqvist", "Tove Lindqvist", "SE", "troops-to-ukraine", "opposes",
                    BEFORE, "No Swedish soldiers will go.", "https://wire.example/news/w1", "w1")


def test_a_position_without_a_held_shift_has_no_note() -> None:
    assert pending_note(POSITION) == ""
    assert position_json(POSITION)["unconfirmed"] is None
    assert "unconfirmed" not in position_line(POSITION)


def test_a_held_shift_shows_as_unconfirmed_next_to_the_standing_stance() -> None:
    held = replace(POSITION, pending=Pending("conditional", DAY, "After a truce, an aide said.",
                                             "https://wire.example/news/w9"))
    line = position_line(held)
    assert line.splitlines()[0] == ("Tove Lindqvist (SE) on troops-to-ukraine: opposes since "
                                    "2025-03-01 (unconfirmed: conditional since 2025-05-02, one"
                                    " source, awaiting a second)")
    assert "https://wire.example/news/w9" in line
    data = position_json(held)
    assert data["stance"] == "opposes"
    assert data["unconfirmed"] == {"stance": "conditional", "since": DAY.isoformat(),
                                   "evidence": "After a truce, an aide said.",
                                   "url": "https://wire.example/news/w9"}


def test_a_telegram_alert_fits_one_message_however_long_the_quotes() -> None:
    alert = replace(ALERT, evidence="Troops & tanks " * 400, prev_evidence="<no> " * 900)
    html_text = shift_telegram_html(alert)
    assert len(html_text) < 4096
    assert html_text.count("…") == 2
