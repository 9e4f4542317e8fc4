"""Updates the library cannot parse: skipped one by one, logged without their content.

aiogram validates a whole getUpdates batch at once; one update with a field its models
reject (a malformed date, a missing chat) failed the batch, polling retried the same
offset for ever and logged the batch, names and message texts included, at ERROR on
every try. Here such an update is dropped with one line naming its update_id and the
error type, the rest of the batch is handled, and the next getUpdates confirms it
(see JsonAiohttpSession). The webhook uses the same `parse_update`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aiogram.types import Update
from pydantic import ValidationError

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)


def update_id_of(raw: Any) -> int | None:
    value = raw.get("update_id") if isinstance(raw, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_update(raw: Any, bot: Bot) -> Update | None:
    """The update, or None (logged: its id and the error type, never its content)."""
    try:
        return Update.model_validate(raw, context={"bot": bot})
    except ValidationError as exc:
        log.warning(
            "update %s skipped: %s (%s field(s) the library rejects)",
            update_id_of(raw),
            type(exc).__name__,
            exc.error_count(),
        )
        return None


def parse_batch(raw: list[Any], bot: Bot) -> tuple[list[Any], int | None]:
    """The updates of a batch that parse (as received), and the highest update_id of any.

    Only called when the batch as a whole failed, so the common path validates once.
    """
    kept: list[Any] = []
    highest: int | None = None
    for item in raw:
        uid = update_id_of(item)
        if uid is not None:
            highest = uid if highest is None else max(highest, uid)
        if parse_update(item, bot) is not None:
            kept.append(item)
    return kept, highest
