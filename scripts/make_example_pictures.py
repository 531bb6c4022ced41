"""Draw the README's example pictures (docs/chart-actor.png, docs/chart-country.png,
docs/matrix.png) from a small made-up fixture: invented sentences, plausible dates.

    python scripts/make_example_pictures.py [--out docs]

The same fixture feeds tests/test_chart.py, so the pictures in docs/ are what the tests draw.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from pathlib import Path

from bot.chart import matrix_png, timeline_png
from bot.governments import voice_tenures
from bot.matrix import Matrix, actor_roles, build_matrix
from bot.rules import RuleSet, load_rules
from bot.store.views import PositionRow, ShiftRow, StatementRow
from bot.timeline import Timeline, actor_timeline, country_timeline

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2025, 6, 1)
TROOPS, NATO = "troops-to-ukraine", "ukraine-nato-membership"

# (actor id, name, country, topic, stance, day said, recalled, sentence)
SAID = [
    ("emmanuel-macron", "Emmanuel Macron", "FR", TROOPS, "opposes", date(2023, 6, 12), True,
     "Back in June the president said no French soldier would set foot in Ukraine."),
    ("emmanuel-macron", "Emmanuel Macron", "FR", TROOPS, "open", date(2024, 2, 26), False,
     "Nothing should be ruled out, including troops on the ground, the president told reporters."),
    ("emmanuel-macron", "Emmanuel Macron", "FR", TROOPS, "open", date(2024, 3, 14), False,
     "We will not exclude any option to make sure Russia cannot win, he said in a television interview."),
    ("emmanuel-macron", "Emmanuel Macron", "FR", TROOPS, "conditional", date(2024, 5, 2), False,
     "If the front line broke and Kyiv asked for it, we would have to ask ourselves the question."),
    ("emmanuel-macron", "Emmanuel Macron", "FR", TROOPS, "conditional", date(2025, 2, 17), False,
     "A reassurance force could follow a ceasefire, never before one, the president said."),
    ("emmanuel-macron", "Emmanuel Macron", "FR", TROOPS, "supports", date(2025, 3, 11), False,
     "France is ready to lead a force of several thousand soldiers, the Elysee said."),
    ("emmanuel-macron", "Emmanuel Macron", "FR", NATO, "conditional", date(2023, 7, 11), False,
     "Ukraine's path to membership is irreversible once the war is over, he said in Vilnius."),
    ("emmanuel-macron", "Emmanuel Macron", "FR", NATO, "supports", date(2024, 7, 10), False,
     "Ukraine belongs in the alliance, the president said at the Washington summit."),
    ("rishi-sunak", "Rishi Sunak", "GB", TROOPS, "opposes", date(2024, 2, 27), False,
     "There are no plans for a large-scale deployment, the prime minister's spokesman said."),
    ("rishi-sunak", "Rishi Sunak", "GB", TROOPS, "opposes", date(2024, 5, 20), False,
     "British troops will not be sent to fight in Ukraine, Sunak told the Commons."),
    ("david-cameron", "David Cameron", "GB", TROOPS, "opposes", date(2024, 3, 4), False,
     "We are not going to send combat troops, the foreign secretary said."),
    ("keir-starmer", "Keir Starmer", "GB", TROOPS, "open", date(2024, 11, 20), False,
     "We will look at every option to keep Ukraine in the fight, Starmer said."),
    ("keir-starmer", "Keir Starmer", "GB", TROOPS, "conditional", date(2025, 2, 16), False,
     "Britain is ready to put troops on the ground if there is a lasting peace deal."),
    ("keir-starmer", "Keir Starmer", "GB", TROOPS, "supports", date(2025, 3, 2), False,
     "The United Kingdom is prepared to back a deal with boots on the ground and planes in the air."),
    ("david-lammy", "David Lammy", "GB", TROOPS, "conditional", date(2025, 2, 18), False,
     "Any British deployment would need an American backstop, the foreign secretary said."),
]

# (actor id, topic, from, to, published, status)
MOVES = [
    ("emmanuel-macron", TROOPS, "opposes", "open", date(2024, 2, 26), "confirmed"),
    ("emmanuel-macron", TROOPS, "open", "conditional", date(2024, 5, 2), "confirmed"),
    ("emmanuel-macron", TROOPS, "conditional", "supports", date(2025, 3, 11), "unconfirmed"),
    ("emmanuel-macron", NATO, "conditional", "supports", date(2024, 7, 10), "confirmed"),
    ("keir-starmer", TROOPS, "open", "conditional", date(2025, 2, 16), "confirmed"),
    ("keir-starmer", TROOPS, "conditional", "supports", date(2025, 3, 2), "confirmed"),
]

# (actor id, name, country, topic, stance, since)
HELD = [
    ("emmanuel-macron", "Emmanuel Macron", "FR", TROOPS, "conditional", date(2024, 5, 2)),
    ("emmanuel-macron", "Emmanuel Macron", "FR", NATO, "supports", date(2024, 7, 10)),
    ("keir-starmer", "Keir Starmer", "GB", TROOPS, "supports", date(2025, 3, 2)),
    ("rishi-sunak", "Rishi Sunak", "GB", TROOPS, "opposes", date(2024, 2, 27)),
    ("keir-starmer", "Keir Starmer", "GB", NATO, "supports", date(2024, 7, 9)),
    ("friedrich-merz", "Friedrich Merz", "DE", TROOPS, "open", date(2025, 5, 13)),
    ("olaf-scholz", "Olaf Scholz", "DE", TROOPS, "opposes", date(2024, 2, 26)),
    ("olaf-scholz", "Olaf Scholz", "DE", NATO, "conditional", date(2024, 7, 11)),
    ("donald-tusk", "Donald Tusk", "PL", TROOPS, "opposes", date(2025, 2, 17)),
    ("donald-tusk", "Donald Tusk", "PL", NATO, "supports", date(2024, 7, 10)),
    ("giorgia-meloni", "Giorgia Meloni", "IT", TROOPS, "opposes", date(2025, 3, 6)),
    ("mark-rutte", "Mark Rutte", "NATO", NATO, "conditional", date(2025, 1, 20)),
    ("donald-trump", "Donald Trump", "US", NATO, "opposes", date(2025, 2, 12)),
]


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def statements() -> list[StatementRow]:
    return [StatementRow(id=n, actor_id=a, actor_name=name, country=c, topic=t, stance=s, day=d,
                         published=_at(date(2024, 2, 20)) if recalled else _at(d),
                         historical=recalled, provisional=False, confidence=0.9, evidence=text,
                         url=f"https://news.example.org/{n}", item_guid=f"item-{n}", attribution="name")
            for n, (a, name, c, t, s, d, recalled, text) in enumerate(SAID, start=1)]


def shifts() -> list[ShiftRow]:
    said = statements()
    out = []
    for n, (actor, topic, old, new, day, status) in enumerate(MOVES, start=1):
        moved = next(s for s in said if s.actor_id == actor and s.topic == topic and s.day == day)
        before = max((s for s in said if s.actor_id == actor and s.topic == topic and s.day < day),
                     key=lambda s: s.day, default=moved)
        out.append(ShiftRow(id=n, actor_id=actor, actor_name=moved.actor_name, country=moved.country,
                            topic=topic, from_stance=old, to_stance=new, magnitude=1,
                            published=_at(day), evidence=moved.evidence, url=moved.url,
                            item_guid=moved.item_guid, confidence=0.9, status=status,
                            prev_published=_at(before.day), prev_evidence=before.evidence,
                            prev_url=before.url))
    return out


def positions() -> list[PositionRow]:
    return [PositionRow(actor_id=a, actor_name=name, country=c, topic=t, stance=s, since=_at(d),
                        evidence="", url="", confidence=0.9)
            for a, name, c, t, s, d in HELD]


def actor_example(rules: RuleSet) -> Timeline:
    return actor_timeline("Emmanuel Macron (FR)",
                          [s for s in statements() if s.actor_id == "emmanuel-macron"],
                          [s for s in shifts() if s.actor_id == "emmanuel-macron"], rules.labels_for)


def country_example(rules: RuleSet) -> Timeline:
    gb = [s for s in statements() if s.country == "GB"]
    return country_timeline("United Kingdom (GB)", gb, [s for s in shifts() if s.country == "GB"],
                            rules.labels_for, voice_tenures(rules, "GB"), gb)


def matrix_example(rules: RuleSet) -> Matrix:
    names = {code: c.name for code, c in rules.countries.items()}
    return build_matrix(positions(), (TROOPS, NATO), rules.stances.labels, names,
                        actor_roles(rules, TODAY))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder (default docs/)")
    args = parser.parse_args()
    rules = load_rules(ROOT / "rules")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pictures = {"chart-actor.png": timeline_png(actor_example(rules)),
                "chart-country.png": timeline_png(country_example(rules)),
                "matrix.png": matrix_png(matrix_example(rules), "Where countries stand")}
    for name, png in pictures.items():
        (out / name).write_bytes(png)
        print(f"{out / name}: {len(png)} bytes")


if __name__ == "__main__":
    main()
