"""Callback data factories: short, typed, and checked on the server side."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class PlaceCb(CallbackData, prefix="p"):
    action: str  # map | ics | info
    fid: int


class PageCb(CallbackData, prefix="pg"):
    q: int  # number of the person's question, to spot stale buttons
    offset: int


class ClarifyCb(CallbackData, prefix="cl"):
    q: int  # the question the bot asked back about
    s: str  # the situation the person chose (a key of situations.yaml)


class FeedbackCb(CallbackData, prefix="fb"):
    q: int
    rec: int  # random reference of the anonymous demand record (DemandLog)


class LanguageCb(CallbackData, prefix="lang"):
    code: str


class PrivacyCb(CallbackData, prefix="pv"):
    count: bool  # whether the person's questions are counted (anonymously) for the monitoring


class DistrictCb(CallbackData, prefix="d"):
    number: int  # 0 = no home district


class SignupCb(CallbackData, prefix="su"):
    """A step of the person's own sign-up form (checked against the FSM state)."""

    action: str  # district | toggle | done | hours | contact | skip | back | cancel | edit | send
    value: str = ""


class StaffCb(CallbackData, prefix="st"):
    """A coordinator's action on a sign-up; the server checks the coordinator's areas."""

    action: str  # contacted | placed | not_fit | write | show
    sid: int


class PersonSignupCb(CallbackData, prefix="ps"):
    """The person's own actions on a stored sign-up: reply, withdraw, delete."""

    action: str  # reply | withdraw | delete | keep
    sid: int = 0


class NetCb(CallbackData, prefix="n"):
    """The person's own network settings: follow a district network or a topic."""

    action: str  # district | topic | partner | done
    value: str = ""


class PartnerCb(CallbackData, prefix="pt"):
    """A coordinator confirms or declines a partner registration (checked server side)."""

    action: str  # confirm | decline
    pid: int


class MeetingCb(CallbackData, prefix="m"):
    mid: int


class BroadcastCb(CallbackData, prefix="bc"):
    """Steps of a coordinator's broadcast (checked against the FSM state and the areas)."""

    action: str  # district | area | topic | partners | city | next | send | later | cancel
    value: str = ""
