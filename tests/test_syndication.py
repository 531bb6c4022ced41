"""Near-duplicate items (syndicated wire copies), re-reported quotes and independent sites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.syndication import (
    SyndicationIndex,
    containment,
    from_bytes,
    is_copy,
    item_signature,
    quote_key,
    same_site,
    signature,
    similarity,
    site,
    to_bytes,
)

T0 = datetime(2025, 3, 4, 9, tzinfo=UTC)

WIRE = """VILNIUS — The Lithuanian president said on Tuesday that his country would be ready to
host a multinational training mission for Ukrainian engineers once the fighting stops, adding
that the mission could begin within weeks of a ceasefire being signed. Speaking at a press
conference after a meeting of Baltic defence chiefs, he said the three states had agreed to
share the costs of barracks and ranges near the Polish border. "We are not talking about
combat units, we are talking about instructors and engineers," he told reporters. Officials in
Riga and Tallinn confirmed the outline of the plan but said the details would be settled at a
summit in June. The proposal follows months of debate among European allies about how to
support Kyiv after any truce, and several governments have asked for a clearer picture of the
mandate before committing money or personnel to it."""

# The same story as a regional paper runs it: a new first line, a word changed here and there,
# and the last sentence cut.
COPY = """The Lithuanian president said on Tuesday that his country would be ready to host a
multinational training mission for Ukrainian engineers once the fighting stops, adding that the
mission could start within weeks of a ceasefire being signed. Speaking at a news conference
after a meeting of Baltic defence chiefs, he said the three states had agreed to share the
costs of barracks and ranges near the Polish border. "We are not talking about combat units, we
are talking about instructors and engineers," he told reporters. Officials in Riga and Tallinn
confirmed the outline of the plan but said the details would be settled at a summit in June."""

# Another story on the same subject, in other words.
OTHER = """Finland's defence minister on Wednesday played down talk of a Nordic training mission
for Ukraine, saying no request had reached Helsinki and that any contribution would need the
approval of parliament. The minister said Finnish officers were already training Ukrainian
soldiers abroad under an EU programme and that this work would continue. Asked about the
Lithuanian offer, she said it was a national decision for Vilnius and that Finland would study
any formal proposal when it arrived. Opposition lawmakers in Helsinki called for a debate on
the mandate before the summer recess."""


def test_a_trimmed_and_edited_copy_is_a_copy_and_another_story_is_not() -> None:
    wire, copy, other = (item_signature("Lithuania offers training mission", t)
                         for t in (WIRE, COPY, OTHER))
    assert wire is not None and copy is not None and other is not None
    assert is_copy(wire, copy)
    assert similarity(wire, copy) > 0.5
    assert not is_copy(wire, other)
    assert similarity(wire, other) < 0.2 and containment(wire, other) < 0.5


def test_signatures_are_the_same_in_every_process_and_survive_storage() -> None:
    a, b = signature(WIRE), signature(WIRE)
    assert a is not None and b is not None
    assert to_bytes(a) == to_bytes(b)  # fixed seed: a signature stored by another worker compares
    back = from_bytes(to_bytes(a))
    assert back is not None and similarity(back, a) == 1.0


def test_a_stored_signature_that_cannot_be_read_is_ignored() -> None:
    assert from_bytes(b"not a signature") is None


def test_normalisation_ignores_case_accents_and_punctuation() -> None:
    a = signature(WIRE)
    b = signature(WIRE.upper().replace(",", "").replace("Polish", "Pölish"))
    assert a is not None and b is not None and similarity(a, b) == 1.0


def test_a_short_text_has_no_signature() -> None:
    assert signature("Leaders meet in Vilnius to discuss training mission") is None


def test_the_index_finds_the_story_first_item_within_the_window_only() -> None:
    index = SyndicationIndex()
    wire, copy, other = (item_signature("Lithuania offers training", t) for t in (WIRE, COPY, OTHER))
    assert wire and copy and other
    index.add(1, T0, wire)
    index.add(2, T0 + timedelta(hours=3), other)
    index.add(3, T0 + timedelta(hours=5), copy, root=1)   # a copy of item 1 stored earlier
    found = index.copy_of(copy, T0 + timedelta(hours=6))
    assert found is not None and found.root == 1
    assert index.copy_of(copy, T0 + timedelta(days=30)) is None  # outside the window


def test_expiring_forgets_old_items() -> None:
    index = SyndicationIndex()
    wire = signature(WIRE)
    assert wire
    index.add(1, T0, wire)
    assert index.expire(T0 + timedelta(days=1)) == 1
    assert len(index) == 0 and index.copy_of(wire, T0) is None


def test_a_quote_reframed_is_the_same_quote() -> None:
    first = 'Kallas said on Monday: "Europe must be ready to carry more of the burden."'
    later = '"Europe must be ready to carry more of the burden," Kallas told reporters in Tallinn.'
    accented = '“Europe MUST be ready to carry more of the burden!” said Kallas.'
    assert quote_key(first) == quote_key(later) == quote_key(accented)
    assert quote_key(first) != quote_key('Kallas said: "Europe must be ready to do less."')


def test_indirect_speech_is_keyed_on_the_whole_sentence() -> None:
    a = "Kallas said Europe must be ready to carry more of the burden."
    assert quote_key(a) == quote_key("Kallas said Europe must be ready to carry more of the burden")
    assert quote_key(a) != quote_key("Kallas said Europe must not carry more of the burden.")


def test_sites_compare_by_registrable_domain() -> None:
    assert site("https://feeds.bbci.co.uk/news/rss.xml") == "bbci.co.uk"
    assert site("https://www.example.com/a") == "example.com"
    assert same_site("https://rss.example.com/feed", "https://www.example.com/story")
    assert not same_site("https://wire.example/feed", "https://regional.example/feed")
