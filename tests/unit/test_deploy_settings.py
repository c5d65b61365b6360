""".env.example names every setting the app and the web server read, and starts production."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from app.storage.local import prepare_root
from config import CONFIGS, from_environment
from tests.conftest import ROOT

EXAMPLE = ROOT / ".env.example"
# A setting line, set or left commented out with its default: "NAME=value" or "# NAME=value".
SETTING = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


class RecordingEnvironment(Mapping[str, str]):
    """An empty environment that remembers every name asked of it."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        raise KeyError(name)

    def get(self, name: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.add(name)
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def example_settings() -> dict[str, tuple[bool, str]]:
    """Read .env.example: each name, whether it is set (not commented out), and its value."""
    found: dict[str, tuple[bool, str]] = {}
    for line in EXAMPLE.read_text().splitlines():
        match = SETTING.match(line)
        if match:
            found[match.group(2)] = (match.group(1) is None, match.group(3))
    return found


def test_every_setting_the_app_reads_is_in_the_example():
    environment = RecordingEnvironment()
    from_environment(environment)
    read = environment.asked | set(CONFIGS["production"].REQUIRED_ENVIRONMENT) | {"CNC_ENV"}
    assert len(read) > 30  # the recording saw the names, not nothing
    assert sorted(read - set(example_settings())) == []


def test_every_web_server_setting_is_in_the_example():
    source = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    read = set(re.findall(r'"(GUNICORN_[A-Z_]+)"', source))
    assert "GUNICORN_WORKERS" in read
    assert sorted(read - set(example_settings())) == []


def test_the_example_names_no_setting_nothing_reads():
    environment = RecordingEnvironment()
    from_environment(environment)
    gunicorn = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    compose = (ROOT / "compose.yaml").read_text()
    known = (
        environment.asked
        | {"CNC_ENV", "FLASK_APP"}
        # The object store's credentials, which boto3 reads itself (STORAGE_BACKEND=s3).
        | {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
        | set(re.findall(r'"(GUNICORN_\w+)"', gunicorn))
        | set(re.findall(r"\$\{([A-Z_]+)", compose))
    )
    assert sorted(set(example_settings()) - known) == []


def test_every_required_setting_is_set_not_commented_out():
    settings = example_settings()
    for name in CONFIGS["production"].REQUIRED_ENVIRONMENT:
        assert settings[name][0], f"{name} is commented out in .env.example"


def test_the_example_with_a_secret_key_builds_the_production_app(tmp_path: Path):
    """Every value shown, uncommented, is one the app accepts; only SECRET_KEY is left to fill."""
    environment = {name: value for name, (_, value) in example_settings().items()}
    # The store's directory, marked as the store: the production app checks it at start.
    prepare_root(tmp_path / "storage", None)
    environment |= {"PATH": os.environ["PATH"], "STORAGE_DIR": str(tmp_path / "storage")}
    refused = _build(environment)
    assert refused.returncode != 0
    assert "cannot start in production without: SECRET_KEY." in refused.stderr
    built = _build(environment | {"SECRET_KEY": "k" * 48})
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout) == [
        "production",
        1,
        "https://pulse.example.com",
        "__Host-cnc_session",
        True,
    ]


def _build(environment: dict[str, str]) -> subprocess.CompletedProcess:
    """Build the production app in a process of its own (its limiter and logging stay there)."""
    script = (
        "import json; from app import create_app; c = create_app('production').config; "
        "print(json.dumps([c[k] for k in ('ENVIRONMENT', 'TRUSTED_PROXIES', 'PUBLIC_BASE_URL',"
        " 'SESSION_COOKIE_NAME', 'PREVIEWS_ENABLED')]))"
    )
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
