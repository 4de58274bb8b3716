"""Geometry of the outreach dashboard's bar charts, drawn as inline SVG by the template.

One horizontal bar per group (a region, a state or a month), its label above it and its value
after it, and where the figure has a "reach" part (Spanish-language, rural) a second, thinner
bar under the first in another color. Every chart has a table beside it with the same figures:
the chart adds nothing a screen reader would miss.
"""

from dataclasses import dataclass

from django.utils.formats import number_format

# USWDS colors, each at least 3:1 against white (WCAG 1.4.11).
PRIMARY = "#005ea2"
SECONDARY = "#c05600"
WIDTH = 400
LEFT = 4
# Room after the longest bar for its value ("12,345").
VALUE_ROOM = 80
LABEL_HEIGHT = 22
BAR_HEIGHT = 18
REACH_HEIGHT = 12
GAP = 12
# Labels longer than this many characters are cut (the table beside says it whole).
LABEL_CHARACTERS = 44


@dataclass(frozen=True)
class ChartBar:
    label: str
    label_y: float
    y: float
    width: float
    value_x: float
    value_text: str
    reach_y: float
    reach_width: float
    reach_value_x: float
    reach_value_text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[ChartBar]
    has_reach: bool
    bar_height: int = BAR_HEIGHT
    reach_height: int = REACH_HEIGHT


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"


def bar_chart(lines: list[tuple[str, int, int | None]]) -> Chart:
    """A chart of (label, value, reach value or None) lines, in the order given."""
    has_reach = any(reach is not None for _label, _value, reach in lines)
    top = max((value for _label, value, _reach in lines), default=0) or 1
    plot = WIDTH - LEFT - VALUE_ROOM
    step = LABEL_HEIGHT + BAR_HEIGHT + (REACH_HEIGHT + 2 if has_reach else 0) + GAP
    bars = []
    for index, (label, value, reach) in enumerate(lines):
        label_y = index * step + LABEL_HEIGHT - 5
        y = index * step + LABEL_HEIGHT
        width = round(plot * value / top, 1)
        reach_width = round(plot * (reach or 0) / top, 1)
        bars.append(
            ChartBar(
                label=_short(label),
                label_y=label_y,
                y=y,
                width=width,
                value_x=round(LEFT + width + 6, 1),
                value_text=number_format(value, force_grouping=True),
                reach_y=y + BAR_HEIGHT + 2,
                reach_width=reach_width,
                reach_value_x=round(LEFT + reach_width + 6, 1),
                reach_value_text=number_format(reach or 0, force_grouping=True),
            )
        )
    return Chart(width=WIDTH, height=max(step * len(lines), step), bars=bars, has_reach=has_reach)
