"""How pages write a file's figures: lengths, areas, run times, extents, reasons, warnings."""

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask
from flask_babel import format_decimal, gettext

from app.domain.errors import N_
from app.previews.toolpath_image import TOOL_COLOURS

EMPTY = "—"

# What each G-code warning asks the programmer to look at, in words.
GCODE_WARNINGS = {
    "no_units": N_("No G20/G21 before the first move: millimetres assumed."),
    "units_changed": N_("The program changes units along the way."),
    "cutter_compensation": N_(
        "Cutter compensation (G41/G42) is on: the path drawn is the programmed one."
    ),
    "rapid_below_zero": N_("A rapid move ends below Z0."),
    "cut_without_feed": N_("A cutting move has no feed rate."),
    "cut_without_spindle": N_("A cutting move runs with the spindle off."),
    "no_program_end": N_("No program end (M2 or M30)."),
    "coordinate_out_of_range": N_("Coordinates of a kilometre or more were ignored."),
    "line_too_long": N_("Lines longer than 512 characters were cut."),
    "not_simulated": N_("Sub-programs, rotation, scaling or polar coordinates are not simulated."),
    "unknown_code": N_("Codes the reader does not know were skipped."),
    "incomplete_arc": N_("An arc without a centre or a radius long enough was skipped."),
    "incomplete_cycle": N_("A drilling cycle without its R or Z level was skipped."),
    "toolpath_cut_short": N_("The toolpath is too long to draw whole: the picture stops early."),
}


def measure(value: float | None, digits: int = 1) -> str:
    """Return a figure with at most ``digits`` decimals, as the viewer writes numbers."""
    if value is None:
        return EMPTY
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(round(float(value), digits), format=pattern)


def run_time(seconds: float | None) -> str:
    """Return a duration as hours, minutes and seconds (``1 h 04 min 05 s``)."""
    if seconds is None:
        return EMPTY
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}\u00a0h\u00a0{minutes:02d}\u00a0min\u00a0{secs:02d}\u00a0s"
    if minutes:
        return f"{minutes}\u00a0min\u00a0{secs:02d}\u00a0s"
    return f"{secs}\u00a0s"


def extent_size(extent: Mapping[str, Sequence[float] | None] | None) -> str:
    """Return an extent's size along each axis it has, in millimetres (``120 × 80 × 25 mm``)."""
    if not extent:
        return EMPTY
    sizes = [
        measure(span[1] - span[0], 2)
        for axis in ("x", "y", "z")
        if (span := extent.get(axis)) is not None
    ]
    return "\u00a0×\u00a0".join(sizes) + "\u00a0mm" if sizes else EMPTY


def axis_range(span: Sequence[float] | None) -> str:
    """Return an axis's extent from its low to its high value."""
    if not span:
        return EMPTY
    return f"{measure(span[0], 3)} … {measure(span[1], 3)}"


def value_range(span: Sequence[float] | None, digits: int = 0) -> str:
    """Return a range of values, or the one value when both ends are the same."""
    if not span:
        return EMPTY
    if span[0] == span[1]:
        return measure(span[0], digits)
    return f"{measure(span[0], digits)} – {measure(span[1], digits)}"


def preview_reason(reason: str | None, params: Mapping[str, Any] | None = None) -> str:
    """Return why a file was not read, translated, its figures filled in."""
    if not reason:
        return ""
    return gettext(reason, **(params or {}))


def gcode_warning(code: str) -> str:
    """Return what a G-code warning asks the programmer to check."""
    label = GCODE_WARNINGS.get(code)
    return gettext(label) if label else code


def register_preview_formatting(app: Flask) -> None:
    """Make the preview filters available to every template, and the tools' colours.

    The viewer draws each tool in the colour the pictures and the sheet give it.
    """
    app.jinja_env.globals["tool_colours"] = [
        "#{:02x}{:02x}{:02x}".format(*colour) for colour in TOOL_COLOURS
    ]
    app.jinja_env.filters.update(
        {
            "measure": measure,
            "run_time": run_time,
            "extent_size": extent_size,
            "axis_range": axis_range,
            "value_range": value_range,
            "preview_reason": preview_reason,
            "gcode_warning": gcode_warning,
        }
    )
