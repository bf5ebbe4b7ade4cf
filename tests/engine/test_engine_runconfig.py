"""Run configuration (defaults, casts, argparse, overrides and their precedence) and dormancy."""

from __future__ import annotations

import libcst as cst
import pytest

from engine_helpers import audit_folder, write_tree
from golfcheck.findings import Severity
from golfcheck.runconfig import command_overrides, parse_scalar, resolve, settings_from_code, truthy


def config_of(code: str, readme: str | None = None, scripts=(), logs=()):
    settings = settings_from_code(cst.parse_module(code), "train_gpt.py")
    return resolve(settings, ("README.md", readme) if readme else None, list(scripts), list(logs))


@pytest.mark.parametrize("code, key, expected", [
    ('import os\nSEQ_LEN = int(os.environ.get("SEQ_LEN", "1024"))\n', "seq_len", 1024),
    ('import os\nLR = float(os.environ.get("LR", "0.04"))\n', "lr", 0.04),
    ('import os\nTTT = bool(int(os.environ.get("TTT_ENABLED", "1")))\n', "ttt", True),
    ('import os\nTTT = bool(int(os.environ.get("TTT_ENABLED", "0")))\n', "ttt_enabled", False),
    ('import os\nUSE = os.environ.get("USE_X", "0") == "1"\n', "use", False),
    ('import os\nUSE = os.environ.get("USE_X", "yes").lower() in ("1", "yes")\n', "use_x", True),
    ('import os\nN = int(os.getenv("N_LAYERS", 9))\n', "n_layers", 9),
    ('import os\nSTEPS = int(os.environ.get("STEPS", "2e3".replace("e3", "000")))\n', "steps", None),
    ('import os\nclass H:\n    warmup: int = int(os.environ.get("WARMUP", "20"))\n', "warmup", 20),
    ('import os\nX = os.environ["X_PATH"]\n', "x_path", None),
    ('import os\nF = int(os.environ.get("F", "1.0"))\n', "f", 1),
])
def test_code_defaults_and_casts(code, key, expected):
    cfg = config_of(code)
    assert cfg.get(key) is not None, cfg.to_dict()
    assert cfg.value(key) == expected


def test_argparse_defaults():
    code = (
        "import argparse\np = argparse.ArgumentParser()\n"
        "p.add_argument('--seq-len', type=int, default=2048)\n"
        "p.add_argument('--use-ttt', action='store_true')\n"
        "p.add_argument('-l', '--lr', dest='learning_rate', default=0.5)\n"
    )
    cfg = config_of(code)
    assert cfg.value("seq_len") == 2048
    assert cfg.value("use_ttt") is False
    assert cfg.value("learning_rate") == 0.5


def test_setting_found_by_variable_name_and_env_name():
    cfg = config_of('import os\nclass Hyperparameters:\n    ttt = bool(int(os.environ.get("TTT_ENABLED", "0")))\n')
    assert cfg.get("ttt") is cfg.get("TTT_ENABLED")
    assert cfg.enabled("ttt") is False


CODE = 'import os\nTTT = bool(int(os.environ.get("TTT_ENABLED", "0")))\nSEQ = int(os.environ.get("SEQ", "1024"))\n'


def test_readme_command_overrides_default_through_the_cast():
    cfg = config_of(CODE, readme="Run:\n\n```\nTTT_ENABLED=1 SEQ=2048 torchrun --nproc_per_node=8 train_gpt.py\n```\n")
    assert cfg.value("ttt") is True and cfg.value("seq") == 2048
    assert "README.md run command" in cfg.get("ttt").source


def test_precedence_code_readme_script_log():
    readme = "TTT_ENABLED=1 SEQ=2048 torchrun train_gpt.py\n"
    script = ("run.sh", "#!/bin/bash\nexport SEQ=4096\nTTT_ENABLED=0 python train_gpt.py\n")
    log = ("train_seed0.log", "Hyperparameters:\n  seq: 8192\nstep:1/100 train_loss: 3.2\n")
    cfg = config_of(CODE, readme, [script], [log])
    assert cfg.value("ttt") is False and cfg.get("ttt").source == "run.sh"  # script beats README
    assert cfg.value("seq") == 8192 and cfg.get("seq").source == "echoed in train_seed0.log"  # log beats script


