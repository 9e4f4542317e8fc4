"""The error a Bot API call gets: Telegram's description and HTTP status."""

from __future__ import annotations


class BadRequest(Exception):
    def __init__(self, description: str, code: int = 400):
        super().__init__(description)
        self.description = description
        self.code = code
