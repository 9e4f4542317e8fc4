"""The sandbox rejects what Telegram rejects, with Telegram's error shape."""

import json
import re

import aiohttp
import pytest

from bot.sandbox import BotAPISandbox
from bot.sandbox.validation import BadRequest, check_call, spec, visible_text

KB = {"inline_keyboard": [[{"text": "ok", "callback_data": "x" * 64}]]}


@pytest.mark.parametrize(
    "bad",
    [
        "<b>x",
        "<foo>x</foo>",
        "a < b",
        "Tom & Jerry",
        "<b><i>x</b></i>",
        '<span class="red">x</span>',
        "<a>x</a>",
    ],
)
def test_html_telegram_would_reject(bad):
    with pytest.raises(BadRequest, match="can't parse entities"):
        visible_text(bad)


def test_html_entities_and_allowed_tags_are_counted_after_parsing():
    assert visible_text('<b>a &lt; b</b> &amp; <a href="https://x.de">c</a> &#228;') == "a < b & c ä"
    check_call("sendMessage", {"chat_id": "1", "text": "<b>" + "x" * 4096 + "</b>", "parse_mode": "HTML"})


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"chat_id": "1", "text": "x" * 4097}, "message is too long"),
        ({"chat_id": "1", "text": ""}, "message text is empty"),
        ({"text": "hi"}, 'field "chat_id" is required'),
        ({"chat_id": "1", "text": "hi", "colour": "red"}, 'unknown parameter "colour"'),
        ({"chat_id": "1", "text": "hi", "disable_notification": "maybe"}, "must be of type Boolean"),
        (
            {
                "chat_id": "1",
                "text": "hi",
                "reply_markup": json.dumps(
                    {"inline_keyboard": [[{"text": "ok", "callback_data": "x" * 65}]]}
                ),
            },
            "BUTTON_DATA_INVALID",
        ),
        (
            {
                "chat_id": "1",
                "text": "hi",
                "reply_markup": json.dumps({"inline_keyboard": [[{"text": "ok"}]]}),
            },
            "exactly one action",
        ),
        ({"chat_id": "1", "text": "hi", "reply_markup": '{"inline_keyboard": "no"}'}, "reply_markup"),
        ({"chat_id": "1", "text": "hi", "parse_mode": "BBCode"}, "unsupported parse_mode"),
    ],
)
def test_invalid_send_message_calls(params, reason):
    with pytest.raises(BadRequest, match=reason):
        check_call("sendMessage", params)


def test_valid_call_decodes_json_fields():
    out = check_call("sendMessage", {"chat_id": "1", "text": "hi", "reply_markup": json.dumps(KB)})
    assert out["reply_markup"] == KB


def test_unknown_method_is_404_and_spec_is_packaged():
    with pytest.raises(BadRequest) as exc:
        check_call("sendRocket", {})
    assert exc.value.code == 404
    assert "sendMessage" in spec()["methods"] and spec()["version"].startswith("Bot API")


async def test_http_error_shapes_token_chat_and_webhook_conflict():
    sandbox = BotAPISandbox(token="1:T")
    await sandbox.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{sandbox.base_url}/bot9:WRONG/getMe") as r:
                assert r.status == 401 and (await r.json()) == {
                    "ok": False,
                    "error_code": 401,
                    "description": "Unauthorized",
                }
            async with http.post(
                f"{sandbox.base_url}/bot1:T/sendMessage", data={"chat_id": "5", "text": "x"}
            ) as r:
                body = await r.json()
                assert r.status == 400 and body["description"] == "Bad Request: chat not found"
            async with http.post(
                f"{sandbox.base_url}/bot1:T/setWebhook", data={"url": "http://127.0.0.1:1/h"}
            ) as r:
                assert (await r.json())["result"] is True
            async with http.post(f"{sandbox.base_url}/bot1:T/getUpdates") as r:
                assert r.status == 409 and (await r.json())["error_code"] == 409
        assert [c.reason for c in sandbox.invalid_calls] == ["Bad Request: chat not found"]
    finally:
        await sandbox.stop()


