"""Geometry for the inline SVG charts: the templates draw what these functions place.

Every chart on the research pages has a data table beside it with the same figures, so the
charts carry no information of their own; they only have to be right and legible. Heights come
from the protected (rounded) counts, never from raw ones.
"""

import datetime
import itertools
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext

# Colors from the USWDS palette, each at least 3:1 against white (WCAG 1.4.11).
PRIMARY = "#005ea2"
SECONDARY = "#c05600"
INK = "#1b1b1b"
GRID = "#a9aeb1"
# About how wide one character of an axis label is, in SVG units (15-unit type plus a gap).
LABEL_CHARACTER_WIDTH = 9


def format_number(value: float) -> str:
    """A number in the active language, with as few decimals as it needs: two below 10, one
    below 1,000, none above ("0.25", "4.5", "56.4", "1,240"); a decimal comma in Spanish."""
    magnitude = abs(float(value))
    precision = 2 if magnitude < 10 else 1 if magnitude < 1000 else 0
    rounded = round(float(value), precision)
    if rounded.is_integer():
        return number_format(int(rounded), force_grouping=True)
    decimals = len(f"{rounded:.{precision}f}".rstrip("0").split(".")[1])
    return number_format(rounded, decimal_pos=decimals, force_grouping=True)


def format_percent(percent: float, decimals: int = 1) -> str:
    """A percentage (0 to 100) as the active language writes it: "43.5%", "43,5 %"."""
    number = number_format(round(percent, decimals), decimal_pos=decimals, force_grouping=True)
    return gettext("%(percent)s%%") % {"percent": number}


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        # A little tolerance, so 0.3 / 0.1 (2.9999…) does not climb to the next step.
        if value <= step * magnitude * (1 + 1e-9):
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def count_axis(maximum: float, *, most_steps: int = 5) -> list[float]:
    """The values of a count axis's ticks: 0 and whole steps of 1, 2, 2.5 or 5 times a power
    of ten, up to the first at or above `maximum`, in at most `most_steps` steps.

    So 2,000 participants get 0, 500, 1,000, 1,500, 2,000 (never 625 or 1,875) and 7 get
    0, 2, 4, 6, 8. Counts are whole, so a step is never below 1.
    """
    step = max(1.0, nice_ceiling(maximum / most_steps)) if maximum > 0 else 1.0
    steps = max(1, math.ceil(maximum / step - 1e-9))
    return [step * index for index in range(steps + 1)]


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Frame:
    """The drawing area inside the axes, in SVG user units."""

    width: int = 560
    height: int = 320
    left: int = 76
    right: int = 36
    top: int = 20
    bottom: int = 60

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def baseline(self) -> float:
        return self.height - self.bottom

    @property
    def plot_right(self) -> float:
        return self.width - self.right

    # Where the templates put axis labels, since templates cannot do arithmetic.
    @property
    def y_label_x(self) -> float:
        return self.left - 8

    @property
    def x_tick_end(self) -> float:
        return self.baseline + 6

    @property
    def x_label_y(self) -> float:
        return self.baseline + 26

    @property
    def x_title_y(self) -> float:
        return self.height - 4

    @property
    def x_middle(self) -> float:
        return self.left + self.plot_width / 2


@dataclass(frozen=True)
class BarChart:
    frame: Frame
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def _count_ticks(frame: Frame, values: list[float]) -> list[Tick]:
    top = values[-1]
    return [
        Tick(round(frame.baseline - frame.plot_height * value / top, 1), format_number(value))
        for value in values
    ]


