"""Imports refuse hostile or malformed files with one named error and change nothing (issue 17)."""

import json
import tracemalloc

import pytest
from typer.testing import CliRunner

from bot.cli import app
from knowledge import facility_io
from knowledge.facility_io import FIELDS, MAX_DEPTH, ImportFailed, read_rows
from tests.test_facility_io import GOOD_CSV, dump, run_import

runner = CliRunner()


@pytest.fixture
async def filled(empty_engine, tmp_path):
    """A database with geography and three facilities, and a function telling whether it changed."""
    from knowledge.db import make_sessionmaker
    from knowledge.seed import seed_geography

    async with make_sessionmaker(empty_engine)() as s:
        await seed_geography(s)
        await s.commit()
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    await run_import(empty_engine, good)
    return empty_engine, await dump(empty_engine)


async def refused(engine, before, path) -> list:
    with pytest.raises(ImportFailed) as exc:
        await run_import(engine, path)
    assert await dump(engine) == before  # a failed import changes nothing
    return exc.value.errors


def billion_laughs() -> str:
    """The reported document: 533 bytes of anchors and aliases naming 9^9 strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    body = "\n".join(lines) + "\nfacilities:\n  - name: *i\n    category: asd\n"
    comment = "# billion laughs".ljust(533 - len(body.encode()) - 1, ".") + "\n"
    return comment + body


async def test_billion_laughs_is_refused_at_the_first_alias_and_stays_small(filled, tmp_path):
    engine, before = filled
    doc = billion_laughs()
    assert len(doc.encode()) == 533
    path = tmp_path / "laughs.yaml"
    path.write_text(doc, encoding="utf-8")
    tracemalloc.start()
    try:
        errors = await refused(engine, before, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20  # expanded, it would be gigabytes
    assert [(e.line, e.field) for e in errors] == [(3, None)]
    assert "aliases" in errors[0].reason


async def test_deep_nesting_is_refused_in_yaml_and_json(filled, tmp_path):
    engine, before = filled
    deep_yaml = tmp_path / "deep.yaml"
    deep_yaml.write_text("facilities:\n  - name: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    (error,) = await refused(engine, before, deep_yaml)
    assert f"deeper than {MAX_DEPTH}" in error.reason
    deep_json = tmp_path / "deep.geojson"
    deep_json.write_text(
        '{"type": "FeatureCollection", "features": ' + "[" * 100_000 + "]" * 100_000 + "}",
        encoding="utf-8",
    )
    (error,) = await refused(engine, before, deep_json)
    assert f"deeper than {MAX_DEPTH}" in error.reason


def feature(properties=None, geometry=None, **extra):
    props = {"name": "Treff", "category": "asd"} if properties is None else properties
    return {"type": "Feature", "geometry": geometry, "properties": props, **extra}


@pytest.mark.parametrize(
    ("collection", "expected", "needle"),
    [
        ({"type": "FeatureCollection", "features": "none"}, [(0, None)], "'features' must be a list"),
        ({"type": "FeatureCollection", "features": [1]}, [(1, None)], "Feature object"),
        ({"type": "FeatureCollection", "features": [{"type": "Point"}]}, [(1, None)], "Feature object"),
        ({"type": "FeatureCollection", "features": [feature(properties=[1, 2])]}, [(1, None)], "object"),
        ({"type": "FeatureCollection", "features": [feature(geometry="Point")]}, [(1, "geometry")], "object"),
        (
            {
                "type": "FeatureCollection",
                "features": [feature(geometry={"type": "Point", "coordinates": "8,49"})],
            },
            [(1, "geometry")],
            "[longitude, latitude]",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [feature(geometry={"type": "Point", "coordinates": [8.4]})],
            },
            [(1, "geometry")],
            "[longitude, latitude]",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [feature(geometry={"type": "Point", "coordinates": ["8.4", True]})],
            },
            [(1, "geometry")],
            "[longitude, latitude]",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [feature({"name": {"de": "Treff"}, "category": "asd"})],
            },
            [(1, "name")],
            "not a mapping",
        ),
        (
            {"type": "FeatureCollection", "features": [feature({"name": ["a", "b"], "category": "asd"})]},
            [(1, "name")],
            "not a list",
        ),
        ({"type": "Feature"}, [(0, None)], "FeatureCollection"),
        ([1, 2, 3], [(0, None)], "FeatureCollection"),
    ],
)
async def test_malformed_geojson_shapes_get_named_errors(filled, tmp_path, collection, expected, needle):
    engine, before = filled
    path = tmp_path / "shape.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    errors = await refused(engine, before, path)
    assert [(e.line, e.field) for e in errors] == expected and needle in errors[0].reason


@pytest.mark.parametrize(
    ("text", "expected", "needle"),
    [
        ("- name: a\n", [(1, None)], "'facilities' list"),
        ("facilities: {name: a}\n", [(1, None)], "'facilities' list"),
        ("facilities:\n  - just text\n", [(2, None)], "mapping"),
        ("facilities:\n  - name: {de: Treff}\n    category: asd\n", [(2, "name")], "not a mapping"),
        (
            "facilities:\n  - name: Treff\n    category: asd\n    languages: [{a: b}]\n",
            [(2, "languages")],
            "list",
        ),
        ("facilities:\n  - name: [a\n", [(3, None)], "not valid YAML"),
        ("facilities: []\n---\nfacilities: []\n", [(2, None)], "not valid YAML"),
        ("facilities:\n  - !!python/object:os.system {}\n", [(2, None)], "not valid YAML"),
        (
            "facilities:\n  - name: Treff\n    category: asd\n    last_verified: 2026-13-45\n",
            [(0, None)],
            "YAML",
        ),
    ],
)
async def test_malformed_yaml_shapes_get_named_errors(filled, tmp_path, text, expected, needle):
    engine, before = filled
    path = tmp_path / "shape.yaml"
    path.write_text(text, encoding="utf-8")
    errors = await refused(engine, before, path)
    assert [(e.line, e.field) for e in errors] == expected and needle in errors[0].reason


async def test_unknown_type_unreadable_and_oversized_files_are_named(filled, tmp_path, monkeypatch):
    engine, before = filled
    text = tmp_path / "facilities.txt"
    text.write_text(GOOD_CSV, encoding="utf-8")
    (error,) = await refused(engine, before, text)
    assert error.line == 0 and "unknown file type '.txt'" in error.reason
    assert str(error).startswith("file: ")
    big = tmp_path / "big.yaml"
    big.write_text("facilities: []\n" + "#" * 2000 + "\n", encoding="utf-8")
    monkeypatch.setitem(facility_io.MAX_BYTES, "yaml", 1000)
    (error,) = await refused(engine, before, big)
    assert "too large" in error.reason
    wide = tmp_path / "wide.csv"
    wide.write_text("name,category\n" + '"' + "x" * 200_000 + '",asd\n', encoding="utf-8")
    (error,) = await refused(engine, before, wide)
    assert "not valid CSV" in error.reason
    with pytest.raises(ImportFailed) as exc:
        read_rows(tmp_path / "missing.csv")
    assert "cannot read" in exc.value.errors[0].reason


async def test_names_and_fields_have_a_maximum_length(filled, tmp_path):
    engine, before = filled
    blank = dict.fromkeys(FIELDS, "")

    def row(**kw):
        return ",".join(f'"{v}"' for v in {**blank, **kw}.values())

    path = tmp_path / "long.csv"
    path.write_text(
        "\n".join(
            [
                ",".join(FIELDS),
                row(slug="ok-200", name="N" * 200, category="asd", description="d" * 2000),  # 2: fine
                row(slug="long-name", name="N" * 201, category="asd"),  # 3
                row(slug="long-field", name="Treff", category="asd", hours="h" * 2001),  # 4
                row(slug="nul", name="Treff\x00", category="asd"),  # 5
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    errors = await refused(engine, before, path)
    assert [(e.line, e.field) for e in errors] == [(3, "name"), (4, "hours"), (5, "name")]
    assert "longer than 200 characters (201)" in errors[0].reason
    assert "longer than 2000 characters" in errors[1].reason and "control" in errors[2].reason


def test_the_cli_names_file_errors_in_one_line_without_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("QUARTIER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    cases = {
        "facilities.txt": GOOD_CSV,
        "laughs.yaml": billion_laughs(),
        "deep.yaml": "facilities:\n  - name: " + "[" * 3000 + "]" * 3000 + "\n",
        "broken.geojson": '{"type": "FeatureCollection", "features": [{"geometry": 5}]}',
        "bad.json": "{not json",
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        result = runner.invoke(app, ["import", str(path)])
        assert result.exit_code == 1, (name, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), name
        assert "Traceback" not in result.output and "nichts geändert" in result.output, name
    result = runner.invoke(app, ["export", str(tmp_path / "out.txt")])
    assert result.exit_code == 2 and "unknown file type" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
