"""Small inline-SVG line charts (ROC, FROC, learning curves): no JavaScript, readable without it, printable."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f")


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]
    steps: bool = False  # empirical ROC/FROC curves are drawn as connected operating points
    markers: bool = True


def line_chart(series: Sequence[Series], *, title: str, x_label: str, y_label: str, x_max: float = 1.0,
               y_max: float = 1.0, chance_diagonal: bool = False, width: int = 420, height: int = 320) -> Markup:
    """An SVG chart with axes from 0 to ``x_max``/``y_max``, a legend, and one polyline per series."""
    left, right, top, bottom = 52, 16, 28, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    x_max = x_max if x_max > 0 else 1.0
    y_max = y_max if y_max > 0 else 1.0

    def sx(x: float) -> float:
        return left + plot_w * min(max(x, 0.0), x_max) / x_max

    def sy(y: float) -> float:
        return top + plot_h * (1 - min(max(y, 0.0), y_max) / y_max)

    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
             f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>',
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#94a3b8"/>']
    for i in range(1, 5):
        gx, gy = left + plot_w * i / 5, top + plot_h * i / 5
        parts.append(f'<line x1="{gx:.1f}" y1="{top}" x2="{gx:.1f}" y2="{top + plot_h}" stroke="#e2e8f0"/>')
        parts.append(f'<line x1="{left}" y1="{gy:.1f}" x2="{left + plot_w}" y2="{gy:.1f}" stroke="#e2e8f0"/>')
    for i in range(0, 6):
        vx, vy = x_max * i / 5, y_max * (5 - i) / 5
        parts.append(f'<text x="{left + plot_w * i / 5:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'class="chart-tick">{vx:.2g}</text>')
        parts.append(f'<text x="{left - 6}" y="{top + plot_h * i / 5 + 4:.1f}" text-anchor="end" '
                     f'class="chart-tick">{vy:.2g}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle" '
                 f'class="chart-label">{escape(x_label)}</text>')
    parts.append(f'<text transform="translate(14 {top + plot_h / 2}) rotate(-90)" text-anchor="middle" '
                 f'class="chart-label">{escape(y_label)}</text>')
    if chance_diagonal:
        parts.append(f'<line x1="{sx(0)}" y1="{sy(0)}" x2="{sx(x_max)}" y2="{sy(y_max)}" stroke="#cbd5e1" '
                     f'stroke-dasharray="4 4"/>')
    for n, s in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s.points)
        if points:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}">'
                         f'<title>{escape(s.label)}</title></polyline>')
        if s.markers:
            parts.extend(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colour}"/>' for x, y in s.points)
        ly = top + 14 + 16 * n
        parts.append(f'<rect x="{left + plot_w - 150}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{left + plot_w - 135}" y="{ly}" class="chart-legend">{escape(s.label[:24])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
