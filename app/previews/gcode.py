"""Read a milling program in G-code: what a programmer checks before the file goes to a machine.

The reader follows the modal state a controller keeps (units, absolute or incremental distances,
plane, feed mode, motion mode, drilling cycles), measures every move and times it from its feed,
and keeps the toolpath for a picture. It reads the Fanuc and LinuxCNC dialects CAM post-processors
write; what it does not simulate (sub-programs, rotations, scaling) is said in a warning, never
guessed.

The figures are estimates: a machine accelerates and decelerates, so it takes longer than its
feeds alone say. Rapid moves are timed at one rapid rate for all axes.
"""

import math
import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

MM_PER_INCH = 25.4
# Lines are cut here: a controller reads short blocks, and a file of one endless line must not
# hold the reader.
MAX_LINE_CHARACTERS = 512
# A coordinate this far from the origin (a kilometre) is a typo or an attack, not a part.
MAX_COORDINATE_MM = 1_000_000.0
DEFAULT_RAPID_MM_PER_MINUTE = 10_000.0
# Arcs are drawn as chords that stray at most this far from the arc, and turn at most 15°.
ARC_CHORD_TOLERANCE_MM = 0.02
ARC_MAX_STEP_RADIANS = math.radians(15)
# Points kept for the picture of the toolpath; beyond, the rest is measured but not drawn.
DEFAULT_MAX_POINTS = 3_000_000

_WORD = re.compile(r"([A-Z])\s*([-+]?(?:\d+\.?\d*|\.\d+))")
_COMMENT = re.compile(r"\(([^)]*)\)?")
_TOOL_COMMENT = re.compile(r"^\s*T\s*(\d+)\b")
_CYCLES = frozenset({73, 81, 82, 83, 84, 85, 86, 88, 89})
# Polar coordinates, scaling, macro calls, rotation: the path would differ from what is drawn.
_NOT_SIMULATED = frozenset({16, 51, 65, 66, 68})
# Their cancellations, offsets, compensation off, tool length, exact stop, constant surface speed.
_NO_EFFECT_ON_PATH = frozenset(
    {15, 40, 43, 44, 49, 50, 54, 55, 56, 57, 58, 59, 61, 64, 67, 69, 96, 97}
)


class Units(StrEnum):
    MILLIMETRE = "mm"
    INCH = "inch"


class Segment(IntEnum):
    """How the toolpath reaches a point from the one before it."""

    JUMP = 0  # no line drawn: the position before it was unknown
    RAPID = 1
    CUT = 2


class Warning(StrEnum):  # noqa: A001 - the programmer's word for it
    """What a programmer should look at before running the program."""

    NO_UNITS = "no_units"  # neither G20 nor G21 before the first move
    UNITS_CHANGED = "units_changed"
    CUTTER_COMPENSATION = "cutter_compensation"  # G41/G42: the drawn path is the programmed one
    RAPID_BELOW_ZERO = "rapid_below_zero"  # a G0 ending below Z0
    CUT_WITHOUT_FEED = "cut_without_feed"
    CUT_WITHOUT_SPINDLE = "cut_without_spindle"
    NO_PROGRAM_END = "no_program_end"  # no M2 or M30
    COORDINATE_OUT_OF_RANGE = "coordinate_out_of_range"
    LINE_TOO_LONG = "line_too_long"
    NOT_SIMULATED = "not_simulated"  # sub-program calls, rotation, scaling, polar coordinates
    UNKNOWN_CODE = "unknown_code"
    INCOMPLETE_ARC = "incomplete_arc"  # no centre or radius, or a radius too short
    INCOMPLETE_CYCLE = "incomplete_cycle"  # a drilling cycle without its R or Z level
    TOOLPATH_CUT_SHORT = "toolpath_cut_short"  # more points than a picture keeps


@dataclass
class Range:
    """The smallest and largest value seen, or none yet."""

    low: float = math.inf
    high: float = -math.inf

    def add(self, value: float) -> None:
        if value < self.low:
            self.low = value
        if value > self.high:
            self.high = value

    @property
    def empty(self) -> bool:
        return self.low > self.high

    def as_list(self) -> list[float] | None:
        return None if self.empty else [round(self.low, 4), round(self.high, 4)]


