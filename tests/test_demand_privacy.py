"""The demand log keeps no name, address or special-category word of a question (issue 17, finding 5)."""

import itertools

import pytest
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy import select

from bot.factory import build_dispatcher
from bot.settings import Settings
from knowledge.catalogue import load_catalogue
from knowledge.db import make_sessionmaker
from knowledge.models import DemandRecord
from knowledge.monitoring.scrub import MASK, Wording, function_words, special_terms
from knowledge.text import tokens
from tests.mocked_bot import People, make_mocked_bot

_ids = itertools.count(7_700_000)
REPORTED = "Wo kann meine Frau Fatma Öztürk (HIV-positiv) anonym hin? …"


@pytest.fixture(scope="module")
def wording(knowledge) -> Wording:
    return Wording.of(knowledge)


async def test_the_reported_question_stores_neither_the_name_nor_the_diagnosis(
    seeded_engine, seeded_url, knowledge
):
    settings = Settings(database_url=seeded_url, throttle_rate=100, throttle_burst=100)
    dp = build_dispatcher(settings, seeded_engine, knowledge, storage=MemoryStorage())
    bot = make_mocked_bot()
    person = People(user_id=next(_ids))
    log = dp["assistant"].demand
    questions = [REPORTED, "Hilfe für meine Frau Fatma Öztürk (HIV-positiv), Tel. 0176 1234567"]
    refs = []
    for question in questions:
        before = set(log.pending)
        await dp.feed_update(bot, person.text(question))
        asked_back = [
            b.callback_data
            for m in bot.session.sent("SendMessage")
            if m.reply_markup is not None and hasattr(m.reply_markup, "inline_keyboard")
            for row in m.reply_markup.inline_keyboard
            for b in row
            if b.callback_data and b.callback_data.startswith("cl:")
        ]
        if not set(log.pending) - before and asked_back:
            # the bot asked back first ("Meinen Sie: …"): the answer to the chosen reading is recorded
            await dp.feed_update(bot, person.press(asked_back[-1]))
        (ref,) = set(log.pending) - before  # one anonymous row per question
        refs.append(ref)
    await log.flush()
    async with make_sessionmaker(seeded_engine)() as s:
        rows = (await s.scalars(select(DemandRecord).where(DemandRecord.ref.in_(refs)))).all()
    assert len(rows) == 2
    stored = {r.ref: r.text for r in rows}
    assert stored[refs[0]] is None  # nothing useful was left of it
    # the need stays, the person does not (wording is kept only where nothing was found)
    assert stored[refs[1]] in (None, f"Hilfe für meine {MASK}")
    everything = " ".join(str(getattr(r, c.key)) for r in rows for c in DemandRecord.__table__.columns)
    for secret in ("Fatma", "Öztürk", "HIV", "positiv", "0176", "1234567", "Frau"):
        assert secret not in everything


@pytest.mark.parametrize(
    ("question", "kept", "gone"),
    [
        # names, a diagnosis and an address go; known words and places stay
        ("Seniorentreff für Herrn Maier mit Demenz in Durlach", "Seniorentreff für", ["Maier", "Demenz"]),
        ("Seniorentreffs in der Kaiserstraße 12, 76133 Karlsruhe", "Seniorentreffs", ["Kaiser", "12"]),
        ("Eltern-Kind-Café Mühlburg für meine Tochter Lea", "Eltern-Kind-Café Mühlburg", ["Lea"]),
        ("Schwulengruppe in der Südstadt, ich bin Muslim", "in der Südstadt", ["Schwul", "Muslim"]),
        ("AfD-Treff Weststadt, schreibt an lea.maier@example.org", "Weststadt", ["AfD", "lea", "example"]),
        ("Hilfe bei 0721 133-5101 in Neureut", "Neureut", ["0721", "5101"]),
        ("Ищу психолога для сына Ивана в Дурлах", "Дурлах", ["психолог", "Иван"]),
        ("Шукаю лікарню для доньки Олени, Нойройт", "Нойройт", ["лікарн", "Олен"]),
        ("مركز الأسرة في Neureut لابني أحمد المريض", "مركز الأسرة في Neureut", ["أحمد", "المريض"]),
        ("Annemin kanseri var, Durlach'ta yardım", "Durlach'ta", ["kanser"]),
        (
            "community centre for my son Tom with depression in Oststadt",
            "community centre",
            ["Tom", "depress"],
        ),
    ],
)
def test_only_known_words_are_kept(wording, question, kept, gone):
    out = wording.keep(question)
    assert out is not None and kept in out and MASK in out
    for word in gone:
        assert word.lower() not in out.lower()


def test_nothing_is_kept_when_only_function_words_and_masks_are_left(wording):
    assert wording.keep(REPORTED) is None
    assert wording.keep("Fatma Öztürk") is None
    assert wording.keep("Wo kann ich hin?") is None
    assert wording.keep("") is None and wording.keep(None) is None


def test_special_category_words_are_masked_even_where_the_catalogue_knows_them(wording):
    catalogue_words = {tok for t in load_catalogue().terms for tok in tokens(t.text)}
    for word in ("demenz", "drogen", "pflegegrad", "schwanger"):
        assert word in catalogue_words and wording.knows(word) and wording.special(word)
    out = wording.keep("Demenz Drogen Pflegegrad schwanger Beratung in Durlach")
    assert out == f"{MASK} Beratung in Durlach"


def test_the_vocabulary_comes_from_the_packaged_data(wording, knowledge):
    """Every district and informal place name is known; streets and facility names are not."""
    for number, name in knowledge.district_names.items():
        assert wording.keep(f"Seniorentreff {name}") == f"Seniorentreff {name}", number
    for name in knowledge.gazetteer.informal:
        assert wording.keep(f"Seniorentreff {name}") == f"Seniorentreff {name}", name
    street_only = (
        {t for s in knowledge.gazetteer.streets.values() for t in tokens(s.name)}
        - wording.known
        - wording.known_keys
    )
    assert len(street_only) > 500  # street names (many after people) are masked
    assert wording.keep("Seniorentreff Zeppelinstraße") == f"Seniorentreff {MASK}"
    names = {f.name for f in knowledge.facilities}
    assert "Mehrgenerationenhaus Brunhilde-Baur-Haus" in names  # a place named after a person
    assert wording.keep("Brunhilde Baur Seniorentreff") == f"{MASK} Seniorentreff"


def test_the_packaged_lists_agree_with_each_other():
    stems, whole = special_terms()
    assert len(stems) + len(whole) > 300
    only_lists = Wording([], [], stems, whole)
    assert not [w for w in function_words() if only_lists.special(w)]  # no function word is masked
    assert not only_lists.special("transport") and only_lists.special("trans")  # "=trans": whole word only
    assert only_lists.special("fruhdemenz") and only_lists.special("krankenhaus")


def test_a_long_question_keeps_at_most_200_characters(wording):
    out = wording.keep("Seniorentreff Durlach " * 60)
    assert out is not None and len(out) <= 200 and not out.endswith(" ")
