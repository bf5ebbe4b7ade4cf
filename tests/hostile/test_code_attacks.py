"""Hostile code: deep expressions, valid-code bombs, amplification, NFKC names, odd encodings.

Every input is generated (attacks.py). Each test would fail on the code before the hostile-input work:
a signal death, an exhausted machine, or an illegal payload reported CLEAN/HOLD.
"""

from __future__ import annotations

import json
import os
import signal

import pytest

import attacks as A
import golfcheck.api as api
import golfcheck.source as source
from hostile_helpers import golfcheck_cli
from golfcheck.api import audit_paths
from golfcheck.engine import Options
from golfcheck.findings import Severity


def _by_rule(report, rule):
    return [f for f in report.findings if f.rule == rule]


def _cli_json(args, cwd):
    proc = golfcheck_cli([*args, "--format", "json"], cwd)
    assert proc.returncode in (0, 1), (proc.returncode, proc.stderr[-500:])  # never a signal, never exit 2
    return json.loads(proc.stdout)


# ------------------------------------------------------------------ deep expressions (were: exit 139)
@pytest.mark.parametrize("code", [A.deep_or(8000), A.deep_or(8000).replace(" or ", " and "), A.deep_import(8000)],
                         ids=["or-chain", "and-chain", "dotted-import"])
def test_deep_expression_is_a_finding_not_a_segfault(tmp_path, code):
    (tmp_path / "deep.py").write_text(code)
    out = _cli_json(["audit", "deep.py"], tmp_path)
    (gc002,) = [f for f in out["findings"] if f["rule"] == "GC002"]
    assert "8001 levels deep" in gc002["message"] or "8000 levels deep" in gc002["message"]
    assert out["verdict"] == "HOLD"


def test_chains_count_as_libcst_nests_them():
    import ast

    assert source._tree_shape(ast.parse(A.deep_or(500)))[1] >= 499
    assert source._tree_shape(ast.parse("x = [a for a in b for b in c for c in d]\n"))[1] >= 4
    honest = source._tree_shape(ast.parse("if a or b or c:\n    import os.path\n"))[1]
    assert honest < 10


def test_a_native_crash_in_one_unit_is_gc002_and_the_batch_goes_on(tmp_path, monkeypatch):
    """Lift the depth guard: libcst really segfaults, in the forked worker only."""
    monkeypatch.setattr(source, "MAX_NESTING", 10**9)
    (tmp_path / "a_deep.py").write_text(A.deep_or(20000))
    (tmp_path / "b_illegal.py").write_text(A.ILLEGAL)
    for jobs in (1, 2):
        report = audit_paths([tmp_path], jobs=jobs)
        (crash,) = [f for f in report.findings if f.path.endswith("a_deep.py")]
        assert crash.rule == "GC002" and "crashed with SIGSEGV" in crash.message
        assert any(f.rule == "GC101" and f.severity is Severity.ERROR and f.path.endswith("b_illegal.py")
                   for f in report.findings)


def test_memory_cap_breach_is_gc002_for_that_unit(tmp_path):
    (tmp_path / "a_big.py").write_text(A.valid_code(300_000))  # ~70,000 nodes: a few hundred MB to analyse
    (tmp_path / "b_illegal.py").write_text(A.ILLEGAL)
    report = audit_paths([tmp_path], Options(memory=60), jobs=1)
    (big,) = [f for f in report.findings if f.path.endswith("a_big.py")]
    assert big.rule == "GC002" and "60 MiB" in big.message
    assert "memory" in big.message
    assert [f.rule for f in report.findings if f.path.endswith("b_illegal.py") and f.severity is Severity.ERROR] == ["GC101"]


def test_a_hang_in_native_code_is_killed_at_the_hard_deadline(tmp_path, monkeypatch):
    """A handler for the unit's alarm cannot run inside native code: the parent kills the child."""
    (tmp_path / "stuck.py").write_text("x = 1\n")
    real = api._worker

    def stuck(args):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # as if inside a native parser
        os.read(os.pipe()[0], 1)  # blocks forever
        return real(args)

    monkeypatch.setattr(api, "_worker", stuck)
    monkeypatch.setattr(api, "HARD_DEADLINE_GRACE_S", 0.5)
    report = audit_paths([tmp_path / "stuck.py"], Options(timeout=0.5))
    (f,) = report.findings
    assert f.rule == "GC002" and "stopped after 1 s" in f.message


