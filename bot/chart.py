"""Pictures: a stance timeline and a country x topic matrix, drawn with matplotlib as PNG bytes.

matplotlib is imported here only, inside the functions that draw, so that commands which do not
draw start as fast as before. Drawing is deterministic: the Agg renderer, the font matplotlib
ships (DejaVu Sans), fixed sizes, and no timestamp or version in the PNG, so the same data gives
the same bytes. Sizes are chosen for a phone: about 1000 pixels wide, text at least 10 points.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bot.matrix import VOICE, Matrix
from bot.timeline import Panel, Series, Timeline

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DPI = 160
WIDTH = 6.4                # inches: 1024 pixels at DPI
PANEL_HEIGHT = 3.3
HEADER_HEIGHT = 1.15
FOOTER_HEIGHT = 0.9
# The stance scale from against to for: red to blue reads in colour-blind eyes too.
SCALE_4 = ("#c8372d", "#f3a262", "#8fbcd9", "#2f6aa8")
NO_STANCE = "#e6e6e6"
LINE_COLOURS = ("#1b6ca8", "#d1495b", "#2e933c", "#8c5cb5", "#e08a1e", "#5b5b5b")
GOVERNMENT_COLOUR = "#9a9a9a"

RC = {
    "font.family": "DejaVu Sans",   # shipped with matplotlib: the same glyphs everywhere
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 12,
    "legend.fontsize": 11,
    "text.parse_math": False,       # a "$" in a quote is a dollar, not mathematics
    "svg.hashsalt": "shiftwatch",
    "path.simplify": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(RC):
        yield


def _png(fig: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    out = io.BytesIO()
    # no "Software" (matplotlib's version) nor any date in the file: same data, same bytes
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def stance_colours(labels: Sequence[str]) -> dict[str, str]:
    """A colour per stance label, from against (red) to for (blue)."""
    if len(labels) == len(SCALE_4):
        return dict(zip(labels, SCALE_4, strict=True))
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["RdBu"]
    n = max(1, len(labels) - 1)
    return {label: to_hex(cmap(0.08 + 0.84 * i / n)) for i, label in enumerate(labels)}


# ---------------------------------------------------------------------- timeline


def timeline_png(t: Timeline) -> bytes:
    """One panel per topic, stacked, sharing the time axis."""
    if t.empty:
        raise ValueError("nothing to draw")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _style():
        n = len(t.panels)
        legend_rows = max(_legend_rows(p) for p in t.panels)
        height = HEADER_HEIGHT + n * PANEL_HEIGHT + FOOTER_HEIGHT + 0.25 * legend_rows
        fig = Figure(figsize=(WIDTH, height), dpi=DPI)
        FigureCanvasAgg(fig)
        top = 1 - HEADER_HEIGHT / height
        bottom = (FOOTER_HEIGHT + 0.25 * legend_rows) / height
        axes = fig.subplots(n, 1, sharex=True, squeeze=False,
                            gridspec_kw={"hspace": 0.45, "top": top, "bottom": bottom,
                                         "left": 0.2, "right": 0.97})[:, 0]
        fig.suptitle(t.title, x=0.02, y=1 - 0.18 / height, ha="left", va="top",
                     fontsize=16, fontweight="bold")
        fig.text(0.02, 1 - 0.5 / height, f"stance by topic, {t.start:%d %b %Y} to {t.end:%d %b %Y}",
                 ha="left", va="top", fontsize=11, color="#555555")
        start, end = _span(t.start, t.end)
        for ax, panel in zip(axes, t.panels, strict=True):
            _draw_panel(ax, panel, start, end)
        _date_axis(axes[-1], start, end)
        _timeline_legend(fig, t, legend_rows, height)
        return _png(fig)


def _span(start: date, end: date) -> tuple[date, date]:
    days = max(30, (end - start).days)
    pad = timedelta(days=max(2, round(days * 0.04)))
    return start - pad, end + pad


def _legend_rows(p: Panel) -> int:
    return (len(p.series) + 1) // 2


def _draw_panel(ax: Axes, panel: Panel, start: date, end: date) -> None:
    labels = panel.labels
    y_of = {label: i for i, label in enumerate(labels)}
    ax.set_title(panel.topic + (f"  (+{panel.hidden} more speakers)" if panel.hidden else ""),
                 loc="left", fontweight="bold")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlim(start, end)  # before any note: placing them needs the final scale
    colours = iter(LINE_COLOURS * 3)
    placed: list[Any] = []   # the notes' boxes so far, kept apart
    for day, name in panel.handovers:
        ax.axvline(day, color="#777777", linestyle=":", linewidth=1.2)
        ax.text(day, len(labels) - 0.35, " " + name.split()[-1], fontsize=10, color="#555555",
                va="top", ha="left")
    for k, series in enumerate(panel.series):
        colour = GOVERNMENT_COLOUR if series.government else next(colours)
        _draw_series(ax, series, y_of, colour, end, k, placed)


def _draw_series(ax: Axes, s: Series, y_of: dict[str, int], colour: str, end: date, k: int,
                 placed: list[Any]) -> None:
    steps = [st for st in s.steps if st.stance in y_of]
    # a little vertical offset per speaker, so that two holding the same stance both show
    lift = 0.0 if s.government else ((k + 1) % 3 - 1) * 0.07
    if steps:
        xs = [st.day for st in steps] + [max(end, steps[-1].day)]
        ys = [y_of[st.stance] + lift for st in steps] + [y_of[steps[-1].stance] + lift]
        ax.step(xs, ys, where="post", color=colour, alpha=0.35 if s.government else 0.9,
                linewidth=7 if s.government else 2.2, solid_capstyle="butt", zorder=2,
                label=s.label)
    else:
        ax.plot([], [], color=colour, linewidth=2.2, label=s.label)
    plain = [p for p in s.points if p.stance in y_of and not p.recalled]
    recalled = [p for p in s.points if p.stance in y_of and p.recalled]
    unconfirmed = [p for p in s.points if p.stance in y_of and p.unconfirmed]
    size = 22 if s.government else 46
    if plain:
        ax.scatter([p.day for p in plain], [y_of[p.stance] + lift for p in plain], s=size,
                   color=colour, zorder=4, edgecolors="white", linewidths=0.8)
    if recalled:
        ax.scatter([p.day for p in recalled], [y_of[p.stance] + lift for p in recalled], s=size,
                   facecolors="white", edgecolors=colour, linewidths=1.8, zorder=4)
    if unconfirmed:
        ax.scatter([p.day for p in unconfirmed], [y_of[p.stance] + lift for p in unconfirmed],
                   s=190, facecolors="none", edgecolors=colour, linewidths=1.4,
                   linestyle=(0, (2, 1.5)), zorder=3)
    for note in s.shifts:
        if note.to_stance not in y_of:
            continue
        text = f"{note.day:%d %b %Y}{' (unconfirmed)' if note.unconfirmed else ''}\n" + \
            textwrap.fill(f"“{note.words}”", 26)
        _place_note(ax, text, (note.day, y_of[note.to_stance] + lift), colour, placed)


# Where a shift's note may go, in points from the point it explains: right or left of it
# (right first), above or below.
NOTE_OFFSETS = tuple((dx, dy) for dy in (14, -14, 40, -40, 66, -66, 92, -92) for dx in (8, -8))


def _place_note(ax: Axes, text: str, xy: tuple[date, float], colour: str, placed: list[Any]
                ) -> None:
    """The first of NOTE_OFFSETS where the note stays inside the figure and clear of the notes
    placed before it; failing that, the first inside the figure that overlaps the fewest."""
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    page = ax.figure.bbox  # type: ignore[union-attr]
    best: tuple[tuple[int, int], int] | None = None
    for k, (dx, dy) in enumerate(NOTE_OFFSETS):
        note = _note(ax, text, xy, colour, dx, dy)
        box = _text_box(note, renderer)
        note.remove()
        inside = (box.x0 >= page.x0 + 4 and box.x1 <= page.x1 - 4
                  and box.y0 >= frame.y0 and box.y1 <= frame.y1 + 10)
        score = (0 if inside else 1, round(sum(_overlap(box, other) for other in placed)))
        if best is None or score < best[0]:
            best = (score, k)
        if score == (0, 0):
            break
    assert best is not None
    dx, dy = NOTE_OFFSETS[best[1]]
    note = _note(ax, text, xy, colour, dx, dy)
    placed.append(_text_box(note, renderer))


def _text_box(note: Any, renderer: Any) -> Any:
    """Where a note's text and frame are (an annotation's own extent spans its arrow too)."""
    from matplotlib.text import Text

    note.update_positions(renderer)
    return Text.get_window_extent(note, renderer).expanded(1.08, 1.25)


def _overlap(a: Any, b: Any) -> float:
    """The area two boxes share, in square pixels."""
    return max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0)) * max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))


def _note(ax: Axes, text: str, xy: tuple[date, float], colour: str, dx: int, dy: int) -> Any:
    return ax.annotate(
        text, xy=xy, xytext=(dx, dy), textcoords="offset points",
        ha="left" if dx > 0 else "right", va="bottom" if dy > 0 else "top",
        fontsize=9.5, color="#222222", zorder=5, annotation_clip=False, multialignment="left",
        bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": colour, "lw": 0.8, "alpha": 0.94},
        arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.8})


def _date_axis(ax: Axes, start: date, end: date) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(minticks=3, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.set_xlim(start, end)


def _timeline_legend(fig: Figure, t: Timeline, rows: int, height: float) -> None:
    from matplotlib.lines import Line2D

    handles: dict[str, Any] = {}
    for ax in fig.axes:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, h)
    marks = [
        Line2D([], [], marker="o", linestyle="", color="#444444", markersize=7, label="statement"),
        Line2D([], [], marker="o", linestyle="", markerfacecolor="white", markeredgecolor="#444444",
               markeredgewidth=1.6, markersize=7, label="recalled earlier words"),
        Line2D([], [], marker="o", linestyle="", markerfacecolor="none", markeredgecolor="#444444",
               markersize=13, label="awaiting a second source"),
    ]
    speakers = list(handles.values()) if len(handles) > 1 else []
    fig.legend(handles=speakers + marks, loc="lower left", bbox_to_anchor=(0.02, 0.01),
               ncol=2, frameon=False, handlelength=1.6, columnspacing=1.2)


# ---------------------------------------------------------------------- matrix


def _topic_heading(topic: str, width: int) -> str:
    return textwrap.fill(topic.replace("-", " "), width)


def _ink(hex_colour: str) -> str:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(hex_colour)
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "#111111"


def matrix_png(m: Matrix, title: str) -> bytes:
    """Rows: countries; columns: topics; a cell coloured by the stance of the office that speaks
    for the country (hatched: another of its actors, where that office has said nothing)."""
    if m.empty:
        raise ValueError("nothing to draw")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    with _style():
        ncols, nrows = len(m.topics), len(m.rows)
        single = ncols == 1
        col_w = 3.0 if single else 1.55
        label_w, row_h, head_h, foot_h = 1.9, 0.52, 0.75 + 0.2 * (not single), 1.0
        width = max(WIDTH, label_w + ncols * col_w + 0.3)
        height = head_h + 0.5 + nrows * row_h + foot_h
        fig = Figure(figsize=(width, height), dpi=DPI)
        ax = fig.add_axes((label_w / width, foot_h / height, ncols * col_w / width,
                           nrows * row_h / height))
        ax.set_xlim(0, ncols)
        ax.set_ylim(nrows, 0)
        ax.axis("off")
        fig.text(0.02, 1 - 0.15 / height, title, ha="left", va="top", fontsize=16,
                 fontweight="bold")
        colours = stance_colours(m.labels)
        for j, topic in enumerate(m.topics):
            ax.text(j + 0.5, -0.15, _topic_heading(topic, 30 if single else 14), ha="center",
                    va="bottom", fontsize=11, fontweight="bold")
        for i, row in enumerate(m.rows):
            ax.text(-0.04, i + 0.5, f"{row.name}", ha="right", va="center", fontsize=12,
                    transform=ax.transData, clip_on=False)
            for j, entry in enumerate(row.entries):
                lead = entry.lead if entry else None
                fill = colours.get(lead.stance, NO_STANCE) if lead else NO_STANCE
                ax.add_patch(Rectangle((j + 0.03, i + 0.05), 0.94, 0.9, facecolor=fill,
                                       edgecolor="white", hatch="///" if lead and lead.role != VOICE
                                       else None, linewidth=0))
                if lead is None:
                    ax.text(j + 0.5, i + 0.5, "–", ha="center", va="center", color="#888888")
                    continue
                who = lead.actor_name if single else lead.actor_name.split()[-1]
                note = f" → {lead.unconfirmed}?" if lead.unconfirmed else ""
                ax.text(j + 0.5, i + 0.33, lead.stance + note, ha="center", va="center",
                        fontsize=11.5 if single else 10.5, fontweight="bold", color=_ink(fill))
                ax.text(j + 0.5, i + 0.7, f"{who}, {lead.since:%b %Y}", ha="center", va="center",
                        fontsize=10 if single else 8.5, color=_ink(fill),
                        fontstyle="normal" if lead.role == VOICE else "italic")
        patches = [Patch(facecolor=colours[label], label=label) for label in m.labels]
        patches.append(Patch(facecolor="white", edgecolor="#777777", hatch="///",
                             label="not its current voice"))
        fig.legend(handles=patches, loc="lower left", bbox_to_anchor=(0.02, 0.01), ncol=3,
                   frameon=False, fontsize=10.5, handlelength=1.4, columnspacing=1.0)
        return _png(fig)
