"""The shared eval-time dataflow (rules/_ngram.py) and real-world-shaped fixtures for GC101-GC107."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from golfcheck.api import Unit, audit_unit
from golfcheck.engine import Options, build_context
from golfcheck.findings import Severity
from golfcheck.rules import _ngram

FIXTURES = Path(__file__).parent / "fixtures"


def facts_of(tmp_path, code: str):
    (tmp_path / "train_gpt.py").write_text(textwrap.dedent(code).lstrip("\n"), encoding="utf-8")
    ctx = build_context(tmp_path, ["train_gpt.py"])
    return ctx.facts[0]


def test_current_position_read_is_the_target(tmp_path):
    facts = facts_of(tmp_path, """
        def keys(val_np, pos, mask, P):
            h = (val_np[pos - 2] * P) ^ (val_np[pos - 1] * P)
            ctx_key = h & mask
            full_key = (h ^ (val_np[pos] * P)) & mask
            return ctx_key, full_key
        """)
    fn = facts.functions["keys"]
    assert "full_key" in _ngram.target_derived(facts, fn)
    assert "ctx_key" not in _ngram.target_derived(facts, fn)
    assert _ngram.target_keys(facts, fn) >= {"full_key"}
    assert "ctx_key" not in _ngram.target_keys(facts, fn)


def test_keys_flow_out_of_helpers_element_wise(tmp_path):
    facts = facts_of(tmp_path, """
        def keys(tokens, pos, y, mask, P):
            h = tokens[pos - 1] * P
            return h & mask, (h ^ (y * P)) & mask
        def score(tokens, pos, y, ctx_tab, full_tab, mask, P):
            loss_sum = 0.0
            ck, fk = keys(tokens, pos, y, mask, P)
            loss_sum += -(full_tab[fk] / ctx_tab[ck]).log().sum()
            return loss_sum
        """)
    fn = facts.functions["score"]
    keys = _ngram.target_keys(facts, fn)
    assert "fk" in keys and "ck" not in keys
    assert [r.base for r in _ngram.target_keyed_reads(facts, fn)] == ["full_tab"]


def test_masks_combined_with_and_are_not_hash_keys(tmp_path):
    facts = facts_of(tmp_path, """
        def score(positions, targets, matched, order, table):
            loss_sum = 0.0
            eligible = (~matched) & (positions >= order)
            loss_sum += -table[targets[eligible]].log().sum()
            return loss_sum
        """)
    fn = facts.functions["score"]
    assert not _ngram.target_keyed_reads(facts, fn)


def test_positional_names_are_not_targets(tmp_path):
    facts = facts_of(tmp_path, """
        def score(target_start, target_end, tgt_np):
            span = target_end - target_start
            return span, tgt_np
        """)
    derived = _ngram.target_derived(facts, facts.functions["score"])
    assert "span" not in derived and "tgt_np" in derived


def test_loss_reached_through_a_caller(tmp_path):
    facts = facts_of(tmp_path, """
        import numpy as np
        def mix(p_model, p_ngram):
            mixed = 0.5 * p_model + 0.5 * p_ngram
            return -np.log(mixed)
        def eval_val(p_model, p_ngram):
            loss_sum = 0.0
            nll = mix(p_model, p_ngram)
            loss_sum += nll.sum()
            return loss_sum
        """)
    fn = facts.functions["mix"]
    sink = _ngram.reaches_loss(facts, fn, {"mixed"})
    assert sink is not None and sink.line == 8


def test_moving_averages_are_not_per_token_losses(tmp_path):
    facts = facts_of(tmp_path, """
        import math
        def mix(lps, a):
            ema = 0.0
            for lp in lps:
                cur = math.log(lp)
                ema = a * ema + (1 - a) * cur
            return ema
        """)
    lossy = _ngram.per_token_losses(facts, facts.functions["mix"])
    assert "cur" in lossy and "ema" not in lossy


def _audit(folder: Path, rule: str):
    code = tuple(sorted(str(p.relative_to(folder)) for p in folder.rglob("*.py")))
    findings, _ = audit_unit(Unit(folder, code, True, ""), Options(select=(rule,)))
    return [f for f in findings if f.rule == rule]


def _expected_lines(folder: Path, rule: str) -> set[int]:
    text = (folder / "train_gpt.py").read_text(encoding="utf-8").splitlines()
    return {i for i, line in enumerate(text, 1) if f"# expect: {rule}" in line}


@pytest.mark.parametrize("rule,severity", [("GC104", Severity.NOTE), ("GC107", Severity.ERROR)])
def test_fixture_findings_match_annotations(rule, severity):
    folder = FIXTURES / rule
    found = _audit(folder, rule)
    assert {f.line for f in found} == _expected_lines(folder, rule)
    assert all(f.severity == severity for f in found), [(f.severity, f.message) for f in found]


def test_rows_of_appended_tuples_unpack_element_wise(tmp_path):
    facts = facts_of(tmp_path, """
        def score(val_np, jv, y, ctx_tab, full_tab, mask, P):
            loss_sum = 0.0
            rows = []
            for k in range(3):
                h = val_np[jv - 1] * P[k]
                ctx_key = h & mask
                full_key = (h ^ (y * P[k])) & mask
                rows.append((ctx_key, full_key))
            for k in range(3):
                ck, fk = rows[k]
                loss_sum += -(full_tab[fk] / ctx_tab[ck]).log().sum()
            return loss_sum
        """)
    fn = facts.functions["score"]
    assert [r.base for r in _ngram.target_keyed_reads(facts, fn)] == ["full_tab"]