@dataclass
class Box:
    """The extent of what was seen along each axis, in millimetres."""

    x: Range = field(default_factory=Range)
    y: Range = field(default_factory=Range)
    z: Range = field(default_factory=Range)

    def add(self, x: float | None, y: float | None, z: float | None) -> None:
        # Written out rather than through Range.add: this runs for every move of a long program.
        if x is not None:
            axis = self.x
            if x < axis.low:
                axis.low = x
            if x > axis.high:
                axis.high = x
        if y is not None:
            axis = self.y
            if y < axis.low:
                axis.low = y
            if y > axis.high:
                axis.high = y
        if z is not None:
            axis = self.z
            if z < axis.low:
                axis.low = z
            if z > axis.high:
                axis.high = z

    @property
    def empty(self) -> bool:
        return self.x.empty and self.y.empty and self.z.empty

    def as_dict(self) -> dict[str, list[float] | None] | None:
        if self.empty:
            return None
        return {"x": self.x.as_list(), "y": self.y.as_list(), "z": self.z.as_list()}


@dataclass
class ToolUse:
    """One tool's share of the program: its feeds and speeds, how far and how long it cuts."""

    number: int | None
    comment: str | None = None
    feed: Range = field(default_factory=Range)  # mm/min (inverse-time feeds are not listed)
    spindle: Range = field(default_factory=Range)  # rev/min
    cutting_mm: float = 0.0
    cutting_seconds: float = 0.0
    rapid_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "comment": self.comment,
            "feed_mm_per_minute": self.feed.as_list(),
            "spindle_rpm": self.spindle.as_list(),
            "cutting_mm": round(self.cutting_mm, 3),
            "cutting_seconds": round(self.cutting_seconds, 3),
            "rapid_seconds": round(self.rapid_seconds, 3),
        }


@dataclass
class Noticed:
    """A warning, the first line it was seen on, and how many times."""

    first_line: int
    count: int = 1


@dataclass
class Toolpath:
    """The points of the path in order, each with how it is reached and by which tool.

    Coordinates are millimetres, as 32-bit floats: three per point.
    """

    points: array = field(default_factory=lambda: array("f"))
    segments: array = field(default_factory=lambda: array("B"))
    tools: array = field(default_factory=lambda: array("H"))

    def __len__(self) -> int:
        return len(self.segments)


@dataclass
class GcodeSheet:
    """Everything the reader found in one program."""

    units: Units | None
    program_number: str | None
    lines: int
    tools: list[ToolUse]
    machined: Box
    overall: Box
    cutting_seconds: float
    rapid_seconds: float
    dwell_seconds: float
    warnings: dict[Warning, Noticed]
    toolpath: Toolpath

    @property
    def total_seconds(self) -> float:
        return self.cutting_seconds + self.rapid_seconds + self.dwell_seconds

    def as_dict(self) -> dict[str, Any]:
        """Return the sheet as plain JSON values (finite numbers only), toolpath left out."""
        return {
            "units": self.units.value if self.units else None,
            "program_number": self.program_number,
            "lines": self.lines,
            "tools": [tool.as_dict() for tool in self.tools],
            "machined_extent_mm": self.machined.as_dict(),
            "overall_extent_mm": self.overall.as_dict(),
            "cutting_seconds": round(self.cutting_seconds, 3),
            "rapid_seconds": round(self.rapid_seconds, 3),
            "dwell_seconds": round(self.dwell_seconds, 3),
            "total_seconds": round(self.total_seconds, 3),
            "warnings": [
                {"code": code.value, "first_line": seen.first_line, "count": seen.count}
                for code, seen in self.warnings.items()
            ],
            "toolpath_points": len(self.toolpath),
        }


@dataclass
class _Cycle:
    """The modal values of a drilling cycle."""

    initial_z: float | None = None
    r: float | None = None  # the retract plane, as written (mm)
    z: float | None = None  # the bottom, as written (mm)
    q: float | None = None  # the peck depth (mm)
    dwell_seconds: float = 0.0


