"""What the dashboard's templates draw, computed without Flask: highlighted text, score bars and SVG charts.

Everything here returns plain data; the templates escape every string in it, so comment text stays text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from moderation.policy import Reason

# Prefixed terms explain the name field or a signal, not words of the comment.
_NOT_WORDS = ("name:", "signal:")
MAX_HIGHLIGHTED_TERMS = 10


@dataclass(frozen=True)
class Segment:
    """A run of comment text, and whether the model blamed it."""

    text: str
    blamed: bool


def blamed_terms(reasons: Iterable[Reason]) -> list[str]:
    """The words and phrases the model's reasons blamed, strongest first, without duplicates."""
    terms: list[str] = []
    for reason in reasons:
        for term in reason.terms or ():
            if term and not term.startswith(_NOT_WORDS) and term.lower() not in terms:
                terms.append(term.lower())
    return terms[:MAX_HIGHLIGHTED_TERMS]


def highlight(text: str, terms: Iterable[str]) -> list[Segment]:
    """text split into segments, the whole-word occurrences of terms marked (case-insensitive).

    The model's terms are normalised words ("1d10t" is blamed as "idiot"), so an obfuscated word is not marked;
    the reason still lists it.
    """
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return [Segment(text, False)]
    # Literal alternatives between word boundaries: no nested quantifier, so matching stays linear.
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(r"\s+".join(map(re.escape, w.split())) for w in words) + r")(?!\w)",
                         re.IGNORECASE)
    segments, start = [], 0
    for match in pattern.finditer(text):
        if match.start() > start:
            segments.append(Segment(text[start:match.start()], False))
        segments.append(Segment(match.group(), True))
        start = match.end()
    if start < len(text):
        segments.append(Segment(text[start:], False))
    return segments


@dataclass(frozen=True)
class ScoreBar:
    """One score as a bar: its label, its value and the bar's width in percent."""

    label: str
    value: float
    percent: float
    high: bool


def score_bars(scores: Mapping[str, float], high_at: float = 0.5) -> list[ScoreBar]:
    """The spam and toxicity scores first, then the toxicity categories."""
    order = sorted(scores, key=lambda name: (name not in ("spam", "toxicity"), name))
    return [ScoreBar(name.replace("toxicity_", "").replace("_", " "), round(scores[name], 3),
                     round(max(0.0, min(1.0, scores[name])) * 100, 1), scores[name] >= high_at)
            for name in order]


@dataclass(frozen=True)
class Bar:
    """A rectangle of a chart, in its SVG's user units; css names its series."""

    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Chart:
    """A bar chart: its size, its bars, the labels of its x axis and the largest value it shows."""

    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    peak: int
    legend: list[str]


CHART_WIDTH, CHART_HEIGHT, AXIS = 600, 160, 18


def _ticks(days: list[str], step: float) -> list[tuple[float, str]]:
    every = max(1, len(days) // 7)
    return [(i * step + step / 2, day[5:]) for i, day in enumerate(days) if i % every == 0]


def stacked_chart(days: list[str], series: Mapping[str, Mapping[str, int]], order: Iterable[str],
                  height: int = CHART_HEIGHT) -> Chart:
    """One stacked bar per day, a segment per series (in order), scaled to the busiest day."""
    names = [name for name in order if name in series] + sorted(set(series) - set(order))
    totals = [sum(series[name].get(day, 0) for name in names) for day in days]
    peak = max(totals, default=0) or 1
    step = CHART_WIDTH / max(len(days), 1)
    plot = height - AXIS
    bars = []
    for i, day in enumerate(days):
        top = plot
        for name in names:
            count = series[name].get(day, 0)
            if count:
                size = plot * count / peak
                top -= size
                bars.append(Bar(round(i * step + step * 0.1, 2), round(top, 2), round(step * 0.8, 2), round(size, 2),
                                name, f"{day}: {count} {name}"))
    return Chart(CHART_WIDTH, height, bars, _ticks(days, step), max(totals, default=0), names)


def paired_chart(days: list[str], live: Mapping[str, int], shadow: Mapping[str, int],
                 height: int = 70) -> Chart:
    """Two bars per day, live and shadow, for one reason code."""
    peak = max([*live.values(), *shadow.values(), 0]) or 1
    step = CHART_WIDTH / max(len(days), 1)
    plot = height - AXIS
    bars = []
    for i, day in enumerate(days):
        for offset, (css, counts) in enumerate((("live", live), ("shadow", shadow))):
            count = counts.get(day, 0)
            if count:
                size = plot * count / peak
                bars.append(Bar(round(i * step + step * (0.1 + 0.4 * offset), 2), round(plot - size, 2),
                                round(step * 0.4, 2), round(size, 2), css, f"{day}: {count} {css}"))
    return Chart(CHART_WIDTH, height, bars, _ticks(days, step), max([*live.values(), *shadow.values(), 0]),
                 ["live", "shadow"])
