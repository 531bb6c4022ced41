"""A deterministic generator of realistic news items and the RSS 2.0 bytes that carry them.

Most items are off topic, as in real feeds: sports, weather, markets, technology, local
politics, each with a multi-sentence body over several paragraphs. A small share quotes actors
of rules/actors.yaml on the topics of rules/topics.yaml. Some off-topic stories mention a
topic keyword or context word in passing (Ukrainian grain, steel tariffs, an electric-vehicle
launch), so the keyword prefilter is exercised the way real traffic exercises it.

Every sentence is written here from templates; the same seed gives the same bytes.

    .venv/bin/python -m bench.corpus --items 5 --on-topic 0.5   # prints a sample feed
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from bot.rules import Actor, load_rules

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
DEFAULT_ON_TOPIC = 0.03
EPOCH = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Story:
    guid: str
    link: str
    title: str
    paragraphs: tuple[str, ...]
    published: datetime
    category: str
    on_topic: bool


# ---------------------------------------------------------------- vocabulary (all invented)

FIRST = ("Alex Maria James Sofia Daniel Laura Tom Elena Marcus Nina Oliver Hannah Victor Clara "
         "Samuel Irene Lucas Grace Felix Rosa Adam Julia Peter Naomi Hugo Vera Leon Tessa").split()
LAST = ("Whitfield Moreno Caldwell Okafor Lindqvist Brennan Castellano Hargrove Novak Tanaka "
        "Delacroix Ashworth Petrov Quintero Halloran Sorensen Mbeki Fairbanks Kowal Rinaldi "
        "Westbrook Dunmore Achebe Varga Holloway Ferreira Blackwood Nakamura").split()
CITIES = ("Riverton Ashford Millbrook Eastport Granville Fairhaven Northgate Lakeside Brookfield "
          "Kingsbury Westmere Harrowgate Oakdale Stonebridge Marlow Pinecrest").split()
REGIONS = ("the northern coast", "the central valley", "the western highlands", "the eastern plains",
           "the southern islands", "the lake district", "the capital region", "the upland farms")
MASCOTS = "Rovers United Athletic Wanderers Falcons Harriers Mariners Rangers Comets Tigers".split()
SPORTS_EVENTS = ("cup quarter-final", "league fixture", "derby", "season opener", "semi-final",
                 "relegation battle", "title decider")
COMPANIES = ("Northwind Logistics", "Helix Pharmaceuticals", "Bluepeak Energy", "Corvane Systems",
             "Marisol Foods", "Tidewater Bank", "Quarry Lane Mining", "Arcadia Retail",
             "Voltaris Motors", "Silverline Telecom", "Pinebrook Insurance", "Orbit Semiconductors")
PRODUCTS = ("smartphone", "cloud service", "laptop", "chip", "smart watch", "streaming app",
            "battery pack", "home router", "translation tool", "game console")
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = ("January February March April May June July August September October November "
          "December").split()
SECTORS = ("banking", "energy", "retail", "technology", "mining", "insurance", "shipping")
COMMODITIES = ("crude oil", "copper", "gold", "wheat", "natural gas", "coffee", "aluminium")
OFFICIALS = ("mayor", "council leader", "county treasurer", "planning chief", "transport head")
PROJECTS = ("a new bus depot", "road repairs", "a library extension", "flood defences",
            "school meals", "a cycle lane network", "social housing", "a water treatment plant")


def _person(r: random.Random) -> str:
    return f"{r.choice(FIRST)} {r.choice(LAST)}"


def _team(r: random.Random) -> str:
    return f"{r.choice(CITIES)} {r.choice(MASCOTS)}"


def _pct(r: random.Random) -> str:
    return f"{r.uniform(0.2, 9.5):.1f}"


# ---------------------------------------------------------------- off-topic stories
#
# Each category has title templates and a pool of sentence templates; a story draws a random
# subset of the pool, so two stories of one category share a few sentences, not their text
# (near-identical stories would be taken for syndicated copies of each other).

_TITLES: dict[str, tuple[str, ...]] = {
    "sports": ("{home} beat {away} {a}-{b} in {event}", "{scorer} double lifts {home} past {away}",
               "{away} held by {home} as title race tightens", "{coach} praises young squad after {event}",
               "Late goal sends {home} through to the next round"),
    "weather": ("Heavy rain warning issued for {region}", "Storm to bring gusts of {gusts} km/h to {city}",
                "Temperatures to reach {hot}C as heatwave lingers", "Flood alerts in place along {river}",
                "Frost and fog expected across {region} overnight"),
    "markets": ("Shares in {company} {moved} {pct}% after results",
                "Stocks {moved} as {sector} shares lead the market",
                "{Commodity} prices {moved} on supply worries",
                "{company} to buy {company2} for ${money} billion",
                "Central bank holds rates at {rate}%"),
    "tech": ("{company} unveils a faster {product}", "{company} recalls {n1},000 units of its {product}",
             "Regulator opens inquiry into {company} {product} data practices",
             "{company} to cut {n2} jobs in restructuring", "Outage hits {company} {product} users"),
    "politics": ("{city} council approves budget for {project}", "Row over {project} splits {city} council",
                 "{city} {official} resigns after spending inquiry",
                 "Residents protest against {project} plan",
                 "{city} to hold referendum on {project}"),
}

_POOLS: dict[str, tuple[str, ...]] = {
    "sports": (
        "{home} beat {away} {a}-{b} on {day} in a {event} played in front of {crowd} supporters.",
        "{scorer} opened the scoring after {minute} minutes with a low shot that went in off the post.",
        "The visitors pushed for an equaliser but rarely troubled the goalkeeper.",
        '"We knew it would be a hard game and the players gave everything," coach {coach} told reporters.',
        "{home} move up to {place} in the table, {n1} points behind the leaders with {n2} games to play.",
        "{away} have now gone {n3} matches without a win.",
        "Both sides return to action next {day2}.",
        "Tickets for the next home game at the {city} Arena go on sale on {day2} morning.",
        "{person} was shown a second yellow card shortly before half-time.",
        "The referee waved away two penalty appeals in the closing stages.",
        "Injuries to {person2} and {person} left the manager with few options on the bench.",
        "Rain before kick-off left the pitch heavy and slowed the passing game.",
        "{away} manager {person2} said his side had been let down by poor finishing.",
        "The win was {home}'s {ordinal} in a row at home this season.",
    ),
    "weather": (
        "Forecasters expect up to {mm} millimetres of rain across {region} on {day}.",
        "Gusts could reach {gusts} km/h on exposed hills and bridges.",
        "Ferry services from the harbour at {city} may be cancelled at short notice.",
        "The national weather service raised its warning to amber late on {day2}.",
        "Emergency crews in {city} have cleared drains and handed out sandbags to homes near {river}.",
        '"Please avoid travel unless it is necessary," said {person}, who leads the regional '
        "emergency team.",
        "Temperatures will stay around {temp} degrees until the weekend.",
        "Drier air is expected to return from the west by {day2}.",
        "Several schools in {city} said they would close early to let pupils get home safely.",
        "Farmers in {region} said the wet {month} had already delayed planting by weeks.",
        "Rail operators have cut speed limits on lines through {region} as a precaution.",
        "The last storm of this strength, in {month} {year}, brought down power lines to {n1},000 homes.",
        "Water levels on {river} rose by {n2} centimetres overnight.",
    ),
    "markets": (
        "Shares in {company} {moved} {pct} percent in early trading after quarterly revenue of "
        "${money} billion.",
        "The wider index {moved} {pct2} percent, led by {sector} stocks.",
        "{Commodity} futures {moved} to their {extreme} level since {month}.",
        "Analysts at {company2} said investors were waiting for the central bank's decision on "
        "interest rates.",
        "Bond yields were little changed, and the currency traded at {fx} against the dollar.",
        "{company} said it expected margins to improve in the second half of the year.",
        "Trading volumes were {n1} percent below their monthly average.",
        "The central bank kept its main rate at {rate} percent, as most economists had expected.",
        "{company2} shares slipped after its chief financial officer, {person}, announced she "
        "would step down.",
        "Retail sales figures due on {day2} are expected to show a modest rise.",
        "Oil traders said stocks in storage had fallen for a {ordinal} week.",
        '"The market is pricing in a soft landing," said {person2}, a strategist at {company}.',
        "{company} agreed to buy {company2} in a deal worth ${money} billion, including debt.",
    ),
    "tech": (
        "{company} on {day} unveiled a new {product} that it says is {n1} percent faster than "
        "the previous model.",
        "The device goes on sale in {month} at a starting price of ${price}.",
        "Chief executive {person} said demand from business customers had been strong.",
        "Reviewers praised the battery life but said the software still felt unfinished.",
        "The company has cut {n2} jobs this year as it shifts spending towards artificial "
        "intelligence.",
        "A fault in a charging part prompted the recall of {n1},000 units sold since {month}.",
        "The regulator said it would examine how the {product} collects and shares location data.",
        "{company2}, its main rival, is expected to respond with its own model in the autumn.",
        "Users in {city} reported that the {product} stopped working for about {n3} hours on {day2}.",
        '"We are sorry for the disruption," said {person2}, who runs the service.',
        "Sales of the previous model fell {pct} percent in the last quarter.",
        "The firm said the new chip was designed in-house and made by an outside foundry.",
    ),
    "politics": (
        "The {city} council voted {yes}-{no} on {day} to approve ${money} million for {project}.",
        "Work is due to start in {month} and last about {n1} months.",
        "Opposition members said the money would be better spent on {project2}.",
        '"This is the biggest investment in the city for a decade," the {official}, {person}, said.',
        "Residents near the site have complained about noise and traffic during earlier work.",
        "A public consultation will open on {day2} and run for {n3} weeks.",
        "An audit found that {n3} contracts had been awarded without a tender.",
        "{person2}, who chairs the finance committee, said the budget left no room for new hires.",
        "Council tax in {city} will rise by {pct} percent from {month}.",
        "Local business groups welcomed the plan but asked for parking during the works.",
        "The {official} faces a vote of confidence at the next full meeting of the council.",
        "A petition against the scheme has gathered {n1},000 signatures.",
    ),
}

# Off-topic sentences that mention a topic keyword or context word in passing.
_PASSING: dict[str, tuple[str, ...]] = {
    "markets": ("Grain traders also watched shipping routes from Ukraine, where exports through "
                "Black Sea ports have recovered this year.",
                "Steel importers said new tariffs and duties on metal had pushed up costs for builders."),
    "tech": ("Voltaris Motors also showed an electric vehicle prototype with a range of {n3}00 "
             "kilometres.",),
    "politics": ("Veterans' groups asked the council to name the new square after soldiers from "
                 "{city} who served overseas.",),
}
PASSING_SHARE = 0.08

RIVERS = ("the River Avenmouth", "the Kell", "the Millwater", "the Tarrow", "the Glenn Brook")
ORDINALS = ("second", "third", "fourth", "fifth", "sixth", "seventh")


def _slots(r: random.Random) -> dict[str, str]:
    up = r.random() < 0.5
    company, company2 = r.sample(COMPANIES, 2)
    project, project2 = r.sample(PROJECTS, 2)
    return {
        "home": _team(r), "away": _team(r), "a": str(r.randint(0, 5)), "b": str(r.randint(0, 4)),
        "scorer": _person(r), "coach": _person(r), "person": _person(r), "person2": _person(r),
        "event": r.choice(SPORTS_EVENTS), "day": r.choice(WEEKDAYS), "day2": r.choice(WEEKDAYS),
        "crowd": f"{r.randint(8, 60)},{r.randint(100, 999)}", "minute": str(r.randint(3, 88)),
        "place": r.choice(ORDINALS), "ordinal": r.choice(ORDINALS),
        "n1": str(r.randint(2, 60)), "n2": str(r.randint(2, 900)), "n3": str(r.randint(2, 9)),
        "city": r.choice(CITIES), "region": r.choice(REGIONS), "river": r.choice(RIVERS),
        "mm": str(r.randint(20, 120)), "gusts": str(r.randint(50, 130)),
        "temp": str(r.randint(-8, 38)), "hot": str(r.randint(31, 39)),
        "month": r.choice(MONTHS), "year": str(r.randint(1990, 2023)),
        "company": company, "company2": company2, "product": r.choice(PRODUCTS),
        "moved": "rose" if up else "fell", "extreme": "highest" if up else "lowest",
        "pct": _pct(r), "pct2": _pct(r), "sector": r.choice(SECTORS),
        "Commodity": r.choice(COMMODITIES).capitalize(), "money": f"{r.randint(1, 40)}.{r.randint(0, 9)}",
        "fx": f"{r.uniform(0.8, 1.3):.4f}", "rate": f"{r.uniform(1, 6):.2f}",
        "price": str(r.randint(99, 1499)), "official": r.choice(OFFICIALS),
        "project": project, "project2": project2,
        "yes": str(r.randint(7, 14)), "no": str(r.randint(1, 6)),
    }


def _off_topic(r: random.Random, category: str) -> tuple[str, list[list[str]]]:
    slots = _slots(r)
    title = r.choice(_TITLES[category]).format(**slots)
    pool = _POOLS[category]
    chosen = [s.format(**slots) for s in r.sample(pool, r.randint(4, min(9, len(pool))))]
    if category in _PASSING and r.random() < PASSING_SHARE:
        chosen.insert(r.randint(1, len(chosen)), r.choice(_PASSING[category]).format(**slots))
    cuts = sorted(r.sample(range(1, len(chosen)), min(len(chosen) - 1, r.randint(1, 3))))
    paragraphs = [chosen[a:b] for a, b in zip([0, *cuts], [*cuts, len(chosen)], strict=True)]
    return title, paragraphs


CATEGORIES = tuple(_POOLS)


# ---------------------------------------------------------------- on-topic stories

_TOPIC_SENTENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "troops-to-ukraine": {
        "opposes": (
            "{name} said on {day} that there would be no Western troops in Ukraine, warning that "
            "such a step would lead to a direct confrontation with Russia.",
            '{name} ruled out sending ground troops to Ukraine. "That is not on the table," the '
            "leader told reporters in {city}.",
        ),
        "open": (
            '{name} said that nothing could be ruled out when asked about European troops in '
            "Ukraine, adding that strategic ambiguity served Kyiv.",
            "{name} said the deployment of Western soldiers in Ukraine was possible in the future.",
        ),
        "conditional": (
            "{name} said the government would send troops to Ukraine only as part of a peace deal "
            "backed by American security guarantees.",
            "{name} said soldiers could join a reassurance force in Ukraine once the fighting stops.",
        ),
        "supports": (
            "{name} said on {day} that the country would send military instructors to Ukraine "
            "this year.",
            "{name} said the government would deploy troops to Ukraine as part of a coalition.",
        ),
    },
    "ukraine-nato-membership": {
        "opposes": (
            "{name} said Ukraine joining NATO was not realistic, and that the alliance should "
            "stop promising it.",
            "{name} said the government would block an invitation to Kyiv to join NATO.",
        ),
        "open": (
            "{name} said Ukraine's membership of NATO was a possibility to be discussed later.",
        ),
        "supports": (
            "{name} said Ukraine will join NATO, calling its path to membership irreversible.",
        ),
    },
    "long-range-weapons-for-ukraine": {
        "opposes": (
            "{name} said the government would not deliver Taurus cruise missiles to Ukraine, "
            "citing the risk of escalation.",
        ),
        "supports": (
            "{name} said allies should lift the restrictions on Ukraine's use of long-range "
            "missiles to strike inside Russia.",
            "{name} said the country would supply more Storm Shadow missiles to Kyiv.",
        ),
    },
    "ev-tariffs-on-china": {
        "opposes": (
            "{name} said the government would vote against the tariffs on Chinese electric "
            "vehicles, warning of a trade war.",
        ),
        "supports": (
            "{name} said the EU must impose the duties on electric cars made in China to protect "
            "European carmakers.",
        ),
        "conditional": (
            "{name} said a negotiated solution on minimum prices for Chinese EVs would be better "
            "than tariffs.",
        ),
    },
}

_TOPIC_CONTEXT: dict[str, tuple[str, ...]] = {
    "troops-to-ukraine": (
        "European leaders have debated for months how to guarantee any ceasefire in Ukraine.",
        "Officials in Kyiv have asked allies for more air defence systems ahead of the winter.",
        "A summit of defence ministers is planned for next month.",
    ),
    "ukraine-nato-membership": (
        "Ukraine applied to join the alliance in 2022, and Kyiv has pressed for a timetable since.",
        "Alliance members must agree unanimously before any country is invited.",
    ),
    "long-range-weapons-for-ukraine": (
        "Ukraine has asked partners for weapons that can reach airfields far behind the front.",
        "Officials in Kyiv say such strikes would disrupt Russian supply lines.",
    ),
    "ev-tariffs-on-china": (
        "The European Commission proposed the measures after an inquiry into state subsidies for "
        "electric vehicle makers in China.",
        "Carmakers in Germany fear retaliation against their exports to China.",
    ),
}


_TOPIC_TITLES = {"troops-to-ukraine": "troops for Ukraine", "ukraine-nato-membership": "Kyiv's NATO bid",
                 "long-range-weapons-for-ukraine": "long-range missiles",
                 "ev-tariffs-on-china": "Chinese EV duties"}


# Sentences of world news around the quote: on no tracked topic, and varied, so that two
# on-topic stories are not taken for syndicated copies of each other.
_WORLD = (
    "The remarks came during a visit to {city} on {day}.",
    "Talks between foreign ministers are due to resume in {city} next week.",
    "{name} also met business leaders to discuss energy prices and the cost of living.",
    "Opposition parties accused the government of acting without consulting parliament.",
    "Diplomats said no agreement on a joint statement had been reached by the evening.",
    "A spokesperson declined to say whether the issue had been raised in private.",
    "Polls suggest public opinion on the question remains deeply divided.",
    "The comments were published by the government's press office shortly after midnight.",
    "Earlier in the day, {name} laid a wreath at a memorial in the city centre.",
    "The visit was the first by a foreign leader to {city} this year.",
)


def _actors() -> list[Actor]:
    return sorted(load_rules(RULES_DIR).actors.values(), key=lambda a: a.id)


def _on_topic(r: random.Random, actors: list[Actor], published: datetime) -> tuple[str, list[list[str]]]:
    topic = r.choice(sorted(_TOPIC_SENTENCES))
    stance = r.choice(sorted(_TOPIC_SENTENCES[topic]))
    actor = r.choice(actors)
    fill = {"name": actor.name, "day": WEEKDAYS[published.weekday()], "city": r.choice(CITIES)}
    quote = r.choice(_TOPIC_SENTENCES[topic][stance]).format(**fill)
    context = list(_TOPIC_CONTEXT[topic])
    r.shuffle(context)
    surname = actor.name.split()[-1]
    subject = _TOPIC_TITLES[topic]
    title = r.choice([f"{surname} sets out position on {subject}", f"{actor.name} speaks on {subject}"])
    extra = [s.format(**fill) for s in r.sample(_WORLD, r.randint(2, 4))]
    p1 = [quote, context[0]]
    p2 = [*context[1:], *extra]
    return title, [p1, p2]


# ---------------------------------------------------------------- items and feeds

def stories(n: int, *, seed: int = 7, on_topic: float = DEFAULT_ON_TOPIC,
            prefix: str = "bench", link_base: str = "https://news.example.org") -> Iterator[Story]:
    """`n` stories; a share `on_topic` of them quote tracked actors on tracked topics. Each
    links to `{link_base}/{guid}.html` (see `article_html`)."""
    r = random.Random(seed)
    actors = _actors()
    for i in range(n):
        published = EPOCH + timedelta(minutes=7 * i + r.randint(0, 6))
        if r.random() < on_topic:
            category = "world"
            title, paragraphs = _on_topic(r, actors, published)
        else:
            category = r.choice(CATEGORIES)
            title, paragraphs = _off_topic(r, category)
        guid = f"{prefix}-{seed}-{i}"
        yield Story(guid=guid, link=f"{link_base}/{guid}.html", title=title,
                    paragraphs=tuple(" ".join(p) for p in paragraphs if p), published=published,
                    category=category, on_topic=category == "world")


def rss(items: list[Story], *, title: str = "Example News", link: str = "https://news.example.org/"
        ) -> bytes:
    """RSS 2.0 bytes; bodies are HTML paragraphs, escaped inside <description> as feeds do."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>',
           f"<title>{escape(title)}</title><link>{escape(link)}</link>",
           "<description>Generated news for shiftwatch benchmarks.</description><ttl>15</ttl>"]
    for s in items:
        body = "".join(f"<p>{escape(p)}</p>" for p in s.paragraphs)
        out.append(
            f"<item><title>{escape(s.title)}</title><link>{escape(s.link)}</link>"
            f'<guid isPermaLink="false">{escape(s.guid)}</guid>'
            f"<pubDate>{format_datetime(s.published)}</pubDate>"
            f"<category>{escape(s.category)}</category>"
            f"<description>{escape(body)}</description></item>")
    out.append("</channel></rss>\n")
    return "\n".join(out).encode("utf-8")


