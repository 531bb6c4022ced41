"""`shiftwatch actors`: tracked actors, provisional ones with their evidence, and confirming one
into actors.yaml in one step (the file checked by the rules loader, the store moved to the id)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import Statement
from bot.rules import load_rules
from bot.shifts import as_position
from bot.store import Store
from tests.conftest import REPO

T0 = datetime(2025, 3, 4, 10, tzinfo=UTC)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def provisional(guid: str, day: int, stance: str, evidence: str, *,
                actor: tuple[str, str, str] = ("provisional:tove-lindqvist", "Tove Lindqvist", "SE"),
                role: str = "defence minister") -> Statement:
    return Statement(item_guid=guid, url=f"https://news.example/{guid}",
                     published=T0 + timedelta(days=day), actor_id=actor[0], actor_name=actor[1],
                     country=actor[2], topic="troops-to-ukraine", stance=stance, historical=False,
                     confidence=0.9, evidence=evidence,
                     attribution=f"role: {role}; provisional {actor[1]!r} introduced as {role!r}",
                     provisional=True)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[str, Path]:
    """A store holding a provisional actor's two statements and position, and a rules copy."""
    rules_dir = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules_dir)
    db = str(tmp_path / "state.db")
    store = Store(db)
    found = [provisional("n1", 0, "opposes", "Swedish Defence Minister Tove Lindqvist said no "
                                             "Swedish soldiers would go."),
             provisional("n2", 6, "open", "Lindqvist said Sweden would consider a role after a "
                                          "truce.")]
    with store.begin() as conn:
        for s in found:
            item_id = store.insert_item(conn, "https://news.example/rss", s.item_guid, s.url,
                                        "t", s.published, s.published)
            store.insert_statements(conn, item_id, [s])
        store.save_position(conn, as_position(found[-1]))
    store.close()
    return db, rules_dir


def test_provisional_actors_are_listed_with_their_evidence(
        capsys: pytest.CaptureFixture[str], setup: tuple[str, Path]) -> None:
    db, rules_dir = setup
    code, out, _ = run_cli(capsys, "actors", "--provisional", "--db", db, "--rules", str(rules_dir))
    assert code == 0
    assert out.startswith("provisional:tove-lindqvist  Tove Lindqvist (SE, defence minister): "
                          "2 statements, 2025-03-04 to 2025-03-10")
    assert "https://news.example/n2" in out
    assert "shiftwatch actors confirm provisional:tove-lindqvist" in out
    code, out, _ = run_cli(capsys, "actors", "--provisional", "--json", "--db", db)
    [a] = json.loads(out)
    assert (a["actor_id"], a["role"], a["statements"]) == (
        "provisional:tove-lindqvist", "defence minister", 2)
    assert a["latest"]["url"] == "https://news.example/n2"


def test_confirming_appends_a_valid_entry_and_moves_the_history(
        capsys: pytest.CaptureFixture[str], setup: tuple[str, Path]) -> None:
    db, rules_dir = setup
    before = (rules_dir / "actors.yaml").read_text()
    code, out, err = run_cli(capsys, "actors", "confirm", "provisional:tove-lindqvist",
                             "--db", db, "--rules", str(rules_dir))
    assert code == 0, err
    assert "moved 2 statements, 1 position, 0 shifts" in out
    after = (rules_dir / "actors.yaml").read_text()
    assert after.startswith(before.rstrip("\n"))  # appended: the rest of the file untouched
    actor = load_rules(rules_dir).actors["tove-lindqvist"]
    assert (actor.name, actor.country, actor.aliases) == ("Tove Lindqvist", "SE", ("Lindqvist",))
    assert [r.office for r in actor.roles] == ["defence-minister"]
    store = Store(db)
    assert [p.actor_id for p in store.positions(country="SE")] == ["tove-lindqvist"]
    assert len(store.history("tove-lindqvist")) == 2 and store.history(
        "provisional:tove-lindqvist") == []
    assert store.provisional_actors() == []
    store.close()
    code, out, _ = run_cli(capsys, "history", "Lindqvist", "--db", db, "--rules", str(rules_dir))
    assert code == 0 and "troops-to-ukraine: open" in out


def test_confirming_under_another_id(capsys: pytest.CaptureFixture[str],
                                     setup: tuple[str, Path]) -> None:
    db, rules_dir = setup
    code, _, err = run_cli(capsys, "actors", "confirm", "tove-lindqvist", "--id", "tove-lindqvist-se",
                           "--db", db, "--rules", str(rules_dir))
    assert code == 0, err
    assert "tove-lindqvist-se" in load_rules(rules_dir).actors


def test_an_entry_the_rules_reject_leaves_the_file_and_the_store_unchanged(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, setup: tuple[str, Path]) -> None:
    db, rules_dir = setup
    store = Store(db)
    clash = provisional("n3", 1, "opposes", "The French president said no.",
                        actor=("provisional:emmanuel-macron-2", "Emmanuel Macron", "FR"),
                        role="president")
    with store.begin() as conn:
        item_id = store.insert_item(conn, "https://news.example/rss", "n3", clash.url, "t",
                                    clash.published, clash.published)
        store.insert_statements(conn, item_id, [clash])
    store.close()
    before = (rules_dir / "actors.yaml").read_text()
    code, _, err = run_cli(capsys, "actors", "confirm", "provisional:emmanuel-macron-2",
                           "--db", db, "--rules", str(rules_dir))
    assert code == 1
    assert "left unchanged" in err and "'Emmanuel Macron' is already claimed" in err
    assert (rules_dir / "actors.yaml").read_text() == before
    assert {a["actor_id"] for a in Store(db).provisional_actors()} == {
        "provisional:tove-lindqvist", "provisional:emmanuel-macron-2"}


def test_unknown_ids_and_bad_ids_are_refused_with_a_reason(
        capsys: pytest.CaptureFixture[str], setup: tuple[str, Path]) -> None:
    db, rules_dir = setup
    code, _, err = run_cli(capsys, "actors", "confirm", "provisional:nobody", "--db", db,
                           "--rules", str(rules_dir))
    assert code == 1 and "no provisional actor 'provisional:nobody'" in err
    assert "provisional:tove-lindqvist" in err
    code, _, err = run_cli(capsys, "actors", "confirm", "provisional:tove-lindqvist", "--id",
                           "emmanuel-macron", "--db", db, "--rules", str(rules_dir))
    assert code == 1 and "already in actors.yaml" in err


def test_known_actors_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "actors", "--rules", str(REPO / "rules"), "--json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["emmanuel-macron"]["country"] == "FR"
    assert "president" in rows["emmanuel-macron"]["roles"]
