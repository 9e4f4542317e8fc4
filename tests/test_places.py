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


# -- landmarks and stops ------------------------------------------------------------
# Districts as the data gives them (orte.csv, stadtteile.geojson): the Durlacher Tor stop
# has 10 of its 12 platforms in the Oststadt (7) and 2 in Innenstadt-Ost (1).
LANDMARKS = [
    ("Hauptbahnhof", "stop", "Karlsruhe Hbf", 4),
    ("Durlacher Tor", "stop", "Durlacher Tor/KIT-Campus Süd", 7),
    ("Schloss", "landmark", "Karlsruher Schloss", 2),
    ("KIT", "landmark", "KIT Campus Süd", 1),
    ("Zoo", "landmark", "Zoologischer Stadtgarten", 4),
    ("Gutenbergplatz", "landmark", "Gutenbergplatz", 5),
    ("Wildparkstadion", "landmark", "Wildparkstadion", 1),
    ("ZKM", "landmark", "ZKM – Zentrum für Kunst und Medien", 4),
    ("Haltestelle Tullastraße", "stop", "Tullastraße/Alter Schlachthof", 7),
    ("Badnerlandhalle", "landmark", "Badnerlandhalle", 26),
    ("Rheinstrandbad Rappenwört", "landmark", "Rheinstrandbad Rappenwört", 9),
    ("Diakonissenkrankenhaus", "landmark", "ViDia Diakonissenkrankenhaus Rüppurr", 15),
]


@pytest.mark.parametrize(("text", "kind", "label", "number"), LANDMARKS)
def test_landmarks_and_stops_give_their_district_and_point(knowledge, text, kind, label, number):
    place = place_of(knowledge, f"Seniorentreff {text}")
    assert (place.kind, place.label, place.district) == (kind, label, number)
    at = knowledge.gazetteer.district_at(place.lat, place.lon)
    assert at in (place.district, *place.alternatives)


@pytest.mark.parametrize(
    ("text", "number", "alternative"),
    [("beim Zoo", 4, 3), ("am Wildparkstadion", 1, 7), ("Haltestelle Durlacher Tor", 7, 1)],
)
def test_a_place_by_a_border_names_both_districts_its_own_first(knowledge, text, number, alternative):
    place = place_of(knowledge, text)
    assert place.district == number and alternative in place.alternatives


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Haltestelle Durlacher Tor", "Durlacher Tor/KIT-Campus Süd"),
        ("Treffpunkt am Hauptbahnhof", "Karlsruhe Hbf"),
        ("Spielgruppe beim Zoo", "Zoologischer Stadtgarten"),
        ("Seniorentreff nahe dem Wildparkstadion", "Wildparkstadion"),
        ("Elterncafé in der Nähe vom ZKM", "ZKM – Zentrum für Kunst und Medien"),
        ("was gibt es rund um die Badnerlandhalle", "Badnerlandhalle"),
        ("Jugendtreff Richtung Rheinstrandbad Rappenwört", "Rheinstrandbad Rappenwört"),
        ("Seniorentreff am Wildparkstadoin", "Wildparkstadion"),
        ("Hauptbahnhf", "Karlsruhe Hbf"),
        ("bei der Badnerlandhale", "Badnerlandhalle"),
        ("Diakonissenkrankenhuas", "ViDia Diakonissenkrankenhaus Rüppurr"),
        ("Naturkundemuseum", "Staatliches Museum für Naturkunde Karlsruhe"),
    ],
)
def test_landmarks_in_sentences_and_with_typos(knowledge, text, label):
    assert place_of(knowledge, text).label == label


def test_exact_stop_wins_over_a_street_it_resembles(knowledge):
    # "durlachertor" is one letter from "durlacherstr": before landmarks, Durlacher Tor
    # became Durlacher Straße in Grötzingen
    assert knowledge.gazetteer.street("Durlacher Straße").parts[0]["district"] == 20
    for text in ("Durlacher Tor", "Haltestelle Durlacher Tor", "Jugendhaus am Durlacher Tor"):
        place = place_of(knowledge, text)
        assert place.kind == "stop" and place.district == 7 and place.label.startswith("Durlacher Tor")


def test_a_street_named_like_a_stop_stays_the_street_unless_the_stop_is_asked_for(knowledge):
    assert place_of(knowledge, "Seniorentreff Tullastraße").kind == "street"
    address = place_of(knowledge, "Tullastraße 20")
    assert address.kind == "street" and address.house_number == "20"
    for text in ("Haltestelle Tullastraße", "Tullastraße Haltestelle", "Straßenbahn Tullastraße"):
        assert place_of(knowledge, text).kind == "stop", text


