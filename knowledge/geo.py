"""Plain-Python geometry on WGS84: distances, walking time, point in polygon.

Karlsruhe is small enough that haversine distances are exact for our purpose and
that a bounding-box test before ray casting keeps point-in-polygon cheap.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

EARTH_RADIUS_M = 6_371_008.8
# 4.5 km/h is what city planning uses for older pedestrians and people with prams;
# a detour factor turns straight-line distance into a street-network estimate.
WALK_SPEED_M_PER_MIN = 75.0
DETOUR_FACTOR = 1.25

Ring = Sequence[Sequence[float]]  # [[lon, lat], ...]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def walk_minutes(distance_m: float) -> int:
    """Walking minutes for a straight-line distance, at least one minute."""
    return max(1, round(distance_m * DETOUR_FACTOR / WALK_SPEED_M_PER_MIN))


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def polygons_of(geometry: dict[str, Any]) -> list[list[Ring]]:
    """GeoJSON Polygon or MultiPolygon as a list of polygons (outer ring, holes...)."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise ValueError(f"not a polygon geometry: {geometry['type']}")


@dataclass(slots=True)
class Area:
    """A polygonal area with a cached bounding box for fast point tests."""

    polygons: list[list[Ring]]
    bbox: tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat

    @classmethod
    def from_geojson(cls, geometry: dict[str, Any]) -> Area:
        polys = polygons_of(geometry)
        xs = [p[0] for poly in polys for p in poly[0]]
        ys = [p[1] for poly in polys for p in poly[0]]
        return cls(polys, (min(xs), min(ys), max(xs), max(ys)))

    def contains(self, lat: float, lon: float) -> bool:
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        for poly in self.polygons:
            if _in_ring(lon, lat, poly[0]) and not any(_in_ring(lon, lat, h) for h in poly[1:]):
                return True
        return False

    def distance_m(self, lat: float, lon: float) -> float:
        """Metres from a point to the area: 0 inside, else to the nearest edge.

        Edges are measured on a local flat projection, exact to a few metres at the
        scale of a city (used for "near the border", a few hundred metres).
        """
        if self.contains(lat, lon):
            return 0.0
        ky = 111_195.0
        kx = ky * math.cos(math.radians(lat))
        px, py = lon * kx, lat * ky
        best = math.inf
        for poly in self.polygons:
            for ring in poly:
                for i in range(len(ring) - 1):
                    ax, ay = ring[i][0] * kx, ring[i][1] * ky
                    dx, dy = ring[i + 1][0] * kx - ax, ring[i + 1][1] * ky - ay
                    length2 = dx * dx + dy * dy
                    along = ((px - ax) * dx + (py - ay) * dy) / length2 if length2 else 0.0
                    t = max(0.0, min(1.0, along))
                    best = min(best, math.hypot(px - ax - t * dx, py - ay - t * dy))
        return best

    def centroid(self) -> tuple[float, float]:
        """Area-weighted centroid (lat, lon) of the outer rings."""
        ax = ay = total = 0.0
        for poly in self.polygons:
            ring = poly[0]
            for i in range(len(ring) - 1):
                x0, y0 = ring[i][0], ring[i][1]
                x1, y1 = ring[i + 1][0], ring[i + 1][1]
                cross = x0 * y1 - x1 * y0
                total += cross
                ax += (x0 + x1) * cross
                ay += (y0 + y1) * cross
        if total == 0:
            ring = self.polygons[0][0]
            return sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring)
        return ay / (3 * total), ax / (3 * total)


def nearest_vertex(points: Iterable[tuple[float, float]], lat: float, lon: float):
    """The (lat, lon) among `points` closest to a target; used for representative points."""
    return min(points, key=lambda p: haversine_m(p[0], p[1], lat, lon))
