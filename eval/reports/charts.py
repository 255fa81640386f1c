"""Numbers -> inline SVG bar charts for the HTML report (no scripts, no external resources)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

_BAR = 22  # width of one bar, px
_GAP = 14  # between groups of bars
_HEIGHT = 160  # plot area height
_TOP = 34  # room for the title and legend
_BOTTOM = 70  # room for rotated labels
_LEFT = 44  # room for the y axis
_LEGEND_ENTRY = 150  # width of one series' entry in the legend


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    y_max: float,
    value_format: str = "{:.2f}",
) -> str:
    """Grouped bars: one group per label, one bar per series; a missing value draws no bar.

    Each bar's <title> holds its exact value, shown as a tooltip.
    """
    names = list(series)
    group_width = len(names) * _BAR + _GAP
    legend_width = _LEFT + len(names) * _LEGEND_ENTRY if len(names) > 1 else 0
    width = max(_LEFT + len(labels) * group_width + _GAP, legend_width)
    height = _TOP + _HEIGHT + _BOTTOM
    scale = _HEIGHT / y_max if y_max > 0 else 0.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
        f'<text class="chart-title" x="{_LEFT}" y="14">{escape(title)}</text>',
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = _TOP + _HEIGHT - fraction * _HEIGHT
        tick = value_format.format(fraction * y_max)
        parts.append(f'<line class="grid" x1="{_LEFT}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{_LEFT - 4}" y="{y + 4:.1f}">{escape(tick)}</text>')
    if len(names) > 1:
        for position, name in enumerate(names):
            x = _LEFT + position * _LEGEND_ENTRY
            parts.append(f'<rect class="s{position % 4}" x="{x}" y="20" width="10" height="10"/>')
            parts.append(f'<text class="legend" x="{x + 14}" y="29">{escape(name)}</text>')
    for group, label in enumerate(labels):
        x0 = _LEFT + _GAP + group * group_width
        for position, name in enumerate(names):
            value = series[name][group]
            if value is None:
                continue
            bar_height = max(0.0, min(value, y_max)) * scale
            x = x0 + position * _BAR
            y = _TOP + _HEIGHT - bar_height
            shown = escape(value_format.format(value))
            parts.append(
                f'<rect class="s{position % 4}" x="{x}" y="{y:.1f}" width="{_BAR - 2}" '
                f'height="{bar_height:.1f}"><title>{escape(name)} · {escape(label)}: '
                f"{shown}</title></rect>"
            )
        label_x = x0 + len(names) * _BAR / 2
        label_y = _TOP + _HEIGHT + 12
        parts.append(
            f'<text class="label" x="{label_x:.1f}" y="{label_y}" '
            f'transform="rotate(-35 {label_x:.1f} {label_y})">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
