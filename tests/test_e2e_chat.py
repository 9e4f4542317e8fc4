"""End to end: the real bot, long polling over HTTP against the local Bot API sandbox.

The sandbox validates every call against the Bot API description; each test ends
by checking that the bot made no invalid call.
"""

import asyncio
import itertools

import pytest

from bot.factory import build_dispatcher, make_bot
from bot.polling import polling
from bot.sandbox import BotAPISandbox
from tests.conftest import live_settings

TOKEN = "123456:E2E"
_users = itertools.count(930_000)


@pytest.fixture
async def live(seeded_engine, seeded_url, knowledge, fsm_storage):
    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    settings = live_settings(sandbox, seeded_url)
    dp = build_dispatcher(settings, seeded_engine, knowledge, storage=fsm_storage)
    async with polling(dp, make_bot(TOKEN, sandbox.base_url)):
        yield sandbox
    await sandbox.stop()
    assert sandbox.invalid_calls == []


def user(sandbox, lang="de"):
    return sandbox.user(next(_users), first_name="Erika", language_code=lang)


def text_of(sent) -> str:
    return sent.message.get("text") or sent.params.get("text") or ""


def inline_buttons(sent) -> list[dict]:
    markup = sent.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard") or [] for b in row]


async def ask(u, text, count):
    await u.send_text(text)
    return await u.wait_for_bot(count=count, timeout=10)


@pytest.mark.parametrize("lang", ["de", "tr"])
async def test_parent_cafe_in_muehlburg_with_map(live, lang):
    u = user(live, lang)
    await ask(u, "/start", 2)
    (answer,) = await ask(u, "Elterncafé in Mühlburg", 1)  # one message: three cards, one keyboard
    buttons = inline_buttons(answer)
    assert sum(b["callback_data"].startswith("p:info") for b in buttons) == 3
    first_card = text_of(answer).split("1 · ")[1].split("\n\n")[0]
    assert "Startpunkt" in first_card
    map_button = next(b for b in buttons if b["callback_data"].startswith("p:map"))
    await u.press(answer.message["message_id"], map_button["callback_data"])
    (venue,) = await u.wait_for_bot(count=1, timeout=10)
    assert venue.method == "sendVenue" and venue.params["title"] in first_card
    # their hours were stated in 2013-2019: no calendar (tests/test_e2e_dates.py has the rest)
    assert not [b for b in buttons if b["callback_data"].startswith("p:ics")]


@pytest.mark.parametrize(
    ("lang", "text", "needle"),
    [
        ("de", "Seniorentreff Durlach", "Seniorenclub Durlach"),
        ("en", "youth house Südstadt", "Südstadt"),
        ("tr", "gençlik evi Südstadt", "Südstadt"),
        ("ar", "مركز الأسرة في Neureut", "Familienzentrum"),
        ("uk", "Молодіжний клуб Südstadt", "Südstadt"),
        ("ru", "Центр для семей Neureut", "Familienzentrum"),
    ],
)
async def test_questions_in_six_languages(live, lang, text, needle):
    u = user(live, lang)
    (answer,) = await ask(u, text, 1)
    assert needle in text_of(answer)


async def test_location_paging_and_no_result(live):
    u = user(live)
    await ask(u, "Bürgerverein", 1)
    await u.send_location(49.0093, 8.4040)
    (near,) = await u.wait_for_bot(count=1, timeout=10)
    more = next(b for b in inline_buttons(near) if b["callback_data"].startswith("pg:"))
    await u.press(near.message["message_id"], more["callback_data"])
    (page2,) = await u.wait_for_bot(count=1, timeout=10)
    assert text_of(page2).count("Bürger") >= 3 and "4 · " in text_of(page2)
    # gibberish is not a search that found nothing: an honest answer, no place cards
    (nothing,) = await ask(u, "xqzt vlorb", 1)
    assert "Seniorentreff in Durlach" in text_of(nothing) and not inline_buttons(nothing)


@pytest.mark.parametrize(
    ("lang", "needle"), [("de", "außerhalb Karlsruhes"), ("tr", "Karlsruhe'nin dışında")]
)
async def test_a_location_outside_karlsruhe_is_answered_at_once_and_not_counted(live, lang, needle):
    u = user(live, lang)
    await u.send_location(52.52, 13.405)  # Berlin
    (answer,) = await u.wait_for_bot(count=1, timeout=10)
    assert needle in text_of(answer)
    assert "km" not in text_of(answer) and not inline_buttons(answer)  # no cards, no feedback button


async def test_flood_odd_input_and_forged_buttons(live):
    u = user(live)
    for _ in range(20):
        await u.send_text("/help")
    await asyncio.sleep(1.5)
    assert 1 <= len(u.messages) <= 20
    await u.send_sticker()
    await u.wait_for_bot(count=1, timeout=10)
    await u.send_text("x" * 5000)
    await u.wait_for_bot(count=1, timeout=10)
    await u.press(1, "p:map:99999999")
    await u.press(1, "garbage")
    await asyncio.sleep(0.5)


