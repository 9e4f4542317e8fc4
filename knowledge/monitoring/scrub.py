"""The wording of a question that found nothing, made safe to keep for a while."""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"\+?\(?\d[\d ()/.-]{5,}\d")  # 7 or more digits with separators
DIGITS = re.compile(r"\d{5,}")  # long digit runs (ids, account numbers); postcodes have 5 digits
URL = re.compile(r"https?://\S+")
MAX_KEPT = 200


def scrub(text: str) -> str:
    """Remove e-mail addresses, phone numbers, links and long digit runs; shorten."""
    out = EMAIL.sub("[e-mail]", text)
    out = URL.sub("[link]", out)
    out = PHONE.sub(_phone_or_postcode, out)
    out = DIGITS.sub(_keep_postcode, out)
    out = " ".join(out.split())
    return out[:MAX_KEPT]


def _phone_or_postcode(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return m.group(0) if len(digits) == 5 and m.group(0).strip().isdigit() else "[number]"


def _keep_postcode(m: re.Match) -> str:
    # a Karlsruhe postcode (761xx) says where, not who; everything else of 5+ digits goes
    return m.group(0) if len(m.group(0)) == 5 and m.group(0).startswith("76") else "[number]"
