"""The labelled corpus of the learned model: JSON Lines in knowledge/learned/corpus/<lang>.jsonl.

Each line is {"text", "lang", "label", "style"} (style optional). `load_corpus` guarantees a
canonical order (sorted by language, label and text, whatever the order of files and lines) and
one example per distinct text, so training sees the same input for the same corpus. Lines that
do not parse, lack a field or give one text two labels are errors naming file and line: a city
editing the corpus learns what to fix instead of training on a silently dropped line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"


class CorpusError(ValueError):
    """A corpus line that cannot be used, with its file and line number."""


@dataclass(frozen=True, slots=True, order=True)
class Example:
    lang: str
    label: str
    text: str
    style: str = ""


def load_corpus(directory: Path = CORPUS_DIR) -> list[Example]:
    """Every example of every *.jsonl file under `directory`, sorted, duplicates merged."""
    seen: dict[str, tuple[Example, str]] = {}
    for path in sorted(directory.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path.name}:{number}"
                try:
                    row = json.loads(line)
                    example = Example(
                        lang=str(row["lang"]).strip(),
                        label=str(row["label"]).strip(),
                        text=str(row["text"]).strip(),
                        style=str(row.get("style") or ""),
                    )
                except (ValueError, KeyError, TypeError) as exc:
                    raise CorpusError(
                        f"{where}: not a corpus line ({exc.__class__.__name__}: {exc})"
                    ) from None
                if not (example.text and example.lang and example.label):
                    raise CorpusError(f"{where}: empty text, lang or label")
                if example.text in seen:
                    first, first_where = seen[example.text]
                    if first.label != example.label:
                        raise CorpusError(
                            f"{where}: same text as {first_where} with another label "
                            f"({example.label} vs {first.label})"
                        )
                    continue
                seen[example.text] = (example, where)
    return sorted(e for e, _ in seen.values())
