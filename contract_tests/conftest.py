"""Shared fixtures: where the samples are and how to read their expectations."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def event_types() -> tuple[str, ...]:
    return access_events.EVENT_TYPES
