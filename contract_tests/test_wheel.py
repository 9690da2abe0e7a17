"""The built wheel works on its own: installed into a fresh venv outside the repo.

Network: building the wheel fetches the build backend (``hatchling``) from the package index
into ``build``'s isolated environment, and installing it fetches the package's dependencies.
When the index cannot be reached these tests FAIL with a message saying so (not a setup
error, not a skip): the wheel has not been shown to work.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES

#: What pip says when it cannot reach the index (or the index has no such package).
_UNREACHABLE = re.compile(r"Failed to establish a new connection|Connection refused|Name or service not known"
                          r"|Temporary failure in name resolution|Network is unreachable|Max retries exceeded"
                          r"|No matching distribution found|Could not find a version that satisfies|timed out")


class IndexUnreachable(Exception):
    """Building or installing the wheel needed the package index, and it did not answer."""


def _run(step: str, argv: list[str], env: dict[str, str] | None) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    if proc.returncode == 0:
        return
    output = proc.stdout + proc.stderr
    if _UNREACHABLE.search(output):
        raise IndexUnreachable(f"{step} needs the package index (PyPI or the configured mirror) and could not get "
                               f"what it needed: {_UNREACHABLE.search(output).group(0)}. Check the network or pip's "
                               f"index settings. Last lines of its output:\n" + "\n".join(output.splitlines()[-8:]))
    raise AssertionError(f"{step} failed (exit {proc.returncode}):\n{output[-3000:]}")


def build_and_install(dist: Path, env_dir: Path, env: dict[str, str] | None = None) -> Path:
    """Build the wheel (fetches hatchling) and install it into a new venv (fetches the dependencies)."""
    _run("building the wheel (python -m build, which fetches hatchling)",
         [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)], env)
    wheel = next(dist.glob("access_events-*.whl"))
    venv.create(env_dir, with_pip=True)
    _run("installing the wheel (pip, which fetches its dependencies)",
         [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], env)
    return env_dir


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path | IndexUnreachable:
    try:
        return build_and_install(tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("venv"))
    except IndexUnreachable as exc:  # each test fails with the reason, rather than erroring in setup
        return exc


def _venv(installed: Path | IndexUnreachable) -> Path:
    if isinstance(installed, IndexUnreachable):
        pytest.fail(str(installed), pytrace=False)
    return installed


def test_an_unreachable_index_fails_with_a_clear_message(tmp_path):
    """Guards issue 16, finding 8: with the index unreachable, the build used to end in a setup error
    (``CalledProcessError`` from the fixture). Here pip is pointed at a closed local port, with no
    configured mirror or local wheels, and the failure must say that the package index was unreachable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env |= {"PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_RETRIES": "0",
            "PIP_DEFAULT_TIMEOUT": "5", "PIP_NO_CACHE_DIR": "1"}
    with pytest.raises(IndexUnreachable, match=r"building the wheel .* needs the package index .*: "):
        build_and_install(tmp_path / "dist", tmp_path / "venv", env)


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_parse_event_from_the_wheel(installed, tmp_path):
    installed = _venv(installed)
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
    installed = _venv(installed)
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
