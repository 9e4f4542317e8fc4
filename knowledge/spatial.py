"""A grid index over facility points: the k nearest places without scanning them all.

Cells are about 500 m square; a search walks rings of cells outwards from the
person's point and stops once the next ring cannot hold anything nearer than the
k-th place found. Distances are exact (haversine), so the order is the true order.

Bounded work for any point: the walk starts at the first ring that reaches the
occupied cells (a point 6,000 km away does not walk the empty rings in between),
and once a ring would have more cells than the index has occupied cells, the
remaining occupied cells are measured directly. So a search looks at no more than
about twice the occupied cells, wherever the point lies.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from knowledge.geo import haversine_m
from knowledge.records import FacilityRecord

CELL_M = 500.0
M_PER_DEG_LAT = 111_195.0


class GridIndex:
    def __init__(self, facilities: Iterable[FacilityRecord], ref_lat: float = 49.0):
        self.dlat = CELL_M / M_PER_DEG_LAT
        self.dlon = CELL_M / (M_PER_DEG_LAT * math.cos(math.radians(ref_lat)))
        self.cells: dict[tuple[int, int], list[FacilityRecord]] = defaultdict(list)
        for f in facilities:
            if f.lat is not None and f.lon is not None:
                self.cells[self._cell(f.lat, f.lon)].append(f)
        keys = list(self.cells) or [(0, 0)]
        self.bounds = (
            min(k[0] for k in keys),
            max(k[0] for k in keys),
            min(k[1] for k in keys),
            max(k[1] for k in keys),
        )

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self.dlat), math.floor(lon / self.dlon)

    def _ring(self, cy: int, cx: int, r: int) -> Iterator[tuple[int, int]]:
        if r == 0:
            yield cy, cx
            return
        for dx in range(-r, r + 1):
            yield cy - r, cx + dx
            yield cy + r, cx + dx
        for dy in range(-r + 1, r):
            yield cy + dy, cx - r
            yield cy + dy, cx + r

    def nearest(
        self, lat: float, lon: float, k: int, accept: Callable[[FacilityRecord], bool]
    ) -> list[tuple[float, FacilityRecord]]:
        """The k nearest accepted places as (metres, facility), nearest first."""
        cy, cx = self._cell(lat, lon)
        y0, y1, x0, x1 = self.bounds
        max_r = max(abs(cy - y0), abs(cy - y1), abs(cx - x0), abs(cx - x1)) + 1
        # rings nearer than the occupied block are empty: start where it begins
        first = max(y0 - cy, cy - y1, x0 - cx, cx - x1, 0)
        heap: list[tuple[float, int, FacilityRecord]] = []  # max-heap by negated distance
        self.cells_visited = 0

        def consider(places: list[FacilityRecord]) -> None:
            for f in places:
                if not accept(f):
                    continue
                d = haversine_m(lat, lon, f.lat, f.lon)
                item = (-d, -f.id, f)
                if len(heap) < k:
                    heapq.heappush(heap, item)
                elif item > heap[0]:
                    heapq.heapreplace(heap, item)

        for r in range(first, max_r + 1):
            # everything in ring r is at least (r - 1) cells away from the point
            if len(heap) >= k and -heap[0][0] <= (r - 1) * CELL_M:
                break
            if 8 * r > len(self.cells):
                # a ring larger than the index: measure the occupied cells not yet seen
                for (y, x), places in self.cells.items():
                    if max(abs(y - cy), abs(x - cx)) >= r:
                        self.cells_visited += 1
                        consider(places)
                break
            for cell in self._ring(cy, cx, r):
                self.cells_visited += 1
                consider(self.cells.get(cell, ()))
        return sorted(((-nd, f) for nd, _, f in heap), key=lambda x: (x[0], x[1].name))
