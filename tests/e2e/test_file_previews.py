"""Files people can look at: the organisation reads each kind's sheet and viewer; the client,
before paying, sees a marked picture and nothing of the file."""

import io
import re
import secrets
import time
from datetime import timedelta

import ezdxf
import pytest
from PIL import Image

from app.domain.policy import Role
from app.extensions import db
from app.models import FileKind, PaymentLink, ProjectFile
from app.models.base import utcnow
from app.services.demo_files import flange_model, flange_program
from app.services.file import Upload, add_files
from app.services.payment_link import hash_token
from bench.previews_drawings import a3_pdf
from tests.factories import PASSWORD, OrganisationFactory, ProjectFactory, UserFactory, viewer
from tests.previews.model_files import step_boxes

pytestmark = pytest.mark.e2e


@pytest.fixture
def previews_on(live_server, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "PREVIEWS_ENABLED", True)
    return live_server


def files_of_every_kind(folder) -> list[Upload]:
    """A program, a mesh, a STEP part, a DXF drawing, a PDF and a photo: each kind read."""
    drawing = ezdxf.new("R2010")
    drawing.header["$INSUNITS"] = 4
    space = drawing.modelspace()
    space.add_lwpolyline([(0, 0), (120, 0), (120, 80), (0, 80)], close=True)
    space.add_circle((60, 40), 20)
    dxf = io.StringIO()
    drawing.write(dxf)
    a3_pdf(folder / "plan.pdf", pages=2)
    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 160)).save(photo, "PNG")
    return [
        Upload("bride-op10.nc", io.BytesIO(flange_program())),
        Upload("bride.stl", io.BytesIO(flange_model())),
        Upload("cale.step", io.BytesIO(step_boxes([((0, 0, 0), (80, 40, 20))]).encode())),
        Upload("gabarit.dxf", io.BytesIO(dxf.getvalue().encode())),
        Upload("plan.pdf", io.BytesIO((folder / "plan.pdf").read_bytes())),
        Upload("photo-montage.png", io.BytesIO(photo.getvalue())),
    ]


# Read by the browser itself: a page's own scripts may not evaluate strings (its CSP).
NATURAL_WIDTH = "img => img.complete ? img.naturalWidth : 0"


def wait_until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the page never got there"
        time.sleep(0.1)


def text_of(locator) -> str:
    """Return what a person reads, every kind of space as a plain one."""
    return " ".join(locator.inner_text().replace("\u202f", " ").replace("\xa0", " ").split())


def sign_in(page, live_server, email: str) -> None:
    page.goto(live_server("/login/"))
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/portal/$"))


def test_the_organisation_reads_each_files_sheet_and_plays_the_toolpath(
    previews_on, page, artifacts, tmp_path
):
    live_server = previews_on
    with live_server.app.app_context():
        member = UserFactory(role=Role.ORG_MEMBER, organisation=OrganisationFactory())
        project = ProjectFactory(organisation_id=member.organisation_id, status="PENDING")
        add_files(viewer(member), project.id, FileKind.PROJECT, files_of_every_kind(tmp_path))
        email, project_id = member.email, project.id
        db.session.remove()

    sign_in(page, live_server, email)
    page.goto(live_server(f"/portal/projects/{project_id}"))
    thumbnails = page.locator("#section-files .cnc-thumbnail img")
    assert thumbnails.count() == 6
    for index in range(6):
        wait_until(lambda i=index: thumbnails.nth(i).evaluate(NATURAL_WIDTH) == 240)
    page.screenshot(path=artifacts / "previews_file_list.png", full_page=True)

    page.locator("#section-files a.cnc-file-page-link").first.click()
    page.wait_for_url(re.compile(r".*/files/\d+/view$"))
    page.locator(".file-viewer[data-state=ready]").wait_for()
    assert page.locator(".file-viewer").get_attribute("data-kind") == "toolpath"
    sheet = text_of(page.locator(".cnc-sheet"))
    assert "Temps de cycle estimé" in sheet and "3 min 23 s" in sheet
    assert "180 × 132 × 23 mm" in sheet
    tools = [" ".join(row.split()) for row in page.locator(".cnc-tools tbody tr").all_inner_texts()]
    assert [row.split()[0] for row in tools] == ["T1", "T2", "T3"]
    assert "FORET D8.5" in tools[2]
    page.screenshot(path=artifacts / "viewer_gcode.png", full_page=True)
    slider = page.locator(".file-viewer input[type=range]")
    slider.fill("30")
    page.screenshot(path=artifacts / "viewer_gcode_30_percent.png", full_page=True)

    for name, kind, figure in (
        ("bride.stl", "model", "150 689 mm³"),
        ("cale.step", "model", "80 × 40 × 20 mm"),
        ("gabarit.dxf", None, "120 × 80 mm"),
        ("plan.pdf", None, "A3"),
        ("photo-montage.png", None, "640 × 480 px"),
    ):
        page.goto(live_server(f"/portal/projects/{project_id}"))
        page.locator("#section-files tr", has_text=name).locator("a.cnc-file-page-link").click()
        page.wait_for_url(re.compile(r".*/files/\d+/view$"))
        assert figure in text_of(page.locator(".cnc-sheet"))
        if kind:
            page.locator(".file-viewer[data-state=ready]").wait_for()
            assert page.locator(".file-viewer").get_attribute("data-kind") == kind
        else:
            picture = page.locator(".cnc-preview-picture")
            wait_until(lambda picture=picture: picture.evaluate(NATURAL_WIDTH) == 800)
        page.screenshot(path=artifacts / f"viewer_{name.rsplit('.', 1)[1]}.png", full_page=True)


def test_before_paying_the_client_sees_a_marked_picture_and_nothing_of_the_file(
    previews_on, page, artifacts, tmp_path
):
    live_server = previews_on
    token = secrets.token_urlsafe(32)
    with live_server.app.app_context():
        team = viewer(UserFactory(role=Role.TEAM))
        project = ProjectFactory(
            organisation=OrganisationFactory(name="Atelier Dupont"),
            status="IN_PROGRESS",
            title="Bride DN40",
            final_price_cents=18000,
        )
        add_files(
            team,
            project.id,
            FileKind.DELIVERABLE,
            [Upload("bride-op10.nc", io.BytesIO(flange_program()))],
        )
        project.status = "AWAITING_PAYMENT"
        project.completed_at = now = utcnow()
        db.session.add(
            PaymentLink(
                project_id=project.id,
                organisation_id=project.organisation_id,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + timedelta(days=7),
                sent_at=now,
            )
        )
        db.session.commit()
        file_id = db.session.query(ProjectFile.id).filter_by(project_id=project.id).scalar()
        db.session.remove()

    seen = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto(live_server(f"/pay/{token}"))
    picture = page.locator("#deliverables img.cnc-client-preview")
    picture.wait_for()
    wait_until(lambda: picture.evaluate(NATURAL_WIDTH) == 400)
    assert picture.get_attribute("src").endswith(f"/files/{file_id}/preview/watermark")
    assert "3 min 23 s estimés" in text_of(page.locator("#deliverables"))
    assert page.locator("#deliverables a").count() == 0
    assert not any(re.search(r"/preview/(picture|thumbnail|viewer)|/view\b", u) for u in seen)
    page.screenshot(path=artifacts / "pay_preview_before_payment.png", full_page=True)

    for address in (f"/pay/{token}/files/{file_id}", f"/pay/{token}/files/{file_id}/view"):
        response = page.goto(live_server(address))
        assert response.status == 404
        assert "G1" not in page.content()
