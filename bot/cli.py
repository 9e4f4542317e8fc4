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
        engine_index = await load_index(engine, dates_confirmed_months=get_settings().dates_confirmed_months)
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
            console.print(render_answer(answer), markup=False, highlight=False)  # names are not rich markup
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
                    where = f"Zeile {e.line}" if e.line else "Datei"
                    err.print(f"  {where}: {e.field + ': ' if e.field else ''}{e.reason}", markup=False)
                return 1
        console.print(f"{report.total} Einrichtungen: {report.created} neu, {report.updated} aktualisiert")
        return 0

    raise typer.Exit(asyncio.run(run()))


@app.command("export")
def export(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="Target: .csv, .geojson or .yaml")],
    database_url: Annotated[str | None, typer.Option(envvar="QUARTIER_DATABASE_URL")] = None,
) -> None:
    """Export all facilities in the import format (a file readable by its owner only)."""
    from knowledge.facility_io import UnknownFileType, detect_format, export_facilities

    try:
        detect_format(file)
    except UnknownFileType as exc:
        err.print(f"[red]Export abgebrochen:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None

    async def run() -> int:
        async with _ready_session(database_url) as session:
            return await export_facilities(session, file)

    try:
        count = asyncio.run(run())
    except OSError as exc:
        err.print(f"[red]Export abgebrochen:[/red] {file}: {exc.strerror or type(exc).__name__}")
        raise typer.Exit(1) from None
    console.print(f"{count} Einrichtungen nach {file} geschrieben")


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
            return await load_index(engine, dates_confirmed_months=get_settings().dates_confirmed_months)
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
        if record.schedules and not engine_index.hours_current(record, when):
            since = record.hours_confirmed.year if record.hours_confirmed else "unbekannt"
            err.print(
                f"[yellow]{record.name}: Zeiten nicht kürzlich bestätigt (Stand {since}), "
                "daher keine Termine – bitte vorher anfragen.[/yellow]"
            )
        else:
            err.print(f"[yellow]{record.name}: keine regelmäßigen Termine bekannt.[/yellow]")
        raise typer.Exit(1)
    if out:
        out.write_bytes(data)
        console.print(f"{out} geschrieben")
    else:
        sys.stdout.buffer.write(data)


if __name__ == "__main__":
    app()


async def _unreachable(settings) -> str | None:
    """Without admins, a sign-up in an area nobody coordinates would reach nobody: say which areas."""
    from bot.services import signups

    async with _ready_session(settings.database_url) as session:
        areas = await signups.uncovered_areas(session)
    if not areas:
        return None
    return (
        f"Anmeldungen erreichen niemanden: Planungsgebiete ohne Koordination ({', '.join(areas)}) "
        "und QUARTIER_ADMIN_IDS ist leer. Bitte QUARTIER_ADMIN_IDS setzen oder Koordinator/innen "
        "eintragen (quartier coordinator add)."
    )


@app.command()
def run() -> None:
    """Start the bot: long polling, or a webhook when QUARTIER_WEBHOOK_URL is set.

    Without QUARTIER_BOT_TOKEN it starts the local Bot API sandbox and talks to it.
    """
    from bot.app import run_polling, run_webhook
    from bot.logs import configure_logging
    from bot.settings import SANDBOX_TOKEN

    settings = get_settings()
    if problem := settings.webhook_problem():  # before the database, the sandbox or Telegram
        typer.echo(problem, err=True)
        raise typer.Exit(2)
    if settings.bot_token and not settings.admin_ids and (problem := asyncio.run(_unreachable(settings))):
        typer.echo(problem, err=True)  # real people's sign-ups would reach nobody
        raise typer.Exit(2)
    configure_logging(settings.log_level)

    async def main() -> None:
        nonlocal settings
        sandbox = None
        if not settings.bot_token:
            from bot.sandbox import BotAPISandbox

            sandbox = BotAPISandbox(token=SANDBOX_TOKEN, port=8081)
            await sandbox.start()
            settings = settings.talking_to(sandbox.base_url, SANDBOX_TOKEN)
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


# -- coordination ---------------------------------------------------------------------------
invite_app = typer.Typer(help="One-time invitation links", no_args_is_help=True)
coordinator_app = typer.Typer(help="Coordinators of planning areas", no_args_is_help=True)
volunteers_app = typer.Typer(help="Volunteer sign-ups", no_args_is_help=True)
app.add_typer(invite_app, name="invite")
app.add_typer(coordinator_app, name="coordinator")
app.add_typer(volunteers_app, name="volunteers")

AreaOption = Annotated[
    int, typer.Option("--area", help="Planning area number (see `quartier coordinator areas`)")
]
DbOption = Annotated[str | None, typer.Option(envvar="QUARTIER_DATABASE_URL")]


@invite_app.command("coordinator")
def invite_coordinator(
    area: AreaOption,
    hours: Annotated[float | None, typer.Option(help="Valid for this many hours")] = None,
    bot_username: Annotated[str | None, typer.Option(help="The bot's @username without @")] = None,
    database_url: DbOption = None,
) -> None:
    """Print a one-time t.me deep link that makes its first user a coordinator of AREA."""
    from bot.handlers_links import invite_link
    from bot.services import signups

    settings = get_settings()

    async def run() -> str:
        async with _ready_session(database_url) as session:
            return await signups.create_invite(session, area, hours or settings.invite_hours)

    try:
        token = asyncio.run(run())
    except ValueError:
        err.print(f"[red]Planungsgebiet {area} gibt es nicht.[/red] `quartier coordinator areas` zeigt alle.")
        raise typer.Exit(2) from None
    console.print(invite_link(bot_username or settings.bot_username, token))
    console.print(f"gültig für {hours or settings.invite_hours:g} Stunden, einmal verwendbar")


@coordinator_app.command("areas")
def coordinator_areas(database_url: DbOption = None) -> None:
    """List the planning areas with their districts and coordinators."""
    from sqlalchemy import func, select

    from bot.models import CoordinatorArea
    from knowledge.models import District, PlanningArea

    async def run() -> list[tuple[int, str, list[str], int]]:
        async with _ready_session(database_url) as session:
            out = []
            for area in await session.scalars(select(PlanningArea).order_by(PlanningArea.id)):
                names = list(
                    await session.scalars(
                        select(District.name)
                        .where(District.planning_area_id == area.id)
                        .order_by(District.name)
                    )
                )
                count = await session.scalar(
                    select(func.count())
                    .select_from(CoordinatorArea)
                    .where(CoordinatorArea.planning_area_id == area.id)
                )
                out.append((area.id, area.name, names, count or 0))
            return out

    for number, name, districts, count in asyncio.run(run()):
        console.print(f"{number}  {name}  ({count} Koordinator/innen): {', '.join(districts)}")


@coordinator_app.command("add")
def coordinator_add(
    telegram_id: Annotated[int, typer.Option("--telegram-id", help="The person's Telegram user id")],
    area: AreaOption,
    database_url: DbOption = None,
) -> None:
    """Make a Telegram user a coordinator of AREA (creates the person record if needed)."""
    from bot.services import people, signups

    async def run() -> bool:
        async with _ready_session(database_url) as session:
            person = await people.get_or_create(session, telegram_id, None)
            return await signups.add_coordinator(session, person, area)

    if not asyncio.run(run()):
        err.print(f"[red]Planungsgebiet {area} gibt es nicht.[/red]")
        raise typer.Exit(2)
    console.print(f"{telegram_id} koordiniert jetzt Planungsgebiet {area}")


@volunteers_app.command("export")
def volunteers_export(
    area: AreaOption,
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="CSV file to write")] = Path(
        "signups.csv"
    ),
    database_url: DbOption = None,
) -> None:
    """Write the sign-ups of AREA as CSV for office work (the export is audited)."""
    from bot.services import signups
    from bot.services.signup_export import write_csv

    async def run() -> int:
        async with _ready_session(database_url) as session:
            rows = await signups.signups_for_export(session, area)
            await signups.audit(session, None, "export", detail=f"area {area}: {len(rows)} rows via CLI")
            return write_csv(rows, out)

    try:
        count = asyncio.run(run())
    except OSError as exc:
        err.print(f"[red]Export abgebrochen:[/red] {out}: {exc.strerror or type(exc).__name__}")
        raise typer.Exit(1) from None
    console.print(f"{count} Anmeldungen nach {out} geschrieben (nur für Sie lesbar)")


