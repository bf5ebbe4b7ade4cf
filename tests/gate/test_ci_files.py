"""action.yml and .pre-commit-hooks.yaml: shape, no script injection, no torch, hook folder mapping."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import yaml  # PyYAML comes with libcst

from golfcheck.cli import main
ROOT = Path(__file__).resolve().parents[2]


def test_action_is_composite_and_splices_nothing_into_scripts():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    runs = [s for s in steps if "run" in s]
    assert runs and all(s.get("shell") == "bash" for s in runs)
    for s in runs:
        assert "${{" not in s["run"], f"expression spliced into a script: {s['run']}"
    assert any('pip install' in s["run"] and '"$GITHUB_ACTION_PATH"' in s["run"] for s in runs)
    assert any("golfcheck" in s["run"] and "--format github" in s["run"] for s in runs)
    assert "pull_request_target" not in "".join(s["run"] for s in runs)


PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def uses(text: str) -> list[tuple[str, str]]:
    """(`uses:` value, its trailing comment) of every step in a YAML text."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^\s*(?:- )?uses:\s*(\S+)\s*(?:#\s*(.*))?$", line)
        if m:
            out.append((m.group(1), m.group(2) or ""))
    return out


def test_third_party_actions_are_pinned_by_commit_sha_with_the_release_named():
    found = uses((ROOT / "action.yml").read_text()) + uses((ROOT / "docs" / "ci.md").read_text())
    third_party = [(u, c) for u, c in found if not u.startswith(("<owner>/golfcheck@", "./"))]
    assert {u.split("@")[0] for u, _ in third_party} >= {
        "actions/setup-python", "actions/cache", "actions/checkout", "github/codeql-action/upload-sarif"}
    for u, comment in third_party:
        assert PINNED.match(u), u
        assert re.fullmatch(r"v\d+(\.\d+)*", comment), (u, comment)
    checkout = next(c for u, c in third_party if u.startswith("actions/checkout@"))
    assert int(checkout[1:].split(".")[0]) >= 7  # the current major when this was written


