"""The built wheel works on its own: installed into a fresh venv outside the repo."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("access_events-*.whl"))
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    proc = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return env_dir


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_parse_event_from_the_wheel(installed, tmp_path):
    code = (
        "import access_events, pathlib, sys\n"
        "assert 'site-packages' in access_events.__file__, access_events.__file__\n"
        "assert access_events.schema_dir().name == 'schemas' and 'site-packages' in str(access_events.schema_dir())\n"
        "event = access_events.parse_event(sys.stdin.buffer.read())\n"
        "print(type(event).__name__, event.code)\n"
        "print(len(access_events.EVENT_TYPES), len(list(access_events.schema_dir().glob('*.schema.json'))))\n"
    )
    sample = (SAMPLES / "access_method.issued" / "valid" / "documentation_example.json").read_bytes()
    proc = subprocess.run([str(installed / "bin" / "python"), "-c", code], input=sample, capture_output=True,
                          cwd=tmp_path, env=_clean_env())
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().split() == ["AccessMethodIssuedEvent", "1234", "8", "10"]


def test_cli_from_the_wheel(installed, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"event_type": "access_method.issued"}')
    good = SAMPLES / "access_method.revoked" / "valid" / "realistic_with_extra_fields.json"
    proc = subprocess.run([str(installed / "bin" / "access-events"), "validate", str(good), str(bad)],
                          capture_output=True, text=True, cwd=tmp_path, env=_clean_env())
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1] == "1 valid, 1 invalid, 0 unknown type"
    proc = subprocess.run([str(installed / "bin" / "access-events"), "lint"], capture_output=True, text=True,
                          cwd=tmp_path, env=_clean_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
