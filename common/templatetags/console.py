"""Small display helpers for the console: inline SVG bar charts (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def bar_chart(
    points: Sequence[tuple[str, float]],
    *,
    width: int = 420,
    height: int = 90,
    unit: str = "",
    color: str = "#417690",
) -> Any:
    """A bar per (label, value); the label and value show as a tooltip."""
    if not points:
        return mark_safe('<p class="help">no data yet</p>')
    top = max((v for _, v in points), default=0) or 1
    gap = 2
    bar = max(1.0, (width - gap * len(points)) / len(points))
    rects = []
    for i, (label, value) in enumerate(points):
        h = round((height - 24) * value / top, 1)
        x = round(i * (bar + gap), 1)
        rects.append((x, height - 12 - h, round(bar, 1), h, color, f"{label}: {value:g}{unit}"))
    bars = format_html_join(
        "", '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>', rects
    )
    return format_html(
        '<svg class="console-chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="chart">{bars}<text x="0" y="{ty}" font-size="10" fill="#666">{first}</text>'
        '<text x="{w}" y="{ty}" font-size="10" fill="#666" text-anchor="end">{last}</text>'
        '<text x="0" y="9" font-size="10" fill="#666">max {top}{unit}</text></svg>',
        w=width,
        h=height,
        bars=bars,
        ty=height - 1,
        first=points[0][0],
        last=points[-1][0],
        top=f"{top:g}",
        unit=unit,
    )


@register.filter
def tone(value: str) -> str:
    return {"green": "ok", "amber": "warn", "red": "bad"}.get(value, "muted")
