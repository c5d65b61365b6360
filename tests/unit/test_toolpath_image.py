"""The toolpath picture: one colour per tool, rapids dashed, the whole path in the frame."""

from app.previews.gcode import read_gcode
from app.previews.toolpath_image import RAPID_COLOUR, TOOL_COLOURS, draw_toolpath

TWO_TOOLS = """
G21 G90 G17
T1 M6
S9000 M3
G0 X0 Y0 Z5
G1 Z0 F300
X40
Y20
X0
Y0
G0 Z5
X100 Y-60
T2 M6
S12000 M3
G1 Z0 F200
X140
G0 Z5
M30
"""


def colours(image) -> set[tuple[int, int, int]]:
    return {colour for _, colour in image.getcolors(maxcolors=1_000_000)}


def test_each_tool_has_its_colour_and_rapids_are_grey():
    image = draw_toolpath(read_gcode(TWO_TOOLS.strip().splitlines()).toolpath, 400, 300)

    assert image.size == (400, 300)
    found = colours(image)
    assert TOOL_COLOURS[0] in found and TOOL_COLOURS[1] in found and RAPID_COLOUR in found


def test_a_rapid_move_is_drawn_dashed_and_a_cut_solid():
    program = "G21 G90 S1 M3\nG0 X0 Y0 Z0\nG0 X100 Y-100\nG1 X200 Y-200 F100\nM30"
    image = draw_toolpath(read_gcode(program.splitlines()).toolpath, 401, 201)

    # X-Y along the picture's horizontal: the path runs along its middle row.
    row = [image.getpixel((u, 100)) for u in range(10, 391)]
    rapid, cut = row[: len(row) // 2 - 5], row[len(row) // 2 + 5 :]
    assert RAPID_COLOUR in rapid and (255, 255, 255) in rapid
    assert set(cut) == {TOOL_COLOURS[0]}


def test_the_path_fills_the_frame_within_its_margin():
    image = draw_toolpath(read_gcode(TWO_TOOLS.strip().splitlines()).toolpath, 400, 300)

    # The margin is 15 pixels; getbbox's right and bottom are one past the last pixel drawn.
    left, top, right, bottom = image.convert("L").point(lambda v: 255 - v).getbbox()
    assert left >= 15 and top >= 15 and right <= 386 and bottom <= 286
    assert right - left > 300 or bottom - top > 230


def test_an_empty_program_gives_a_blank_picture():
    image = draw_toolpath(read_gcode(["G21", "M30"]).toolpath, 100, 80)

    assert colours(image) == {(255, 255, 255)}
