"""Plain-text rendering of an answer for the terminal (`quartier ask`), in German.

Imported values pass through `plain` (bot.safe_html): no control characters reach the
terminal (an escape sequence in a name would otherwise drive it), long values are cut.
A date without a known time shows the day (and the part of it), never "00:00"; hours not
confirmed lately say so and carry no dates.
"""

from __future__ import annotations

from babel.dates import format_datetime

from bot.safe_html import LINE, NAME, plain
from knowledge.catalogue import category_label
from knowledge.schedules import Occurrence
from knowledge.search import Answer

PARTS_OF_DAY = {"morning": "vormittags", "midday": "mittags", "afternoon": "nachmittags", "evening": "abends"}


def _when(o: Occurrence) -> str:
    if o.timed:
        return format_datetime(o.start, "EEE d. MMM, HH:mm", locale="de_DE")
    day = format_datetime(o.start, "EEE d. MMM", locale="de_DE")
    return f"{day}, {PARTS_OF_DAY[o.part_of_day]}" if o.part_of_day in PARTS_OF_DAY else day


def render_answer(answer: Answer) -> str:
    lang = answer.understanding.language
    lines: list[str] = []
    district = answer.district
    head = f"Absicht: {answer.intent}"
    if district is not None:
        head += f" · Stadtteil: {plain(answer.district_names.get(district), NAME)}"
    place = answer.understanding.place
    if place.kind in ("landmark", "stop") and place.label:
        head += f" · {'Haltestelle' if place.kind == 'stop' else 'Ort'}: {plain(place.label, NAME)}"
    lines.append(head)
    if not answer.results:
        lines.append("Keine passenden Orte gefunden.")
    for i, r in enumerate(answer.results, 1):
        f = r.facility
        lines.append("")
        lines.append(f"{i}. {plain(f.name, NAME)} – {plain(category_label(r.category, lang), NAME)}")
        if r.distance_m is not None:
            lines.append(f"   {r.distance_m / 1000:.1f} km, etwa {r.walk_minutes} Min. zu Fuß")
        if r.in_district is False:
            lines.append("   (nicht im genannten Stadtteil – nächstgelegene Alternative)")
        if f.address:
            lines.append(f"   {plain(f.address, LINE)}")
        if not f.location_exact and f.lat is not None:
            lines.append("   Lage nur ungefähr bekannt")
        for d in r.next_dates:
            lines.append(f"   Termin: {_when(d)}")
        if f.hours_text:
            ask = "" if r.hours_current and r.next_dates else " (bitte vorher anfragen)"
            lines.append(f"   Zeiten: {plain(f.hours_text, LINE)}{ask}")
        for label, value in (("Tel.", f.phone), ("E-Mail", f.email), ("Web", f.website)):
            if value:
                lines.append(f"   {label} {plain(value, LINE)}")
    return "\n".join(lines)
