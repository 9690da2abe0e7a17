"""Where CI users plug the gate in: the pre-commit hooks (.pre-commit-hooks.yaml) and the
composite GitHub Action (action.yml), each run against a scratch git repository.

The hooks are run by pre-commit itself (``pre-commit try-repo``), which installs this
repository into its own virtual environment as a consumer's pre-commit would. The action's
steps run as a script: each ``run:`` step of action.yml with its ``env:`` (the ``inputs``
substituted) and GitHub's variables (GITHUB_ACTION_PATH, GITHUB_STEP_SUMMARY); the
``uses: actions/setup-python`` step and the ``install`` step (``pip install`` of this
repository) are the runner's job and are replaced by this test environment's
``access-events`` on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLES

BIN = Path(sys.executable).parent
GIT = shutil.which("git")


def _require(tool: str | None, what: str) -> str:
    """The tool's path; under CI (CI=true) a missing tool fails the test, elsewhere it skips it."""
    if tool and Path(tool).exists():
        return tool
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not installed, and CI=true: run `make install`")
    pytest.skip(f"{what} is not installed")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT", "GITHUB_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", HOME=str(home), GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com")
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run([_require(GIT, "git"), *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def _scratch(tmp: Path, env: dict[str, str]) -> Path:
    """A consumer repository: schemas/ and payloads/, committed."""
    repo = tmp / "consumer"
    repo.mkdir()
    shutil.copytree(ROOT / "schemas", repo / "schemas")
    (repo / "payloads").mkdir()
    shutil.copy(SAMPLES / "access_method.issued" / "valid" / "documentation_example.json", repo / "payloads" / "issued.json")
    _git(repo, env, "init", "-q", "-b", "main")
    _git(repo, env, "add", "-A")
    _git(repo, env, "commit", "-qm", "schemas")
    return repo


def _require_code(repo: Path) -> None:
    """A breaking change: `code` becomes required in access_method.issued."""
    path = repo / "schemas" / "access_method.issued.schema.json"
    doc = json.loads(path.read_text("utf-8"))
    doc["required"].append("code")
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory) -> tuple[Path, str, Path]:
    """This repository's files as they are now (tracked and new, not ignored), committed to a
    fresh repository, so pre-commit installs the hooks once for the module: (repo, rev, home)."""
    tmp = tmp_path_factory.mktemp("hooks")
    env = _env(tmp)
    repo = tmp / "access-events"
    files = _git(ROOT, env, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    _git(repo, env, "init", "-q")
    _git(repo, env, "add", "-A")
    _git(repo, env, "commit", "-qm", "the hooks under test")
    return repo, _git(repo, env, "rev-parse", "HEAD"), tmp


def _try_repo(hooks: tuple[Path, str, Path], consumer: Path) -> subprocess.CompletedProcess:
    repo, rev, home = hooks
    pre_commit = _require(str(BIN / "pre-commit") if (BIN / "pre-commit").exists() else shutil.which("pre-commit"), "pre-commit")
    env = _env(home)
    env["PRE_COMMIT_HOME"] = str(home / "pre-commit-cache")
    return subprocess.run([pre_commit, "try-repo", str(repo), "--ref", rev, "--all-files", "--color", "never"],
                          cwd=consumer, env=env, capture_output=True, text=True, timeout=900)


def _hook_results(output: str) -> dict[str, str]:
    return {m.group(1).strip(): m.group(2) for m in re.finditer(r"^(access-events [^.\n]*?)\.+(Passed|Failed|Skipped)$", output, re.M)}


def test_manifest_declares_the_three_hooks():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))}
    assert set(hooks) == {"access-events-lint", "access-events-compat", "access-events-validate"}
    assert hooks["access-events-compat"]["args"][0] == "git:HEAD"
    assert all(h["language"] == "python" for h in hooks.values())