async def test_two_people_at_once_keep_their_own_conversations(live):
    a, b = user(live, "de"), user(live, "en")
    await asyncio.gather(a.send_text("Jugendhaus Südstadt"), b.send_text("Seniorentreff Durlach"))
    (sa,) = await a.wait_for_bot(count=1, timeout=10)
    (sb,) = await b.wait_for_bot(count=1, timeout=10)
    assert "Südstadt" in text_of(sa) and "Durlach" in text_of(sb)


async def test_webhook_mode_checks_the_secret_token(seeded_engine, seeded_url, knowledge):
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler
    from aiohttp import ClientSession, web

    sandbox = BotAPISandbox(token=TOKEN)
    await sandbox.start()
    settings = live_settings(sandbox, seeded_url)
    dp = build_dispatcher(settings, seeded_engine, knowledge)
    bot = make_bot(TOKEN, sandbox.base_url)
    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token="s3cret").register(app, path="/hook")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        u = user(sandbox)
        (answer,) = await ask(u, "Jugendhaus Südstadt", 1)
        assert "Südstadt" in text_of(answer)
        # a forged update without the secret is refused
        async with (
            ClientSession() as http,
            http.post(f"http://127.0.0.1:{port}/hook", json={"update_id": 1}) as r,
        ):
            assert r.status == 401
        assert sandbox.invalid_calls == []
    finally:
        await runner.cleanup()
        await bot.session.close()
        await sandbox.stop()


async def test_a_turkish_question_is_answered_in_turkish_whatever_telegram_says(live):
    u = user(live, "de")  # Telegram set to German
    (answer,) = await ask(u, "Kızım 13 yaşında, Südstadt'ta gençlerin gidebileceği bir yer var mı?", 1)
    text = text_of(answer)
    assert "Çocuk ve gençlik evi" in text and "Kinder- und Jugendhaus" not in text.split("\n")[0]
    buttons = [b["text"] for b in inline_buttons(answer)]
    turkish = _tr_feedback_label()
    assert turkish in "".join(buttons)  # the frame (buttons) follows the question's language, too


async def test_a_language_the_bot_does_not_speak_gets_the_persons_language_and_one_note(live):
    u = user(live, "de")
    first = await ask(
        u, "Moja mama ma 81 lat i jest bardzo samotna. Gdzie w Durlach spotykają się seniorzy?", 2
    )
    assert "Seniorenclub" in text_of(first[0]) or "Durlach" in text_of(first[0])
    assert "Türkisch, Arabisch" in text_of(first[1])  # the note, in the person's German
    await ask(u, "Czy w Mühlburg jest kawiarnia dla rodziców z małymi dziećmi?", 1)
    await asyncio.sleep(0.3)
    assert "Türkisch, Arabisch" not in text_of(live.chats[u.id].outbox[-1])  # said once


VAGUE = [
    "Ich fühle mich so allein",
    "Ich brauche jemanden zum Reden",
    "Wir kommen nicht mehr zurecht",
    "Wer kann uns helfen? Es geht einfach nicht mehr",
    "Ich suche Unterstützung für die Familie",
]


async def test_the_bot_asks_back_with_buttons_and_answers_the_chosen_reading(live, knowledge):
    # the question must be one the search finds ambiguous: any of these vague ones
    vague = next((t for t in VAGUE if knowledge.search(t).clarify_json() is not None), None)
    assert vague is not None, "none of the vague questions is read as ambiguous"
    u = user(live, "de")
    (question,) = await ask(u, vague, 1)
    options = [b for b in inline_buttons(question) if b["callback_data"].startswith("cl:")]
    assert 2 <= len(options) <= 3 and "1 · " not in text_of(question)  # a question, no cards yet
    chosen = options[-1]["callback_data"].split(":")[-1]
    await u.press(question.message["message_id"], options[-1]["callback_data"])
    (answer,) = await u.wait_for_bot(count=1, timeout=10)
    offered = {k for k, _ in knowledge.situations[chosen].categories}
    headline = text_of(answer).split("\n")[0]
    assert "1 · " in text_of(answer)  # the places follow the press
    assert any(knowledge.catalogue.label(k, "de") in headline for k in offered), headline
    # the old question's buttons are stale after a new question: refused with an alert, nothing sent
    await ask(u, "Elterncafé in Mühlburg", 1)
    sent_before = len(live.chats[u.id].outbox)
    await u.press(question.message["message_id"], options[0]["callback_data"])
    for _ in range(50):
        if live.chats[u.id].answers and live.chats[u.id].answers[-1]["show_alert"]:
            break
        await asyncio.sleep(0.05)
    assert live.chats[u.id].answers[-1]["show_alert"]
    await asyncio.sleep(0.2)
    assert len(live.chats[u.id].outbox) == sent_before


def _tr_feedback_label() -> str:
    from babel.messages.pofile import read_po

    from bot.i18n import LOCALES_DIR

    with (LOCALES_DIR / "tr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh).get("Not what I was looking for").string


@pytest.mark.parametrize(
    ("lang", "text"),
    [("de", "Ich will nicht mehr leben, ich kann nicht mehr"), ("ar", "أفكر في إنهاء حياتي")],
)
async def test_words_of_an_acute_emergency_get_the_crisis_lines_not_places(live, lang, text):
    u = user(live, lang)
    (answer,) = await ask(u, text, 1)
    body = text_of(answer)
    assert "0800 111 0 111" in body and "112" in body and "1 · " not in body
