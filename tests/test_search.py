"""Intent, categories and ranking on the seeded Karlsruhe data."""

import datetime as dt
import math

import pytest

from knowledge.geo import haversine_m
from knowledge.schedules import BERLIN

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("text", "lang", "intent", "category", "district"),
    [
        ("Wo gibt es einen Seniorentreff in Mühlburg?", "de", "find_offers", "seniorenbegegnung", 8),
        ("Krabbelgruppe in Knielingen", "de", "find_offers", "startpunkt_elterncafe", 10),
        ("JuZ Grötzingen", "de", "find_offers", "kinder_jugendhaus", 20),
        ("Pflegeberatung für meinen Vater", "de", "find_offers", "pflegestuetzpunkt", None),
        ("Is there a youth centre in Oststadt?", "en", "find_offers", "kinder_jugendhaus", 7),
        ("meeting place for older people in Durlach", "en", "find_offers", "seniorenbegegnung", 19),
        ("Durlach'ta yaşlılar için buluşma yeri var mı?", "tr", "find_offers", "seniorenbegegnung", 19),
        ("Mühlburg'da aile merkezi", "tr", "find_offers", "kinder_familienzentrum", 8),
        ("مركز الأسرة في Neureut", "ar", "find_offers", "kinder_familienzentrum", 26),
        ("نادي الشباب في Südstadt", "ar", "find_offers", "kinder_jugendhaus", 3),
        ("Молодіжний клуб Südstadt", "uk", "find_offers", "kinder_jugendhaus", 3),
        ("Центр для сімей у Neureut", "uk", "find_offers", "kinder_familienzentrum", 26),
        ("Центр для семей Neureut", "ru", "find_offers", "kinder_familienzentrum", 26),
        ("Клуб для пожилых людей в Durlach", "ru", "find_offers", "seniorenbegegnung", 19),
    ],
)
def test_intent_category_and_district_in_six_languages(knowledge, text, lang, intent, category, district):
    answer = knowledge.search(text, now=NOW)
    assert answer.understanding.language == lang
    assert answer.intent == intent
    assert answer.categories[0] == category
    assert answer.results and answer.results[0].category == category
    assert answer.district == district


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Ich möchte mich in Durlach engagieren", "volunteer"),
        ("I want to volunteer", "volunteer"),
        ("Gönüllü olmak istiyorum", "volunteer"),
        ("أريد التطوع", "volunteer"),
        ("Хочу бути волонтером", "volunteer"),
        ("Я хочу стать волонтёром", "volunteer"),
        ("Wann trifft sich das Stadtteilnetzwerk Mühlburg?", "meetings"),
        ("Was kann dieser Bot?", "help"),
        ("/help", "help"),
        ("Hallo!", "smalltalk"),
        ("Merhaba", "smalltalk"),
        ("Привет", "smalltalk"),
        ("Danke schön", "smalltalk"),
    ],
)
def test_other_intents(knowledge, text, intent):
    assert knowledge.search(text, now=NOW).intent == intent


def test_help_and_smalltalk_have_no_results(knowledge):
    assert knowledge.search("Hallo!", now=NOW).results == []
    assert knowledge.search("/hilfe", now=NOW).results == []


def _brute_nearest(knowledge, category, lat, lon):
    best = min(
        (f for f in knowledge.facilities if category in f.categories and f.lat is not None),
        key=lambda f: haversine_m(lat, lon, f.lat, f.lon),
    )
    return best


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("Elterncafé hier in der Nähe", 48.993, 8.46),
        ("Seniorentreff", 49.015, 8.34),
        ("Jugendhaus", 48.999, 8.417),
        ("Bürgerverein", 49.04, 8.44),
        ("Familienzentrum", 48.97, 8.41),
    ],
)
def test_results_for_a_point_are_sorted_by_true_distance(knowledge, text, lat, lon):
    answer = knowledge.search(text, lat=lat, lon=lon, now=NOW, limit=50)
    located = [r for r in answer.results if r.facility.lat is not None]
    # places known by name only (no address, no district) can only come last
    assert answer.results[: len(located)] == located
    distances = [r.distance_m for r in located]
    assert distances and distances == sorted(distances)
    for r in located:
        assert math.isclose(r.distance_m, haversine_m(lat, lon, r.facility.lat, r.facility.lon))
    top = answer.categories[0]
    assert answer.results[0].facility.id == _brute_nearest(knowledge, top, lat, lon).id