@app.command()
def housekeeping(database_url: DbOption = None) -> None:
    """Reminders, erasure after retention, old sent messages purged (the bot runs it by itself)."""
    from bot.notifications import housekeeping as run_housekeeping
    from bot.services import outbox
    from knowledge.db import make_sessionmaker

    settings = get_settings()
    if settings.bot_token:  # reminders written here collide with the bot's own (same keys)
        outbox.use_key(settings.bot_token)

    async def run() -> tuple[int, int]:
        engine = await _engine_ready(database_url)
        try:
            return await run_housekeeping(make_sessionmaker(engine), settings)
        finally:
            await engine.dispose()

    reminded, erased = asyncio.run(run())
    console.print(f"{reminded} Erinnerungen vorgemerkt, {erased} Anmeldungen gelöscht")


@app.command()
def report(
    date_from: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: 90 days ago)")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default: today)")] = None,
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Folder for the report")] = Path(
        "bericht"
    ),
    minutes: Annotated[float, typer.Option(help="Walking time the coverage is measured against")] = 20.0,
    category: Annotated[str, typer.Option(help="Category of the coverage map")] = "startpunkt_elterncafe",
    database_url: DbOption = None,
) -> None:
    """Sozialraummonitoring: HTML and Markdown report, CSV tables and PNG maps per district."""
    from rich.progress import Progress

    from knowledge.catalogue import CATEGORY_KEYS
    from knowledge.monitoring.report import write_report
    from knowledge.monitoring.tables import collect

    if category not in CATEGORY_KEYS:
        err.print(f"[red]Unbekannte Kategorie {category}.[/red] Möglich: {', '.join(CATEGORY_KEYS)}")
        raise typer.Exit(2)
    try:
        to_day = dt.date.fromisoformat(date_to) if date_to else dt.datetime.now(BERLIN).date()
        from_day = dt.date.fromisoformat(date_from) if date_from else to_day - dt.timedelta(days=90)
    except ValueError:
        err.print("[red]Datum bitte als JJJJ-MM-TT angeben.[/red]")
        raise typer.Exit(2) from None
    if from_day > to_day:
        err.print("[red]--from liegt nach --to.[/red]")
        raise typer.Exit(2)

    async def run(progress: Progress) -> list[Path]:
        task = progress.add_task("Bericht", total=27 + 10)

        def step(label: str) -> None:
            progress.update(task, advance=1, description=label)

        async with _ready_session(database_url) as session:
            data = await collect(
                session, from_day, to_day, minutes=minutes, map_category=category, progress=step
            )
        written = await asyncio.to_thread(write_report, data, out, progress=step)
        progress.update(task, completed=progress.tasks[0].total)
        return written.files

    with Progress(console=err, transient=True) as progress:
        files = asyncio.run(run(progress))
    for f in files:
        console.print(str(f))


