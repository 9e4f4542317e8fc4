"""What networks look like in the chat: meetings, topics, partner requests, reports.

A meeting's place and agenda are what a coordinator typed: they go in through
bot.safe_html, escaped and bounded.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import MeetingCb, PartnerCb
from bot.models import Meeting
from bot.render import format_when
from bot.safe_html import LINE, NAME, TEXT, esc
from knowledge.schedules import BERLIN


def topic_label(key: str) -> str:
    return {
        "older_people": _("Older people"),
        "families": _("Families"),
        "children_youth": _("Children and young people"),
        "volunteers": _("Volunteering"),
    }.get(key, key)


def meeting_text(meeting: Meeting, district_names: dict[int, str], lang: str | None) -> str:
    from bot.services.outbox import aware

    district = district_names.get(meeting.district_number, "")
    lines = [
        "🤝 " + _("<b>Network meeting {district}</b>").format(district=esc(district, NAME)),
        "📅 " + esc(format_when(aware(meeting.starts_at).astimezone(BERLIN), str(lang or "de")), LINE),
    ]
    if meeting.place_text:
        lines.append("🏠 " + esc(meeting.place_text, LINE))
    if meeting.agenda:
        lines.append("📝 " + esc(meeting.agenda, TEXT))
    return "\n".join(lines)


def meeting_keyboard(meeting_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="📅 " + _("Calendar"), callback_data=MeetingCb(mid=meeting_id).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def partner_keyboard(partner_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text="✅ " + _("Confirm"),
                    callback_data=PartnerCb(action="confirm", pid=partner_id).pack(),
                ),
                InlineKeyboardButton(
                    text="✖ " + _("Decline"), callback_data=PartnerCb(action="decline", pid=partner_id).pack()
                ),
            ]
        ]
    )


def report_text(broadcast_id: int, report) -> str:
    lines = [
        _("<b>Broadcast {number}: delivery report</b>").format(number=broadcast_id),
        _("Recipients: {n}").format(n=report.recipients),
        _("Delivered: {n}").format(n=report.delivered),
        _("Blocked the bot: {n}").format(n=report.blocked),
    ]
    if report.pending:
        lines.append(_("Still being sent: {n}").format(n=report.pending))
    for reason, n in sorted(report.failed.items()):
        lines.append(_("Failed ({reason}): {n}").format(reason=esc(reason, LINE), n=n))
    return "\n".join(lines)
