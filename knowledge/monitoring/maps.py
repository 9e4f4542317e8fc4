"""PNG maps of Karlsruhe's districts with matplotlib (no web tiles: works offline).

Coordinates are drawn in an equirectangular projection scaled at Karlsruhe's latitude,
which is true to shape at city scale.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt
from matplotlib import cm, colors
from matplotlib.patches import Polygon as MplPolygon

from knowledge.exports import write_private_bytes
from knowledge.geo import polygons_of
from knowledge.monitoring.tables import DistrictInfo

ATTRIBUTION = (
    "Stadtteile: © OpenStreetMap-Mitwirkende (ODbL) · Statistik 2016: Stadt Karlsruhe "
    "(dl-de/by-2-0) · Quartiersassistent"
)
ASPECT = 1 / math.cos(math.radians(49.01))


def choropleth(
    districts: list[DistrictInfo],
    values: dict[int, float | None],
    *,
    title: str,
    legend: str,
    cmap: str = "YlOrRd",
    dots: Iterable[tuple[float, float, bool]] = (),
    dots_label: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> bytes:
    """A district map: colour by value (grey: no value or suppressed), names, legend, title."""
    known = [v for v in values.values() if v is not None]
    norm = colors.Normalize(
        vmin=vmin if vmin is not None else (min(known) if known else 0),
        vmax=vmax if vmax is not None else (max(known) if known and max(known) > 0 else 1),
    )
    colormap = plt.get_cmap(cmap)
    fig, ax = plt.subplots(figsize=(10, 8), dpi=110)
    for d in districts:
        value = values.get(d.number)
        face = colormap(norm(value)) if value is not None else "#dddddd"
        for poly in polygons_of(d.geometry):
            ax.add_patch(
                MplPolygon(
                    [(x, y) for x, y, *_ in poly[0]],
                    closed=True,
                    facecolor=face,
                    edgecolor="#444444",
                    linewidth=0.6,
                )
            )
        ax.annotate(
            d.name,
            (d.inside[1], d.inside[0]),
            ha="center",
            va="center",
            fontsize=6.5,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
        )
    points = list(dots)
    if points:
        exact = [(lon, lat) for lat, lon, ok in points if ok]
        approx = [(lon, lat) for lat, lon, ok in points if not ok]
        if exact:
            ax.scatter(
                *zip(*exact, strict=True),
                s=14,
                c="#1f4e9e",
                edgecolors="white",
                linewidths=0.5,
                zorder=3,
                label=dots_label,
            )
        if approx:
            ax.scatter(
                *zip(*approx, strict=True),
                s=14,
                c="#1f4e9e",
                marker="x",
                zorder=3,
                label=(dots_label or "") + " (Lage ungefähr)",
            )
        ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    ax.autoscale_view()
    ax.set_aspect(ASPECT)
    ax.set_axis_off()
    ax.set_title(title, fontsize=12)
    bar = fig.colorbar(cm.ScalarMappable(norm=norm, cmap=colormap), ax=ax, shrink=0.6, pad=0.01)
    bar.set_label(legend)
    fig.text(0.01, 0.01, ATTRIBUTION, fontsize=6.5, color="#555555")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def save(png: bytes, path: Path) -> Path:
    write_private_bytes(path, png)
    return path