def test_walking_minutes_grow_with_distance(knowledge):
    answer = knowledge.search("Jugendhaus", lat=48.999, lon=8.417, now=NOW, limit=20)
    minutes = [r.walk_minutes for r in answer.results if r.walk_minutes is not None]
    assert minutes == sorted(minutes)
    assert all(m >= 1 for m in minutes)


def test_district_without_match_offers_nearest_elsewhere_marked(knowledge):
    answer = knowledge.search("Seniorentreff in Stupferich", now=NOW, limit=10)
    assert answer.district == 21
    assert answer.results
    assert all(r.in_district is False for r in answer.results)
    # measured from where Stupferich's people live (its streets), not from a point in its outline
    lat, lon = knowledge.gazetteer.people_point(21)
    dist = [r.distance_m for r in answer.results]
    assert dist == sorted(dist)
    assert dist[0] == pytest.approx(
        haversine_m(lat, lon, answer.results[0].facility.lat, answer.results[0].facility.lon)
    )
    assert all(r.shown_distance_m is None for r in answer.results)  # a district name is no origin


def test_places_in_the_named_district_come_first(knowledge):
    answer = knowledge.search("Bürgerverein Daxlanden", now=NOW, limit=10)
    assert answer.results[0].facility.district == 9
    flags = [r.in_district for r in answer.results]
    assert flags == sorted(flags, reverse=True)


def test_category_fit_beats_distance_for_explicit_category(knowledge):
    # no Elterncafé in Mühlburg: the nearest one elsewhere, not the Mühlburg family centre
    answer = knowledge.search("Elterncafé in Mühlburg", now=NOW)
    assert answer.results[0].category == "startpunkt_elterncafe"
    assert answer.results[0].in_district is False


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("Computerspielschule", "Computerspielschule"),
        ("La Vie", "LA ViE"),
        ("Brunhilde Baur Haus", "Brunhilde-Baur-Haus"),
        ("brunhilde-baur-haus neureut", "Brunhilde-Baur-Haus"),
        ("Kulturküche", "Kulturküche"),
        ("Computerspielschuhle", "Computerspielschule"),
    ],
)
def test_names_find_their_places(knowledge, text, needle):
    answer = knowledge.search(text, now=NOW)
    assert needle in answer.results[0].facility.name
    assert answer.intent == "find_offers"
    assert answer.categories[0] == answer.results[0].category


def test_results_carry_next_dates_from_their_schedule(knowledge):
    # LA ViE's hours are "Stand ca. 2016/17": dates only with a window reaching back that far
    answer = knowledge.confirmed_within(12 * 20).search("LA ViE", now=NOW)
    assert answer.results[0].hours_current
    dates = [d.start for d in answer.results[0].next_dates]
    assert dates and all(d > NOW for d in dates)
    # Tuesday 16:00 and Thursday 18:00 (and every 2nd Saturday) in Berlin time
    assert dates[0] == dt.datetime(2026, 11, 24, 16, 0, tzinfo=BERLIN)
    assert all(d.tzinfo is not None and d.utcoffset() == dt.timedelta(hours=1) for d in dates)


