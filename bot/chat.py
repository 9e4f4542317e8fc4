"""`quartier chat`: talk to the real bot in a terminal, through the local Bot API sandbox.

The bot runs exactly as it would against Telegram (long polling over HTTP); the
terminal plays one Telegram user. Buttons are numbered: type the number to press
one; `/location LAT LON` shares a location; `/quit` ends.
"""

from __future__ import annotations

import asyncio
import html
import re
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console

from bot.app import prepare
from bot.polling import polling
from bot.sandbox import BotAPISandbox
from bot.settings import SANDBOX_TOKEN, Settings
from knowledge.exports import write_private_bytes

TAG = re.compile(r"<[^>]+>")
QUIET_S = 0.4  # the bot is done when it stays silent this long


def plain(text: str) -> str:
    return html.unescape(TAG.sub("", text or ""))


class TerminalChat:
    def __init__(self, sandbox: BotAPISandbox, language: str, console: Console | None = None):
        self.sandbox = sandbox
        self.user = sandbox.user(1, first_name="Du", language_code=language)
        self.console = console or Console()
        self.buttons: list[tuple[str, Any]] = []  # (kind, payload) by number - 1
        self.downloads = Path(tempfile.mkdtemp(prefix="quartier-chat-"))

    async def settle(self) -> None:
        """Print what the bot sends until it has been quiet for a moment."""
        try:
            batch = await self.user.wait_for_bot(count=1, timeout=10)
        except TimeoutError:
            self.console.print("[yellow](keine Antwort)[/yellow]")
            return
        while batch:
            for sent in batch:
                self.show(sent)
            try:
                batch = await self.user.wait_for_bot(count=1, timeout=QUIET_S)
            except TimeoutError:
                batch = []

    def show(self, sent: Any) -> None:
        msg = sent.message
        params = sent.params
        if sent.method == "sendVenue":
            self.console.print(
                f"📍 {params.get('title')} – {params.get('address')} "
                f"({params.get('latitude')}, {params.get('longitude')})"
            )
            return
        if sent.method == "sendDocument":
            name = Path((msg.get("document") or {}).get("file_name") or "file").name or "file"
            path = self.downloads / name
            if getattr(sent, "document", None):
                write_private_bytes(path, sent.document)  # /mydata's file holds personal data
            self.console.print(f"📎 {name} → {path}")
            return
        text = plain(params.get("text") or msg.get("text") or "")  # an edit shows its own new text
        if text:
            self.console.print(text, highlight=False)
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard") or []:
            labels = []
            for button in row:
                self.buttons.append(("press", (msg.get("message_id"), button.get("callback_data"))))
                labels.append(f"[{len(self.buttons)}] {button.get('text')}")
            self.console.print("   " + "   ".join(labels), highlight=False)
        for row in markup.get("keyboard") or []:
            labels = []
            for button in row:
                kind = "location" if button.get("request_location") else "text"
                self.buttons.append((kind, button.get("text")))
                labels.append(f"[{len(self.buttons)}] {button.get('text')}")
            self.console.print("   " + "   ".join(labels), highlight=False)
        self.console.print()

    async def handle(self, line: str) -> bool:
        line = line.strip()
        if line in ("/quit", "/exit"):
            return False
        if line.isdigit() and 0 < int(line) <= len(self.buttons):
            kind, payload = self.buttons[int(line) - 1]
            if kind == "press":
                answered = len(self.user.answers)
                await self.user.press(*payload)
                await self.settle()
                for answer in self.user.answers[answered:]:
                    if answer.get("text"):  # a toast or an alert the bot showed for the press
                        self.console.print(f"[bold]ℹ {answer['text']}[/bold]", highlight=False)
                return True
            elif kind == "location":
                self.console.print("Standort teilen: /location 49.0093 8.4040")
                return True
            else:
                await self.user.send_text(payload)
        elif m := re.match(r"^/location\s+(-?\d+(?:\.\d+)?)[ ,]+(-?\d+(?:\.\d+)?)$", line):
            await self.user.send_location(float(m.group(1)), float(m.group(2)))
        elif line:
            await self.user.send_text(line)
        else:
            return True
        await self.settle()
        return True


async def run_chat(settings: Settings, language: str = "de") -> None:
    sandbox = BotAPISandbox(token=SANDBOX_TOKEN)
    await sandbox.start()
    settings = settings.talking_to(sandbox.base_url, SANDBOX_TOKEN)
    bot, dp = await prepare(settings)
    chat = TerminalChat(sandbox, language)
    chat.console.print("[bold]Quartiersassistent[/bold] – Zahl = Knopf drücken, /location LAT LON, /quit\n")
    try:
        async with polling(dp, bot):
            await chat.user.send_text("/start")
            await chat.settle()
            while True:
                try:
                    line = await asyncio.to_thread(input, "> ")
                except EOFError:
                    break
                if not await chat.handle(line):
                    break
    finally:
        await dp["engine"].dispose()
        await sandbox.stop()
