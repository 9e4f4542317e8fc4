"""Local Telegram Bot API sandbox: run and test the bot without Telegram."""

from bot.sandbox.limits import Faults, Limits
from bot.sandbox.server import BotAPISandbox, InvalidCall, SentMessage, run_sandbox
from bot.sandbox.users import SandboxUser

__all__ = ["BotAPISandbox", "Faults", "InvalidCall", "Limits", "SandboxUser", "SentMessage", "run_sandbox"]