def article_html(s: Story) -> bytes:
    """The article page an item links to: the story amid a site's navigation and footer."""
    body = "".join(f"<p>{escape(p)}</p>" for p in s.paragraphs)
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{escape(s.title)} | Example News</title></head><body>"
            "<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a></nav>"
            f"<article><h1>{escape(s.title)}</h1><p class='byline'>{escape(s.category)} desk, "
            f"{format_datetime(s.published)}</p>{body}</article>"
            "<footer><p>Example News. All rights reserved.</p></footer></body></html>").encode()


def feed_batches(n_feeds: int, items_per_feed: int, *, seed: int = 7,
                 on_topic: float = DEFAULT_ON_TOPIC, link_base: str = "https://news.example.org"
                 ) -> Iterator[list[Story]]:
    """The stories of `n_feeds` feeds of `items_per_feed` each, all distinct."""
    gen = stories(n_feeds * items_per_feed, seed=seed, on_topic=on_topic, link_base=link_base)
    for _ in range(n_feeds):
        yield [next(gen) for _ in range(items_per_feed)]


def feeds(n_feeds: int, items_per_feed: int, *, seed: int = 7, on_topic: float = DEFAULT_ON_TOPIC
          ) -> Iterator[bytes]:
    """`n_feeds` RSS documents of `items_per_feed` stories each, all stories distinct."""
    for f, batch in enumerate(feed_batches(n_feeds, items_per_feed, seed=seed, on_topic=on_topic)):
        yield rss(batch, title=f"Example News {f}", link=f"https://news{f}.example.org/")


def main() -> None:
    ap = argparse.ArgumentParser(description="Print a generated RSS feed.")
    ap.add_argument("--items", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--on-topic", type=float, default=DEFAULT_ON_TOPIC)
    args = ap.parse_args()
    print(rss(list(stories(args.items, seed=args.seed, on_topic=args.on_topic))).decode())


if __name__ == "__main__":
    main()