def test_action_caches_pip_and_leaves_fail_on_to_the_configuration():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = action["runs"]["steps"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == "${{ steps.pip-cache.outputs.dir }}"
    key_step = next(s for s in steps if s.get("id") == "pip-cache")
    assert "pip cache dir" in key_step["run"] and "$GITHUB_ACTION_PATH/pyproject.toml" in key_step["run"]
    assert steps.index(key_step) < steps.index(cache) < next(i for i, s in enumerate(steps) if "pip install" in s.get("run", ""))
    assert action["inputs"]["fail-on"]["default"] == ""  # the base revision's [tool.golfcheck] decides
    gate = next(s for s in steps if s.get("id") == "gate")
    assert 'if [ -n "$GC_FAIL_ON" ]' in gate["run"]


def test_license_is_an_spdx_expression():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["license"] == "MIT"
    assert any(r.startswith("setuptools>=77") for r in meta["build-system"]["requires"])


def test_action_installs_without_torch():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not any(d.lower().startswith(("torch", "sentencepiece")) for d in deps)


def test_ci_doc_workflow_is_pull_request_with_full_history():
    text = (ROOT / "docs" / "ci.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    wf = yaml.safe_load(block)
    assert list(wf[True]) == ["pull_request"]  # YAML reads the key `on` as True
    steps = wf["jobs"]["gate"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert "head.repo.full_name == github.repository" in upload["if"]


GATED = '''import os
TTT = bool(int(os.environ.get("TTT_ENABLED", "0")))
if TTT:
    danger()
'''
RUN = "# Run\n\n```bash\nTTT_ENABLED=1 torchrun --standalone --nproc_per_node=8 train_gpt.py\n```\n"
FOLDER = "records/track_10min_16mb/2026-05-01_Gated"


def hooks() -> dict:
    return {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def pre_commit(hook: dict, files: list[str], args: list[str] = ()) -> int:
    """Run a hook as pre-commit does: entry, then the hook's args, then the changed files its
    `files` pattern matches (in-process, so the test's catalogue applies)."""
    entry = shlex.split(hook["entry"])
    assert entry[0] == "golfcheck"
    chosen = [f for f in files if re.search(hook["files"], f)]
    return main([*entry[1:], *args, *hook.get("args", ()), *chosen])


@pytest.fixture
def fork(tmp_path, monkeypatch):
    """A competitor's checkout: the baseline at the root, one submission whose README turns TTT on."""
    root = tmp_path / "fork"
    files = {"README.md": "# Parameter Golf\n", "train_gpt.py": "x = 1\n",
             f"{FOLDER}/train_gpt.py": GATED, f"{FOLDER}/README.md": RUN}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    monkeypatch.chdir(root)
    return root


def test_audit_hook_judges_the_folder_not_the_file_alone(fork, capsys, inline_catalogue):
    hook = hooks()["golfcheck-audit"]
    # the file alone: TTT defaults off, so the risky path is a dormant note and the file passes ...
    assert main(["audit", f"{FOLDER}/train_gpt.py"]) == 0
    capsys.readouterr()
    # ... but the folder's README runs it with TTT on, and the hook (like the gate) fails
    assert pre_commit(hook, [f"{FOLDER}/train_gpt.py"]) == 1
    assert "GC990 [error]" in capsys.readouterr().out
    # a change to the README alone re-audits its folder; the root README is nobody's submission
    assert pre_commit(hook, [f"{FOLDER}/README.md", "README.md"]) == 1
    assert capsys.readouterr().out.count("GC990") == 1  # the folder once, not once per changed file
    assert pre_commit(hook, ["README.md"]) == 0
    # the root baseline is audited alone, never the whole repository as one folder
    assert pre_commit(hook, ["train_gpt.py"]) == 0
    assert "GC990" not in capsys.readouterr().out
    # args: are honoured
    assert pre_commit(hook, [f"{FOLDER}/train_gpt.py"], ["--ignore", "GC990"]) == 0
    assert pre_commit(hook, [f"{FOLDER}/train_gpt.py"], ["--select", "GC99O"]) == 2


def test_audit_hook_targets(fork):
    from golfcheck.cli.hook import targets

    (fork / "mine").mkdir()
    (fork / "mine" / "train_gpt.py").write_text("x = 1\n")
    (fork / "mine" / "README.md").write_text("# mine\n")
    (fork / "tools").mkdir()
    (fork / "tools" / "plot.py").write_text("x = 1\n")
    files = [f"{FOLDER}/train_gpt.py", f"{FOLDER}/README.md", "mine/README.md", "tools/plot.py", "train_gpt.py",
             "README.md", "records/track_10min_16mb/2026-05-09_Deleted/train_gpt.py"]
    assert targets(files) == ([FOLDER, "mine"], ["tools/plot.py", "train_gpt.py"])


def test_check_hook_checks_each_changed_folder_once_with_its_args(tmp_path, monkeypatch, capsys):
    from golfcheck.checks.examples import TRAIN_GPT, good_files

    hook = hooks()["golfcheck-check"]
    good = "records/track_10min_16mb/2026-05-01_Good"
    bad = "records/track_10min_16mb/2026-05-02_NoLogs"
    other = "records/track_non_record_16mb/2026-05-03_Other"
    for folder, files in ((good, good_files()), (bad, {"README.md": "# no logs\n"}), (other, good_files())):
        for rel, text in {"train_gpt.py": TRAIN_GPT, **files}.items():
            p = tmp_path / folder / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(text) if isinstance(text, bytes) else p.write_text(text)
    (tmp_path / "README.md").write_text("# root\n")
    monkeypatch.chdir(tmp_path)
    changed = [f"{good}/README.md", f"{good}/train_seed42.log", f"{other}/train_gpt.py", "README.md"]
    assert pre_commit(hook, changed) == 0
    out = capsys.readouterr().out
    assert out.count("golfcheck check records/") == 2 and good in out and other in out
    assert pre_commit(hook, changed, ["--fail-on", "note"]) == 1  # args: reach `golfcheck check`
    capsys.readouterr()
    assert pre_commit(hook, [*changed, f"{bad}/README.md"]) == 1  # one folder failed, all were checked
    assert capsys.readouterr().out.count("golfcheck check records/") == 3
    assert pre_commit(hook, changed, ["--format", "json", "--ignore", "GC602"]) == 0


def test_ci_pins_every_lower_bound_for_the_lowest_versions_run():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    out = subprocess.run([sys.executable, str(ROOT / ".ci" / "lowest.py")], capture_output=True, text=True, check=True).stdout
    pins = dict(line.split("==") for line in out.split())
    wanted = [*deps["dependencies"], *deps["optional-dependencies"]["progress"]]
    assert [re.split(r"[><=\s\[]", d, maxsplit=1)[0] for d in wanted] == list(pins)
    for d in wanted:
        name = re.split(r"[><=\s\[]", d, maxsplit=1)[0]
        assert f">={pins[name]}" in d.replace(" ", "")
    run = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest -q\n" in run  # the README's test command, exactly
    assert ".ci/lowest.py" in run and "--only-binary :all:" in run and "tests/cli" in run