def _value_ticks(frame: Frame, edges: Sequence[tuple[float, float]], slot: float) -> list[Tick]:
    """Round values along a histogram's value axis (50, 60, 70, not the bins' 48, 56.4…).

    The bins' edges come from the data; the ticks step by 1, 2, 2.5 or 5 times a power of ten,
    the smallest step whose labels do not crowd, each placed inside the bin that holds it.
    """
    if not edges:
        return []
    low, high = edges[0][0], edges[-1][1]
    if high <= low:
        return [Tick(round(frame.left, 1), format_number(low))]

    def position(value: float) -> float:
        for index, (bin_low, bin_high) in enumerate(edges):
            if bin_low <= value <= bin_high:
                share = (value - bin_low) / (bin_high - bin_low) if bin_high > bin_low else 0
                return frame.left + (index + share) * slot
        return frame.left + len(edges) * slot  # pragma: no cover - values lie within the bins

    step = nice_ceiling((high - low) / 10)
    while True:
        first = math.ceil(low / step - 1e-9)
        values = [step * multiple for multiple in range(first, math.floor(high / step + 1e-9) + 1)]
        labels = [format_number(value) for value in values]
        positions = [position(value) for value in values]
        widest = (max(len(label) for label in labels) + 1) * LABEL_CHARACTER_WIDTH
        gaps = [right - left for left, right in itertools.pairwise(positions)]
        if not gaps or min(gaps) >= widest:
            return [
                Tick(round(where, 1), label) for where, label in zip(positions, labels, strict=True)
            ]
        step = nice_ceiling(step * 1.001)


def histogram_chart(
    edges: Sequence[tuple[float, float]], heights: Sequence[int | None], frame: Frame | None = None
) -> BarChart:
    """Adjacent bars, one per bin; `heights` are protected counts (None draws no bar)."""
    frame = frame or Frame()
    axis = count_axis(max((height or 0 for height in heights), default=0))
    top = axis[-1]
    slot = frame.plot_width / max(len(edges), 1)
    bars = []
    for index, height in enumerate(heights):
        bar_height = frame.plot_height * (height or 0) / top
        bars.append(
            Bar(
                x=round(frame.left + index * slot + 1, 1),
                y=round(frame.baseline - bar_height, 1),
                width=round(slot - 2, 1),
                height=round(bar_height, 1),
            )
        )
    x_ticks = _value_ticks(frame, edges, slot)
    return BarChart(frame=frame, bars=bars, y_ticks=_count_ticks(frame, axis), x_ticks=x_ticks)


@dataclass(frozen=True)
class Series:
    label: str
    points: str  # "x,y x,y …" for a <polyline>
    color: str
    dash: str  # stroke-dasharray, "" for a solid line


@dataclass(frozen=True)
class GoalLine:
    y: float
    label: str
    color: str


@dataclass(frozen=True)
class LineChart:
    frame: Frame
    series: list[Series]
    goals: list[GoalLine]
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def _month_positions(frame: Frame, months: Sequence[datetime.date]) -> list[float]:
    if len(months) == 1:
        return [frame.left + frame.plot_width / 2]
    step = frame.plot_width / (len(months) - 1)
    return [frame.left + index * step for index in range(len(months))]


def _year_ticks(months: Sequence[datetime.date], positions: list[float]) -> list[Tick]:
    """A tick at each January, labelled with the year (at most about six, so the labels
    never overlap); a span with no January gets one tick at its first month."""
    januaries = [
        (position, month)
        for position, month in zip(positions, months, strict=True)
        if month.month == 1
    ]
    if not months:
        return []
    if not januaries:
        return [Tick(round(positions[0], 1), date_format(months[0], "YEAR_MONTH_FORMAT"))]
    every = max(1, math.ceil(len(januaries) / 6))
    return [
        Tick(round(position, 1), date_format(month, "Y")) for position, month in januaries[::every]
    ]


def _polyline(positions: list[float], ys: list[float | None]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(positions, ys, strict=True) if y is not None)


def counts_line_chart(
    months: Sequence[datetime.date], values: Sequence[int | None], label: str
) -> LineChart:
    """One line of counts over months (cumulative participants)."""
    frame = Frame()
    positions = _month_positions(frame, months)
    axis = count_axis(max((value or 0 for value in values), default=0))
    top = axis[-1]
    ys = [
        None if value is None else frame.baseline - frame.plot_height * value / top
        for value in values
    ]
    return LineChart(
        frame=frame,
        series=[Series(label, _polyline(positions, ys), PRIMARY, "")],
        goals=[],
        y_ticks=_count_ticks(frame, axis),
        x_ticks=_year_ticks(months, positions),
    )


