"""The G-code reader against programs whose extents and times are known by hand."""

import json
import math

import pytest

from app.previews.gcode import MAX_LINE_CHARACTERS, Segment, Units, Warning, read_gcode


def program(text: str) -> list[str]:
    return text.strip().splitlines()


def warnings_of(sheet) -> set[str]:
    return {code.value for code in sheet.warnings}


SQUARE = """
%
O1001 (BRIDE)
(T1 D=10 FLAT END MILL)
G21 G90 G17
T1 M6
S8000 M3
G0 X0 Y0 Z5
G1 Z-2 F100
X10 F200
Y10
X0
Y0
G0 Z5
M30
%
"""


def test_a_square_at_constant_feed_takes_its_length_over_its_feed():
    sheet = read_gcode(program(SQUARE), rapid_mm_per_minute=6000)

    # 7 mm down at 100 mm/min, then 40 mm around at 200 mm/min.
    assert sheet.cutting_seconds == pytest.approx(7 / 100 * 60 + 40 / 200 * 60)
    # From an unknown position the first rapid counts nothing; then 7 mm up at 6000 mm/min.
    assert sheet.rapid_seconds == pytest.approx(7 / 6000 * 60)
    assert sheet.units is Units.MILLIMETRE
    assert sheet.program_number == "1001"
    assert sheet.lines == 15
    assert sheet.machined.as_dict() == {"x": [0, 10], "y": [0, 10], "z": [-2, 5]}
    assert sheet.overall.as_dict() == {"x": [0, 10], "y": [0, 10], "z": [-2, 5]}
    [tool] = sheet.tools
    assert tool.number == 1 and tool.comment == "T1 D=10 FLAT END MILL"
    assert tool.feed.as_list() == [100, 200]
    assert tool.spindle.as_list() == [8000, 8000]
    assert tool.cutting_mm == pytest.approx(47)
    assert sheet.warnings == {}


def test_a_full_circle_and_a_helix_are_timed_from_their_true_length():
    text = """
G21 G90 G17 T2 M6 S10000 M3
G0 X5 Y0 Z0
G2 X5 Y0 I-5 J0 F100
G3 X5 Y0 Z-3 I-5 J0 F100
M30
"""
    sheet = read_gcode(program(text))

    circle = 2 * math.pi * 5
    helix = math.hypot(circle, 3)
    assert sheet.cutting_seconds == pytest.approx((circle + helix) / 100 * 60)
    # Centred on X0 Y0 (I-5 from X5).
    assert sheet.machined.as_dict() == {"x": [-5, 5], "y": [-5, 5], "z": [-3, 0]}


def test_arcs_given_by_their_radius_take_the_short_or_long_way_as_the_sign_says():
    short = read_gcode(program("G21 G17 G90 S1 M3\nG0 X0 Y0 Z0\nG2 X10 Y0 R5 F60\nM30"))
    long = read_gcode(program("G21 G17 G90 S1 M3\nG0 X0 Y0 Z0\nG2 X10 Y10 R-10 F60\nM30"))

    # Half a circle of radius 5, clockwise from (0,0) to (10,0): over the top, centre (5,0).
    assert short.cutting_seconds == pytest.approx(math.pi * 5)
    assert short.machined.y.as_list() == [0, 5]
    # Three quarters of a circle of radius 10.
    assert long.cutting_seconds == pytest.approx(1.5 * math.pi * 10)


def test_arcs_in_the_xz_and_yz_planes():
    text = "G21 G90 G18 S1 M3\nG0 X0 Y0 Z0\nG3 X10 Z0 I5 K0 F60\nG19\nG2 Y10 Z0 J5 K0\nM30"
    sheet = read_gcode(program(text))

    assert sheet.cutting_seconds == pytest.approx(2 * math.pi * 5)
    # Both half circles bulge towards +Z: G18 and G19 keep the right-handed sense of each plane.
    assert sheet.machined.as_dict() == {"x": [0, 10], "y": [0, 10], "z": [0, 5]}


def test_an_inch_program_is_measured_in_millimetres():
    text = "G20 G90 S1 M3\nG0 X0 Y0 Z0.1\nG1 Z0 F10\nX1\nM30"
    sheet = read_gcode(program(text))

    assert sheet.units is Units.INCH
    assert sheet.machined.x.as_list() == [0, 25.4]
    # 1.1 inch at 10 inch/min.
    assert sheet.cutting_seconds == pytest.approx(1.1 / 10 * 60)
    assert sheet.tools[0].feed.as_list() == [254, 254]


