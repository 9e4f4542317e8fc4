"""`quartier invite`, `coordinator` and `volunteers export`, run in-process."""

import asyncio
import csv

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.models import AuditEntry, CoordinatorArea, Person
from bot.services import people, signups
from knowledge.db import make_engine, make_sessionmaker

runner = CliRunner()


@pytest.fixture
def db_env(signup_engine, seeded_url, monkeypatch):
    monkeypatch.setenv("QUARTIER_DATABASE_URL", seeded_url)
    monkeypatch.setenv("QUARTIER_BOT_USERNAME", "KA_Quartier_bot")
    return seeded_url


def run(coro_factory, url):
    async def go():
        engine = make_engine(url)
        try:
            async with make_sessionmaker(engine)() as s:
                return await coro_factory(s)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_invite_prints_a_one_time_deep_link_that_works_once(db_env):
    result = runner.invoke(app, ["invite", "coordinator", "--area", "2", "--hours", "1"])
    assert result.exit_code == 0, result.output
    link = result.stdout.split()[0]
    assert link.startswith("https://t.me/KA_Quartier_bot?start=inv_")
    token = link.split("inv_", 1)[1]
    assert len(token) >= 20 and len("inv_" + token) <= 64  # Telegram's limit for start payloads

    async def redeem_twice(s):
        a = await people.get_or_create(s, 81_000_001, "de")
        b = await people.get_or_create(s, 81_000_002, "de")
        area = await signups.redeem_invite(s, a, token)
        await s.commit()
        with pytest.raises(signups.Refused):
            await signups.redeem_invite(s, b, token)
        await s.commit()
        return area, await signups.areas_of(s, a), await signups.areas_of(s, b)

    area, areas_a, areas_b = run(redeem_twice, db_env)
    assert area == 2 and areas_a == {2} and areas_b == set()


def test_invite_for_an_unknown_area_fails_politely(db_env):
    result = runner.invoke(app, ["invite", "coordinator", "--area", "999"])
    assert result.exit_code == 2 and "999" in result.output


def test_coordinator_add_and_areas(db_env):
    result = runner.invoke(app, ["coordinator", "add", "--telegram-id", "81000003", "--area", "3"])
    assert result.exit_code == 0, result.output

    async def check(s):
        person = await s.scalar(select(Person).where(Person.telegram_id == 81_000_003))
        return person.role, list(
            await s.scalars(
                select(CoordinatorArea.planning_area_id).where(CoordinatorArea.person_id == person.id)
            )
        )

    assert run(check, db_env) == ("coordinator", [3])
    listing = runner.invoke(app, ["coordinator", "areas"])
    assert listing.exit_code == 0 and "Durlach" in listing.stdout


def test_volunteers_export_writes_csv_of_one_area_and_is_audited(db_env, tmp_path):
    async def make(s):
        v = await people.get_or_create(s, 81_000_004, "de")
        draft = signups.Draft(
            district=19,
            interests=["digital"],
            availability=["evenings"],
            hours="1-4",
            contact_via="email",
            email="helfer@example.org",
            note="Abends",
        )
        signup = await signups.submit(s, v, draft, "de", admin_ids=[])
        return signup.ref, signup.planning_area_id

    ref, area = run(make, db_env)
    out = tmp_path / "export.csv"
    result = runner.invoke(app, ["volunteers", "export", "--area", str(area), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["ref"] for r in rows] == [ref] and rows[0]["email"] == "helfer@example.org"
    assert rows[0]["interests"] == "digital"
    other = tmp_path / "other.csv"
    runner.invoke(app, ["volunteers", "export", "--area", str(area % 6 + 1), "--out", str(other)])
    assert len(list(csv.DictReader(other.open(encoding="utf-8")))) == 0

    async def audited(s):
        return list(await s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "export")))

    assert any("1 rows" in d for d in run(audited, db_env))


def test_run_with_a_real_token_refuses_when_sign_ups_could_reach_nobody(db_env, monkeypatch):
    """No admin and an area without coordinator: one clear line naming the areas, no start."""
    from bot.settings import get_settings
    from knowledge.models import PlanningArea

    async def setup(s):
        person = await people.get_or_create(s, 81_000_101, "de")
        await signups.add_coordinator(s, person, 2)
        await s.commit()
        return {a.id: a.name for a in await s.scalars(select(PlanningArea))}

    names = run(setup, db_env)
    monkeypatch.setenv("QUARTIER_BOT_TOKEN", "123456:REAL-TOKEN")
    monkeypatch.delenv("QUARTIER_ADMIN_IDS", raising=False)
    monkeypatch.delenv("QUARTIER_WEBHOOK_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["run"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "QUARTIER_ADMIN_IDS" in lines[0]
    assert all(name in lines[0] for number, name in names.items() if number != 2)
    assert names[2] not in lines[0]  # it has a coordinator
