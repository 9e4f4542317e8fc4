"""Place resolution against the packaged Karlsruhe geography."""

import pytest

from knowledge.geo import haversine_m


def place_of(knowledge, text, lat=None, lon=None):
    return knowledge.understand(text, lat=lat, lon=lon).place


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Elterncafé in Durlach", 19),
        ("Jugendhaus Südstadt", 3),
        ("was gibt es in der Suedstadt", 3),
        ("Treffpunkt Innenstadt-Ost", 1),
        ("Innenstadt West", 2),
        ("weiherfeld-dammerstock", 14),
        ("Durlacher Jugendhaus", 19),
        ("Neureuter Bürgerverein", 26),
        ("Mühlburger Familien", 8),
        ("Grünwinkler Senioren", 11),
    ],
)
def test_district_names_aliases_and_adjectives(knowledge, text, number):
    place = place_of(knowledge, text)
    assert place.district == number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("elterncafe durlah", 19),
        ("senioren treff muhlburg", 8),
        ("seniorentref durlch", 19),
        ("Bürgerverein Rüppur", 15),
        ("Jugendtreff Knilingen", 10),
        ("Daxlande", 9),
    ],
)
def test_typos_and_missing_umlauts(knowledge, text, number):
    assert place_of(knowledge, text).district == number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Elterncafé in der Aue", 19),
        ("Bergwald", 19),
        ("Killisfeld", 19),
        ("Kirchfeld", 26),
        ("Heidenstücker", 11),
        ("Seniorentreff Heidenstückersiedlung", 11),
        ("Rintheimer Feld", 17),
    ],
)
def test_informal_names_of_district_parts(knowledge, text, number):
    place = place_of(knowledge, text)
    assert place.district == number
    assert place.kind == "informal"
    district = knowledge.gazetteer.districts[number]
    # the informal place has its own point, inside its district
    assert knowledge.gazetteer.district_at(place.lat, place.lon) == number or district.area.contains(
        place.lat, place.lon
    )


def test_informal_place_point_differs_from_district_centre(knowledge):
    aue = place_of(knowledge, "Aue")
    durlach = knowledge.gazetteer.districts[19]
    assert haversine_m(aue.lat, aue.lon, durlach.inside_lat, durlach.inside_lon) > 300


@pytest.mark.parametrize(
    "text",
    [
        "Herrenalber Str. 20",
        "Herrenalber Straße",
        "herrenalberstrasse 20",
        "Ich wohne in der Herrenalber Strasse",
    ],
)
def test_streets_with_or_without_house_number(knowledge, text):
    place = place_of(knowledge, text)
    assert place.kind == "street"
    assert place.label == "Herrenalber Straße"
    assert place.district == knowledge.gazetteer.district_at(place.lat, place.lon)


def test_house_number_is_kept(knowledge):
    assert place_of(knowledge, "Herrenalber Str. 20").house_number == "20"


def test_street_beats_the_adjective_inside_it(knowledge):
    place = place_of(knowledge, "Jugendhaus bei der Durlacher Allee")
    assert place.kind == "street"
    assert place.district in (7, 19)


def test_kaiserallee_is_found_in_a_sentence(knowledge):
    place = place_of(knowledge, "Ich wohne in der Kaiserallee, wo ist das nächste Elterncafé?")
    assert place.kind == "street" and place.label == "Kaiserallee"


def test_postcode_gives_best_supported_district_and_knows_the_others(knowledge):
    place = place_of(knowledge, "Elterncafé 76185")
    assert place.kind == "postcode"
    assert place.district == 8
    assert {5, 11} <= set(place.alternatives)
    assert place_of(knowledge, "Seniorentreff 76229").district == 20


def test_noise_rows_of_a_postcode_are_dropped(knowledge):
    # 76131 has a single street in Mühlburg in the raw table: not a real alternative
    place = place_of(knowledge, "76131")
    assert 8 not in place.alternatives


@pytest.mark.parametrize(
    ("lat", "lon", "number"),
    [(48.993, 8.46, 19), (49.015, 8.34, 8), (48.999, 8.417, 3), (49.0605, 8.39, 26)],
)
def test_coordinates_point_in_polygon(knowledge, lat, lon, number):
    place = place_of(knowledge, "Jugendhaus", lat, lon)
    assert place.kind == "point"
    assert place.district == number


def test_point_outside_karlsruhe_has_no_district(knowledge):
    place = place_of(knowledge, "Jugendhaus", 52.52, 13.40)  # Berlin
    assert place.district is None and place.has_point


@pytest.mark.parametrize(
    "text",
    [
        "Seniorenbüro",
        "Pflegestützpunkt Karlsruhe",
        "Hallo!",
        "Ich möchte ehrenamtlich helfen",
        "Allgemeiner Sozialer Dienst",
        "Startpunkt Elterncafé",
        "Wo finde ich Hilfe für meine Mutter?",
    ],
)
def test_no_district_is_invented(knowledge, text):
    assert place_of(knowledge, text).district is None


def test_every_district_is_reachable_by_name(knowledge):
    for number, d in knowledge.gazetteer.districts.items():
        assert place_of(knowledge, f"Treffpunkt {d.name}").district == number, d.name


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Есть ли клуб для пожилых людей в Дурлахе?", 19),
        ("Де знайти молодіжний центр у Мюльбурзі?", 8),
        ("نادي الشباب في دورلاخ", 19),
        ("Центр для сімей у Нойройті", 26),
    ],
)
def test_district_names_in_cyrillic_and_arabic_script(knowledge, text, number):
    assert place_of(knowledge, text).district == number