def test_log_echo_only_for_settings_the_code_reads():
    cfg = config_of(CODE, logs=[("a.log", "Hyperparameters:\n  unrelated_knob: 5\n")])
    assert cfg.get("unrelated_knob") is None


def test_readme_can_add_unknown_settings():
    cfg = config_of("x = 1\n", readme="NEW_FLAG=1 torchrun train_gpt.py\n")
    assert cfg.value("NEW_FLAG") == 1


@pytest.mark.parametrize("line, expected", [
    ("TTT_ENABLED=1 SEQ=2048 torchrun --nproc_per_node=8 train_gpt.py", {"TTT_ENABLED": "1", "SEQ": "2048"}),
    ("export RUN_ID='abc def'", {"RUN_ID": "abc def"}),
    ('env DATA_PATH="/data/x" python3 train_gpt.py', {"DATA_PATH": "/data/x"}),
    ("The default SEQ=1024 is mentioned in prose", {}),
])
def test_command_overrides(line, expected):
    assert command_overrides(line) == expected


@pytest.mark.parametrize("raw, value", [("True", True), ("false", False), ("3", 3), ("0.5", 0.5), ("'x'", "x"), ("None", None)])
def test_parse_scalar(raw, value):
    assert parse_scalar(raw) == value


@pytest.mark.parametrize("value, expected", [("0", False), ("off", False), ("", False), ("1", True), ("yes", True), (0, False), (2, True)])
def test_truthy(value, expected):
    assert truthy(value) is expected


# ------------------------------------------------------------------------------------- dormancy
GUARDED = '''
import os
TTT = bool(int(os.environ.get("TTT_ENABLED", "{default}")))
def adapt():
    danger()
if TTT:
    danger()
else:
    risky()
def main():
    if TTT:
        adapt()
main()
'''


