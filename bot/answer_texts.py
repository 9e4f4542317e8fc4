"""What the bot says when the answer is not a list of places.

An honest "that is not something I know" for questions outside the assistant's field,
where to turn for the city's administrative services and in an emergency (contacts from
`knowledge/data/situations.yaml`, each with its source), thanks and goodbyes answered as
such, and the short question the bot asks when two readings are equally likely.

Every text goes through gettext; contact names and numbers come from the data unchanged.
"""

from __future__ import annotations

import re

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.callbacks import ClarifyCb
from bot.safe_html import NAME, esc
from knowledge.situations import Situation, Situations

_THANKS = re.compile(
    r"\b(?:danke|dankeschön|merci|thank|thanks|thx|cheers|teşekkür|tesekkur|sağ ?ol|sag ?ol|"
    r"شكرا|شكراً|مشكور|дякую|спасибі|спасибо|благодарю|grazie|hvala|dziękuję|dziekuje|mulțumesc|"
    r"multumesc|ممنون|مرسی|благодаря|ευχαριστώ|gracias|faleminderit)",
    re.IGNORECASE,
)
_BYE = re.compile(
    r"\b(?:tschüss|tschüs|tschau|ciao|bis bald|bis morgen|bis dann|auf wiedersehen|ade|bye|goodbye|"
    r"see you|görüşürüz|hoşça kal|güle güle|مع السلامة|إلى اللقاء|до побачення|бувай|до свидания|пока|"
    r"do widzenia|la revedere|arrivederci|doviđenja|au revoir|adiós|довиждане|αντίο)",
    re.IGNORECASE,
)


def smalltalk_text(text: str) -> str:
    if _THANKS.search(text):
        return _("You are welcome! Ask me again any time.")
    if _BYE.search(text):
        return _("Goodbye! I am here whenever you need me.")
    return _(
        "Hello! Ask me about offers near you, for example: "
        "“Seniorentreff in Durlach” or “parent café near me”."
    )


def _contacts(s: Situation) -> list[str]:
    lines = []
    for c in s.contacts:
        parts = [f"<b>{esc(c.name, NAME)}</b>"]
        if c.phone:
            parts.append(f"☎ {esc(c.phone, NAME)}")
        if c.website:
            parts.append(esc(c.website, NAME))
        lines.append("• " + " · ".join(parts))
    return lines


def what_i_know() -> str:
    return _(
        "I know the social offers in Karlsruhe's districts: meeting places, parent cafés, family "
        "and youth centres, senior meeting places, neighbourhood work and advice services."
    )


def out_of_scope_text(kind: str | None, situation: Situation | None) -> str:
    """The answer to a question outside the assistant's field, by kind (see situations.yaml)."""
    if kind == "crisis" and situation is not None:
        return "\n".join(
            [
                _("<b>If you are in danger now, call 110 (police) or 112 (emergency).</b>"),
                _("You can talk to someone right now, free of charge and anonymously:"),
                *_contacts(situation),
            ]
        )
    if kind == "admin":
        lines = [
            _("That is a matter for the city administration, which I cannot handle."),
            what_i_know(),
        ]
        if situation is not None and situation.contacts:
            lines.append(_("For the city's services:"))
            lines += _contacts(situation)
        return "\n".join(lines)
    return "\n".join(
        [
            _("Sorry, that is not something I know."),
            what_i_know(),
            _("Ask me, for example: “Seniorentreff in Durlach”, or describe what you need."),
        ]
    )


def clarify_message(
    q: int, keys: list[str], situations: Situations, lang: str, by_whom: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """One short question with a button per reading; the answer follows the press."""
    whom = {
        "older": _("For an older person"),
        "child": _("For a child or young person"),
        "family": _("For our family"),
        "adult": _("For me"),
        "any": _("For me"),
    }
    rows = []
    for key in keys:
        s = situations[key]
        label = whom[s.for_whom] if by_whom else s.label(lang)
        rows.append([InlineKeyboardButton(text=label, callback_data=ClarifyCb(q=q, s=key).pack())])
    question = _("Who are you looking for?") if by_whom else _("Do you mean:")
    return question, InlineKeyboardMarkup(inline_keyboard=rows)