def test_pre_commit_hooks_pass_a_clean_repository_and_fail_each_kind_of_break(hooks_repo, tmp_path):
    """Guards the hooks as a consumer runs them: each passes a clean repository, and fails on
    what it exists to catch (a lint finding, a breaking change against git:HEAD, an invalid payload)."""
    env = _env(tmp_path)
    consumer = _scratch(tmp_path, env)
    proc = _try_repo(hooks_repo, consumer)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _hook_results(proc.stdout) == {"access-events lint": "Passed", "access-events compat (against git:HEAD)": "Passed",
                                          "access-events validate": "Passed"}, proc.stdout

    _require_code(consumer)  # breaking, but lint-clean
    revoked = consumer / "schemas" / "access_method.revoked.schema.json"
    doc = json.loads(revoked.read_text("utf-8"))
    del doc["description"]  # a lint finding (and an annotation change: compatible)
    revoked.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    (consumer / "payloads" / "bad.jsonl").write_text('{"event_type": "access_method.issued"}\n')
    _git(consumer, env, "add", "-A")
    proc = _try_repo(hooks_repo, consumer)
    assert proc.returncode == 1
    assert _hook_results(proc.stdout) == {"access-events lint": "Failed", "access-events compat (against git:HEAD)": "Failed",
                                          "access-events validate": "Failed"}, proc.stdout
    assert "[missing-description]" in proc.stdout or "description" in proc.stdout
    assert "required-property-added" in proc.stdout
    assert "payloads/bad.jsonl:1: /access_grant_ids: required property 'access_grant_ids' is missing" in proc.stdout


def _action_steps() -> tuple[list[dict], dict[str, str]]:
    action = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    assert action["runs"]["using"] == "composite"
    return action["runs"]["steps"], {name: spec.get("default", "") for name, spec in action["inputs"].items()}


def _run_action(repo: Path, tmp: Path, inputs: dict[str, str], extra_env: dict[str, str] | None = None):
    """Every ``run:`` step of action.yml but the install step, in order, as the runner would."""
    steps, defaults = _action_steps()
    values = {**defaults, **inputs}
    summary = tmp / "summary.md"
    summary.write_text("")
    env = _env(tmp)
    env.update(GITHUB_ACTION_PATH=str(ROOT), GITHUB_STEP_SUMMARY=str(summary), RUNNER_TEMP=str(tmp), **(extra_env or {}))
    ran = []
    for step in steps:
        if "uses" in step:
            assert step["uses"].startswith("actions/setup-python@")
            continue
        if step.get("id") == "install":
            assert "GITHUB_ACTION_PATH" in step["run"]
            continue
        assert step["shell"] == "bash"
        step_env = dict(env)
        for name, value in step.get("env", {}).items():
            step_env[name] = re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: values[m.group(1)], str(value))
        assert "${{" not in step["run"], "expressions in run: are injection-prone; pass inputs through env:"
        proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=step_env, capture_output=True, text=True,
                              timeout=300)
        ran.append(step["id"])
        if proc.returncode != 0:
            break
    assert ran == ["gate"]
    return proc, summary.read_text("utf-8")


def test_action_fails_a_breaking_change_with_annotations_and_a_job_summary(tmp_path):
    """Guards the composite action: the gate against the previous commit, `--format github`
    annotations on its output, the markdown report in the job summary, compat's exit code."""
    env = _env(tmp_path)
    repo = _scratch(tmp_path, env)
    _require_code(repo)
    _git(repo, env, "commit", "-qam", "code required")
    proc, summary = _run_action(repo, tmp_path, {})
    assert proc.returncode == 1, proc.stderr
    assert re.search(r"^::error file=schemas/access_method\.issued\.schema\.json,line=\d+,title=required-property-added::", proc.stdout, re.M)
    assert summary.startswith("### Schema compatibility: ❌")
    assert "`git:HEAD^` → `schemas`" in summary and "required-property-added" in summary


def test_action_passes_a_compatible_change_and_reports_usage_errors(tmp_path):
    env = _env(tmp_path)
    repo = _scratch(tmp_path, env)
    _git(repo, env, "branch", "base")
    (repo / "payloads" / "more.json").write_text("{}")
    _git(repo, env, "add", "-A")
    _git(repo, env, "commit", "-qm", "no schema change")
    proc, summary = _run_action(repo, tmp_path, {}, {"GITHUB_BASE_REF": "base"})
    assert proc.returncode == 2 and "origin/base" in summary  # a pull request's base is read from origin
    _git(repo, env, "update-ref", "refs/remotes/origin/base", "base")
    proc, summary = _run_action(repo, tmp_path, {}, {"GITHUB_BASE_REF": "base"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary.startswith("### Schema compatibility: ✅") and "`git:origin/base` → `schemas`" in summary
    proc, summary = _run_action(repo, tmp_path, {"old": "git:no-such-ref", "new": "schemas"})
    assert proc.returncode == 2
    assert summary.startswith("### access-events compat: could not run (exit 2)") and "no-such-ref" in summary
