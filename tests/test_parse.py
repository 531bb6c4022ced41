"""Feed bytes -> items: keys that survive bad guids, dates clamped, markup removed, bad bodies named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.parse import html_to_text, item_key, key_field, parse_feed
from tests.feedserver import item as feed_item
from tests.feedserver import rss as feed_xml

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
FEED = "https://news.example.org/rss"


def rss(*items: str) -> bytes:
    return feed_xml(list(items), title="Example news").encode()


def entry(n: int, *, guid: str | None = None, link: str | None = None,
          when: datetime | None = None, title: str | None = None) -> str:
    """An item with only the parts asked for: no guid, link or date unless given."""
    return feed_item(n, guid=guid, link=link, when=when, title=title, description=f"Body of story {n}.")


def keys(body: bytes) -> list[str]:
    parsed = parse_feed(body, FEED, now=NOW)
    assert parsed.problem is None
    return [i.guid for i in parsed.items]


def test_good_guids_are_the_keys() -> None:
    assert keys(rss(*(entry(n, guid=f"g{n}", link=f"https://x.example/{n}") for n in range(3)))) \
        == ["g0", "g1", "g2"]


def test_repeated_guids_switch_the_whole_fetch_to_links() -> None:
    body = rss(*(entry(n, guid="same", link=f"https://x.example/{n}") for n in range(4)))
    assert keys(body) == [f"https://x.example/{n}" for n in range(4)]


def test_missing_guids_and_links_fall_back_to_a_hash_that_is_stable_across_fetches() -> None:
    body = rss(*(entry(n, when=datetime(2025, 3, 1, 8, tzinfo=UTC)) for n in range(3)))
    first = keys(body)
    assert len(set(first)) == 3 and all(k.startswith("sha1:") for k in first)
    later = parse_feed(body, FEED, now=NOW + timedelta(hours=5))
    assert [i.guid for i in later.items] == first


def test_undated_items_without_guid_keep_their_key_although_their_date_is_the_fetch_time() -> None:
    body = rss(entry(1), entry(2))
    one = parse_feed(body, FEED, now=NOW)
    two = parse_feed(body, FEED, now=NOW + timedelta(days=1))
    assert [i.guid for i in one.items] == [i.guid for i in two.items]
    assert [i.published for i in one.items] == [NOW, NOW]


def test_a_few_blank_guids_do_not_change_the_keys_of_the_others() -> None:
    entries = [entry(n, guid=f"g{n}", link=f"https://x.example/{n}") for n in range(40)]
    entries.append(entry(99, link="https://x.example/99"))
    got = keys(rss(*entries))
    assert got[:40] == [f"g{n}" for n in range(40)]
    assert got[40] == "https://x.example/99"


def test_one_repeated_guid_among_many_keeps_both_items() -> None:
    entries = [entry(n, guid=f"g{n}", link=f"https://x.example/{n}") for n in range(40)]
    entries.append(entry(40, guid="g0", link="https://x.example/40"))
    got = keys(rss(*entries))
    assert len(got) == 41 and len(set(got)) == 41


def test_the_very_same_entry_twice_is_one_item() -> None:
    same = entry(1, when=datetime(2025, 3, 1, 8, tzinfo=UTC))
    assert len(keys(rss(same, same))) == 1


def test_key_field_tolerates_five_percent_of_bad_guids() -> None:
    links = [f"l{n}" for n in range(20)]
    assert key_field([f"g{n}" for n in range(19)] + [""], links) == "guid"
    assert key_field([f"g{n}" for n in range(18)] + ["", ""], links) == "link"
    assert key_field([""] * 20, [""] * 20) == "hash"


def test_item_key_is_never_empty() -> None:
    assert item_key("", "", "", None).startswith("sha1:")
    assert item_key("", "", "", None, "some text") != item_key("", "", "", None, "other text")


def test_future_dates_are_clamped_to_the_fetch_time_and_old_dates_kept() -> None:
    body = rss(entry(1, guid="a", when=datetime(2030, 3, 1, 8, tzinfo=UTC)),
               entry(2, guid="b", when=datetime(1999, 3, 1, 8, tzinfo=UTC)))
    items = parse_feed(body, FEED, now=NOW).items
    assert items[0].published == NOW
    assert items[1].published == datetime(1999, 3, 1, 8, tzinfo=UTC)


def test_scripts_styles_and_markup_leave_only_text() -> None:
    text = html_to_text('<p>Hello <b>there</b></p><script>alert("x")</script>'
                        "<style>p{color:red}</style><p>Second &amp; last</p>")
    assert text == "Hello there\nSecond & last"


def test_embedded_frames_objects_and_drawings_leave_no_fallback_text() -> None:
    # feedparser's sanitiser is off (bot/parse.py): these must not reach extraction either
    text = html_to_text("<p>The minister spoke.</p><iframe src='https://x.test'>Your browser "
                        "cannot show frames</iframe><object data='a.swf'>Install a plugin</object>"
                        "<svg><text>Chart: troops</text></svg><p>Then she left.</p>")
    assert text == "The minister spoke.\nThen she left."


def test_escaped_html_in_a_description_becomes_text() -> None:
    body = rss(feed_item(1, guid="g", description="&lt;script&gt;steal()&lt;/script&gt;"
                                                  "&lt;p&gt;The minister spoke.&lt;/p&gt;"))
    (item,) = parse_feed(body, FEED, now=NOW).items
    assert item.text == "The minister spoke."


@pytest.mark.parametrize(("body", "problem"), [
    (b"<!DOCTYPE html><html><head><title>Home</title></head><body>Hi</body></html>", "HTML page"),
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"\x00\xffnot xml at all", "not a feed"),
    (b"plain words", "not a feed"),
])
def test_bodies_that_are_not_feeds_are_named(body: bytes, problem: str) -> None:
    parsed = parse_feed(body, FEED, now=NOW)
    assert parsed.items == []
    assert parsed.problem is not None and problem in parsed.problem


def test_an_empty_but_valid_feed_is_not_a_problem() -> None:
    parsed = parse_feed(rss(), FEED, now=NOW)
    assert parsed.problem is None and parsed.items == [] and parsed.title == "Example news"


def test_ttl_is_read_and_nonsense_ignored() -> None:
    def ttl(value: str) -> int | None:
        body = rss().replace(b"<title>Example news</title>",
                             f"<title>E</title><ttl>{value}</ttl>".encode())
        return parse_feed(body, FEED, now=NOW).ttl_minutes

    assert ttl("90") == 90
    assert ttl("soon") is None
