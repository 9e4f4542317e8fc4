"""How much of a district lies within walking time of the nearest place of a category.

Points on a regular grid (default every 150 m) inside the district's polygon stand for
its area; for each point the walking time to the nearest place of the category (by air
with the detour factor of `knowledge.geo.walk_minutes`) decides whether it is covered.
The 2016 statistics give population per district only, so the share is of area, not of
people; places whose location is only approximate are counted and reported as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from knowledge.geo import DETOUR_FACTOR, WALK_SPEED_M_PER_MIN, Area

EARTH_M = 6_371_000.0


@dataclass(frozen=True, slots=True)
class Place:
    lat: float
    lon: float
    exact: bool


@dataclass(slots=True)
class Coverage:
    share: float | None  # 0..1 of the sampled points within the walk; None: no sample points
    points: int
    places_used: int
    approximate_places: int
    median_minutes: float | None


def grid_points(area: Area, spacing_m: float = 150.0) -> np.ndarray:
    """(lat, lon) rows of a regular grid inside the area."""
    x0, y0, x1, y1 = area.bbox
    mid = math.radians((y0 + y1) / 2)
    dlat = spacing_m / 111_320.0
    dlon = spacing_m / (111_320.0 * math.cos(mid))
    lats = np.arange(y0 + dlat / 2, y1, dlat)
    lons = np.arange(x0 + dlon / 2, x1, dlon)
    pts = [(la, lo) for la in lats for lo in lons if area.contains(float(la), float(lo))]
    if not pts:  # a tiny district: its centroid stands for it
        pts = [area.centroid()]
    return np.array(pts, dtype=float)


def walk_minutes_to_nearest(points: np.ndarray, places: list[Place]) -> np.ndarray:
    """Minutes on foot from every point to its nearest place (inf without places)."""
    if not places:
        return np.full(len(points), np.inf)
    plat = np.radians(np.array([p.lat for p in places]))[None, :]
    plon = np.radians(np.array([p.lon for p in places]))[None, :]
    lat = np.radians(points[:, 0])[:, None]
    lon = np.radians(points[:, 1])[:, None]
    a = np.sin((plat - lat) / 2) ** 2 + np.cos(lat) * np.cos(plat) * np.sin((plon - lon) / 2) ** 2
    metres = 2 * EARTH_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return metres.min(axis=1) * DETOUR_FACTOR / WALK_SPEED_M_PER_MIN


def coverage(points: np.ndarray, places: list[Place], minutes: float = 20.0) -> Coverage:
    if len(points) == 0:
        return Coverage(None, 0, len(places), sum(not p.exact for p in places), None)
    walk = walk_minutes_to_nearest(points, places)
    finite = walk[np.isfinite(walk)]
    return Coverage(
        share=float((walk <= minutes).mean()),
        points=len(points),
        places_used=len(places),
        approximate_places=sum(not p.exact for p in places),
        median_minutes=float(np.median(finite)) if len(finite) else None,
    )