model_app = typer.Typer(help="The learned second opinion (knowledge/learned/)", no_args_is_help=True)
app.add_typer(model_app, name="model")


def _training_modules():
    try:
        from knowledge.learned import report, train
    except ImportError:
        err.print("[red]Training needs scikit-learn and scipy:[/red] pip install -e '.[train]'")
        raise typer.Exit(2) from None
    return train, report


def _corpus_or_exit(corpus: Path):
    from knowledge.learned.corpus import CorpusError, load_corpus

    try:
        examples = load_corpus(corpus)
    except CorpusError as exc:
        err.print(f"[red]Corpus error:[/red] {exc}")
        raise typer.Exit(2) from None
    if not examples:
        err.print(f"[red]No corpus lines in {corpus}.[/red]")
        raise typer.Exit(2)
    return examples


_CORPUS_HELP = "Folder of <lang>.jsonl corpus files"


@model_app.command("train")
def model_train(
    corpus: Annotated[Path | None, typer.Option(help=_CORPUS_HELP)] = None,
    out: Annotated[Path | None, typer.Option(help="Model file to write")] = None,
) -> None:
    """Rebuild model.npz from the corpus; the same corpus gives the same bytes."""
    train, report = _training_modules()
    corpus = corpus or train.CORPUS_DIR
    examples = _corpus_or_exit(corpus)
    result = train.train(corpus, out or train.MODEL_PATH, examples=examples)
    summary = report.summarise(result.cv)
    console.print(
        f"{result.path}: {result.examples} examples, {result.buckets} weight rows, "
        f"{result.bytes / 1e6:.2f} MB, {result.seconds:.1f} s; CV accuracy {summary['accuracy']:.3f}, "
        f"macro F1 {summary['macro_f1']:.3f}, language {summary['language_accuracy']:.3f}"
    )
    figures = {"examples": result.examples, "bytes": result.bytes, "train_seconds": round(result.seconds, 2)}
    console.print(json.dumps(figures), soft_wrap=True, markup=False, highlight=False)


@model_app.command("report")
def model_report(corpus: Annotated[Path | None, typer.Option(help=_CORPUS_HELP)] = None) -> None:
    """Cross-validated accuracy per label and per language (5 folds), ending with one JSON line."""
    train, report = _training_modules()
    examples = _corpus_or_exit(corpus or train.CORPUS_DIR)
    report.render(report.summarise(train.cross_validate(examples)), console)


@model_app.command("predict")
def model_predict(
    text: Annotated[str, typer.Argument(help="A message as a person would write it")],
    top: Annotated[int, typer.Option(help="How many labels to show")] = 5,
    model: Annotated[Path | None, typer.Option(help="Model file (default: the packaged one)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One line of JSON")] = False,
) -> None:
    """The model's labels and language for one message."""
    from rich.table import Table

    from knowledge.learned.model import MODEL_PATH, load_model

    learned = load_model(model or MODEL_PATH)
    if learned is None:
        err.print("[red]No usable model file.[/red] Build one with: quartier model train")
        raise typer.Exit(1)
    p = learned.predict(text)
    if as_json:
        out = {"labels": dict(p.top(top)), "language": dict(list(p.language.items())[:3])}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return
    table = Table(title=text if len(text) <= 80 else text[:79] + "…")
    table.add_column("label")
    table.add_column("p", justify="right")
    for label, prob in p.top(top):
        table.add_row(label, f"{prob:.3f}")
    console.print(table)
    langs = ", ".join(f"{lang} {prob:.2f}" for lang, prob in list(p.language.items())[:3])
    console.print(f"language: {langs}")
