"""Callback data factories: short, typed, and checked on the server side.

Anybody can send any callback data. Every number is bounded here, so a huge or negative
number never reaches a database column it would overflow: such data does not match its
factory, falls through to handlers.places.unknown_button and is answered as out of date.
"""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

Id = Annotated[int, Field(ge=0, le=2**31 - 1)]  # a row id, a district number, a question's number
Ref = Annotated[int, Field(ge=1, lt=2**62)]  # DemandLog's random references


class PlaceCb(CallbackData, prefix="p"):
    action: str  # map | ics | info
    fid: Id


class PageCb(CallbackData, prefix="pg"):
    q: Id  # number of the person's question, to spot stale buttons
    offset: Id


class ClarifyCb(CallbackData, prefix="cl"):
    q: int  # the question the bot asked back about
    s: str  # the situation the person chose (a key of situations.yaml)


class FeedbackCb(CallbackData, prefix="fb"):
    q: Id
    rec: Ref  # random reference of the anonymous demand record (DemandLog)


class LanguageCb(CallbackData, prefix="lang"):
    code: str


class PrivacyCb(CallbackData, prefix="pv"):
    count: bool  # whether the person's questions are counted (anonymously) for the monitoring


class DistrictCb(CallbackData, prefix="d"):
    number: Id  # 0 = no home district


class SignupCb(CallbackData, prefix="su"):
    """A step of the person's own sign-up form (checked against the FSM state)."""

    action: str  # district | toggle | done | hours | contact | skip | back | cancel | edit | send
    value: str = ""


class StaffCb(CallbackData, prefix="st"):
    """A coordinator's action on a sign-up; the server checks the coordinator's areas."""

    action: str  # contacted | placed | not_fit | write | show
    sid: Id


class PersonSignupCb(CallbackData, prefix="ps"):
    """The person's own actions on a stored sign-up: reply, withdraw, delete."""

    action: str  # reply | withdraw | delete | keep
    sid: Id = 0


class NetCb(CallbackData, prefix="n"):
    """The person's own network settings: follow a district network or a topic."""

    action: str  # district | topic | partner | done
    value: str = ""


class PartnerCb(CallbackData, prefix="pt"):
    """A coordinator confirms or declines a partner registration (checked server side)."""

    action: str  # confirm | decline
    pid: Id


class MeetingCb(CallbackData, prefix="m"):
    mid: Id


class BroadcastCb(CallbackData, prefix="bc"):
    """Steps of a coordinator's broadcast (checked against the FSM state and the areas)."""

    action: str  # district | area | topic | partners | city | next | send | later | cancel
    value: str = ""