async def test_long_polling_wakes_on_a_new_update_and_offsets_confirm():
    import asyncio

    sandbox = BotAPISandbox(token="1:T")
    await sandbox.start()
    try:
        u = sandbox.user(7)
        async with aiohttp.ClientSession() as http:
            poll = asyncio.create_task(
                http.post(f"{sandbox.base_url}/bot1:T/getUpdates", data={"timeout": "10"})
            )
            await asyncio.sleep(0.1)
            loop = asyncio.get_running_loop()
            started = loop.time()
            update_id = await u.send_text("Hallo")
            r = await poll
            updates = (await r.json())["result"]
            assert loop.time() - started < 0.5 and updates[0]["message"]["text"] == "Hallo"
            async with http.post(
                f"{sandbox.base_url}/bot1:T/getUpdates", data={"offset": str(update_id + 1)}
            ) as r2:
                assert (await r2.json())["result"] == []
        await u.wait_for_answer(update_id, timeout=1)
    finally:
        await sandbox.stop()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "*fett* _kursiv_ __unterstrichen__ ~durch~ ||versteckt||",
            "fett kursiv unterstrichen durch versteckt",
        ),
        ("Eintritt 2\\.50 €\\!", "Eintritt 2.50 €!"),
        ("[Stadt Karlsruhe](https://www.karlsruhe.de/a_\\(b\\))", "Stadt Karlsruhe"),
        ("`a*b_c` und\n```python\nprint(1)\n```", "a*b_c und\nprint(1)\n"),
        (">Zitat\nText", "Zitat\nText"),
        ("*fett _und kursiv_*", "fett und kursiv"),
    ],
)
def test_markdown_v2_as_telegram_shows_it(text, shown):
    decoded = check_call("sendMessage", {"chat_id": 1, "text": text, "parse_mode": "MarkdownV2"})
    assert decoded["text"] == text
    from bot.sandbox.markdown import markdown_v2_text

    assert markdown_v2_text(text) == shown


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Treffen um 18.30 Uhr", "Character '.' is reserved"),
        ("Eltern-Kind-Gruppe", "Character '-' is reserved"),
        ("*fett", "Can't find end of Bold entity at byte offset 0"),
        ("Ü _x*y_*", "Can't find end of Bold entity at byte offset 5"),
        ("`Code", "Can't find end of Code entity"),
        ("[Link](https://x", "Can't find end of a URL"),
        ("endet mit \\", "Character '\\' is reserved"),
    ],
)
def test_markdown_v2_telegram_would_reject(text, reason):
    with pytest.raises(BadRequest, match=re.escape(reason)) as err:
        check_call("sendMessage", {"chat_id": 1, "text": text, "parse_mode": "MarkdownV2"})
    assert err.value.description.startswith("Bad Request: can't parse entities: ")
    # the same text without a parse mode is plain and fine
    check_call("sendMessage", {"chat_id": 1, "text": text})


async def test_allowed_updates_as_telegram_keeps_them():
    sandbox = BotAPISandbox(token="1:T")
    await sandbox.start()
    url = f"{sandbox.base_url}/bot1:T/getUpdates"
    try:
        u = sandbox.user(8)
        async with aiohttp.ClientSession() as http:

            async def poll(**body) -> list[str]:
                async with http.post(url, json=body) as r:
                    result = (await r.json())["result"]
                if result:  # confirm them, as a bot does with its next offset
                    async with http.post(url, json={"offset": result[-1]["update_id"] + 1}):
                        pass
                return [next(k for k in x if k != "update_id") for x in result]

            await sandbox.push_update({"chat_member": {"chat": {"id": 8}}})
            await u.send_text("eins")
            assert await poll() == ["message"]  # chat_member only when asked for
            assert await poll(allowed_updates=["callback_query"]) == []
            await u.send_text("zwei")
            await sandbox.push_update({"callback_query": {"id": "q1", "data": "x"}})
            assert await poll() == ["callback_query"]  # not given: the last setting stays
            assert await poll(allowed_updates=[]) == []  # empty: back to the default
            await u.send_text("drei")
            assert await poll() == ["message"]
        kinds = [next(k for k in x if k != "update_id") for x in sandbox.dropped_updates]
        assert kinds == ["chat_member", "message"]
        assert sandbox.invalid_calls == []
    finally:
        await sandbox.stop()