class GcodeReader:
    """Read a program line by line; :meth:`finish` returns its sheet."""

    def __init__(
        self,
        rapid_mm_per_minute: float = DEFAULT_RAPID_MM_PER_MINUTE,
        max_points: int = DEFAULT_MAX_POINTS,
    ) -> None:
        self.rapid_mm_per_minute = rapid_mm_per_minute
        self.max_points = max_points
        self.scale = 1.0  # millimetres per program unit
        self.units: Units | None = None
        self.absolute = True
        self.arc_centre_absolute = False  # G90.1
        self.plane = 17
        self.inverse_time = False
        self.motion: int | None = None
        self.retract_to_initial = True  # G98
        self.cycle = _Cycle()
        self.feed: float | None = None  # in program units per minute (or 1/min in G93)
        self.spindle: float | None = None
        self.spindle_on = False
        self.x: float | None = None
        self.y: float | None = None
        self.z: float | None = None
        self.tool_changes_seen = False
        self.pending_tool: int | None = None
        self.tool: ToolUse | None = None
        self.tools: dict[int | None, ToolUse] = {}
        self.tool_comments: dict[int, str] = {}
        self.program_number: str | None = None
        self.program_ended = False
        self.moved = False
        self.line_number = 0
        self.machined = Box()
        self.overall = Box()
        self.cutting_seconds = 0.0
        self.rapid_seconds = 0.0
        self.dwell_seconds = 0.0
        self.warnings: dict[Warning, Noticed] = {}
        self.toolpath = Toolpath()
        self._tool_index: dict[int | None, int] = {}

    # -- reading --------------------------------------------------------------------------------

    def feed_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.read_line(line)

    def read_line(self, raw: str) -> None:
        self.line_number += 1
        if len(raw) > MAX_LINE_CHARACTERS:
            self.warn(Warning.LINE_TOO_LONG)
            raw = raw[:MAX_LINE_CHARACTERS]
        comments: list[str] = []
        if "(" in raw:
            comments = [found.strip() for found in _COMMENT.findall(raw)]
            raw = _COMMENT.sub(" ", raw)
        if ";" in raw:
            raw, _, rest = raw.partition(";")
            comments.append(rest.strip())
        words = _WORD.findall(raw.upper())
        for comment in comments:
            matched = _TOOL_COMMENT.match(comment.upper())
            if matched:
                self.tool_comments.setdefault(int(matched.group(1)), comment)
        if not words:
            return
        self._execute(words, comments)

    def _execute(self, words: list[tuple[str, str]], comments: list[str]) -> None:
        axes: dict[str, float] = {}
        arc: dict[str, float] = {}
        g_codes: list[float] = []
        m_codes: list[int] = []
        tool_word: int | None = None
        program_number: str | None = None
        for letter, number in words:
            if letter in "XYZ":
                axes[letter] = float(number)
            elif letter == "G":
                g_codes.append(float(number))
            elif letter == "F":
                self.feed = float(number)
            elif letter == "S":
                self.spindle = float(number)
            elif letter in "IJKRPQL":
                arc[letter] = float(number)
            elif letter == "M":
                m_codes.append(int(float(number)))
            elif letter == "T":
                tool_word = int(float(number))
            elif letter == "O":
                program_number = number
            elif letter in "NDHE":
                continue
            else:
                self.warn(Warning.UNKNOWN_CODE)
        if program_number is not None and self.program_number is None and not self.moved:
            self.program_number = program_number
        special = None
        for code in g_codes:
            special = self._modal_g(code) or special
        if tool_word is not None:
            self.pending_tool = tool_word
            if comments:
                self.tool_comments.setdefault(tool_word, comments[0])
        for code in m_codes:
            self._m_code(code)
        if special == "dwell":
            self._dwell({**arc, **axes})
            return
        if special == "unknown_position":
            # A return to the reference point, or a move in machine coordinates: the work
            # position it ends at is not in the program.
            for letter in axes:
                setattr(self, letter.lower(), None)
            return
        if not axes and not (self.motion in _CYCLES and ("R" in arc or "L" in arc)):
            return
        for letter, value in list(axes.items()):
            millimetres = value * self.scale
            if not math.isfinite(millimetres) or abs(millimetres) >= MAX_COORDINATE_MM:
                self.warn(Warning.COORDINATE_OUT_OF_RANGE)
                del axes[letter]
        if self.motion is None:
            return
        if self.units is None and not self.moved:
            self.warn(Warning.NO_UNITS)
        if self.motion in (0, 1):
            self._line(axes, rapid=self.motion == 0)
        elif self.motion in (2, 3):
            self._arc(axes, arc, clockwise=self.motion == 2)
        elif self.motion in _CYCLES:
            self._drill(axes, arc)

    def _modal_g(self, code: float) -> str | None:
        tenths = round(code * 10)
        whole, decimal = divmod(tenths, 10)
        if decimal:
            if tenths == 901:
                self.arc_centre_absolute = True
            elif tenths == 911:
                self.arc_centre_absolute = False
            elif whole in (41, 42, 43, 54, 59, 64):
                pass
            else:
                self.warn(Warning.UNKNOWN_CODE)
            return None
        if whole in (0, 1, 2, 3):
            self.motion = whole
        elif whole in _CYCLES:
            if self.motion not in _CYCLES:
                self.cycle.initial_z = self.z
            self.motion = whole
        elif whole == 80:
            self.motion = None
        elif whole in (17, 18, 19):
            self.plane = whole
        elif whole in (20, 21):
            units = Units.INCH if whole == 20 else Units.MILLIMETRE
            if self.units is not None and units is not self.units:
                self.warn(Warning.UNITS_CHANGED)
            self.units = units
            self.scale = MM_PER_INCH if whole == 20 else 1.0
        elif whole in (90, 91):
            self.absolute = whole == 90
        elif whole in (93, 94, 95):
            self.inverse_time = whole == 93
        elif whole in (98, 99):
            self.retract_to_initial = whole == 98
        elif whole in (41, 42):
            self.warn(Warning.CUTTER_COMPENSATION)
        elif whole == 4:
            return "dwell"
        elif whole in (28, 30, 53):
            return "unknown_position"
        elif whole in _NOT_SIMULATED:
            self.warn(Warning.NOT_SIMULATED)
        elif whole in _NO_EFFECT_ON_PATH:
            pass
        else:
            self.warn(Warning.UNKNOWN_CODE)
        return None

    def _m_code(self, code: int) -> None:
        if code in (3, 4):
            self.spindle_on = True
        elif code == 5:
            self.spindle_on = False
        elif code == 6:
            self.tool_changes_seen = True
            self._change_tool(self.pending_tool)
        elif code in (2, 30):
            self.program_ended = True
            self.spindle_on = False
        elif code in (98, 99):
            if code == 98:
                self.warn(Warning.NOT_SIMULATED)

    def _dwell(self, words: dict[str, float]) -> None:
        if "X" in words:
            seconds = words["X"]
        elif "P" in words:
            # Fanuc writes P in milliseconds without a decimal point; LinuxCNC in seconds.
            value = words["P"]
            seconds = value if value != int(value) else value / 1000
        else:
            seconds = 0.0
        if 0 < seconds < 86_400:
            self.dwell_seconds += seconds

    # -- tools ----------------------------------------------------------------------------------

    def _change_tool(self, number: int | None) -> None:
        use = self.tools.get(number)
        if use is None:
            use = ToolUse(number=number, comment=self.tool_comments.get(number or -1))
            self.tools[number] = use
            self._tool_index[number] = len(self._tool_index)
        self.tool = use

    def _current_tool(self) -> ToolUse:
        # A program with no M6 changes tools with T alone (lathes, many routers).
        if self.tool is None or (
            not self.tool_changes_seen and self.pending_tool != self.tool.number
        ):
            self._change_tool(self.pending_tool)
        return self.tool

    # -- moves ----------------------------------------------------------------------------------

    def _target(self, axes: dict[str, float]) -> tuple[float | None, float | None, float | None]:
        found = []
        for letter, current in (("X", self.x), ("Y", self.y), ("Z", self.z)):
            if letter not in axes:
                found.append(current)
            elif self.absolute:
                found.append(axes[letter] * self.scale)
            else:
                found.append(None if current is None else current + axes[letter] * self.scale)
        return found[0], found[1], found[2]

    def _line(self, axes: dict[str, float], rapid: bool) -> None:
        start = (self.x, self.y, self.z)
        end = self._target(axes)
        self._move(start, end, rapid)

    def _move(
        self,
        start: tuple[float | None, float | None, float | None],
        end: tuple[float | None, float | None, float | None],
        rapid: bool,
        length: float | None = None,
        points: list[tuple[float, float, float]] | None = None,
        by_cycle: bool = False,
    ) -> None:
        """Account for one move from ``start`` to ``end``; ``length`` for arcs.

        :param by_cycle: a rapid a drilling cycle makes on its own inside the hole (back down to
            the last peck), not one the programmer wrote: it is no cause for a warning.
        """
        tool = self._current_tool()
        self.moved = True
        # An axis the program never gives (Y on a lathe) does not move; one known at only one end
        # (the first move, or after a return to the reference point) makes the move unknown.
        if None not in start and None not in end:
            known = True
            if length is None:
                length = math.dist(start, end)
        else:
            known = all((a is None) == (b is None) for a, b in zip(start, end, strict=True))
            if length is None:
                length = (
                    math.dist(
                        [a for a in start if a is not None], [b for b in end if b is not None]
                    )
                    if known
                    else 0.0
                )
        self.overall.add(*end)
        if rapid:
            seconds = length / self.rapid_mm_per_minute * 60
            self.rapid_seconds += seconds
            tool.rapid_seconds += seconds
            if end[2] is not None and end[2] < 0 and end[2] != start[2] and not by_cycle:
                self.warn(Warning.RAPID_BELOW_ZERO)
        else:
            self.machined.add(*start)
            self.machined.add(*end)
            if not self.spindle_on:
                self.warn(Warning.CUT_WITHOUT_SPINDLE)
            seconds = self._cut_seconds(length)
            self.cutting_seconds += seconds
            tool.cutting_seconds += seconds
            tool.cutting_mm += length
            if self.spindle is not None and self.spindle_on:
                tool.spindle.add(self.spindle)
            if self.feed and not self.inverse_time:
                tool.feed.add(self.feed * self.scale)
        self.x, self.y, self.z = end
        if all(value is None for value in end):
            return
        kind = (Segment.RAPID if rapid else Segment.CUT) if known else Segment.JUMP
        self._draw([*(points or ()), end], kind, tool)

    def _cut_seconds(self, length: float) -> float:
        if not self.feed or self.feed <= 0:
            if length > 0:
                self.warn(Warning.CUT_WITHOUT_FEED)
            return 0.0
        if self.inverse_time:
            return 60 / self.feed
        return length / (self.feed * self.scale) * 60

    def _draw(self, points: list[tuple[Any, Any, Any]], kind: Segment, tool: ToolUse) -> None:
        path = self.toolpath
        room = self.max_points - len(path.segments)
        if len(points) > room:
            self.warn(Warning.TOOLPATH_CUT_SHORT)
            points = points[:room]
        # One extend per array: this runs for every move of a long program.
        path.points.extend([value or 0.0 for point in points for value in point])
        path.segments.extend([int(kind)] * len(points))
        path.tools.extend([self._tool_index[tool.number]] * len(points))

    def _arc(self, axes: dict[str, float], words: dict[str, float], clockwise: bool) -> None:
        start = (self.x, self.y, self.z)
        end = self._target(axes)
        if any(value is None for value in start) or any(value is None for value in end):
            self._move(start, end, rapid=False)
            return
        # The plane's two axes (as indexes into x, y, z), its linear axis and offset letters.
        first, second, linear, offsets = {
            17: (0, 1, 2, "IJ"),
            18: (2, 0, 1, "KI"),
            19: (1, 2, 0, "JK"),
        }[self.plane]
        s1, s2, e1, e2 = start[first], start[second], end[first], end[second]
        if "R" in words:
            centre = _centre_from_radius(s1, s2, e1, e2, words["R"] * self.scale, clockwise)
            if centre is None:
                self.warn(Warning.INCOMPLETE_ARC)
                self._move(start, end, rapid=False)
                return
            c1, c2 = centre
        elif offsets[0] in words or offsets[1] in words:
            o1 = words.get(offsets[0], 0.0) * self.scale
            o2 = words.get(offsets[1], 0.0) * self.scale
            if self.arc_centre_absolute:
                c1, c2 = o1, o2
            else:
                c1, c2 = s1 + o1, s2 + o2
        else:
            self.warn(Warning.INCOMPLETE_ARC)
            self._move(start, end, rapid=False)
            return
        radius = math.hypot(s1 - c1, s2 - c2)
        a0 = math.atan2(s2 - c2, s1 - c1)
        a1 = math.atan2(e2 - c2, e1 - c1)
        sweep = (a0 - a1) if clockwise else (a1 - a0)
        sweep %= math.tau
        if sweep < 1e-9:
            sweep = math.tau  # start and end the same: a full circle
        turns = int(words.get("P", 1)) if "R" not in words else 1
        if turns > 1:
            sweep += math.tau * min(turns - 1, 1000)
        rise = end[linear] - start[linear]
        length = math.hypot(radius * sweep, rise)
        steps = max(2, math.ceil(sweep / _arc_step(radius)))
        direction = -1 if clockwise else 1
        turn, base = direction * sweep, start[linear]
        cos, sin = math.cos, math.sin
        # The chords' ends, in the plane's first, second and linear axes.
        chords = [
            (c1 + radius * cos(a0 + turn * f), c2 + radius * sin(a0 + turn * f), base + rise * f)
            for f in [step / steps for step in range(1, steps)]
        ]
        # The arc's farthest points along the plane's axes, for exact extents (not drawn).
        extremes = []
        for quarter in range(4):
            angle = quarter * math.pi / 2
            offset = ((angle - a0) * direction) % math.tau
            if offset <= sweep:
                height = base + rise * offset / sweep
                extremes.append((c1 + radius * cos(angle), c2 + radius * sin(angle), height))
        # Back to x, y, z from the plane's first, second and linear axes.
        if self.plane == 18:
            chords = [(b, c, a) for a, b, c in chords]
            extremes = [(b, c, a) for a, b, c in extremes]
        elif self.plane == 19:
            chords = [(c, a, b) for a, b, c in chords]
            extremes = [(c, a, b) for a, b, c in extremes]
        for extreme in extremes:
            self.machined.add(*extreme)
            self.overall.add(*extreme)
        self._move(start, end, rapid=False, length=length, points=chords)

    def _drill(self, axes: dict[str, float], words: dict[str, float]) -> None:
        cycle = self.cycle
        if cycle.initial_z is None:
            cycle.initial_z = self.z
        if "R" in words:
            cycle.r = words["R"] * self.scale
        if "Z" in axes:
            cycle.z = axes["Z"] * self.scale
        if "Q" in words:
            cycle.q = abs(words["Q"]) * self.scale
        if "P" in words and self.motion in (82, 88, 89):
            value = words["P"]
            cycle.dwell_seconds = value if value != int(value) else value / 1000
        if cycle.r is None or cycle.z is None or cycle.initial_z is None:
            self.warn(Warning.INCOMPLETE_CYCLE)
            return
        if self.absolute:
            r_level, bottom = cycle.r, cycle.z
        else:
            r_level = cycle.initial_z + cycle.r
            bottom = r_level + cycle.z
        repeats = max(1, min(int(words.get("L", 1)), 10_000))
        plane_axes = {letter: value for letter, value in axes.items() if letter in "XY"}
        for _ in range(repeats):
            x, y, _z = self._target(plane_axes)
            # Over the hole at the current height, down to the retract plane, then in.
            self._move((self.x, self.y, self.z), (x, y, self.z), rapid=True)
            if self.z is None or self.z > r_level:
                self._move((self.x, self.y, self.z), (x, y, r_level), rapid=True)
            self._peck(x, y, r_level, bottom)
            if cycle.dwell_seconds > 0:
                self.dwell_seconds += cycle.dwell_seconds
            out = max(cycle.initial_z, r_level) if self.retract_to_initial else r_level
            if self.motion in (84, 85, 89):
                self._move((x, y, bottom), (x, y, r_level), rapid=False)
                if out > r_level:
                    self._move((x, y, r_level), (x, y, out), rapid=True)
            else:
                self._move((x, y, bottom), (x, y, out), rapid=True)

    def _peck(self, x: float | None, y: float | None, r_level: float, bottom: float) -> None:
        q = self.cycle.q
        if self.motion not in (73, 83) or not q or q <= 0 or bottom >= r_level:
            self._move((x, y, r_level), (x, y, bottom), rapid=False)
            return
        depth = r_level
        while depth > bottom:
            target = max(bottom, depth - q)
            self._move((x, y, depth), (x, y, target), rapid=False)
            depth = target
            if depth > bottom and self.motion == 83:
                # Out to the retract plane to clear the chips, and back down.
                self._move((x, y, depth), (x, y, r_level), rapid=True)
                self._move((x, y, r_level), (x, y, depth), rapid=True, by_cycle=True)

    # -- outcome --------------------------------------------------------------------------------

    def warn(self, code: Warning) -> None:
        seen = self.warnings.get(code)
        if seen is None:
            self.warnings[code] = Noticed(first_line=self.line_number)
        else:
            seen.count += 1

    def finish(self) -> GcodeSheet:
        if self.moved and not self.program_ended:
            self.warn(Warning.NO_PROGRAM_END)
        tools = [use for use in self.tools.values() if use.cutting_mm or use.rapid_seconds]
        return GcodeSheet(
            units=self.units,
            program_number=self.program_number,
            lines=self.line_number,
            tools=tools,
            machined=self.machined,
            overall=self.overall,
            cutting_seconds=self.cutting_seconds,
            rapid_seconds=self.rapid_seconds,
            dwell_seconds=self.dwell_seconds,
            warnings=self.warnings,
            toolpath=self.toolpath,
        )


