"""The views hold no SQL: they ask app.queries for what they show and app.services for changes."""

from pathlib import Path

VIEWS = Path(__file__).resolve().parents[2] / "app" / "views"
SQL_MARKS = ("select(", "db.session", "staff_read")


def test_no_view_module_holds_sql():
    modules = {path.relative_to(VIEWS).as_posix(): path.read_text() for path in VIEWS.rglob("*.py")}
    holding = {
        name: [mark for mark in SQL_MARKS if mark in source] for name, source in modules.items()
    }
    assert "admin/project.py" in modules
    assert {name: marks for name, marks in holding.items() if marks} == {}