def test_incremental_moves_add_up():
    text = "G21 G91 S1 M3\nG90 G0 X0 Y0 Z0\nG91\nG1 X10 F600\nX10\nY-5\nM30"
    sheet = read_gcode(program(text))

    assert sheet.machined.as_dict() == {"x": [0, 20], "y": [-5, 0], "z": [0, 0]}
    assert sheet.cutting_seconds == pytest.approx(25 / 600 * 60)


def test_inverse_time_feed_gives_each_move_its_own_duration():
    text = "G21 G90 S1 M3\nG0 X0 Y0 Z0\nG93 G1 X100 F2\nX0 F4\nG94\nM30"
    sheet = read_gcode(program(text))

    assert sheet.cutting_seconds == pytest.approx(30 + 15)


def test_a_drilling_cycle_drills_each_hole_and_returns_as_asked():
    text = """
G21 G90 G17 T3 M6 S3000 M3
G0 X0 Y0 Z10
G98 G81 X10 Y10 Z-5 R2 F100
X20
Y20
G80
G0 Z10
M30
"""
    sheet = read_gcode(program(text), rapid_mm_per_minute=600)

    # Three holes, 7 mm each from R2 to Z-5 at 100 mm/min.
    assert sheet.cutting_seconds == pytest.approx(3 * 7 / 100 * 60)
    assert sheet.machined.as_dict() == {"x": [10, 20], "y": [10, 20], "z": [-5, 2]}
    # Rapids: 14.142 over to the first hole, 8 down to R and 15 back up to the initial level
    # each time, 10 and 10 between holes.
    rapid = math.hypot(10, 10) + 3 * (8 + 15) + 10 + 10
    assert sheet.rapid_seconds == pytest.approx(rapid / 600 * 60)


def test_a_peck_cycle_goes_in_by_pecks_and_clears_the_chips():
    text = "G21 G90 S1 M3\nG0 X0 Y0 Z2\nG99 G83 X0 Y0 Z-9 R2 Q4 F60\nG80\nM30"
    sheet = read_gcode(program(text), rapid_mm_per_minute=60)

    assert sheet.cutting_seconds == pytest.approx(11)
    # Out to R and back after the pecks at -2 and -6: 2 × 4 + 2 × 8; then out from -9 to R.
    assert sheet.rapid_seconds == pytest.approx(8 + 16 + 11)
    # The cycle's own rapids back into the hole are the control's, not the programmer's.
    assert Warning.RAPID_BELOW_ZERO not in sheet.warnings


def test_a_rapid_the_programmer_writes_below_zero_is_warned_about_even_near_a_cycle():
    text = "G21 G90 S1 M3\nG0 X0 Y0 Z2\nG99 G83 X0 Y0 Z-9 R2 Q4 F60\nG80\nG0 Z-1\nM30"
    sheet = read_gcode(program(text))

    assert sheet.warnings[Warning.RAPID_BELOW_ZERO].first_line == 5


def test_dwell_counts_milliseconds_written_fanuc_style_and_seconds_with_a_point():
    sheet = read_gcode(program("G21\nG4 P1500\nG4 P2.5\nG4 X1"))

    assert sheet.dwell_seconds == pytest.approx(1.5 + 2.5 + 1)


def test_a_program_without_units_or_end_is_warned_about():
    sheet = read_gcode(program("G90 S1 M3\nG0 X0 Y0 Z0\nG1 X10 F100"))

    assert warnings_of(sheet) == {"no_units", "no_program_end"}
    assert sheet.warnings[Warning.NO_UNITS].first_line == 2


def test_what_a_programmer_acts_on_is_warned_with_its_first_line():
    text = """
G21 G90
G0 X0 Y0 Z5
G1 Z-1
G41 D1 X10 F100
G0 Z-2
S5000 M3
G1 X20
G0 X0
M30
"""
    sheet = read_gcode(program(text))

    assert warnings_of(sheet) == {
        "cut_without_feed",
        "cut_without_spindle",
        "cutter_compensation",
        "rapid_below_zero",
    }
    assert sheet.warnings[Warning.CUT_WITHOUT_FEED].first_line == 3
    assert sheet.warnings[Warning.RAPID_BELOW_ZERO].first_line == 5


