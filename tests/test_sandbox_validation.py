"""The sandbox rejects what Telegram rejects, with Telegram's error shape."""

import json

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