def test_finding_under_a_disabled_flag_is_a_dormant_note(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": GUARDED.format(default="0")})
    _, findings = audit_folder(tmp_path)
    danger = sorted((f.line, f.severity) for f in findings if f.rule == "GC990")
    assert danger == [(4, Severity.NOTE), (6, Severity.NOTE)]
    assert all("dormant" in f.message for f in findings if f.rule == "GC990")
    risky = [f for f in findings if f.rule == "GC991"]
    assert risky and risky[0].severity is Severity.WARNING  # the else branch runs


def test_enabled_flag_keeps_the_error(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": GUARDED.format(default="1")})
    _, findings = audit_folder(tmp_path)
    assert {f.severity for f in findings if f.rule == "GC990"} == {Severity.ERROR}
    risky = [f for f in findings if f.rule == "GC991"]
    assert risky and risky[0].severity is Severity.NOTE  # else branch of an enabled flag is dormant


def test_readme_enabling_the_flag_wakes_the_finding(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": GUARDED.format(default="0"), "README.md": "TTT_ENABLED=1 torchrun train_gpt.py\n"})
    _, findings = audit_folder(tmp_path)
    assert {f.severity for f in findings if f.rule == "GC990"} == {Severity.ERROR}


def test_log_echo_of_a_scored_run_beats_readme_for_dormancy(tmp_path):
    write_tree(tmp_path, {
        "train_gpt.py": GUARDED.format(default="1"),
        "README.md": "TTT_ENABLED=1 torchrun train_gpt.py\n",
        "train_seed1.log": ("Hyperparameters:\n  ttt_enabled: 0\nstep:1/10 val_bpb: 1.2\n"
                            "final_int8_zlib_roundtrip_exact val_loss:2.00000000 val_bpb:1.20000000\n"),
    })
    ctx, findings = audit_folder(tmp_path)
    assert ctx.config.get("ttt").source.startswith("echoed in")
    assert {f.severity for f in findings if f.rule == "GC990"} == {Severity.NOTE}
    (conflict,) = ctx.config.conflicts  # the disagreement itself is recorded (GC004 reports it)
    assert conflict.taken and conflict.key == "ttt_enabled" and conflict.line == 2


def test_log_echo_without_a_scored_result_cannot_switch_a_path_off(tmp_path):
    write_tree(tmp_path, {
        "train_gpt.py": GUARDED.format(default="1"),
        "README.md": "TTT_ENABLED=1 torchrun train_gpt.py\n",
        "train_seed1.log": "Hyperparameters:\n  ttt_enabled: 0\nstep:1/10 val_bpb: 1.2\n",
    })
    ctx, findings = audit_folder(tmp_path)
    assert ctx.config.value("ttt") is True and ctx.config.get("ttt").source == "README.md run command"
    assert {f.severity for f in findings if f.rule == "GC990"} == {Severity.ERROR}
    (conflict,) = ctx.config.conflicts
    assert not conflict.taken and conflict.log == "train_seed1.log"


CONDITIONAL = '''
import os
NGRAM = bool(int(os.environ.get("USE_NGRAM", "{default}")))
def eval_ngram(x):
    return danger(x)
def eval_plain(x):
    return x
def main(x):
    evaluate = eval_ngram if NGRAM else eval_plain
    score = danger(x) if NGRAM else x
    keep = NGRAM and danger(x)
    fallback = NGRAM or risky(x)
    return evaluate(x) + score + keep + fallback
main(1)
'''


def test_conditional_expressions_and_short_circuits_are_guards(tmp_path):
    """`A if flag else B` and `flag and X` with the flag off take the other branch, as an if does."""
    write_tree(tmp_path, {"train_gpt.py": CONDITIONAL.format(default="0")})
    _, findings = audit_folder(tmp_path)
    danger = sorted((f.line, f.severity) for f in findings if f.rule == "GC990")
    # line 4: eval_ngram is only chosen by the conditional expression on line 8
    assert danger == [(4, Severity.NOTE), (9, Severity.NOTE), (10, Severity.NOTE)], findings
    assert all("conditional expression" in f.message for f in findings if f.rule == "GC990")
    # `NGRAM or risky(x)` evaluates risky(x) exactly when the flag is off
    assert [f.severity for f in findings if f.rule == "GC991"] == [Severity.WARNING]


def test_conditional_expressions_with_the_flag_on_keep_the_error(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": CONDITIONAL.format(default="1")})
    _, findings = audit_folder(tmp_path)
    assert {f.severity for f in findings if f.rule == "GC990"} == {Severity.ERROR}
    assert [f.severity for f in findings if f.rule == "GC991"] == [Severity.NOTE]


def test_a_function_also_chosen_outside_a_conditional_is_live(tmp_path):
    code = CONDITIONAL.format(default="0").replace("main(1)", "main(1)\nalways = eval_ngram\nalways(2)")
    write_tree(tmp_path, {"train_gpt.py": code})
    _, findings = audit_folder(tmp_path)
    assert (4, Severity.ERROR) in {(f.line, f.severity) for f in findings if f.rule == "GC990"}


def test_unknown_guard_is_not_dormant(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": "import random\nif random.random() > 0.5:\n    danger()\n"})
    _, findings = audit_folder(tmp_path)
    assert [f.severity for f in findings if f.rule == "GC990"] == [Severity.ERROR]


def test_comparison_guards(tmp_path):
    code = 'import os\nSTEPS = int(os.environ.get("TTT_STEPS", "0"))\nif STEPS > 0:\n    danger()\nif STEPS == 0:\n    risky()\n'
    write_tree(tmp_path, {"train_gpt.py": code})
    _, findings = audit_folder(tmp_path)
    assert [(f.rule, f.severity) for f in findings] == [("GC990", Severity.NOTE), ("GC991", Severity.WARNING)]


def test_log_alias_of_a_printed_setting_overrides_it():
    """#713's shape: the log prints ``ttt={args.ttt_enabled}`` inside a free-text line."""
    from golfcheck.facts import Facts
    from golfcheck.runconfig import log_aliases, settings_from_facts
    from golfcheck.source import Source

    code = (
        "import os\n"
        "class H:\n"
        "    ttt_enabled = bool(int(os.environ.get('TTT_ENABLED', '0')))\n"
        "args = H()\n"
        "log0(f'improvements: ema adaptive_quant ttt={args.ttt_enabled} lr:{args.lr_scale}')\n"
        "ttt_on = bool(int(os.environ.get('TTT_ENABLED', '0')))\n"
    )
    facts = Facts.build(Source("train_gpt.py", code), cst.parse_module(code))
    aliases = log_aliases(facts)
    assert aliases == {"ttt": "ttt_enabled", "lr": "lr_scale"}
    log = "seed:42\nimprovements: value_residual ema adaptive_quant ttt=True\n"
    cfg = resolve(settings_from_facts(facts), logs=[("train_seed42.log", log)], aliases=aliases)
    assert cfg.value("ttt_enabled") is True
    assert cfg.get("ttt_enabled").source == "echoed in train_seed42.log"
    # the second reader of TTT_ENABLED ran with the same value
    assert cfg.enabled("ttt_on") is True
    # without the alias the free-text line says nothing
    cfg = resolve(settings_from_facts(facts), logs=[("train_seed42.log", log)])
    assert cfg.enabled("ttt_enabled") is False


def test_readme_override_reaches_every_reader_of_the_variable():
    code = (
        "import os\n"
        "a = int(os.environ.get('SLOT_STEPS', '0'))\n"
        "def ev():\n"
        "    steps = int(os.environ.get('SLOT_STEPS', '0'))\n"
    )
    cfg = resolve(settings_from_code(cst.parse_module(code), "train_gpt.py"),
                  readme=("README.md", "SLOT_STEPS=8 torchrun --nproc_per_node=8 train_gpt.py"))
    assert cfg.value("a") == 8 and cfg.value("steps") == 8


def test_defaults_injected_with_os_environ_setdefault_decide_dormancy(tmp_path):
    """`os.environ.setdefault("X", "1")` then `int(os.environ["X"])`: the path runs by default."""
    code = 'import os\nos.environ.setdefault("USE_X", "{v}")\nUSE_X = int(os.environ["USE_X"])\nif USE_X:\n    danger()\n'
    write_tree(tmp_path, {"train_gpt.py": code.format(v="1")})
    ctx, findings = audit_folder(tmp_path)
    assert [f.severity for f in findings if f.rule == "GC990"] == [Severity.ERROR]
    assert "injected" in ctx.config.get("use_x").source
    write_tree(tmp_path, {"train_gpt.py": code.format(v="0")})
    _, findings = audit_folder(tmp_path)
    assert [f.severity for f in findings if f.rule == "GC990"] == [Severity.NOTE]
    write_tree(tmp_path, {"train_gpt.py": code.replace('os.environ.setdefault("USE_X", "{v}")', 'os.environ["USE_X"] = "1"')})
    _, findings = audit_folder(tmp_path)
    assert [f.severity for f in findings if f.rule == "GC990"] == [Severity.ERROR]


def test_a_function_nothing_calls_or_mentions_is_dormant(tmp_path):
    code = (
        "def old_eval():\n    danger()\n"            # defined, never referenced: never runs
        "def hook():\n    danger()\n"                # referenced as a callback: may run
        "def main(register):\n    register(hook)\n"
        "if __name__ == '__main__':\n    main(print)\n"
    )
    write_tree(tmp_path, {"train_gpt.py": code})
    _, findings = audit_folder(tmp_path)
    by_line = {f.line: f for f in findings if f.rule == "GC990"}
    assert by_line[2].severity is Severity.NOTE and "never called or referenced" in by_line[2].message
    assert by_line[4].severity is Severity.ERROR


def test_without_an_entry_point_every_function_may_run(tmp_path):
    write_tree(tmp_path, {"train_gpt.py": "def old_eval():\n    danger()\n"})
    _, findings = audit_folder(tmp_path)
    assert [f.severity for f in findings if f.rule == "GC990"] == [Severity.ERROR]
