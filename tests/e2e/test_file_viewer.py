"""The file viewer in a real browser: a 3D part and a toolpath drawn, driven, and failing politely.

The file page does not exist yet, so a small web server serves a copy of app/static, pages made
of what the `file_viewer` macro renders (in French, the app's default language) and files the
tests write: a GLB box of 80 × 40 × 20 mm and a square pocket cut by two tools. Every answer
carries the app's own Content-Security-Policy, and no violation may be seen.
"""

import io
import json
import shutil
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from PIL import Image

from app.security_headers import content_security_policy

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BACKGROUND = (0xF4, 0xF5, 0xF7)
RED, BLUE = "#d62728", "#1f4fd6"
FAILED = "La vue 3D n'a pas pu être chargée."
NO_WEBGL = "Ce navigateur ne peut pas afficher la vue 3D"
CHROMIUM_GL = ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) =>
    window.reportViolation(e.violatedDirective + " " + e.blockedURI));
"""
NO_WEBGL_SCRIPT = """
const getContext = HTMLCanvasElement.prototype.getContext;
HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
    return kind.startsWith("webgl") ? null : getContext.call(this, kind, ...rest);
};
"""


def box_glb(x: float, y: float, z: float) -> bytes:
    """Return a binary glTF of a box of x × y × z mm with one corner at the origin, no material."""
    faces = []  # (normal, four corners counter-clockwise seen from outside)
    for axis in range(3):
        for side in (0, 1):
            normal = [0.0, 0.0, 0.0]
            normal[axis] = 1.0 if side else -1.0
            u, v = (axis + 1) % 3, (axis + 2) % 3
            corners = []
            turn = ((0, 0), (1, 0), (1, 1), (0, 1))
            for a, b in turn if side else reversed(turn):
                point = [0.0, 0.0, 0.0]
                point[axis] = (x, y, z)[axis] * side
                point[u] = (x, y, z)[u] * a
                point[v] = (x, y, z)[v] * b
                corners.append(point)
            faces.append((normal, corners))
    positions = b"".join(struct.pack("<3f", *p) for _, corners in faces for p in corners)
    normals = b"".join(struct.pack("<3f", *n) for n, _ in faces for _ in range(4))
    indices = b"".join(
        struct.pack("<6H", f * 4, f * 4 + 1, f * 4 + 2, f * 4, f * 4 + 2, f * 4 + 3)
        for f in range(6)
    )
    binary = positions + normals + indices
    document = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "NORMAL": 1}, "indices": 2}]}],
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": len(positions)},
            {"buffer": 0, "byteOffset": len(positions), "byteLength": len(normals)},
            {"buffer": 0, "byteOffset": len(positions) + len(normals), "byteLength": len(indices)},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 24, "type": "VEC3",
             "min": [0, 0, 0], "max": [x, y, z]},
            {"bufferView": 1, "componentType": 5126, "count": 24, "type": "VEC3"},
            {"bufferView": 2, "componentType": 5123, "count": 36, "type": "SCALAR"},
        ],
    }  # fmt: skip
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    chunks = struct.pack("<I4s", len(text), b"JSON") + text
    chunks += struct.pack("<I4s", len(binary), b"BIN\0") + binary
    return struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks


def toolpath(points: list[tuple[float, float, float, int, int]]) -> bytes:
    """Return a CNCPATH1 file of (x, y, z, tool, kind) points."""
    return (
        b"CNCPATH1"
        + struct.pack("<I", len(points))
        + b"".join(struct.pack("<3f", x, y, z) for x, y, z, _, _ in points)
        + b"".join(struct.pack("<H", tool) for *_, tool, _ in points)
        + bytes(kind for *_, kind in points)
    )


JUMP, RAPID, CUT = 0, 1, 2


def pocket() -> bytes:
    """Return a 60 mm square pocket: tool 0 roughs three rings, tool 1 finishes the outline."""
    points = [(0.0, 0.0, 30.0, 0, JUMP)]
    points += [(20.0, 20.0, 30.0, 0, RAPID), (20.0, 20.0, 2.0, 0, RAPID)]
    points.append((20.0, 20.0, -5.0, 0, CUT))
    for inset in (20.0, 12.0, 4.0):
        low, high = inset, 60.0 - inset
        for x, y in ((high, low), (high, high), (low, high), (low, low)):
            points.append((x, y, -5.0, 0, CUT))
        if inset > 4.0:
            points.append((low - 8.0, low - 8.0, -5.0, 0, CUT))  # step out to the next ring
    points.append((4.0, 4.0, 30.0, 0, RAPID))
    points.append((-30.0, -30.0, 60.0, 1, JUMP))  # tool change: the machine goes home, no line
    points += [(0.0, 0.0, 30.0, 1, RAPID), (0.0, 0.0, 2.0, 1, RAPID), (0.0, 0.0, -5.0, 1, CUT)]
    for x, y in ((60.0, 0.0), (60.0, 60.0), (0.0, 60.0), (0.0, 0.0)):
        points.append((x, y, -5.0, 1, CUT))
    points.append((0.0, 0.0, 30.0, 1, RAPID))
    return toolpath(points)


def large_toolpath(count: int) -> bytes:
    """Return a zigzag of `count` points over 200 × 200 mm, cuts with a rapid every 100 points."""
    points = []
    for i in range(count):
        row, column = divmod(i, 1000)
        x = column * 0.2 if row % 2 == 0 else 200.0 - column * 0.2
        kind = JUMP if i == 0 else RAPID if i % 100 == 0 else CUT
        points.append((x, row * 200.0 / (count / 1000), -1.0, (i // 50_000) % 3, kind))
    return toolpath(points)


def viewer_markup(app: Flask, kind: str, src: str, colours: list[str] | None = None) -> str:
    """Render the `file_viewer` macro as the app's templates do, in French (the default)."""
    with app.test_request_context("/"):
        return render_template_string(
            '{% from "shared/file_viewer.html" import file_viewer %}'
            "{{ file_viewer(kind, src, colours) }}",
            kind=kind,
            src=src,
            colours=colours,
        )


