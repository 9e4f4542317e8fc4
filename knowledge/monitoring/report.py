"""Write the Sozialraummonitoring report: Markdown, HTML, CSV of every table, PNG maps.

Every file is created readable by its owner only and every CSV cell is spreadsheet-safe
(knowledge.exports).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.catalogue import category_label
from knowledge.exports import dict_writer, open_private, write_private_text
from knowledge.monitoring import maps
from knowledge.monitoring.tables import (
    MIN_CELL,
    ReportData,
    coverage_table,
    district_table,
    places_table,
)

HEADERS_DE = {
    "district": "Stadtteil",
    "population": "Einwohner 2016",
    "age_0_19": "0–19 J.",
    "age_20_64": "20–64 J.",
    "age_65_plus": "65+ J.",
    "places": "Orte",
    "places_per_10000": "Orte je 10.000 EW",
    "questions": "Fragen",
    "questions_per_1000": "Fragen je 1.000 EW",
    "share_without_nearby_answer": "Anteil ohne nahe Antwort",
    "top_unmet_categories": "Häufigste ungedeckte Kategorien",
    "category": "Kategorie",
    "share_within_minutes": "Flächenanteil in Gehzeit",
    "median_walk_minutes": "Median Gehminuten",
    "meets_promise": "Versprechen erfüllt (≥ 95 %)",
    "places_city_wide": "Orte stadtweit",
    "of_which_approximate": "davon Lage ungefähr",
}


@dataclass(slots=True)
class Written:
    files: list[Path]


def _csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with open_private(path, "w", newline="", encoding="utf-8") as fh:
        if rows:
            writer = dict_writer(fh, list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if value is True:
        return "ja"
    if value is False:
        return "nein"
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    return str(value)


def _markdown_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "_keine Daten_\n"
    keys = list(rows[0])
    head = "| " + " | ".join(HEADERS_DE.get(k, k) for k in keys) + " |"
    rule = "|" + "|".join("---" for _ in keys) + "|"
    body = ["| " + " | ".join(_fmt(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join([head, rule, *body]) + "\n"


def _html_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p><em>keine Daten</em></p>"
    keys = list(rows[0])
    head = "".join(f"<th>{html.escape(HEADERS_DE.get(k, k))}</th>" for k in keys)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(r[k]))}</td>" for k in keys) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(data: ReportData, out: Path, *, progress: Callable[[str], None] | None = None) -> Written:
    step = progress or (lambda _label: None)
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    districts = district_table(data)
    places = places_table(data)
    cov = coverage_table(data, data.map_category)
    files += [
        _csv(out / "stadtteile.csv", districts),
        _csv(out / "orte_je_kategorie.csv", places),
        _csv(out / f"abdeckung_{data.map_category}.csv", cov),
    ]
    step("tables")

    pop = {d.number: d.population for d in data.districts}

    def per_1000(counts: dict[int | None, int]) -> dict[int, float | None]:
        out_values: dict[int, float | None] = {}
        for d in data.districts:
            n = counts.get(d.number, 0)
            out_values[d.number] = (
                round(n / pop[d.number] * 1000, 2) if pop[d.number] and n >= MIN_CELL else None
            )
        return out_values

    period = f"{data.date_from:%d.%m.%Y}–{data.date_to:%d.%m.%Y}"
    demand_png = maps.save(
        maps.choropleth(
            data.districts,
            per_1000(data.questions),
            title=f"Fragen an den Quartiersassistenten je 1.000 Einwohner ({period})",
            legend="Fragen je 1.000 Einwohner (grau: weniger als 5 Fragen)",
        ),
        out / "karte_nachfrage.png",
    )
    step("demand map")
    unmet_share = {
        d.number: (
            round(data.unmet.get(d.number, 0) / data.questions[d.number], 2)
            if data.questions.get(d.number, 0) >= MIN_CELL
            else None
        )
        for d in data.districts
    }
    unmet_png = maps.save(
        maps.choropleth(
            data.districts,
            unmet_share,
            title=f"Ungedeckte Nachfrage: Fragen ohne Ort in {data.minutes:g} Gehminuten ({period})",
            legend="Anteil ohne nahe Antwort (grau: weniger als 5 Fragen)",
            cmap="PuRd",
            vmin=0,
            vmax=1,
        ),
        out / "karte_ungedeckt.png",
    )
    step("unmet map")
    label = category_label(data.map_category, "de")
    cov_values = {d.number: data.coverage[(d.number, data.map_category)].share for d in data.districts}
    cov_png = maps.save(
        maps.choropleth(
            data.districts,
            cov_values,
            title=f"Erreichbarkeit: {label} in {data.minutes:g} Minuten zu Fuß",
            legend=f"Flächenanteil mit {label} in {data.minutes:g} Gehminuten",
            cmap="RdYlGn",
            vmin=0,
            vmax=1,
            dots=[(lat, lon, exact) for cat, lat, lon, exact in data.facilities if cat == data.map_category],
            dots_label=label,
        ),
        out / f"karte_abdeckung_{data.map_category}.png",
    )
    files += [demand_png, unmet_png, cov_png]
    step("coverage map")

    short = [r["district"] for r in cov if r["share_within_minutes"] is not None and not r["meets_promise"]]
    approx = sum(1 for c, _la, _lo, ok in data.facilities if c == data.map_category and not ok)
    summary = [
        f"Zeitraum {period}: {data.total_questions} Fragen, davon "
        f"{sum(data.unmet.values())} ohne Ort in {data.minutes:g} Gehminuten.",
        f"{label}: {len(short)} von {len(cov)} Stadtteilen erreichen das "
        f"{data.minutes:g}-Minuten-Versprechen nicht (weniger als 95 % der Fläche): "
        f"{', '.join(short) or '–'}.",
        f"{approx} der {label}-Orte haben nur eine ungefähre Lage (Stadtteilmitte); die Abdeckung ist dort "
        "unsicher. Mit den vollständigen Adresslisten der Stadt (quartier import) wird die Zahl belastbar.",
        f'Zellen aus weniger als {MIN_CELL} Fragen sind unterdrückt ("<5"). Die Fragen sind anonym: '
        "keine Person, kein Chat, keine Uhrzeit.",
    ]
    generated = dt.datetime.now().strftime("%d.%m.%Y %H:%M")
    md = [
        "# Sozialraummonitoring Quartiersassistent Karlsruhe",
        f"_Erstellt {generated}. {maps.ATTRIBUTION}_",
        "",
        *[f"- {s}" for s in summary],
        "",
        "## Stadtteile: Bevölkerung, Orte, Nachfrage",
        _markdown_table(districts),
        f"![Nachfrage]({demand_png.name})",
        f"![Ungedeckte Nachfrage]({unmet_png.name})",
        f"## Erreichbarkeit: {label} in {data.minutes:g} Gehminuten",
        _markdown_table(cov),
        f"![Abdeckung]({cov_png.name})",
        "## Orte je Kategorie und Stadtteil",
        _markdown_table(places),
    ]
    md_path = out / "bericht.md"
    write_private_text(md_path, "\n".join(md))
    style = (
        "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:13px;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}img{max-width:100%}"
    )
    page = f"""<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Sozialraummonitoring Quartiersassistent Karlsruhe</title><style>{style}</style></head><body>
<h1>Sozialraummonitoring Quartiersassistent Karlsruhe</h1>
<p><small>Erstellt {generated}. {html.escape(maps.ATTRIBUTION)}</small></p>
<ul>{"".join(f"<li>{html.escape(s)}</li>" for s in summary)}</ul>
<h2>Stadtteile: Bevölkerung, Orte, Nachfrage</h2>{_html_table(districts)}
<img src="{demand_png.name}" alt="Nachfrage je Stadtteil">
<img src="{unmet_png.name}" alt="Ungedeckte Nachfrage">
<h2>Erreichbarkeit: {html.escape(label)} in {data.minutes:g} Gehminuten</h2>{_html_table(cov)}
<img src="{cov_png.name}" alt="Abdeckung">
<h2>Orte je Kategorie und Stadtteil</h2>{_html_table(places)}
</body></html>"""
    html_path = out / "bericht.html"
    write_private_text(html_path, page)
    files += [md_path, html_path]
    step("pages")
    return Written(files)
