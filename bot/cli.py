"""The `quartier` command line: ask questions, manage the database and the data."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.render_text import render_answer
from bot.settings import get_settings
from knowledge.db import current_revision, make_engine, prepare_database, session_scope, upgrade
from knowledge.schedules import BERLIN

app = typer.Typer(help="Quartiersassistent Karlsruhe", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database migrations", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console()
err = Console(stderr=True)


def _parse_now(now: str | None) -> dt.datetime:
    if not now:
        return dt.datetime.now(BERLIN)
    value = dt.datetime.fromisoformat(now)
    return value if value.tzinfo else value.replace(tzinfo=BERLIN)


async def _engine_ready(database_url: str | None):
    engine = make_engine(database_url or get_settings().database_url)
    await prepare_database(engine)
    return engine


@contextlib.asynccontextmanager
async def _ready_session(database_url: str | None):
    """A session on a migrated, seeded database; the engine is closed afterwards."""
    engine = await _engine_ready(database_url)
    try:
        async with session_scope(engine) as session:
            yield session
    finally:
        await engine.dispose()


def _batch_lines(path: Path) -> Iterator[tuple[int, dict]]:
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                yield number, json.loads(line)


async def _ask(text, batch, lat, lon, lang, now, as_json, limit, database_url) -> None:
    from knowledge.index import load_index

    engine = await _engine_ready(database_url)
    try:
        engine_index = await load_index(engine)
    finally:
        await engine.dispose()
    when = _parse_now(now)
    if batch is not None:
        for _, q in _batch_lines(batch):
            answer = engine_index.search(
                q["text"],
                lang=q.get("lang") or lang,
                lat=q.get("lat"),
                lon=q.get("lon"),
                now=when,
                limit=limit,
            )
            sys.stdout.write(json.dumps(answer.to_json(q.get("id")), ensure_ascii=False) + "\n")
        return
    questions = [text] if text else None
    while True:
        if questions is None:
            try:
                line = console.input("[bold]Frage[/bold] (leer = Ende): ")
            except EOFError:
                return
            if not line.strip():
                return
            current = line
        else:
            current = questions.pop()
        answer = engine_index.search(current, lang=lang, lat=lat, lon=lon, now=when, limit=limit)
        if as_json:
            sys.stdout.write(json.dumps(answer.to_json(None), ensure_ascii=False, indent=2) + "\n")
        else:
            console.print(render_answer(answer))
        if questions is not None:
            return


@app.command()
def ask(
    text: Annotated[str | None, typer.Argument(help="The question, in any of the six languages")] = None,
    batch: Annotated[Path | None, typer.Option(help="JSONL file of {id, text, lang?, lat?, lon?}")] = None,
    lat: Annotated[float | None, typer.Option(help="Latitude of the person")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude of the person")] = None,
    lang: Annotated[str | None, typer.Option(help="Language code (de, en, tr, ar, uk, ru)")] = None,
    now: Annotated[str | None, typer.Option(help="Reference time, ISO 8601 (default: now)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON answer")] = False,
    limit: Annotated[int, typer.Option(min=1, max=50, help="Number of results")] = 5,
    database_url: Annotated[str | None, typer.Option(envvar="QUARTIER_DATABASE_URL")] = None,
) -> None:
    """Answer a question (or every line of --batch, or interactively without TEXT)."""
    if (lat is None) != (lon is None):
        raise typer.BadParameter("--lat and --lon go together")
    asyncio.run(_ask(text, batch, lat, lon, lang, now, as_json, limit, database_url))


@db_app.command("upgrade")
def db_upgrade(
    revision: str = "head",
    seed: Annotated[bool, typer.Option(help="Seed the packaged data into an empty database")] = True,
    database_url: Annotated[str | None, typer.Option(envvar="QUARTIER_DATABASE_URL")] = None,
) -> None:
    """Migrate the database to the newest schema (and seed an empty one)."""

    async def run() -> None:
        engine = make_engine(database_url or get_settings().database_url)
        try:
            if seed and revision == "head":
                seeded = await prepare_database(engine)
                console.print("seeded Karlsruhe data" if seeded else "database up to date")
            else:
                await upgrade(engine, revision)
            console.print(f"revision: {await current_revision(engine)}")
        finally:
            await engine.dispose()

    asyncio.run(run())


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV, GeoJSON or YAML")],
    replace: Annotated[bool, typer.Option(help="Delete facilities that are not in the file")] = False,
    database_url: Annotated[str | None, typer.Option(envvar="QUARTIER_DATABASE_URL")] = None,
) -> None:
    """Import facilities: every row is checked; all rows go in, or none."""
    from knowledge.facility_io import ImportFailed, import_facilities

    async def run() -> int:
        async with _ready_session(database_url) as session:
            try:
                report = await import_facilities(session, file, replace=replace)
            except ImportFailed as exc:
                err.print(
                    f"[red]Import abgebrochen, nichts geändert.[/red] {len(exc.errors)} fehlerhafte Zeile(n):"
                )
                for e in exc.errors:
                    err.print(f"  Zeile {e.line}: {e.field + ': ' if e.field else ''}{e.reason}")
                return 1
        console.print(f"{report.total} Einrichtungen: {report.created} neu, {report.updated} aktualisiert")
        return 0

    raise typer.Exit(asyncio.run(run()))


@app.command("export")
def export(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="Target: .csv, .geojson or .yaml")],
    database_url: Annotated[str | None, typer.Option(envvar="QUARTIER_DATABASE_URL")] = None,
) -> None:
    """Export all facilities in the import format."""
    from knowledge.facility_io import export_facilities

    async def run() -> int:
        async with _ready_session(database_url) as session:
            return await export_facilities(session, file)

    console.print(f"{asyncio.run(run())} Einrichtungen nach {file} geschrieben")


@app.command()
def calendar(
    facility: Annotated[str, typer.Argument(help="Slug or name of the facility")],
    out: Annotated[Path | None, typer.Option(help="File to write (default: stdout)")] = None,
    count: Annotated[int, typer.Option(min=1, max=50)] = 5,
    now: Annotated[str | None, typer.Option(help="Reference time, ISO 8601")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="QUARTIER_DATABASE_URL")] = None,
) -> None:
    """Write an .ics calendar file with the next dates of a facility."""
    from knowledge.calendar import facility_calendar
    from knowledge.index import load_index

    async def run():
        engine = await _engine_ready(database_url)
        try:
            return await load_index(engine)
        finally:
            await engine.dispose()

    engine_index = asyncio.run(run())
    record = engine_index.find_facility(facility)
    if record is None:
        err.print(f"[red]Keine Einrichtung gefunden:[/red] {facility}")
        raise typer.Exit(1)
    when = _parse_now(now)
    occurrences = engine_index.occurrences(record, when, count)
    data = (
        facility_calendar(
            name=record.name,
            address=record.address,
            description=record.description,
            url=record.website or (record.source_url or "").split(" | ")[0] or None,
            occurrences=occurrences,
            uid_prefix=record.slug,
            now=when,
        )
        if occurrences
        else None
    )
    if data is None:
        err.print(f"[yellow]{record.name}: keine regelmäßigen Termine bekannt.[/yellow]")
        raise typer.Exit(1)
    if out:
        out.write_bytes(data)
        console.print(f"{out} geschrieben")
    else:
        sys.stdout.buffer.write(data)


if __name__ == "__main__":
    app()


@app.command()
def run() -> None:
    """Start the bot: long polling, or a webhook when QUARTIER_WEBHOOK_URL is set.

    Without QUARTIER_BOT_TOKEN it starts the local Bot API sandbox and talks to it.
    """
    from bot.app import run_polling, run_webhook
    from bot.settings import SANDBOX_TOKEN

    settings = get_settings()

    async def main() -> None:
        nonlocal settings
        sandbox = None
        if not settings.bot_token:
            from bot.sandbox import BotAPISandbox

            sandbox = BotAPISandbox(token=SANDBOX_TOKEN, port=8081)
            await sandbox.start()
            settings = settings.model_copy(
                update={"bot_token": SANDBOX_TOKEN, "telegram_api_base": sandbox.base_url}
            )
            console.print(f"No Telegram token: using the local Bot API sandbox at {sandbox.base_url}")
        try:
            await (run_webhook(settings) if settings.webhook_url else run_polling(settings))
        finally:
            if sandbox is not None:
                await sandbox.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


@app.command()
def chat(
    lang: Annotated[str, typer.Option(help="Telegram language of the simulated person")] = "de",
) -> None:
    """Talk to the real bot in this terminal, through the local Bot API sandbox."""
    from bot.chat import run_chat

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_chat(get_settings(), lang))


@app.command()
def sandbox(
    host: str = "127.0.0.1",
    port: int = 8081,
    token: Annotated[str | None, typer.Option(help="Bot token the sandbox accepts")] = None,
) -> None:
    """Serve the local Bot API sandbox (a stand-in for api.telegram.org)."""
    from bot.sandbox import run_sandbox
    from bot.settings import SANDBOX_TOKEN

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_sandbox(host, port, token or SANDBOX_TOKEN))