def page(*viewers: str) -> str:
    body = "\n".join(f'<section class="viewer-case">{viewer}</section>' for viewer in viewers)
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Aperçu</title></head>'
        f'<body><h1>Fichier</h1>{body}<a id="after" href="#after">Télécharger</a></body></html>'
    )


@dataclass(frozen=True)
class Site:
    url: str
    folder: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Serve the static files, the pages and the fixtures with the app's security headers."""
    from app import create_app

    folder = tmp_path_factory.mktemp("viewer-site")
    # The app only renders the macro here: no request reaches its database.
    settings = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "STORAGE_DIR": str(folder / "storage")}
    app = create_app("testing", {**settings, "REDIS_URL": None, "MAIL_SERVER": None})
    markup = partial(viewer_markup, app)
    shutil.copytree(ROOT / "app" / "static", folder / "static")
    files = folder / "files"
    files.mkdir()
    (files / "box.glb").write_bytes(box_glb(80.0, 40.0, 20.0))
    (files / "pocket.bin").write_bytes(pocket())
    (files / "large.bin").write_bytes(large_toolpath(500_000))
    pages = {
        "model.html": page(markup("model", "/files/box.glb")),
        "toolpath.html": page(markup("toolpath", "/files/pocket.bin", [RED, BLUE])),
        "large.html": page(markup("toolpath", "/files/large.bin")),
        "failed.html": page(
            markup("model", "/files/missing.glb"),
            markup("toolpath", "/files/box.glb"),
            markup("toolpath", "/files/pocket.bin", [RED, BLUE]),
        ),
    }
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")

    class Handler(SimpleHTTPRequestHandler):
        def end_headers(self) -> None:
            self.send_header("Content-Security-Policy", content_security_policy("n0nce"))
            self.send_header("X-Content-Type-Options", "nosniff")
            super().end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            del format, args  # quiet: the test's output is about the viewer

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, name="viewer-site", daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", folder)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="module")
def gl_browser(playwright):
    """Chromium with WebGL through SwiftShader, the software renderer (no GPU here)."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    args = [arg for arg in CHROMIUM_ARGS if arg != "--disable-gpu"] + CHROMIUM_GL
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
    yield browser
    browser.close()


class Watched:
    """A page, what the content policy blocked on it, and the errors it threw."""

    def __init__(self, context) -> None:
        self.violations: list[str] = []
        self.errors: list[str] = []
        context.expose_function("reportViolation", lambda text: self.violations.append(text))
        context.add_init_script(REPORT_VIOLATIONS)
        self.page = context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, url: str, states: str = "ready") -> None:
        self.page.goto(url)
        for state in states.split():
            self.page.wait_for_selector(f".file-viewer[data-state={state}]", state="attached")
        self.settle()

    def settle(self) -> None:
        """Wait until the viewer's pending frame has been drawn and shown."""
        self.page.evaluate(
            "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
        )

    def pixels(self, selector: str = ".file-viewer canvas") -> Image.Image:
        shot = self.page.locator(selector).first.screenshot()
        return Image.open(io.BytesIO(shot)).convert("RGB")

    def assert_clean(self) -> None:
        assert self.violations == []
        assert self.errors == []


