"""What sign-ups look like in the chat: labels, summaries, notifications (all gettext).

What the person typed (phone, e-mail, note) and names from the data go in through
bot.safe_html, escaped and bounded.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import PersonSignupCb, StaffCb
from bot.models import Signup
from bot.safe_html import LINE, NAME, TEXT, esc
from bot.services.signups import Draft


def interest_label(key: str) -> str:
    return {
        "visiting": _("Visiting older people"),
        "accompanying": _("Accompanying to appointments"),
        "neighbourhood": _("Neighbourhood help"),
        "children": _("Children and homework"),
        "language": _("Language partnership"),
        "events": _("Events"),
        "digital": _("Digital help"),
        "other": _("Something else"),
    }.get(key, key)


def availability_label(key: str) -> str:
    return {"weekdays": _("Weekdays"), "evenings": _("Evenings"), "weekends": _("Weekends")}.get(key, key)


def hours_label(key: str | None) -> str:
    if key is None:
        return "–"
    return {
        "1-4": _("1 to 4 hours a month"),
        "5-10": _("5 to 10 hours a month"),
        "10+": _("more than 10 hours a month"),
    }.get(key, key)


def contact_label(draft_or_signup: Draft | Signup) -> str:
    via = draft_or_signup.contact_via
    if via == "phone":
        return _("by phone: {phone}").format(phone=esc(draft_or_signup.phone, LINE))
    if via == "email":
        return _("by e-mail: {email}").format(email=esc(draft_or_signup.email, LINE))
    return _("through this chat")


def status_label(status: str) -> str:
    return {
        "new": _("received, not yet handled"),
        "contacted": _("the coordination is in contact with you"),
        "placed": _("placed"),
        "not_fit": _("closed: no fitting offer at the moment"),
        "withdrawn": _("withdrawn"),
    }.get(status, status)


def summary(item: Draft | Signup, district_name: str | None) -> str:
    """The sign-up's content as the person confirms it and the coordinator reads it."""
    interests = item.interests
    lines = [
        "🏘 " + _("District: {district}").format(district=esc(district_name or _("not given"), NAME)),
        "🤝 "
        + _("Interests: {interests}").format(
            interests=", ".join(interest_label(k) for k in interests) or "–"
        ),
        "🕒 "
        + _("Time: {when}, {hours}").format(
            when=", ".join(availability_label(k) for k in item.availability) or "–",
            hours=hours_label(getattr(item, "hours", None) or getattr(item, "hours_per_month", None)),
        ),
        "☎ " + _("Contact: {how}").format(how=contact_label(item)),
    ]
    if item.note:
        lines.append("💬 " + _("Note: {note}").format(note=esc(item.note, TEXT)))
    return "\n".join(lines)


def staff_status_label(status: str) -> str:
    """The status as the coordination says it (status_label speaks to the person)."""
    return {
        "new": _("received, not yet handled"),
        "contacted": _("in contact with the person"),
        "placed": _("placed"),
        "not_fit": _("closed: not a fit"),
        "withdrawn": _("withdrawn by the person"),
    }.get(status, status)


def staff_keyboard(signup_id: int, status: str = "new") -> InlineKeyboardMarkup | None:
    """Only the buttons that still apply: a closed sign-up can only be written to."""

    def b(text: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=StaffCb(action=action, sid=signup_id).pack())

    if status == "withdrawn":
        return None
    write = b("✉ " + _("Write to the person"), "write")
    if status == "new":
        rows = [
            [b("📞 " + _("Contacted"), "contacted"), b("✅ " + _("Placed"), "placed")],
            [b("✖ " + _("Not a fit"), "not_fit"), write],
        ]
    elif status == "contacted":
        rows = [[b("✅ " + _("Placed"), "placed"), b("✖ " + _("Not a fit"), "not_fit")], [write]]
    else:
        rows = [[write]]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def withdrawn_card(ref: str) -> str:
    return "📝 " + _(
        "<b>Sign-up {ref}</b>: withdrawn by the person. Their data is no longer shown here."
    ).format(ref=ref)


def erased_card(ref: str) -> str:
    return "📝 " + _(
        "<b>Sign-up {ref}</b>: the person's data has been erased. Nothing more can be sent to them."
    ).format(ref=ref)


def staff_card(signup: Signup, district_name: str | None, area_name: str | None) -> str:
    head = "📝 " + _("<b>Sign-up {ref}</b>").format(ref=esc(signup.ref, NAME))
    lines = [head]
    if signup.unassigned:
        lines.append("⚠ " + _("No coordinator is set up for this district: please take it on or pass it on."))
    if area_name:
        lines.append(_("Planning area: {area}").format(area=esc(area_name, NAME)))
    lines.append(_("Status: {status}").format(status=staff_status_label(signup.status)))
    lines.append(summary(signup, district_name))
    return "\n".join(lines)


def reply_keyboard(signup_id: int) -> InlineKeyboardMarkup:
    cb = PersonSignupCb(action="reply", sid=signup_id).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="↩ " + _("Reply"), callback_data=cb)]]
    )


def privacy_consent_text(retention_months: int) -> str:
    return "\n".join(
        [
            _("<b>Before I send your sign-up</b>"),
            _(
                "Your sign-up goes to the district coordination of your district "
                "(Soziale Quartiersentwicklung, Stadt Karlsruhe). Only the coordinators of your "
                "planning area see it; if none is set up, the central coordination does."
            ),
            _(
                "It is kept while it is open and for {months} months after it is closed, then erased. "
                "You can see it with /mydata, withdraw it with /withdraw and erase everything with /delete."
            ).format(months=retention_months),
            _("Do you agree?"),
        ]
    )
