"""The `quartier` command line contract, run in-process through typer's runner."""

import json

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings

runner = CliRunner()


@pytest.fixture
def db_env(seeded_url, monkeypatch):
    """The seeded database; settings are read anew and not left cached for later tests."""
    monkeypatch.setenv("QUARTIER_DATABASE_URL", seeded_url)
    get_settings.cache_clear()
    yield seeded_url
    get_settings.cache_clear()


def test_ask_json_answers_from_seeded_database(db_env):
    result = runner.invoke(app, ["ask", "Seniorentreff Durlach", "--json", "--now", "2026-11-24T09:00"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["intent"] == "find_offers"
    assert data["categories"][0] == "seniorenbegegnung"
    assert data["district"] == {"number": 19, "name": "Durlach"}
    assert data["results"][0]["category"] == "seniorenbegegnung"
    assert data["results"][0]["district"]["number"] == 19


def test_ask_with_point_reports_distance(db_env):
    result = runner.invoke(app, ["ask", "Jugendhaus", "--lat", "48.999", "--lon", "8.417", "--json"])
    data = json.loads(result.stdout)
    assert data["district"]["number"] == 3
    exact = [r for r in data["results"] if r["location_exact"]]
    assert exact and all(r["distance_m"] is not None and r["walk_minutes"] >= 1 for r in exact)
    # a place whose point is only approximate gets no distance (never "0 m")
    assert all(r["distance_m"] is None for r in data["results"] if not r["location_exact"])


def test_ask_json_for_a_landmark_question(db_env):
    result = runner.invoke(app, ["ask", "Elterncafé am Hauptbahnhof", "--json", "--now", "2026-11-24T09:00"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["district"] == {"number": 4, "name": "Südweststadt"}
    assert data["place"]["kind"] == "stop" and data["place"]["name"] == "Karlsruhe Hbf"
    assert data["results"][0]["category"] == "startpunkt_elterncafe"
    distances = [r["distance_m"] for r in data["results"] if r["location_exact"]]
    assert None not in distances and distances == sorted(distances)
    assert all(r["distance_m"] is None for r in data["results"] if not r["location_exact"])
    readable = runner.invoke(app, ["ask", "Elterncafé am Hauptbahnhof"])
    assert "Stadtteil: Südweststadt" in readable.stdout and "Haltestelle: Karlsruhe Hbf" in readable.stdout


def test_lat_without_lon_is_refused(db_env):
    result = runner.invoke(app, ["ask", "Jugendhaus", "--lat", "48.999"])
    assert result.exit_code != 0


def test_batch_keeps_order_and_echoes_ids(db_env, tmp_path):
    lines = [
        {"id": "b2", "text": "Hallo!"},
        {"id": "b1", "text": "Elterncafé hier", "lat": 48.993, "lon": 8.46},
        {"id": "b3", "text": "gençlik evi Südstadt", "lang": "tr"},
    ]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["ask", "--batch", str(path), "--json"])
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["id"] for a in answers] == ["b2", "b1", "b3"]
    assert answers[0]["intent"] == "smalltalk"
    assert answers[1]["district"]["number"] == 19
    assert answers[2]["language"] == "tr" and answers[2]["results"][0]["category"] == "kinder_jugendhaus"


def test_readable_answer_mentions_place_and_walk(db_env):
    result = runner.invoke(app, ["ask", "Jugendhaus", "--lat", "48.999", "--lon", "8.417"])
    assert result.exit_code == 0
    assert "zu Fuß" in result.stdout and "Kinder- und Jugendtreff Südstadt" in result.stdout


@pytest.fixture
def wide_window(monkeypatch, db_env):
    """QUARTIER_DATES_CONFIRMED_MONTHS reaching back to the packaged hours of 2013-2019."""
    monkeypatch.setenv("QUARTIER_DATES_CONFIRMED_MONTHS", str(12 * 20))
    get_settings.cache_clear()


def test_calendar_refuses_hours_not_confirmed_lately(db_env, tmp_path):
    out = tmp_path / "t.ics"
    result = runner.invoke(app, ["calendar", "LA ViE", "--out", str(out), "--now", "2026-11-24T09:00"])
    assert result.exit_code == 1 and not out.exists()
    assert "bitte vorher anfragen" in result.output


def test_ask_json_writes_a_day_without_a_time_as_a_date(db_env, wide_window):
    result = runner.invoke(
        app, ["ask", "AWO Seniorennachmittage Weiße Rose", "--json", "--now", "2026-11-24T09:00"]
    )
    assert result.exit_code == 0, result.output
    r = next(r for r in json.loads(result.stdout)["results"] if "Seniorennachmittage" in r["name"])
    assert r["next_dates"] == ["2026-11-26", "2026-11-27", "2026-11-30"]
    readable = runner.invoke(app, ["ask", "AWO Seniorennachmittage Weiße Rose", "--now", "2026-11-24T09:00"])
    assert "Termin: Do. 26. Nov., vormittags" in readable.stdout and "00:00" not in readable.stdout


def test_ask_json_gives_no_dates_from_old_hours_by_default(db_env):
    result = runner.invoke(app, ["ask", "LA ViE", "--json", "--now", "2026-11-24T09:00"])
    r = json.loads(result.stdout)["results"][0]
    assert r["next_dates"] == [] and "Stand ca. 2016/17" in r["hours_text"]
    readable = runner.invoke(app, ["ask", "LA ViE", "--now", "2026-11-24T09:00"])
    assert "(bitte vorher anfragen)" in readable.stdout and "Termin:" not in readable.stdout


def test_calendar_writes_ics_for_a_facility(db_env, wide_window, tmp_path):
    out = tmp_path / "t.ics"
    result = runner.invoke(app, ["calendar", "LA ViE", "--out", str(out), "--now", "2026-11-24T09:00"])
    assert result.exit_code == 0, result.output
    body = out.read_text()
    assert body.count("BEGIN:VEVENT") == 5 and "LA ViE" in body and "TZID=Europe/Berlin" in body


def test_calendar_for_unknown_facility_fails_politely(db_env):
    result = runner.invoke(app, ["calendar", "gibt es nicht xyz"])
    assert result.exit_code == 1


def test_db_upgrade_then_ask_on_a_fresh_database(tmp_path, monkeypatch):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("QUARTIER_DATABASE_URL", url)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "seeded" in result.stdout
    again = runner.invoke(app, ["db", "upgrade"])
    assert "up to date" in again.stdout


def test_import_bad_file_changes_nothing_and_names_rows(tmp_path, monkeypatch):
    url = f"sqlite+aiosqlite:///{tmp_path / 'imp.db'}"
    monkeypatch.setenv("QUARTIER_DATABASE_URL", url)
    before = tmp_path / "before.csv"
    assert runner.invoke(app, ["export", str(before)]).exit_code == 0
    bad = tmp_path / "bad.csv"
    header = before.read_text(encoding="utf-8").splitlines()[0]
    cols = header.split(",")

    def row(**kw):
        return ",".join(str(kw.get(c, "")) for c in cols)

    bad.write_text(
        "\n".join(
            [
                header,
                row(name="Neues Elterncafé", category="startpunkt_elterncafe", district="8"),
                row(name="", category="buergerzentrum", district="8"),
                row(name="Irgendwas", category="kneipe", district="8"),
                row(name="In Berlin", category="buergerzentrum", lat="52.52", lon="13.40"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", str(bad)])
    assert result.exit_code == 1
    for line in ("Zeile 3", "Zeile 4", "Zeile 5"):
        assert line in result.output
    after = tmp_path / "after.csv"
    assert runner.invoke(app, ["export", str(after)]).exit_code == 0
    assert after.read_bytes() == before.read_bytes()