@pytest.fixture
def watched(gl_browser) -> Iterator[Watched]:
    context = gl_browser.new_context(viewport={"width": 1000, "height": 800}, locale="fr-FR")
    yield Watched(context)
    context.close()


def distance(one: tuple[int, ...], other: tuple[int, ...]) -> int:
    """Return the largest difference between two colours on one channel."""
    return max(abs(a - b) for a, b in zip(one, other, strict=True))


def drawn(image: Image.Image) -> int:
    """Count the pixels that are not the viewer's background."""
    return sum(1 for p in image.get_flattened_data() if distance(p, BACKGROUND) > 12)


def near(image: Image.Image, colour: str, tolerance: int = 40) -> int:
    """Count the pixels within `tolerance` of `colour` on every channel."""
    target = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return sum(1 for p in image.get_flattened_data() if distance(p, target) <= tolerance)


def grey(image: Image.Image) -> int:
    """Count the mid-grey pixels of the rapid moves (the grid is bluish, the background paler)."""
    pixels = image.get_flattened_data()
    return sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) <= 10 and r <= 190)


def part_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """Return the bounding box of the part's pixels: drawn, and not bluish like the grid."""
    mask = Image.new("1", image.size)
    pixels = image.get_flattened_data()
    mask.putdata([distance(p, BACKGROUND) > 12 and p[0] >= p[2] - 4 for p in pixels])
    return mask.getbbox()


def test_model_is_drawn_whole_in_a_neutral_colour_and_the_view_resets(watched, site, artifacts):
    watched.open(site.url + "/model.html")
    canvas = watched.page.locator(".file-viewer canvas")
    image = watched.pixels()
    image.save(artifacts / "viewer-model.png")

    width, height = image.size
    box = part_box(image)
    assert box is not None
    left, top, right, bottom = box
    # Framed to its bounding box: large, and whole (clear of every edge).
    assert right - left > width * 0.3 and bottom - top > height * 0.3
    assert left > 0 and top > 0 and right < width and bottom < height
    # The GLB has no material: the part is a lit light grey, not GLTFLoader's black metal.
    part = [p for p in image.crop(box).get_flattened_data() if p[0] >= p[2] - 4 and p != BACKGROUND]
    assert sum(sum(p) for p in part) / (3 * len(part)) > 100
    assert canvas.get_attribute("role") == "img"
    assert "Vue 3D de la pièce" in canvas.get_attribute("aria-label")

    canvas.hover()
    watched.page.mouse.wheel(0, -600)  # zoom in
    watched.settle()
    zoomed = part_box(watched.pixels())
    assert zoomed is not None
    assert (zoomed[2] - zoomed[0]) > (right - left) * 1.2

    watched.page.get_by_role("button", name="Recentrer la vue").click()
    watched.settle()
    reset = part_box(watched.pixels())
    assert reset is not None
    assert distance(reset, box) <= 2
    watched.assert_clean()


def test_toolpath_draws_each_tool_in_its_colour_and_rapids_in_grey(watched, site, artifacts):
    watched.open(site.url + "/toolpath.html")
    image = watched.pixels()
    image.save(artifacts / "viewer-toolpath.png")

    assert near(image, RED) > 200
    assert near(image, BLUE) > 80
    assert grey(image) > 40
    assert "Vue 3D du parcours d'outil" in watched.page.locator("canvas").get_attribute(
        "aria-label"
    )

    watched.page.get_by_label("Déplacements rapides").uncheck()
    watched.settle()
    without_rapids = watched.pixels()
    assert grey(without_rapids) < grey(image) / 10
    assert near(without_rapids, RED) > 200
    watched.assert_clean()


