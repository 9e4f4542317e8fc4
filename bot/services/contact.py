"""Contact details a person types: checked and normalised, or refused."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email


def normalise_phone(text: str, region: str = "DE") -> str | None:
    """E.164 form of a valid phone number ('0721 133-1234' -> '+497211331234'), else None."""
    try:
        number = phonenumbers.parse(text.strip()[:40], region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(text: str) -> str | None:
    """The normalised address if its syntax is valid; no DNS lookup at sign-up time."""
    try:
        return validate_email(text.strip()[:254], check_deliverability=False).normalized
    except EmailNotValidError:
        return None
