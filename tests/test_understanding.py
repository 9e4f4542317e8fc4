"""Understanding people: situations in several languages, who is concerned, ages, honest answers.

Every sentence here is new (not in the corpus nor the evaluation sets): the test asks what a
social worker would answer, not what a line of data says.
"""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.concerned import read_concerned
from knowledge.schedules import BERLIN
from knowledge.situations import SituationsError, load_situations, parse_situations

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("text", "stage", "role"),
    [
        ("Meine Oma ist 91 und lebt allein", "older", "older_relative"),
        ("unser Kleiner (18 Monate) krabbelt überall", "toddler", "child"),
        ("Meine Tochter wird nächsten Monat 4", "preschool", "child"),
        ("Mein Neffe ist 15 Jahre alt", "teen", None),
        ("Wir sind beide Anfang 80", "older", "self"),
        ("Ich bin Rentnerin und habe Zeit", "older", None),
        ("Baby 6 Wochen alt, stillen klappt nicht", "infant", "child"),
        ("Oğlum 8 yaşında", "school", "child"),
        ("Моїй мамі 82 роки", "older", "older_relative"),
        ("ابني عمره ٥ سنوات", "preschool", "child"),
        ("My son is 16 and skips school", "teen", "child"),
    ],
)
def test_ages_and_who_the_help_is_for(text, stage, role):
    c = read_concerned(text)
    assert c.stage == stage
    if role is not None:
        assert c.main is not None and c.main.role == role


@pytest.mark.parametrize(
    "text",
    [
        "Ich bin in der 12. Woche schwanger",  # a week of pregnancy is not an age
        "Wir wohnen seit 3 Jahren in der Weststadt",  # a duration
        "Wir haben drei Kinder",  # a count
        "Treffen um 18 Uhr in der Kaiserstraße 12",  # a time and a house number
        "PLZ 76131",
        "Ich bin Mutter von zwei Kindern",  # a role, not an older relative
    ],
)
def test_numbers_that_are_not_ages_give_no_stage(text):
    c = read_concerned(text)
    assert c.stage is None or c.stage not in ("older",)
    assert all(p.age is None or p.age < 18 for p in c.people if p.role != "child") or c.stage is None


@pytest.mark.parametrize(
    ("text", "situation", "first"),
    [
        # German, in people's words
        (
            "Mein Papa ist 88, lebt allein in Rüppurr und redet seit Wochen mit niemandem",
            "old_company",
            {"seniorenbegegnung", "buergerzentrum", "quartiersarbeit"},
        ),
        (
            "Meine Mutter kann nach dem Schlaganfall nicht mehr allein einkaufen und waschen, wer berät uns "
            "zur Pflege? Sie wohnt in der Oststadt",
            "old_care",
            {"pflegestuetzpunkt", "seniorenbuero"},
        ),
        (
            "Wir haben seit Monaten Mietschulden und bekommen Mahnungen vom Vermieter, Wohnort Mühlburg",
            "money_forms",
            {"asd", "quartiersarbeit"},
        ),
        (
            "Unsere Tochter (3) soll vor der Kita mit anderen Kindern spielen, gibt es in Grünwinkel was?",
            "toddler",
            {"kinder_familienzentrum", "startpunkt_elterncafe"},
        ),
        # English, Turkish, Ukrainian, Arabic
        (
            "My mum (85) keeps forgetting where she is and left the stove on, who can advise us in Durlach?",
            "old_dementia",
            {"pflegestuetzpunkt", "seniorenbuero"},
        ),
        (
            "Oğlum 15 yaşında, Mühlburg'da arkadaşlarıyla müzik yapabileceği bir yer arıyoruz",
            "teen",
            {"kinder_jugendhaus"},
        ),
        (
            "Чоловік постійно кричить і б'є мене, діти все бачать. Куди звернутися? Ми в Oststadt",
            "family_crisis",
            {"asd"},
        ),
        (
            "أمي عمرها ٨٠ سنة وتعيش وحدها في Neureut وتشعر بالوحدة، هل يوجد مكان تلتقي فيه بنساء في عمرها؟",
            "old_company",
            {"seniorenbegegnung", "buergerzentrum", "quartiersarbeit"},
        ),
    ],
)
def test_situations_lead_to_the_places_a_social_worker_would_name(knowledge, text, situation, first):
    answer = knowledge.search(text, now=NOW)
    assert answer.intent == "find_offers"
    assert answer.understanding.situation == situation
    assert answer.results and answer.results[0].category in first


def test_a_small_child_is_not_sent_to_a_youth_house(knowledge):
    answer = knowledge.search("Kind (2) sucht Spielkameraden in der Südstadt", now=NOW)
    assert answer.understanding.reading.concerned.stage == "toddler"
    assert answer.results and answer.results[0].category != "kinder_jugendhaus"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Wie wird das Wetter am Wochenende?", "help"),
        ("Welche Apotheke hat heute Nacht Notdienst?", "help"),
        ("Ich brauche einen neuen Personalausweis, wo beantrage ich den?", "help"),
        ("Danke, das hat mir sehr geholfen!", "smalltalk"),
        ("Ich könnte zweimal im Monat Senioren aus der Zeitung vorlesen", "volunteer"),
        ("Wann trifft sich das Stadtteilnetzwerk Grünwinkel das nächste Mal?", "meetings"),
    ],
)
def test_questions_outside_the_field_volunteering_and_meetings(knowledge, text, intent):
    answer = knowledge.search(text, now=NOW)
    assert answer.intent == intent
    if intent in ("help", "smalltalk"):
        assert answer.results == []


def test_an_administrative_question_is_answered_with_a_sourced_contact(knowledge):
    u = knowledge.search("Wo kann ich meinen Reisepass verlängern?", now=NOW).understanding
    assert u.answer_kind == "admin"
    contacts = knowledge.situations[u.situation].contacts
    assert contacts and all(c.source.startswith("https://") for c in contacts)


def test_the_json_carries_the_reading_and_no_question_back_when_sure(knowledge):
    data = knowledge.search("Meine Mutter (83) ist gestürzt und braucht jetzt Pflege", now=NOW).to_json("x")
    assert data["situation"] == "old_care" and data["stage"] == "older"
    assert data["clarify"] is None and data["results"]


def test_a_forced_reading_answers_as_that_situation(knowledge):
    answer = knowledge.search("Wir brauchen Hilfe in Durlach", now=NOW, situation="old_care")
    assert answer.understanding.situation == "old_care"
    assert answer.results[0].category in {"pflegestuetzpunkt", "seniorenbuero"}


def test_the_situations_file_is_checked_when_loaded():
    good = load_situations()
    assert {"old_company", "baby", "volunteer", "oos_admin", "crisis"} <= set(good.keys)
    with pytest.raises(SituationsError, match="unknown category"):
        parse_situations(
            {
                "situations": {
                    "x": {
                        "labels": dict.fromkeys(["de", "en", "tr", "ar", "uk", "ru"], "x"),
                        "categories": {"kino": 1.0},
                    }
                }
            }
        )
    with pytest.raises(SituationsError, match="labels missing for"):
        parse_situations({"situations": {"x": {"labels": {"de": "x"}, "categories": {}}}})
