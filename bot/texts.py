"""Longer texts: data sources and licences, privacy."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _


def about_text() -> str:
    return "\n".join(
        [
            _("<b>About the Quartiersassistent</b>"),
            _("An open-source assistant for Karlsruhe's social neighbourhood development."),
            "",
            _("<b>Data sources</b>"),
            "• " + _("District outlines and streets: © OpenStreetMap contributors (ODbL)."),
            "• "
            + _(
                "District statistics 2016, polling districts and stations, postcodes: "
                "Stadt Karlsruhe (Datenlizenz Deutschland – Namensnennung 2.0)."
            ),
            "• "
            + _(
                "Stops, stations and landmarks: Karlsruher Verkehrsverbund (KVV), Deutsche Bahn "
                "(CC BY 4.0), © OpenStreetMap contributors (ODbL), Wikipedia (CC BY-SA)."
            ),
            "• "
            + _(
                "Facilities: public web pages; each place names its source. "
                "Opening hours may be outdated: they show the year they were stated for."
            ),
        ]
    )


def privacy_text() -> str:
    return "\n".join(
        [
            _("<b>Privacy</b>"),
            _("I store only your Telegram number, your language and, if you tell me, your home district."),
            _(
                "Your questions are counted anonymously per district to show where offers are missing; "
                "they are never stored with your name or number. When nothing was found, only the words of "
                "the question that I know (kinds of places, districts) are kept for 90 days: never names, "
                "addresses, numbers or anything about health or belief. The button below stops the counting."
            ),
            _("Shared locations are used for the answer only and are not stored."),
            _(
                "If you sign up to get involved, your sign-up goes to your district coordination only "
                "after you agree; /mydata shows everything stored about you, /delete erases it."
            ),
        ]
    )
