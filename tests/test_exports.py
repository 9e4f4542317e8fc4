"""Spreadsheet formula injection and export file permissions (issue 17, finding 6)."""

import asyncio
import csv
import os
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from bot.cli import app
from bot.models import Signup
from bot.services import people, signups
from knowledge.db import make_engine, make_sessionmaker
from knowledge.exports import FORMULA_START, open_private, safe_cell, unescape_cell
from knowledge.facility_io import FIELDS, ImportFailed, import_facilities
from knowledge.models import Facility
from knowledge.monitoring import report

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
ATTACKS = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3", "\t=1", "\r=1"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_csv_the_project_writes_goes_through_the_safe_writers():
    writers = re.compile(r"csv\.(writer|DictWriter)\s*\(|\bDictWriter\s*\(")
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("bot", "handlers", "knowledge", "benchmarks")
        for p in (ROOT / folder).rglob("*.py")
        if p.name != "exports.py" and writers.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize("value", ATTACKS)
def test_formula_cells_get_an_apostrophe_and_come_back_unchanged(value):
    assert safe_cell(value) == "'" + value and unescape_cell(safe_cell(value)) == value
    assert safe_cell("Treff am See") == "Treff am See" and safe_cell(-2.5) == -2.5 and safe_cell(None) is None
    assert unescape_cell("'s Bäckerle") == "'s Bäckerle"  # only our own apostrophe goes
    assert set(FORMULA_START) == {"=", "+", "-", "@", "\t", "\r"}


def test_private_files_are_created_0600_and_replace_wider_ones(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o644)
    with open_private(target, "w", encoding="utf-8") as fh:
        assert mode(target) == 0o600  # from the moment it exists, before anything is written
        fh.write("new")
    assert target.read_text(encoding="utf-8") == "new" and mode(target) == 0o600
    link = tmp_path / "link.csv"
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep", encoding="utf-8")
    link.symlink_to(elsewhere)
    with open_private(link, "w", encoding="utf-8") as fh:
        fh.write("x")
    assert elsewhere.read_text(encoding="utf-8") == "keep" and not link.is_symlink()


def test_volunteers_export_neutralises_a_formula_note_and_is_owner_only(
    signup_engine, seeded_url, tmp_path, monkeypatch
):
    """The reported case: a note =HYPERLINK(...) landed raw in a world-readable export."""
    monkeypatch.setenv("QUARTIER_DATABASE_URL", seeded_url)

    async def make() -> int:
        engine = make_engine(seeded_url)
        try:
            async with make_sessionmaker(engine)() as s:
                person = await people.get_or_create(s, 81_900_001, "de")
                draft = signups.Draft(
                    district=19,
                    interests=["digital"],
                    availability=["evenings"],
                    hours="1-4",
                    contact_via="phone",
                    phone="+49 721 1335101",
                    note=ATTACKS[0],
                )
                signup = await signups.submit(s, person, draft, "de", admin_ids=[])
                await s.execute(update(Signup).where(Signup.id == signup.id).values(status_note="@SUM(1)"))
                await s.commit()
                return signup.planning_area_id
        finally:
            await engine.dispose()

    area = asyncio.run(make())
    out = tmp_path / "signups.csv"
    out.write_text("", encoding="utf-8")
    os.chmod(out, 0o644)  # an older export lying around, readable by everybody
    result = runner.invoke(app, ["volunteers", "export", "--area", str(area), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert mode(out) == 0o600
    (row,) = list(csv.DictReader(out.open(encoding="utf-8")))
    assert row["note"] == "'" + ATTACKS[0] and row["status_note"] == "'@SUM(1)"
    assert row["phone"].startswith("'+49")  # a phone number keeps its plus, behind the apostrophe
    for value in row.values():
        assert not value.startswith(FORMULA_START)


async def test_facility_export_neutralises_formulas_and_import_refuses_them(geo_engine_filled, tmp_path):
    engine = geo_engine_filled
    async with make_sessionmaker(engine)() as s:  # stored before the import checked (or by other means)
        await s.execute(update(Facility).where(Facility.slug == "cafe-aue").values(name=ATTACKS[0]))
        await s.execute(update(Facility).where(Facility.slug == "treff-exakt").values(phone="+49 721 1"))
        await s.commit()
    from knowledge.facility_io import export_facilities

    out = tmp_path / "export.csv"
    async with make_sessionmaker(engine)() as s:
        await export_facilities(s, out)
    assert mode(out) == 0o600
    rows = {r["slug"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows["cafe-aue"]["name"] == "'" + ATTACKS[0] and rows["treff-exakt"]["phone"] == "'+49 721 1"
    with pytest.raises(ImportFailed) as exc:  # read back, the formula is refused by name
        async with make_sessionmaker(engine)() as s:
            await import_facilities(s, out)
    assert [(e.field, e.reason[:15]) for e in exc.value.errors] == [("name", "starts with '='")]


@pytest.mark.parametrize(
    ("field", "value"), [(f, v) for f in ("name", "operator", "description") for v in ATTACKS[:4]]
)
async def test_import_names_each_formula_value(geo_engine_filled, tmp_path, field, value):
    blank = dict.fromkeys(FIELDS, "")
    row = {**blank, "slug": "neu", "name": "Neuer Treff", "category": "asd", field: value}
    path = tmp_path / "formula.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)  # a hostile file, written raw on purpose
        writer.writeheader()
        writer.writerow(row)
    with pytest.raises(ImportFailed) as exc:
        async with make_sessionmaker(geo_engine_filled)() as s:
            await import_facilities(s, path)
    ((line, name, reason),) = exc.value.errors
    assert (line, name) == (2, field) and "formula" in reason


def test_monitoring_csv_cells_are_safe_and_files_owner_only(tmp_path):
    path = report._csv(tmp_path / "t.csv", [{"district": "=1+1", "questions": 5, "share": -0.5}])
    assert mode(path) == 0o600
    assert path.read_text(encoding="utf-8").splitlines()[1] == "'=1+1,5,-0.5"


@pytest.fixture
async def geo_engine_filled(empty_engine, tmp_path):
    from knowledge.seed import seed_geography
    from tests.test_facility_io import GOOD_CSV

    async with make_sessionmaker(empty_engine)() as s:
        await seed_geography(s)
        await s.commit()
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    async with make_sessionmaker(empty_engine)() as s:
        await import_facilities(s, good)
    return empty_engine