def test_tools_are_told_apart_with_their_feeds_speeds_and_comments():
    text = """
G21 G90
(T1 D=10 FLAT)
(T2 D=6 BALL)
T1 M6
S8000 M3
G0 X0 Y0 Z1
G1 Z0 F300
X10 F1200
T2 M6
S12000 M3
G1 X0 F800
S15000
G1 X10 F900
M30
"""
    sheet = read_gcode(program(text))

    first, second = sheet.tools
    assert (first.number, first.comment) == (1, "T1 D=10 FLAT")
    assert first.feed.as_list() == [300, 1200] and first.spindle.as_list() == [8000, 8000]
    assert (second.number, second.comment) == (2, "T2 D=6 BALL")
    assert second.feed.as_list() == [800, 900] and second.spindle.as_list() == [12000, 15000]
    assert second.cutting_mm == pytest.approx(20)


def test_a_program_changing_tools_with_t_alone_is_read_per_tool():
    text = "G21 G90 S1 M3\nT0101\nG0 X0 Z0\nG1 X10 F100\nT0202\nG1 X0\nM30"
    sheet = read_gcode(program(text))

    assert [tool.number for tool in sheet.tools] == [101, 202]
    assert [tool.cutting_mm for tool in sheet.tools] == [10, 10]


def test_lines_carrying_only_coordinates_follow_the_modal_motion():
    text = "G21 G90 S1 M3\nG0 X0 Y0 Z0\nG1 F100\nX10\nY10\nX0\nM30"
    sheet = read_gcode(program(text))

    assert sheet.cutting_seconds == pytest.approx(30 / 100 * 60)


def test_absurd_numbers_are_refused_and_the_sheet_stays_valid_json():
    digits = "9" * 400
    text = f"G21 G90 S1 M3\nG0 X0 Y0 Z0\nG1 X{digits} F100\nG1 Y1e308\nG1 X5\nM30"
    sheet = read_gcode(program(text))

    assert "coordinate_out_of_range" in warnings_of(sheet)
    assert sheet.machined.x.as_list() == [0, 5]
    json.dumps(sheet.as_dict(), allow_nan=False)


def test_an_endless_line_is_cut_and_warned_about():
    text = "G21 G90 S1 M3\nG0 X0 Y0 Z0\nG1 F100 X1" + " " * (MAX_LINE_CHARACTERS * 4) + "X999\nM30"
    sheet = read_gcode(program(text))

    assert "line_too_long" in warnings_of(sheet)
    assert sheet.machined.x.as_list() == [0, 1]


def test_the_toolpath_keeps_rapids_and_cuts_by_tool_up_to_its_cap():
    sheet = read_gcode(program(SQUARE))
    path = sheet.toolpath

    assert list(path.segments) == [
        Segment.JUMP,
        Segment.CUT,
        Segment.CUT,
        Segment.CUT,
        Segment.CUT,
        Segment.CUT,
        Segment.RAPID,
    ]
    assert list(path.points[:3]) == [0, 0, 5] and set(path.tools) == {0}

    capped = read_gcode(program(SQUARE), max_points=3)
    assert len(capped.toolpath) == 3 and "toolpath_cut_short" in warnings_of(capped)
    assert capped.cutting_seconds == pytest.approx(sheet.cutting_seconds)


def test_sub_programs_and_rotations_are_said_not_simulated():
    sheet = read_gcode(program("G21 G90\nM98 P1000\nG68 X0 Y0 R45\nM30"))

    assert sheet.warnings[Warning.NOT_SIMULATED].count == 2


def test_a_long_program_at_constant_feed_is_timed_within_a_hair():
    # 2,000 passes of a 50 × 20 mm rectangle with rounded corners of radius 2.
    lines = ["G21 G90 G17", "T1 M6", "S9000 M3", "G0 X2 Y0 Z1", "G1 Z0 F500", "F1500"]
    for _ in range(2000):
        lines += [
            "G1 X48",
            "G3 X50 Y2 I0 J2",
            "G1 Y18",
            "G3 X48 Y20 I-2 J0",
            "G1 X2",
            "G3 X0 Y18 I0 J-2",
            "G1 Y2",
            "G3 X2 Y0 I2 J0",
        ]
    lines.append("M30")
    sheet = read_gcode(lines)

    perimeter = 2 * 46 + 2 * 16 + 2 * math.pi * 2
    exact = 1 / 500 * 60 + 2000 * perimeter / 1500 * 60
    assert sheet.cutting_seconds == pytest.approx(exact, rel=1e-6)
    assert sheet.machined.as_dict() == {"x": [0, 50], "y": [0, 20], "z": [0, 1]}
