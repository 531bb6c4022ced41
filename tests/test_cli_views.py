"""`chart`, `matrix`, `export` and the previous government under `positions`, end to end."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import Store
from tests.viewrows import add_position, add_shift, add_statement

T = "troops-to-ukraine"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "sw.db")
    with Store(path) as store:
        add_statement(store, "rishi-sunak", "Rishi Sunak", "GB", T, "opposes", date(2024, 2, 27),
                      'Sunak said "no, never", British troops would not go.')
        add_statement(store, "rishi-sunak", "Rishi Sunak", "GB", T, "open", date(2024, 9, 1),
                      "In opposition Sunak said anything was possible.")
        add_statement(store, "keir-starmer", "Keir Starmer", "GB", T, "open", date(2024, 11, 20),
                      "Starmer said every option was on the table.")
        add_statement(store, "keir-starmer", "Keir Starmer", "GB", T, "supports", date(2025, 3, 2),
                      "Starmer said Britain would put boots on the ground.")
        add_shift(store, "keir-starmer", "Keir Starmer", "GB", T, "open", "supports",
                  date(2025, 3, 2), date(2024, 11, 20), "Starmer said Britain would put boots on the ground.")
        add_position(store, "keir-starmer", "Keir Starmer", "GB", T, "supports", date(2025, 3, 2))
        add_position(store, "rishi-sunak", "Rishi Sunak", "GB", T, "open", date(2024, 9, 1))
        add_position(store, "emmanuel-macron", "Emmanuel Macron", "FR", T, "conditional",
                     date(2024, 5, 2))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_chart_of_an_actor_and_of_a_country(db: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    for subject, name in (("Starmer", "starmer.png"), ("United Kingdom", "gb.png")):
        out_file = tmp_path / name
        code, out, err = run(capsys, "chart", subject, "--db", db, "--out", str(out_file))
        assert code == 0, err
        assert out_file.read_bytes().startswith(PNG_SIGNATURE)
        assert out.startswith(f"{out_file}: ")
    code, out, _ = run(capsys, "chart", "GB", "--db", db, "--since", "2025-01-01",
                       "--topic", T, "--out", str(tmp_path / "since.png"))
    assert code == 0 and "2025-03-02 to 2025-03-02" in out


@pytest.mark.parametrize(("args", "message"), [
    (["chart", "Macron"], "Nothing to draw: no statements recorded for Emmanuel Macron (FR) yet."),
    (["chart", "Atlantis"], "unknown actor or country 'Atlantis'."),
    (["chart", "Starmr"], "Did you mean Keir Starmer?"),
    (["chart", "GB", "--topic", "troops"], "unknown topic 'troops'"),
])
def test_chart_bad_input_is_one_line_and_a_non_zero_exit(db: str, tmp_path: Path, args: list[str],
                                                         message: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, *args, "--db", db, "--out", str(tmp_path / "x.png"))
    assert code != 0
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_chart_needs_a_png_name_in_an_existing_folder(db: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "chart", "GB", "--db", db, "--out", str(tmp_path / "x.jpg"))
    assert code == 1 and "name it FILE.png" in err
    code, _, err = run(capsys, "chart", "GB", "--db", db, "--out", str(tmp_path / "no" / "x.png"))
    assert code == 1 and "no folder" in err


def test_read_only_commands_never_create_a_database(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "state" / "none.db"
    for args in (["chart", "GB", "--out", str(tmp_path / "x.png")], ["matrix"],
                 ["export", "statements"]):
        code, _, err = run(capsys, *args, "--db", str(missing))
        assert code == 1 and "no database at" in err
    assert not missing.exists() and not missing.parent.exists()


def test_matrix_text_csv_and_png(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "matrix", "--topic", T, "--db", db)
    assert code == 0
    assert out.splitlines() == [
        "troops-to-ukraine:",
        "  FR   conditional since 2024-05-02 (Emmanuel Macron)",
        "  GB   supports    since 2025-03-02 (Keir Starmer); previous government: Rishi Sunak open "
        "(2024-09-01)"]
    code, out, _ = run(capsys, "matrix", "--topic", T, "--csv", "--db", db)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["country"], r["role"], r["actor_id"]) for r in rows] == [
        ("FR", "voice", "emmanuel-macron"), ("GB", "voice", "keir-starmer"),
        ("GB", "previous government", "rishi-sunak")]
    png = tmp_path / "m.png"
    code, out, _ = run(capsys, "matrix", "--png", str(png), "--db", db)
    assert code == 0 and png.read_bytes().startswith(PNG_SIGNATURE)
    assert "2 countries" in out


def test_matrix_with_no_positions(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "matrix", "--topic", "ev-tariffs-on-china", "--db", db)
    assert code == 0 and out == "No positions recorded on ev-tariffs-on-china yet.\n"
    code, _, err = run(capsys, "matrix", "--topic", "ev-tariffs-on-china", "--db", db,
                       "--png", str(tmp_path / "m.png"))
    assert code == 1 and "nothing to draw" in err


def test_export_csv_round_trips_and_filters(db: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export", "statements", "--db", db, "--country", "United Kingdom",
                       "--since", "2024-06-01")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert [(r["said_on"], r["actor_id"], r["stance"]) for r in rows] == [
        ("2024-09-01", "rishi-sunak", "open"), ("2024-11-20", "keir-starmer", "open"),
        ("2025-03-02", "keir-starmer", "supports")]
    assert rows[0]["url"].startswith("https://news.example.org/")
    target = tmp_path / "all.csv"
    code, out, _ = run(capsys, "export", "statements", "--db", db, "--out", str(target))
    assert code == 0 and out == f"{target}: 4 statements\n"
    with target.open(encoding="utf-8", newline="") as f:
        back = list(csv.DictReader(f))
    assert back[0]["evidence"] == 'Sunak said "no, never", British troops would not go.'
    code, out, _ = run(capsys, "export", "shifts", "--format", "jsonl", "--db", db)
    [shift] = [json.loads(line) for line in out.splitlines()]
    assert (shift["from"], shift["to"], shift["status"]) == ("open", "supports", "confirmed")
    code, out, _ = run(capsys, "export", "positions", "--db", db, "--topic", T)
    assert [r["actor_id"] for r in csv.DictReader(io.StringIO(out))] == [
        "emmanuel-macron", "keir-starmer", "rishi-sunak"]


def test_export_bad_country_is_one_line(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "export", "shifts", "--db", db, "--country", "Atlantis")
    assert code != 0 and out == "" and len(err.strip().splitlines()) == 1


def test_positions_ends_with_the_previous_governments_last_stance_in_office(
        db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "positions", "GB", "--db", db)
    assert code == 0
    assert out.splitlines()[-1] == ("previous government on troops-to-ukraine: Rishi Sunak, until "
                                    "2024-07-05: opposes (said 2024-02-27)")
    code, out, _ = run(capsys, "positions", "GB", "--db", db, "--json")
    assert "previous government" not in out and json.loads(out)
    code, out, _ = run(capsys, "positions", "FR", "--db", db)
    assert "previous government" not in out