def test_hours_not_confirmed_within_the_window_give_no_dates(knowledge):
    assert knowledge.dates_confirmed_months == 12
    (r, *_) = knowledge.search("LA ViE", now=NOW).results
    assert r.facility.hours_confirmed == dt.date(2017, 1, 1)
    assert r.next_dates == [] and not r.hours_current
    assert knowledge.occurrences(r.facility, NOW) == []
    data = knowledge.search("LA ViE", now=NOW).to_json()
    assert data["results"][0]["next_dates"] == [] and "2016/17" in data["results"][0]["hours_text"]
    # the window is counted back from the day asked about, by months
    window = knowledge.confirmed_within(12 * 10 - 2)  # from 24 Nov 2026 back to 24 Jan 2017
    assert window.search("LA ViE", now=NOW).results[0].next_dates == []
    assert window.search("LA ViE", now=dt.datetime(2026, 10, 31, 9, tzinfo=BERLIN)).results[0].next_dates
    assert knowledge.confirmed_within(12) is knowledge


def test_a_day_without_a_time_is_a_date_in_the_json_never_midnight(knowledge):
    window = knowledge.confirmed_within(12 * 20)
    data = window.search("AWO Seniorennachmittage Weiße Rose", now=NOW).to_json()
    r = next(r for r in data["results"] if "Seniorennachmittage" in r["name"])
    # Mondays and Fridays (afternoons, as a name says, not a time) and Thursday mornings
    assert r["next_dates"] == ["2026-11-26", "2026-11-27", "2026-11-30"]
    f = window.find_facility("awo-seniorennachmittage-in-der-weissen-rose")
    thursday = window.next_dates(f, NOW)[0]
    assert (thursday.timed, thursday.part_of_day) == (False, "morning")


def test_json_answer_has_exactly_the_contract_fields(knowledge):
    data = knowledge.search("Jugendhaus Südstadt", now=NOW).to_json("q1")
    assert list(data) == [
        "id",
        "text",
        "language",
        "intent",
        "categories",
        "district",
        "situation",
        "stage",
        "clarify",
        "place",
        "results",
    ]
    assert data["id"] == "q1" and data["district"] == {"number": 3, "name": "Südstadt"}
    assert data["clarify"] is None  # a kind of place named outright needs no question back
    r = data["results"][0]
    assert list(r) == [
        "name",
        "category",
        "district",
        "address",
        "lat",
        "lon",
        "location_exact",
        "distance_m",
        "walk_minutes",
        "next_dates",
        "hours_text",
        "contact",
        "source_url",
    ]
    assert list(r["contact"]) == ["phone", "email", "website"]
    assert isinstance(r["location_exact"], bool)
    for iso in r["next_dates"]:  # an instant with its offset, or a day alone ("2026-12-02")
        assert len(iso) == 10 or dt.datetime.fromisoformat(iso).tzinfo is not None


def test_approximate_locations_are_flagged(knowledge):
    answer = knowledge.search("Startpunkt Elterncafé Nordstadt", now=NOW)
    f = answer.results[0].facility
    assert f.district == 27 and f.location_precision == "district" and f.location_exact is False


def test_unknown_question_finds_nothing_without_inventing(knowledge):
    answer = knowledge.search("xqzt vlorb", now=NOW)
    assert answer.intent in ("help", "smalltalk")  # gibberish is not a search for places
    assert answer.results == [] and answer.district is None and answer.categories == []


