"""Shared fixtures: where the samples are and how to read their expectations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import access_events

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "contract_tests" / "samples"


def valid_samples() -> list[Path]:
    return sorted(SAMPLES.glob("*/valid/*.json"))


def invalid_samples() -> list[tuple[Path, str, str]]:
    """Every invalid sample with the pointer and keyword it must fail on."""
    cases = []
    for manifest in sorted(SAMPLES.glob("*/invalid/expected.yaml")):
        expected = yaml.safe_load(manifest.read_text("utf-8"))
        for name, want in sorted(expected.items()):
            cases.append((manifest.parent / name, want["pointer"], want["keyword"]))
    return cases


def sample_id(path: Path) -> str:
    return f"{path.parts[-3]}/{path.stem}"


def resolved_properties(uri: str) -> tuple[dict[str, dict], set[str]]:
    """Properties (resolved) and required names of an event schema, read with ``referencing``, independently of codegen and of the package's own resolution code."""
    props: dict[str, dict] = {}
    required: set[str] = set()

    def walk(node, resolver):
        if "$ref" in node:
            resolved = resolver.lookup(node["$ref"])
            node, resolver = resolved.contents, resolved.resolver
        for part in node.get("allOf", []):
            walk(part, resolver)
        for name, sub in node.get("properties", {}).items():
            while "$ref" in sub:
                resolved = resolver.lookup(sub["$ref"])
                sub = {**resolved.contents, **{k: v for k, v in sub.items() if k != "$ref"}}
            if isinstance(sub.get("items"), dict) and "$ref" in sub["items"]:
                sub = {**sub, "items": resolver.lookup(sub["items"]["$ref"]).contents}
            props[name] = {**props.get(name, {}), **sub}
        required.update(node.get("required", []))

    walk({"$ref": uri}, access_events.registry().resolver())
    return props, required


@pytest.fixture(scope="session")
def event_types() -> tuple[str, ...]:
    return access_events.EVENT_TYPES


#: Two hash seeds: ``str`` hashes (and so set and dict-of-set orders) differ between them.
HASH_SEEDS = ("1", "2")


def run_cli_across_hash_seeds(*argv: object, cwd: Path = ROOT, input: bytes | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m access_events ARGV`` once per seed in ``HASH_SEEDS``, each in a fresh process, and
    assert that exit code, standard output and standard error are byte-identical; return the first run.

    Running a command twice inside one process cannot see an order that depends on ``hash()``
    (sets of strings, ``sorted(key=hash)``): both runs share one hash seed. Separate processes
    with different ``PYTHONHASHSEED`` values can.
    """
    runs = []
    for seed in HASH_SEEDS:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"} | {"PYTHONHASHSEED": seed}
        runs.append(subprocess.run([sys.executable, "-m", "access_events", *map(str, argv)], input=input,
                                   capture_output=True, cwd=cwd, env=env, timeout=300))
    first, *others = runs
    for seed, other in zip(HASH_SEEDS[1:], others):
        for what in ("returncode", "stdout", "stderr"):
            assert getattr(first, what) == getattr(other, what), (
                f"{what} differs between PYTHONHASHSEED={HASH_SEEDS[0]} and PYTHONHASHSEED={seed}: "
                f"{' '.join(map(str, argv))}")
    return first


def under_ci() -> bool:
    """CI runs with ``CI=true`` (.ci/run): there a missing tool is a failure, never a skip."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require_tool(name: str, found: object, install: str) -> None:
    """Go on when ``found`` (a path, a module...) is truthy; otherwise skip locally and FAIL under CI.

    A check whose tool is missing has not passed: locally it is reported as skipped (``-rs`` lists why);
    under CI, which installs every tool (.ci/run), the same absence means the check did not run, so the
    test fails with what is missing and how to install it.
    """
    if found:
        return
    message = f"{name} is not installed: {install}"
    if under_ci():
        pytest.fail(f"CI=true and a tool this check needs is missing: {message}", pytrace=False)
    pytest.skip(message)


def require_module(module: str, install: str = "run `make install`"):
    """``pytest.importorskip`` that fails under CI: the imported module, or a skip (locally) / failure (CI)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        require_tool(f"the Python module {module} ({exc})", None, install)


@pytest.fixture(autouse=True, scope="session")
def _fresh_caches_under_mutmut():
    """Under ``make mutation`` (mutmut sets ``MUTANT_UNDER_TEST``), drop the validators the package
    caches on first use: mutmut forks each mutant's run from a process that already ran the suite,
    so a cached validator built by the unmutated code would hide every mutant of the code that builds
    it (``_fast._compiler``, ``_validate._validator_for``...). Outside mutmut this does nothing."""
    if os.environ.get("MUTANT_UNDER_TEST"):
        from access_events import _fast, _validate

        for cache in (getattr(_fast, "_PLANS", None), getattr(_fast, "_VALIDATORS", None)):
            if cache is not None:
                cache.clear()
        for function in (getattr(_validate, "event_validator", None), getattr(_validate, "base_validator", None)):
            if hasattr(function, "cache_clear"):
                function.cache_clear()
    yield