def test_progress_slider_draws_the_path_up_to_its_position(watched, site):
    watched.open(site.url + "/toolpath.html")
    slider = watched.page.get_by_label("Parcours affiché")
    assert slider.input_value() == "100"
    whole = watched.pixels()

    slider.fill("0")
    watched.settle()
    start = watched.pixels()
    slider.fill("50")
    watched.settle()
    half = watched.pixels()

    assert drawn(start) < drawn(half) < drawn(whole)
    assert near(start, RED) == 0 and near(start, BLUE) == 0
    # Tool 1 starts after the middle of the path: halfway, only tool 0 has cut.
    assert near(half, RED) > 100 and near(half, BLUE) == 0
    assert watched.page.locator(".file-viewer output").inner_text() == "50 %"
    watched.assert_clean()


def test_play_animates_the_slider_and_pause_stops_it(watched, site):
    watched.open(site.url + "/toolpath.html")
    play = watched.page.get_by_role("button", name="Lecture")
    slider = watched.page.get_by_label("Parcours affiché")

    play.click()  # from the end, playing starts over
    watched.page.wait_for_timeout(1500)
    playing = float(slider.input_value())
    assert 3 < playing < 60
    pause = watched.page.get_by_role("button", name="Pause")
    assert pause.get_attribute("aria-pressed") == "true"

    pause.click()
    stopped = float(slider.input_value())
    watched.page.wait_for_timeout(500)
    assert float(slider.input_value()) == stopped
    assert watched.page.get_by_role("button", name="Lecture").is_visible()
    watched.assert_clean()


def test_keyboard_reaches_every_control_and_drives_them(watched, site):
    watched.open(site.url + "/toolpath.html")
    focused = []
    for _ in range(6):
        watched.page.keyboard.press("Tab")
        focused.append(
            watched.page.evaluate(
                "() => { const e = document.activeElement;"
                " return e.type || e.getAttribute('role') || e.tagName; }"
            )
        )
    assert focused[:6] == ["img", "button", "range", "checkbox", "button", "A"]

    before = watched.pixels()
    watched.page.get_by_label("Déplacements rapides").focus()
    watched.page.keyboard.press("Space")
    watched.settle()
    assert not watched.page.get_by_label("Déplacements rapides").is_checked()
    assert grey(watched.pixels()) < grey(before) / 10

    slider = watched.page.get_by_label("Parcours affiché")
    slider.focus()
    watched.page.keyboard.press("Home")
    watched.settle()
    assert slider.input_value() == "0"
    assert near(watched.pixels(), RED) == 0
    watched.assert_clean()


def test_a_failed_file_says_so_and_the_other_viewers_still_work(watched, site):
    watched.open(site.url + "/failed.html", states="failed ready")
    viewers = watched.page.locator(".file-viewer")

    assert viewers.nth(0).get_attribute("data-state") == "failed"
    assert FAILED in viewers.nth(0).inner_text()
    # A GLB served as a toolpath is not a CNCPATH1 file: refused, not drawn as noise.
    assert viewers.nth(1).get_attribute("data-state") == "failed"
    assert FAILED in viewers.nth(1).inner_text()
    assert viewers.nth(2).get_attribute("data-state") == "ready"
    assert near(watched.pixels(".viewer-case:nth-child(4) canvas"), RED) > 200
    assert watched.violations == []


def test_without_webgl_the_viewer_says_so(gl_browser, site):
    context = gl_browser.new_context(locale="fr-FR")
    context.add_init_script(NO_WEBGL_SCRIPT)
    try:
        page = context.new_page()
        page.goto(site.url + "/toolpath.html")
        viewer = page.locator(".file-viewer[data-state=no-webgl]")
        viewer.wait_for()
        assert NO_WEBGL in viewer.inner_text()
        assert page.locator("canvas").count() == 0
    finally:
        context.close()


def test_half_a_million_points_load_and_scrub(watched, site):
    watched.open(site.url + "/large.html")
    whole = drawn(watched.pixels())

    slider = watched.page.get_by_label("Parcours affiché")
    slider.fill("10")
    watched.settle()

    assert drawn(watched.pixels()) < whole
    watched.assert_clean()