# ------------------------------------------------------------------ size limits (were: minutes and GBs)
def test_a_file_over_the_source_limit_is_not_parsed(tmp_path):
    assert source.MAX_SOURCE_CHARS <= 2_000_000  # no legal submission is near it (largest: 158 KB)
    (tmp_path / "huge.py").write_text("#" * (source.MAX_SOURCE_CHARS + 10) + "\n")
    report = audit_paths([tmp_path / "huge.py"])
    (f,) = _by_rule(report, "GC002")
    assert f"{source.MAX_SOURCE_CHARS:,}" in f.message and "too large" in f.message


def test_a_wrapper_payload_over_the_limit_is_gc002_with_its_size(tmp_path):
    payload = A.valid_code(2_100_000)  # was parsed: ~100 s and 3.5 GB
    (tmp_path / "train_gpt.py").write_text(A.wrapper(payload))
    report = audit_paths([tmp_path / "train_gpt.py"])
    (f,) = _by_rule(report, "GC002")
    assert f.in_payload and "decoded payload is too large" in f.message and f"{len(payload):,}" in f.message


def test_a_source_with_too_many_syntax_nodes_is_not_parsed(tmp_path):
    (tmp_path / "dense.py").write_text(A.semicolons(4 * (source.MAX_NODES // 2 + 1000)))
    report = audit_paths([tmp_path / "dense.py"])
    (f,) = _by_rule(report, "GC002")
    assert "syntax nodes" in f.message and f"{source.MAX_NODES:,}" in f.message


def test_the_sources_of_one_unit_share_a_node_budget(tmp_path, monkeypatch):
    import ast

    train = "import helper\n" + A.valid_code(300)
    monkeypatch.setattr(source, "MAX_UNIT_NODES", source._tree_shape(ast.parse(train))[0] + 10)
    (tmp_path / "train_gpt.py").write_text(train)
    (tmp_path / "helper.py").write_text(A.valid_code(300))
    (tmp_path / "README.md").write_text("# x\n")
    report = audit_paths([tmp_path])
    (f,) = _by_rule(report, "GC002")  # whichever of the two is analysed second
    assert "one unit may have" in f.message and f.path.endswith(("helper.py", "train_gpt.py"))


@pytest.mark.parametrize("kind", ["multiply", "concat", "replace"])
def test_string_amplification_in_a_wrapper_is_refused_before_it_is_built(tmp_path, kind):
    (tmp_path / "train_gpt.py").write_text(A.amplification(kind))
    report = audit_paths([tmp_path / "train_gpt.py"])
    (f,) = _by_rule(report, "GC002")
    assert "cannot be decoded statically" in f.message


def test_module_constants_are_evaluated_once():
    """``x1 = x0 + x0`` chains: linear with the memo (each step a doubling the cap then stops)."""
    code = "\n".join(['x0 = "A"'] + [f"x{i} = x{i - 1} + x{i - 1}" for i in range(1, 23)]) + "\n"
    import libcst as cst

    from golfcheck.facts import Facts

    src = source.Source("t.py", code)
    facts = Facts.build(src, cst.parse_module(code))
    ev = source.StaticEvaluator({}, dict(facts.consts), "t.py")
    calls = []
    real = ev._eval
    ev._eval = lambda node: calls.append(1) or real(node)
    assert len(ev.eval(cst.parse_expression("x22"))) == 2**22
    assert len(calls) < 200


# ------------------------------------------------------------------ names as Python sees them
@pytest.mark.parametrize("exec_name", [A.FULL_WIDTH_EXEC, "\U0001d41e\U0001d431\U0001d41e\U0001d41c"],
                         ids=["full-width", "math-bold"])
def test_an_nfkc_spelling_of_exec_does_not_hide_the_wrapper(tmp_path, exec_name):
    (tmp_path / "train_gpt.py").write_text(A.wrapper(A.ILLEGAL, exec_name), encoding="utf-8")
    report = audit_paths([tmp_path / "train_gpt.py"])
    assert report.verdict.value == "ILLEGAL"
    assert any(f.rule == "GC101" and f.in_payload and f.line == A.ILLEGAL_LINE for f in report.findings)


def test_nfkc_names_inside_the_payload_are_normalised_too(tmp_path):
    fw = lambda s: "".join(chr(0xFF00 + ord(c) - 0x20) for c in s)  # noqa: E731
    code = A.ILLEGAL.replace("loss_sum", fw("loss_sum")).replace("np.log", f"{fw('np')}.log")
    code = code.replace("import numpy as np", f"import numpy as {fw('np')}")
    (tmp_path / "train_gpt.py").write_text(code, encoding="utf-8")
    report = audit_paths([tmp_path / "train_gpt.py"])
    assert any(f.rule == "GC101" and f.severity is Severity.ERROR for f in report.findings)


def test_identifier_normalisation_keeps_strings_comments_and_keywords():
    text = 'ｘ = "ｅｘｅｃ"  # ｅｘｅｃ\nｉｆ = 1\nname = "café"\n'
    out = source.normalise_identifiers(text)
    assert out.splitlines()[0] == 'x = "ｅｘｅｃ"  # ｅｘｅｃ'
    assert out.splitlines()[1] == "ｉｆ = 1"  # would become the keyword: Python keeps it a name
    assert source.normalise_identifiers("plain = 1\n") == "plain = 1\n"


# ------------------------------------------------------------------ values the evaluator cannot handle
def test_a_huge_integer_default_does_not_drop_the_files_findings(tmp_path):
    code = A.ILLEGAL + f'import os\nBIG = int(os.environ.get("BIG", 0x{"f" * 5000}))\n'
    code += f'LR = float(os.environ.get("LR", "{"9" * 5000}"))\n'
    (tmp_path / "train_gpt.py").write_text(code)
    (tmp_path / "README.md").write_text("BIG=1 torchrun train_gpt.py\n")
    report = audit_paths([tmp_path])
    assert report.verdict.value == "ILLEGAL"
    assert not _by_rule(report, "GC002")


def test_an_exotic_decode_argument_makes_only_that_exec_opaque(tmp_path):
    code = A.ILLEGAL + 'exec(b"x = 1".decode("zlib_codec"))\n'
    (tmp_path / "train_gpt.py").write_text(code)
    report = audit_paths([tmp_path / "train_gpt.py"])
    assert report.verdict.value == "ILLEGAL" and len(_by_rule(report, "GC002")) == 1


# ------------------------------------------------------------------ encodings and bytes Python refuses
def test_a_pep263_latin1_file_runs_and_is_audited(tmp_path):
    code = ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + A.ILLEGAL).encode("latin-1")
    (tmp_path / "train_gpt.py").write_bytes(code)
    report = audit_paths([tmp_path / "train_gpt.py"])
    assert not _by_rule(report, "GC001")
    assert any(f.rule == "GC101" and f.line == A.ILLEGAL_LINE + 2 for f in report.findings)


def test_an_unknown_coding_declaration_is_gc001(tmp_path):
    (tmp_path / "train_gpt.py").write_bytes(b"# coding: no-such-codec\nx = 1\n")
    (f,) = _by_rule(audit_paths([tmp_path / "train_gpt.py"]), "GC001")
    assert "encoding" in f.message


def test_a_nul_byte_after_the_first_8_kb_is_gc001(tmp_path):
    (tmp_path / "train_gpt.py").write_bytes(A.ILLEGAL.encode() + b"#" * 9000 + b"\nx = 1\x00\n")
    (f,) = _by_rule(audit_paths([tmp_path / "train_gpt.py"]), "GC001")
    assert "NUL byte" in f.message and f.line == A.ILLEGAL.count("\n") + 2


# ------------------------------------------------------------------ special files
def test_a_fifo_in_the_folder_is_skipped_not_waited_on(write):
    root = write(A.folder(A.ILLEGAL))
    os.mkfifo(root / "helper.py")
    os.mkfifo(root / "train_seed2.log")
    proc = golfcheck_cli(["check", str(root), "--format", "json"], root.parent, timeout=60)
    assert proc.returncode == 1, proc.stderr[-500:]
    out = json.loads(proc.stdout)
    assert any(f["rule"] == "GC101" for f in out["findings"])
    odd = sorted(f["path"].rsplit("/", 1)[-1] for f in out["findings"] if "not a regular file" in f["message"])
    assert odd == ["helper.py", "train_seed2.log"]  # reported (GC508), never opened


def test_a_fifo_given_as_the_path_is_a_usage_error(tmp_path):
    os.mkfifo(tmp_path / "x.py")
    proc = golfcheck_cli(["audit", "x.py"], tmp_path, timeout=60)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr
