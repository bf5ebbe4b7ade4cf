"""Folder-level behaviour of the eval-time rules that the per-rule examples cannot show:
record dates (GC110 precedent), run-configuration overrides (GC108) and the SLOT classifier."""

from __future__ import annotations

import json
import textwrap

from golfcheck.api import Unit, audit_unit
from golfcheck.engine import Options
from golfcheck.findings import Severity

SMEAR = textwrap.dedent("""
    import torch

    def forward_ttt(self, input_ids, cu_seqlens):
        x = self.tok_emb(input_ids)
        g = torch.sigmoid(self.smear_gate(x[:, 1:]))
        x = torch.cat([x[:, :1], x[:, 1:] + g * x[:, :-1]], dim=1)
        return self.blocks(x, cu_seqlens=cu_seqlens)
""").lstrip()


def audit(tmp_path, files: dict[str, str], select: str, name: str | None = None, **opts):
    if name:  # --history judges merged records only: give the folder a merged record's name
        tmp_path = tmp_path / name
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    code = tuple(sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.py")))
    findings, _ = audit_unit(Unit(tmp_path, code, True, ""), Options(select=(select,), **opts))
    return [f for f in findings if f.rule == select]


def test_gc110_record_before_ruling_names_the_precedent(tmp_path):
    meta = json.dumps({"date": "2026-04-16T00:00:00Z"})
    found = audit(tmp_path, {"train_gpt.py": SMEAR, "submission.json": meta}, "GC110")
    assert [f.severity for f in found] == [Severity.ERROR]
    assert "#1667" in found[0].message


def test_gc110_history_profile_downgrades_pre_ruling_records(tmp_path):
    meta = json.dumps({"date": "2026-04-16"})
    found = audit(tmp_path, {"train_gpt.py": SMEAR, "submission.json": meta}, "GC110", history=True,
                  name="2026-04-16_SmearGate_AttentionOutputGate_ScoreFirstTTT")
    assert [f.severity for f in found] == [Severity.WARNING]


def test_gc110_history_does_not_apply_to_a_pr_that_was_never_merged(tmp_path):
    meta = json.dumps({"date": "2026-04-16"})
    found = audit(tmp_path, {"train_gpt.py": SMEAR, "submission.json": meta}, "GC110", history=True,
                  name="2026-04-16_NeverMerged")
    assert [f.severity for f in found] == [Severity.ERROR]


def test_gc110_new_record_stays_an_error_under_history(tmp_path):
    meta = json.dumps({"date": "2026-04-28"})
    found = audit(tmp_path, {"train_gpt.py": SMEAR, "submission.json": meta}, "GC110", history=True,
                  name="2026-04-29_SmearGateBOSFix_3Seed_1.06141")
    assert [f.severity for f in found] == [Severity.ERROR]
    assert "#1667" not in found[0].message


EXPERTS = textwrap.dedent("""
    import os

    class Hyperparameters:
        ngram_tilt_enabled = bool(int(os.environ.get("NGRAM_TILT_ENABLED", "1")))
        within_tau = float(os.environ.get("WITHIN_TAU", "99.0"))
        within_boost = float(os.environ.get("WITHIN_BOOST", "0.0"))

    def precompute(h, tokens, build):
        if h.ngram_tilt_enabled:
            return build(tokens, within_tau=h.within_tau, within_boost=h.within_boost)
""").lstrip()


def test_gc108_run_script_turns_an_expert_on(tmp_path):
    run = "WITHIN_TAU=0.45 WITHIN_BOOST=0.75 torchrun --nproc_per_node=8 train_gpt.py\n"
    found = audit(tmp_path, {"train_gpt.py": EXPERTS, "run.sh": run}, "GC108")
    assert [(f.severity, f.line) for f in found] == [(Severity.ERROR, 10)]
    assert "WITHIN_BOOST=0.75" in found[0].message


def test_gc108_tilt_disabled_in_logs_is_dormant(tmp_path):
    run = "WITHIN_TAU=0.45 WITHIN_BOOST=0.75 torchrun --nproc_per_node=8 train_gpt.py\n"
    # a log may switch the path off only in a run that carries its scored result (see runconfig)
    log = ("ngram_tilt_enabled: False\nstep:1/10 train_loss:4.0\nval_bpb:1.1\n"
           "final_int8_zlib_roundtrip_exact val_loss:2.00000000 val_bpb:1.10000000\n")
    found = audit(tmp_path, {"train_gpt.py": EXPERTS, "run.sh": run, "train_seed0.log": log}, "GC108")
    assert [f.severity for f in found] == [Severity.NOTE]


def test_gc108_defaults_off_is_clean(tmp_path):
    assert audit(tmp_path, {"train_gpt.py": EXPERTS}, "GC108") == []


def test_gc108_logs_that_disagree_ask_for_review(tmp_path):
    on = "within_tau: 0.45\nwithin_boost: 0.75\nstep:1/10 train_loss:4.0\nval_bpb:1.1\n"
    off = "within_tau: 999.0\nwithin_boost: 0.0\nstep:1/10 train_loss:4.0\nval_bpb:1.1\n"
    files = {"train_gpt.py": EXPERTS.replace('"99.0"', '"0.45"').replace('"0.0"', '"0.75"'),
             "train_seed42.log": on, "replay/run_tokenonly.log": off}
    found = audit(tmp_path, files, "GC108")
    assert [f.severity for f in found] == [Severity.WARNING]
    assert "the logs disagree" in found[0].message


MINIFIED_SLOT = (
    "import torch\nimport torch.nn.functional as F\n_B=True\n"
    "def eval_val_sliding(args,model,windows,stride,seq_len):\n"
    "\tloss_sum=0.\n"
    "\tfor(ws,x,y)in windows:\n"
    "\t\twlen=x.size(1);H=model.hidden(x).detach();delta=torch.zeros(1,1,H.shape[-1],requires_grad=_B);"
    "opt=torch.optim.AdamW([delta],lr=args.slot_lr);ctx_end=max(seq_len-stride,1)\n"
    "\t\tfor _ in range(args.slot_steps):opt.zero_grad();lg=model.head(H+delta);"
    "slot_loss=F.cross_entropy(lg[:,:ctx_end-1].flatten(0,1),y[:,:ctx_end-1].flatten());slot_loss.backward();opt.step()\n"
    "\t\twith torch.no_grad():nll=F.cross_entropy(model.head(H+delta)[0],y[0],reduction='none')\n"
    "\t\ts=0 if ws==0 else max(wlen-stride,0);scored_nll=nll[s:wlen];loss_sum+=scored_nll.sum()\n"
    "\treturn loss_sum\n"
)


def test_gc106_minified_context_slot_with_constant_true(tmp_path):
    """Minified records spell True as a module constant (``requires_grad=_B``) and chain statements with ``;``."""
    found = audit(tmp_path, {"train_gpt.py": MINIFIED_SLOT}, "GC106")
    assert [(f.severity, f.line) for f in found] == [(Severity.WARNING, 8)]
    assert audit(tmp_path, {"train_gpt.py": MINIFIED_SLOT}, "GC105") == []