def _arc_step(radius: float) -> float:
    """Return the angle of the chords that draw an arc of ``radius`` within the tolerance."""
    if radius <= ARC_CHORD_TOLERANCE_MM:
        return ARC_MAX_STEP_RADIANS
    return min(ARC_MAX_STEP_RADIANS, 2 * math.acos(1 - ARC_CHORD_TOLERANCE_MM / radius))


def _centre_from_radius(
    s1: float, s2: float, e1: float, e2: float, radius: float, clockwise: bool
) -> tuple[float, float] | None:
    """Return the centre of the arc of ``radius`` from s to e; negative: the longer arc."""
    chord = math.hypot(e1 - s1, e2 - s2)
    if chord == 0 or abs(radius) * 2 < chord * (1 - 1e-9):
        return None
    half = chord / 2
    height = math.sqrt(max(radius * radius - half * half, 0.0))
    m1, m2 = (s1 + e1) / 2, (s2 + e2) / 2
    # Unit normal to the chord, to the left of the direction of travel.
    n1, n2 = -(e2 - s2) / chord, (e1 - s1) / chord
    # A clockwise arc shorter than half a turn has its centre on the right of the chord.
    side = -1 if clockwise else 1
    if radius < 0:
        side = -side
    return m1 + side * height * n1, m2 + side * height * n2


def read_gcode(
    lines: Iterable[str],
    rapid_mm_per_minute: float = DEFAULT_RAPID_MM_PER_MINUTE,
    max_points: int = DEFAULT_MAX_POINTS,
) -> GcodeSheet:
    """Read a whole program and return its sheet."""
    reader = GcodeReader(rapid_mm_per_minute, max_points)
    reader.feed_lines(lines)
    return reader.finish()
