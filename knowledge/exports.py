"""Files the project writes for people to open: spreadsheet-safe CSV, readable by the owner only.

Guarantees:
* every CSV cell the project writes goes through `safe_cell`: text starting with
  = + - @, a tab or a carriage return gets a leading apostrophe, so a spreadsheet shows it
  as text instead of running it as a formula (`=HYPERLINK(...)`, `+cmd|...`, `@SUM(...)`);
  `csv_writer` and `dict_writer` are the only CSV writers in the project (a test checks);
* export files are created with mode 0600 by `os.open` itself: there is no moment in which
  another user of the machine could open them, and an existing file is replaced, not reused
  with its old permissions.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PRIVATE_MODE = 0o600


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet may safely read it: formula-like text gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    """Undo `safe_cell` on text read back from one of our exports (export -> import round trip)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


class _Writer:
    def __init__(self, fh: IO[str], **kwargs: Any):
        self._writer = csv.writer(fh, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _DictWriter(csv.DictWriter):
    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def csv_writer(fh: IO[str], **kwargs: Any) -> _Writer:
    """`csv.writer` whose every cell goes through `safe_cell`."""
    return _Writer(fh, **kwargs)


def dict_writer(fh: IO[str], fieldnames: Iterable[str], **kwargs: Any) -> csv.DictWriter:
    """`csv.DictWriter` whose every cell goes through `safe_cell`."""
    return _DictWriter(fh, fieldnames=list(fieldnames), **kwargs)


def open_private(path: Path | str, mode: str = "w", **kwargs: Any) -> IO:
    """Open a new file that only its owner can read or write (0600 from its creation on).

    An existing file (or a link in its place) is removed first: its permissions may be
    wider, and a link could point somewhere else.
    """
    if mode not in ("w", "wb"):
        raise ValueError("open_private writes new files only")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, PRIVATE_MODE)
    except FileExistsError:
        os.unlink(path)
        fd = os.open(path, flags, PRIVATE_MODE)
    try:
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def write_private_text(path: Path | str, text: str, encoding: str = "utf-8") -> None:
    with open_private(path, "w", encoding=encoding, newline="") as fh:
        fh.write(text)


def write_private_bytes(path: Path | str, data: bytes) -> None:
    with open_private(path, "wb") as fh:
        fh.write(data)
