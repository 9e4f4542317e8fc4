"""Callback data factories: short, typed, and checked on the server side."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class PlaceCb(CallbackData, prefix="p"):
    action: str  # map | ics | info
    fid: int


class PageCb(CallbackData, prefix="pg"):
    q: int  # number of the person's question, to spot stale buttons
    offset: int


class FeedbackCb(CallbackData, prefix="fb"):
    q: int
    rec: int  # anonymous demand record id


class LanguageCb(CallbackData, prefix="lang"):
    code: str


class DistrictCb(CallbackData, prefix="d"):
    number: int  # 0 = no home district