def test_cached_next_dates_equal_a_fresh_expansion_at_every_moment(knowledge):
    knowledge = knowledge.confirmed_within(12 * 20)
    scheduled = [f for f in knowledge.facilities if f.schedules][:12]
    assert len(scheduled) >= 5
    moments = [NOW + dt.timedelta(minutes=37 * i) for i in range(0, 24 * 60 // 37 * 9)]
    moments += [NOW - dt.timedelta(days=3), NOW + dt.timedelta(days=40), NOW]  # back and forth in time
    for now in moments:
        for f in scheduled:
            fresh = knowledge.occurrences(f, now, 3)
            assert knowledge.next_dates(f, now) == fresh, (f.name, now)


def test_typo_lookup_by_length_finds_what_a_whole_letter_scan_finds(knowledge):
    """The typo index compares only keys of a near length; it must pick exactly what
    comparing the whole first-letter bucket picked, ties included."""
    import random

    from rapidfuzz import process
    from rapidfuzz.distance import OSA, Levenshtein

    from knowledge.matching import allowed_edits

    vocab = knowledge.vocabulary
    by_letter: dict[str, list[str]] = {}
    for key in vocab.exact:
        if len(key) >= 5:
            by_letter.setdefault(key[0], []).append(key)
    rng = random.Random(7)
    keys = list(vocab.exact)
    letters = "abcdefghijklmnopqrstuvwxyzäöü"
    checked = 0
    for _ in range(3000):
        word = list(rng.choice(keys))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(word))
            op = rng.randrange(3)
            if op == 0:
                word[i] = rng.choice(letters)
            elif op == 1:
                word.insert(i, rng.choice(letters))
            elif len(word) > 1:
                del word[i]
        key = "".join(word)
        if not key:
            continue
        edits = allowed_edits(len(key))
        bucket = by_letter.get(key[0]) if edits else None
        found = (
            process.extractOne(key, bucket, scorer=Levenshtein.distance, score_cutoff=edits)
            if bucket
            else None
        )
        landmark_only = found and all(t.kind == "landmark" for t in vocab.exact[found[0]])
        if landmark_only and found[1] > 1 and OSA.distance(key, found[0]) > 1:
            expected = ([], 0.0)  # names of places allow one typo (a swap counts as one)
        elif found and allowed_edits(len(found[0])) >= found[1]:
            expected = (vocab.exact[found[0]], 0.92 - 0.07 * found[1])
        else:
            expected = ([], 0.0)
        assert vocab._fuzzy(key) == expected, key
        checked += bool(expected[0])
    assert checked > 500  # most perturbed keys still find a term


KINDS_OF_QUESTIONS = [
    "Seniorentreff Durlach",
    "Senioren in Durlach",
    "Treff für ältere Menschen in Durlach",
    "Elterncafé in Mühlburg",
    "Jugendhaus Südstadt",
    "Bürgerverein Daxlanden",
    "Familienzentrum Oststadt",
    "Beratung für Eltern",
    "Stadtteiltreff",
    "Kinder Nordweststadt",
    "Jugendtreff 76137",
    "Elterncafé Karlstraße",
    "Quartiersarbeit Weststadt",
    "Durlach",
    "Hilfe",
    "Hallo",
    "Ich möchte mich engagieren",
    "Netzwerktreffen Mühlburg",
    "Kinder- und Jugendhaus",
    "youth centre Durlach",
    "Gençlik merkezi Mühlburg",
    "مقهى الآباء في دورلاخ",
    "Молодіжний центр Дурлах",
    "Семейный центр Мюльбург",
    "Seniorentref Durlah",
    "Stadtteilkoordination",
    "xyzzy",
]


def test_kept_rankings_equal_fresh_ones_and_locations_are_not_kept(knowledge):
    for text in KINDS_OF_QUESTIONS:
        u = knowledge.understand(text)
        for needed in (3, 6):
            first, total = knowledge.rank(u, needed)
            again, total_again = knowledge.rank(u, needed)  # from the kept rankings
            fresh, fresh_total = knowledge._rank(u, needed)
            rows = [
                [(r.facility.id, r.category, r.distance_m, r.in_district, r.name_match) for r in rs]
                for rs in (first, again, fresh)
            ]
            assert rows[0] == rows[1] == rows[2] and total == total_again == fresh_total, text
            assert all(a is not b for a, b in zip(first, again, strict=True))  # each answer its own results
    kept = len(knowledge._ranked)
    knowledge.search("Elterncafé", lat=49.0069, lon=8.4037)
    assert len(knowledge._ranked) == kept  # a shared location is ranked anew every time


def test_a_known_wording_is_understood_once_and_alike(knowledge, monkeypatch):
    import knowledge.search as search_module

    monkeypatch.setattr(search_module, "QUESTIONS_KEPT", 3)
    monkeypatch.setattr(knowledge, "_questions", {})
    calls: list[str] = []
    real = knowledge.understand
    monkeypatch.setattr(
        knowledge, "understand", lambda text, *a, **kw: calls.append(text) or real(text, *a, **kw)
    )
    first = knowledge.search("Seniorentreff Durlach", limit=3)
    again = knowledge.search("Seniorentreff Durlach", limit=3)
    assert calls == ["Seniorentreff Durlach"] and again.understanding is first.understanding
    assert [r.facility.id for r in again.results] == [r.facility.id for r in first.results]
    fresh = real("Seniorentreff Durlach")
    assert (fresh.intent, fresh.categories, fresh.place.district) == (
        first.understanding.intent,
        first.understanding.categories,
        first.understanding.place.district,
    )
    for text in ("Jugendhaus Südstadt", "Elterncafé in Mühlburg", "Bürgerverein Daxlanden"):
        knowledge.search(text, limit=3)
    assert len(knowledge._questions) == 3  # the oldest wording made room
    knowledge.search("Seniorentreff Durlach", limit=3)
    assert calls.count("Seniorentreff Durlach") == 2
    knowledge.search("Seniorentreff", lat=49.0, lon=8.45, limit=3)  # a location is understood anew
    knowledge.search("Seniorentreff", lat=49.0, lon=8.45, limit=3)
    assert calls.count("Seniorentreff") == 2


def test_equal_scores_keep_their_order_in_every_process(knowledge):
    """Without a place, a volunteer is shown the district coordination first, then the
    neighbourhood work: the order must not depend on the process's string hashing."""
    from knowledge.search import COORDINATION

    u = knowledge.understand("Ich möchte ehrenamtlich helfen")
    assert u.intent == "volunteer" and not u.accepted
    results, _total = knowledge._rank(u, 20)
    firsts = list(dict.fromkeys(r.category for r in results))
    assert firsts[0] == COORDINATION[0] and set(firsts) <= set(COORDINATION)


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("Seniorentreff beim Zoo", 4),
        ("Elterncafé am Hauptbahnhof", 4),
        ("Jugendhaus Haltestelle Durlacher Tor", 7),
        ("Bürgerverein nahe dem Wildparkstadion", 1),
        ("Familienzentrum in der Nähe vom ZKM", 4),
        ("Jugendtreff rund um die Badnerlandhalle", 26),
    ],
)
def test_landmark_questions_rank_from_the_landmark_by_true_distance(knowledge, text, district):
    answer = knowledge.search(text, now=NOW, limit=20)
    place = answer.understanding.place
    assert answer.district == district and place.kind in ("landmark", "stop")
    located = [r for r in answer.results if r.distance_m is not None]
    assert located and [r.distance_m for r in located] == sorted(r.distance_m for r in located)
    for r in located:
        assert math.isclose(r.distance_m, haversine_m(place.lat, place.lon, r.facility.lat, r.facility.lon))
        assert r.in_district is None  # the person named a point, not a district
    top = answer.categories[0]
    assert answer.results[0].facility.id == _brute_nearest(knowledge, top, place.lat, place.lon).id


def test_landmark_answer_json_names_the_place_and_its_other_district(knowledge):
    data = knowledge.search("Seniorentreff beim Zoo", now=NOW).to_json("z")
    assert data["district"] == {"number": 4, "name": "Südweststadt"}
    place = data["place"]
    assert place["kind"] == "landmark" and place["name"] == "Zoologischer Stadtgarten"
    assert {"number": 3, "name": "Südstadt"} in place["alternatives"]
    exact = [r for r in data["results"] if r["location_exact"]]
    assert exact and all(r["distance_m"] is not None for r in exact)  # a landmark is a true origin
    assert knowledge.search("Hallo!", now=NOW).to_json()["place"] is None