def shares_line_chart(
    months: Sequence[datetime.date],
    series: Sequence[tuple[str, Sequence[float | None], float]],
    goal_label: str,
) -> LineChart:
    """Shares (0 to 1) over months, each with its goal as a dashed line of the same color.

    `series` holds (label, shares, goal); `goal_label` is a format string taking
    %(label)s and %(goal)s.
    """
    frame = Frame()
    positions = _month_positions(frame, months)
    styles = ((PRIMARY, ""), (SECONDARY, "8 4"))

    def y_of(share: float) -> float:
        return frame.baseline - frame.plot_height * share

    lines, goals = [], []
    for (label, shares, goal), (color, dash) in zip(series, styles, strict=False):
        ys = [None if share is None else y_of(share) for share in shares]
        lines.append(Series(label, _polyline(positions, ys), color, dash))
        goals.append(
            GoalLine(
                round(y_of(goal), 1),
                goal_label % {"label": label, "goal": format_percent(goal * 100, 0)},
                color,
            )
        )
    y_ticks = [Tick(round(y_of(step / 4), 1), format_percent(step * 25, 0)) for step in range(5)]
    return LineChart(
        frame=frame,
        series=lines,
        goals=goals,
        y_ticks=y_ticks,
        x_ticks=_year_ticks(months, positions),
    )


@dataclass(frozen=True)
class CategoryBar:
    """One category's bar, its label wrapped on lines of its own above it. A "≤ 20" count is
    drawn as an outline from 0 to 20, the range it lies in, never as a solid bar of 20; a
    suppressed count draws nothing."""

    label_lines: list[tuple[float, str]]  # (y, text): the label, wrapped
    text: str  # the count as published ("≤ 20", "1,240", "Suppressed")
    y: float
    width: float
    text_x: float  # where the published count is written, after the bar
    hidden: bool
    suppressed: bool


@dataclass(frozen=True)
class CategoryChart:
    frame: Frame
    bars: list[CategoryBar]
    x_ticks: list[Tick]
    bar_height: int
    axis_y: float  # where the count axis's labels sit, below the last bar


CATEGORY_LINE = 20  # one line of a label, in SVG units (16-unit type)
CATEGORY_BAR = 20
CATEGORY_GAP = 14
# Labels wrap at about this many characters, so that a 400-unit chart keeps its 16-unit type
# legible (about 15 px) on a 390 px phone.
CATEGORY_LINE_CHARACTERS = 40


def category_chart(rows: Sequence[tuple[str, str, int | None, bool]]) -> CategoryChart:
    """Horizontal bars, one per category (a breakdown's group, a survey question's answer).

    `rows` holds (label, published text, rounded count or None when suppressed, hidden).
    """
    top_value = max((value or 0 for _label, _text, value, hidden in rows if not hidden), default=0)
    axis = count_axis(max(top_value, 20))
    placed = []
    y = 8.0
    for label, text, value, hidden in rows:
        lines = textwrap.wrap(label, CATEGORY_LINE_CHARACTERS) or [""]
        label_lines = [(y + 15 + index * CATEGORY_LINE, line) for index, line in enumerate(lines)]
        bar_y = y + len(lines) * CATEGORY_LINE + 4
        placed.append((label_lines, text, value, hidden, bar_y))
        y = bar_y + CATEGORY_BAR + CATEGORY_GAP
    frame = Frame(width=400, height=int(y) + 42, left=4, right=84, top=8, bottom=42)
    scale = frame.plot_width / axis[-1]
    bars = [
        CategoryBar(
            label_lines=label_lines,
            text=text,
            y=bar_y,
            width=round((value or 0) * scale, 1),
            text_x=round(frame.left + (value or 0) * scale + 6, 1),
            hidden=hidden,
            suppressed=value is None,
        )
        for label_lines, text, value, hidden, bar_y in placed
    ]
    ticks = [Tick(round(frame.left + value * scale, 1), format_number(value)) for value in axis]
    return CategoryChart(
        frame=frame, bars=bars, x_ticks=ticks, bar_height=CATEGORY_BAR, axis_y=frame.baseline + 26
    )