def test_named_district_chooses_among_places_of_one_name(knowledge):
    market = place_of(knowledge, "Marktplatz Durlach")
    assert (market.label, market.district) == ("Marktplatz (Durlach)", 19)
    assert place_of(knowledge, "Marktplatz").district == 2
    # "Schlossplatz" alone is the square by the Schloss; with Durlach named, Durlach's stop
    square = place_of(knowledge, "Schlossplatz Durlach")
    assert (square.kind, square.label, square.district) == ("stop", "Durlach Schlossplatz", 19)
    station = place_of(knowledge, "Seniorentreff am Bahnhof in Durlach")
    assert (station.label, station.district) == ("Karlsruhe-Durlach", 19)


def test_named_district_leads_for_a_landmark_near_it(knowledge):
    place = place_of(knowledge, "Zoo Südstadt")
    assert place.kind == "landmark" and place.district == 3 and 4 in place.alternatives


def test_landmark_far_from_the_named_district_gives_way_to_it(knowledge):
    place = place_of(knowledge, "Hauptbahnhof Neureut")
    assert place.kind == "district" and place.district == 26


def test_landmark_outside_the_city_has_a_point_but_no_district(knowledge):
    place = place_of(knowledge, "KIT Campus Nord")
    assert place.kind == "landmark" and place.district is None and place.has_point


def test_words_for_kinds_of_place_are_not_swallowed_by_landmark_names(knowledge):
    u = knowledge.understand("Begegnungsstätte Grötzingen")
    assert u.place.kind == "district" and u.place.district == 20
    assert u.categories and u.categories[0][0] == "buergerzentrum"
    assert knowledge.understand("Seniorenzentrum in Durlach").categories


def test_landmark_data_districts_agree_with_the_polygons(knowledge):
    """Every place's point lies in its district or an alternative, and no alternative is
    farther than the largest platform spread of a stop (307 m) from the point."""
    gazetteer = knowledge.gazetteer
    assert len(gazetteer.landmarks) > 600
    for lm in gazetteer.landmarks:
        at = gazetteer.district_at(lm.lat, lm.lon)
        if lm.district is None:
            assert at is None, lm.name
            continue
        assert at in (lm.district, *lm.alternatives), lm.name
        for d in lm.alternatives:
            assert gazetteer.districts[d].area.distance_m(lm.lat, lm.lon) <= 310, (lm.name, d)


def test_alias_table_is_built_once_and_ranks_places_first(knowledge):
    gazetteer = knowledge.gazetteer
    names = [gazetteer.landmarks[i].name for i, _ in gazetteer.landmark_index["kronenplatz"]]
    assert (
        names[0] == "Kronenplatz"
        and gazetteer.landmarks[gazetteer.landmark_index["kronenplatz"][0][0]].kind == "square"
    )
    assert gazetteer.landmark_for("kit").name == "KIT Campus Süd"
    assert gazetteer.landmark_for("kit", prefer_stop=True).is_stop


@pytest.mark.parametrize(
    "text",
    ["Mein Sohn geht auf die Realschule", "Gibt es nach der Messe ein Kirchencafé?", "an der Brücke"],
)
def test_generic_names_do_not_invent_a_place(knowledge, text):
    assert place_of(knowledge, text).kind == "none"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("youth club near the main station", "Karlsruhe Hbf"),
        ("Zoo'da aile merkezi", "Zoologischer Stadtgarten"),
        ("Клуб для пожилых возле вокзала", "Karlsruhe Hbf"),
        ("Молодіжний клуб біля вокзалу", "Karlsruhe Hbf"),
        ("نادي الشباب قرب محطة القطار", "Karlsruhe Hbf"),
        ("Familienzentrum in der Nähe des Zoos", "Zoologischer Stadtgarten"),
    ],
)
def test_landmarks_in_other_languages_and_inflections(knowledge, text, label):
    assert place_of(knowledge, text).label == label


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # "weit weg" resembles the street "Weinweg" (Oststadt); the named district is what was said
        ("Meine Oma lebt allein in Mühlburg, wir wohnen weit weg. Wer berät uns?", 8),
        ("Die Kinder wohnen weit weg. Ich wohne in Palmbach.", 25),
    ],
)
def test_a_street_the_words_only_resemble_gives_way_to_the_named_district(knowledge, text, number):
    place = place_of(knowledge, text)
    assert place.district == number and place.kind == "district"


def test_an_exact_street_outside_the_named_district_still_counts(knowledge):
    place = place_of(knowledge, "Pfinztalstraße 5 in Mühlburg")  # a street of Durlach, written exactly
    assert place.kind == "street" and place.label == "Pfinztalstraße" and place.district == 19


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Chciałabym pomagać w Oststadt", 7),  # Polish "w" joined to Oststadt reads as Weststadt
        ("Я живу в Oststadt", 7),
        ("wolontariat w Südstadt", 3),
    ],
)
def test_a_one_letter_preposition_does_not_join_a_district_name(knowledge, text, number):
    assert place_of(knowledge, text).district == number
