"""Real-world-shaped fixtures and helper tests for the data-access, byte-accounting and budget rules
(GC301-GC305, GC401-GC405, GC502-GC506). Fixtures are written for these tests; no submission code is copied."""

from __future__ import annotations

import shutil
from pathlib import Path

import libcst as cst
import pytest

from golfcheck.api import Unit, audit_unit
from golfcheck.engine import Options
from golfcheck.findings import Severity
from golfcheck.facts import Facts
from golfcheck.source import Normaliser
from golfcheck.rules._data_bytes import data_taint, literal, lut_builders, reserved_seconds

FIXTURES = Path(__file__).parent / "fixtures"


def audit(folder: Path, rule: str, tmp_path: Path):
    dest = tmp_path / folder.name
    shutil.copytree(folder, dest)
    code = tuple(sorted(str(p.relative_to(dest)) for p in dest.rglob("*.py")))
    findings, _ = audit_unit(Unit(dest, code, True, ""), Options(select=(rule,)))
    return [f for f in findings if f.rule == rule]


def facts_of(tmp_path: Path, code: str):
    (tmp_path / "train_gpt.py").write_text(code, encoding="utf-8")
    norm = Normaliser(tmp_path, analyse=Facts.build)
    norm.run(["train_gpt.py"])
    return norm.facts[-1]


def test_gc303_minified_reserve_is_legal(tmp_path):
    """The #1413 pattern, minified with tabs and semicolons: Hessians from train data inside the reserve."""
    assert audit(FIXTURES / "GC303" / "reserved", "GC303", tmp_path) == []


def test_unreserved_gptq_is_one_finding_for_one_cause(tmp_path):
    """GPTQ on training data after the loop with no reserve: GC303 reports it, GC504 does not repeat it."""
    found = audit(FIXTURES / "GC303" / "unreserved", "GC303", tmp_path)
    assert [f.severity for f in found] == [Severity.ERROR]
    assert "no wallclock is reserved" in found[0].message
    found = audit(FIXTURES / "GC303" / "unreserved", "GC504", tmp_path / "b")
    assert not any("reserve" in f.message for f in found)


def test_gc305_canonical_logs_make_a_note(tmp_path):
    found = audit(FIXTURES / "GC305" / "canonical_logs", "GC305", tmp_path)
    assert found and all(f.severity is Severity.NOTE for f in found)
    assert "47851520" in found[0].message


def test_gc305_without_logs_is_an_error(tmp_path):
    src = FIXTURES / "GC305" / "canonical_logs"
    dest = tmp_path / "nologs"
    shutil.copytree(src, dest)
    (dest / "train_seed42.log").unlink()
    found = audit(dest, "GC305", tmp_path / "x")
    assert found and found[0].severity is Severity.ERROR and found[0].line == 6


def test_gc503_names_the_raw_lzma2_chain(tmp_path):
    found = audit(FIXTURES / "GC503" / "raw_lzma2", "GC503", tmp_path)
    assert len(found) == 1 and found[0].severity is Severity.NOTE
    assert "b85decode>lzma-raw" in found[0].message and found[0].line == 2


@pytest.mark.parametrize("text,value", [("10_000", 10000), ("-1", -1), ("6e2", 600.0), ("'x'", "x"), ("int('5')", 5), ("a", None)])
def test_literal(text, value):
    assert literal(cst.parse_expression(text)) == value


def test_data_taint_ignores_metric_scalars_and_unrelated_returns(tmp_path):
    facts = facts_of(tmp_path, (
        "import torch\n"
        "def train_model(h, val_data):\n"
        "    model = object()\n"
        "    return model\n"
        "def main(h, val_tokens, eval_val):\n"
        "    model = train_model(h, val_tokens)\n"
        "    val_bpb = eval_val(model, val_tokens)\n"
        "    cache = val_tokens[:100]\n"
        "    torch.save({'m': model, 'bpb': val_bpb}, 'a.pt')\n"
    ))
    taint = data_taint(facts, facts.by_name("main")[0])
    assert "cache" in taint and "val_tokens" in taint
    assert "model" not in taint and "val_bpb" not in taint


def test_lut_builders_and_reserve(tmp_path):
    facts = facts_of(tmp_path, (FIXTURES / "GC303" / "reserved" / "train_gpt.py").read_text() + (
        "def build_luts(sp, n):\n"
        "    base_bytes = [0] * n\n"
        "    for i in range(n):\n"
        "        base_bytes[i] = 1\n"
        "    return base_bytes\n"
    ))
    assert [f.name for f, _ in lut_builders(facts)] == ["build_luts"]

    class Ctx:  # reserved_seconds asks the run configuration for the reserve's value and the cap
        class config:
            settings = {}

            @staticmethod
            def value(name):
                return 12.0 if name == "gptq_reserve_seconds" else None

    assert reserved_seconds(Ctx, facts) == 12.0


def _table_folder(tmp_path: Path, handed_to_eval: bool) -> Path:
    folder = tmp_path / ("eval" if handed_to_eval else "train")
    folder.mkdir()
    use = "eval_val(model, val_tokens, table)" if handed_to_eval else "eval_val(model, val_tokens, None)"
    (folder / "train_gpt.py").write_text(
        "import glob\nimport numpy as np\n"
        "def eval_val(model, val_tokens, table):\n"
        "    loss_sum = 0.0\n    loss_sum += model.nll(val_tokens, table).sum()\n    return loss_sum\n"
        "def main(args, model, val_tokens, train_step):\n"
        "    table = np.zeros(1 << 20, dtype=np.int32)\n"
        "    for shard in sorted(glob.glob(args.train_files)):\n"
        "        toks = np.fromfile(shard, dtype=np.uint16)\n"
        "        table.update(toks)\n"
        "    train_step(model, table)\n"
        f"    return {use}\n", encoding="utf-8")
    return folder


def test_gc303_says_used_by_the_evaluation_only_when_it_is(tmp_path):
    """A table built from training shards in main (which also calls the evaluation) but only used by
    training is a warning; handed to the evaluation it is an error that says so."""
    (train,) = audit(_table_folder(tmp_path, False), "GC303", tmp_path / "a")
    assert train.severity is Severity.WARNING and "used by the evaluation" not in train.message
    (ev,) = audit(_table_folder(tmp_path, True), "GC303", tmp_path / "b")
    assert ev.severity is Severity.ERROR and "used by the evaluation" in ev.message
