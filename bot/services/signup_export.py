"""Sign-ups as CSV for the coordination's office work.

The file holds personal data: it is created readable by its owner only, and every cell is
spreadsheet-safe (a note "=HYPERLINK(...)" stays text), see knowledge.exports.
"""

from __future__ import annotations

from pathlib import Path

from bot.models import Signup
from knowledge.exports import csv_writer, open_private

COLUMNS = (
    "ref",
    "status",
    "created_at",
    "district_number",
    "interests",
    "availability",
    "hours_per_month",
    "contact_via",
    "phone",
    "email",
    "note",
    "status_note",
    "unassigned",
)


def write_csv(rows: list[Signup], path: Path) -> int:
    with open_private(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv_writer(fh)
        writer.writerow(COLUMNS)
        for s in rows:
            values = []
            for column in COLUMNS:
                value = getattr(s, column)
                if isinstance(value, list):
                    value = ";".join(value)
                values.append("" if value is None else value)
            writer.writerow(values)
    return len(rows)
