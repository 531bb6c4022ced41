"""Why extraction decided what it decided, sentence by sentence (`shiftwatch rules explain`)."""

from __future__ import annotations

from bot.evaluate import SentenceFacts
from bot.extract import Extractor, SentenceTrace
from bot.models import Item
from bot.rules import RuleSet
from bot.textnorm import fold_lower, squash


def describe(trace: SentenceTrace, rules: RuleSet) -> str:
    s = trace.sentence
    lines = [f"[{'title' if s.is_title else f'p{s.paragraph}'}] {s.text}"]
    if trace.topics:
        for hit in trace.topics:
            kw = ", ".join(repr(k) for k in hit.keywords) or "(carried over)"
            lines.append(f"  topic {hit.topic}: keywords {kw}")
        lines += [f"  carried: {c}" for c in trace.carried]
    else:
        lines.append("  topic: none")
    for r in trace.reports:
        who = ", ".join(m.via for m in r.speakers) or "someone untracked"
        lines.append(f"  speaker: {who} [{r.how}]")
    if not trace.reports:
        lines.append("  speaker: none found")
    if trace.time and trace.time.historical:
        when = f", said on {trace.time.said_on}" if trace.time.said_on else ", date not given"
        lines.append(f"  time: historical ({', '.join(trace.time.markers)}{when})")
    elif trace.topics:
        lines.append("  time: current (no historical marker)")
    for topic, names, reading in trace.readings:
        cues = "; ".join(
            f"{c.text!r} {c.label}" + (" (implicit: modal + action)" if c.implicit else "")
            + (f" negated by {c.negator!r} -> {c.final}" if c.negator else "")
            + (f" (weight {c.weight:g})" if c.weight != 1 else "")
            for c in reading.cues) or "no stance cue"
        cond = f"; condition {reading.condition!r}" if reading.condition else ""
        lines.append(f"  stance for {names} on {topic}: {reading.stance or '-'} ({cues}{cond})")
    lines += [f"  note: {n}" for n in trace.notes]
    for name, conf in trace.confidences:
        lines.append(f"  confidence for {name}: {conf.explain()}")
    for st in trace.statements:
        hist = " historical" if st.historical else ""
        prov = f" [provisional actor {st.actor_id}]" if st.provisional else ""
        lines.append(f"  => {st.actor_name} ({st.country}) {st.topic}: {st.stance}{hist}, "
                     f"confidence {st.confidence:.2f}{prov}")
    if trace.topics and not trace.statements:
        lines.append("  => no statement")
    return "\n".join(lines)


def explain_item(rules: RuleSet, item: Item) -> str:
    extractor = Extractor(rules)
    traces = extractor.trace(item)
    if not traces:
        return "(no sentences)"
    item_lower = fold_lower(item.title + "\n" + item.text)
    out = []
    for t in traces:
        text = describe(t, rules)
        if not t.topics:
            why = extractor.topics.why_not(fold_lower(t.sentence.text), item_lower)
            text = text.replace("  topic: none", "  topic: none" + "".join(
                f"\n  no topic: {w}" for w in why), 1)
        out.append(text)
    return "\n".join(out)


def explain_sentence_for(extractor: Extractor, item: Item, evidence: str) -> str:
    """The trace of the sentence(s) of `item` that hold `evidence`, indented."""
    rules = extractor.rules
    key = squash(evidence)
    traces = [t for t in extractor.trace(item) if key and key in squash(t.sentence.text)]
    if not traces:
        return "    (no sentence of the item holds that evidence)"
    return "\n".join("    " + describe(t, rules).replace("\n", "\n    ") for t in traces)


def sentence_facts(extractor: Extractor, item: Item, evidence: str,
                   traces: list[SentenceTrace] | None = None) -> SentenceFacts | None:
    """What extraction found in the sentence(s) of `item` holding `evidence` (for `eval`'s causes);
    None when no sentence holds it. `traces`: the item's traces, when already computed."""
    key = squash(evidence)
    rules = extractor.rules
    held = [t for t in (traces if traces is not None else extractor.trace(item))
            if key and key in squash(t.sentence.text)]
    if not held:
        return None

    def name(actor_id: str | None, via: str) -> str:
        actor = rules.actors.get(actor_id or "")
        return squash(actor.name if actor else via)

    return SentenceFacts(
        topics=frozenset(h.topic for t in held for h in t.topics),
        speakers=frozenset(name(m.actor_id, m.via) for t in held for r in t.reports
                           for m in r.speakers),
        stated=frozenset((squash(s.actor_name), s.topic) for t in held for s in t.statements))
