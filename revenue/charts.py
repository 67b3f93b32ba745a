"""Charts drawn on the server as inline SVG: no script, no chart library, no CDN.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (read
by screen readers), a ``<title>`` on every bar or point (a tooltip), and the
page shows the same numbers in a table next to it.
"""

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 28
PALETTE = ("#417690", "#79aec8", "#ba2121", "#e1a21b", "#5b8c5a")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int | float]


def _n(value) -> str:
    return number_format(value, force_grouping=True)


def _scale(series: list[Series]) -> float:
    top = max((v for s in series for v in s.values if v is not None), default=0)
    return top if top > 0 else 1


def _frame(*, chart_id: str, title: str, desc: str, top: float, body: SafeString, labels, series):
    """The SVG around ``body`` (axis, top value, first and last label), in a
    ``<figure>`` with the legend as its caption."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    axis = format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#999"/>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end">0</text>',
        LEFT,
        TOP + plot_h,
        LEFT + plot_w,
        TOP + plot_h,
        LEFT - 6,
        TOP + 10,
        _n(top),
        LEFT - 6,
        TOP + plot_h,
    )
    ends = ""
    if labels:
        ends = format_html(
            '<text x="{}" y="{}" font-size="11">{}</text>'
            '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>',
            LEFT,
            HEIGHT - 8,
            labels[0],
            LEFT + plot_w,
            HEIGHT - 8,
            labels[-1],
        )
    svg = format_html(
        '<svg role="img" aria-labelledby="{id}-t {id}-d" viewBox="0 0 {w} {h}" '
        'width="100%" style="max-width:{w}px" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>'
        "{axis}{body}{ends}</svg>",
        id=chart_id,
        w=WIDTH,
        h=HEIGHT,
        title=title,
        desc=desc,
        axis=axis,
        body=body,
        ends=ends,
    )
    return format_html(
        '<figure class="revenue-chart">{}<figcaption>{}</figcaption></figure>', svg, legend(series)
    )


def legend(series: list[Series]) -> SafeString:
    """The series' names and colours, as HTML under the chart."""
    return format_html(
        '<span class="revenue-legend">{}</span>',
        format_html_join(
            " ",
            '<span><span style="display:inline-block;width:10px;height:10px;background:{}">'
            "</span> {}</span>",
            ((PALETTE[i % len(PALETTE)], s.name) for i, s in enumerate(series)),
        ),
    )


def columns(
    *, chart_id: str, title: str, desc: str, labels: list[str], series: list[Series]
) -> SafeString:
    """Grouped columns: one group per label, one column per series."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _scale(series)
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 1)
    bars = []
    for i, label in enumerate(labels):
        for j, s in enumerate(series):
            value = s.values[i] or 0
            h = plot_h * value / top
            x = LEFT + i * group_w + group_w * 0.1 + j * bar_w
            bars.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {} {}</title></rect>",
                    f"{x:.1f}",
                    f"{TOP + plot_h - h:.1f}",
                    f"{bar_w:.1f}",
                    f"{h:.1f}",
                    PALETTE[j % len(PALETTE)],
                    label,
                    s.name,
                    _n(value),
                )
            )
    body = mark_safe("".join(bars))  # noqa: S308 - every part built by format_html
    return _frame(
        chart_id=chart_id, title=title, desc=desc, top=top, body=body, labels=labels, series=series
    )


def lines(
    *, chart_id: str, title: str, desc: str, labels: list[str], series: list[Series]
) -> SafeString:
    """One line per series, a dot (with its value as a tooltip) at each label."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _scale(series)
    step = plot_w / max(len(labels) - 1, 1)
    parts = []
    for j, s in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        points = [
            (LEFT + i * step, TOP + plot_h - plot_h * (v or 0) / top)
            for i, v in enumerate(s.values)
        ]
        parts.append(
            format_html(
                '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>',
                colour,
                " ".join(f"{x:.1f},{y:.1f}" for x, y in points),
            )
        )
        for (x, y), label, value in zip(points, labels, s.values, strict=False):
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}: {} {}</title></circle>',
                    f"{x:.1f}",
                    f"{y:.1f}",
                    colour,
                    label,
                    s.name,
                    _n(value or 0),
                )
            )
    body = mark_safe("".join(parts))  # noqa: S308 - every part built by format_html
    return _frame(
        chart_id=chart_id, title=title, desc=desc, top=top, body=body, labels=labels, series=series
    )
