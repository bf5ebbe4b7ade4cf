"""GC110 — previous-token mixing (SmearGate) that does not stop at document boundaries."""

import re

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._eval_time import env_guard_off, isolates_documents, smear_sites

RULING_DATE = "2026-04-26"  # cocohearts' audit on PR #1797


def record_date(ctx) -> str | None:
    """The record's date (submission.json ``date``, else the folder's ``YYYY-MM-DD_`` prefix)."""
    sub = ctx.submission
    if sub is None:
        return None
    data = sub.submission_json or {}
    m = re.match(r"\d{4}-\d{2}-\d{2}", str(data.get("date", "")))
    if m:
        return m.group(0)
    m = re.match(r"\d{4}-\d{2}-\d{2}", sub.root.name)
    return m.group(0) if m else None


class SmearBosLeak(Rule):
    id = "GC110"
    name = "smear-bos-leak"
    severity = Severity.ERROR
    ruling_date = "2026-04-26"
    summary = "SmearGate-style previous-token mixing without a BOS mask, where documents are otherwise kept apart."
    rationale = (
        "When attention is document-isolated (varlen cu_seqlens) and documents are scored independently or "
        "reordered (phased/LoRA TTT queues), x[:, 1:] + g * x[:, :-1] carries the previous document's last "
        "token into the next document's BOS position. The organisers required a BOS mask on PR #1797 "
        "(cocohearts, ~2026-04-26); the measured bias was +0.00255 BPB."
    )
    looks_for = (
        "torch.cat([x[:, :1], x[:, 1:] + g * x[:, :-1]], dim=1) (or a zero-padded shift) in a function that "
        "never compares the input ids with BOS, in a file whose attention uses cu_seqlens / varlen kernels. "
        "Every forward path is checked separately (_forward_hidden, forward_ttt, ...)."
    )
    traps = (
        "A path guarded by smear_gate_enabled that the run configuration disables is dormant (engine).",
        "The fixed form multiplies by (input_ids[:, 1:] != BOS_ID) or masked_fills the gate where the id is "
        "BOS: recognised as legal (GC906).",
        "With attention running across the whole packed stream (no cu_seqlens / varlen), the previous "
        "document is already in the prefix, so the mixing adds nothing: reported as a note only.",
        "BigramHash mixes hashed id pairs, not hidden states: GC906, not this rule.",
        "Attention with varlen cu_seqlens does not leak by itself; only the smear does.",
    )
    rulings = (
        Ruling("PR #1797 audit (cocohearts, comment 4322526174)", "https://github.com/openai/parameter-golf/pull/1797",
               "SmearGate must not smear across document boundaries; BOS mask required"),
        Ruling("Issue #1988 (dispute)", "https://github.com/openai/parameter-golf/issues/1988"),
    )

    def check(self, ctx):
        date = record_date(ctx)
        for facts in ctx.facts:
            sites = [s for s in smear_sites(facts) if not s.masked]
            if not sites:
                continue
            isolation = isolates_documents(facts)
            for site in sites:
                where = f"`{site.function.name}`"
                if isolation is None:
                    yield ctx.finding(self, facts, site.node, (
                        f"previous-token mixing in {where} has no BOS mask, but attention here runs across "
                        f"document boundaries (no cu_seqlens/varlen), so it adds no cross-document information"),
                        severity=Severity.NOTE)
                    continue
                before = date is not None and date < RULING_DATE
                message = (
                    f"previous-token mixing in {where} is not masked at BOS while attention isolates documents "
                    f"(`{isolation}`): document N's last token reaches document N+1's BOS position; multiply the "
                    f"mixed term by (input_ids[:, 1:] != BOS_ID) on every forward path (PR #1797)")
                if before:
                    message += (f"; this record predates the {RULING_DATE} ruling, and the unmasked #1667 "
                                f"record is still on the leaderboard (merged precedent)")
                severity = Severity.WARNING if (before and ctx.options.history) else None
                off = env_guard_off(facts, site.call, ctx.config)
                if off:
                    message, severity = f"dormant: {off}; {message}", Severity.NOTE
                yield ctx.finding(self, facts, site.node, message, severity=severity)

    VALID = (
        Example(
            """
            import torch

            BOS_ID = 1

            def forward_hidden(self, input_ids, cu_seqlens):
                x = self.tok_emb(input_ids)
                g = torch.sigmoid(self.smear_gate(x[:, 1:]))
                not_bos = (input_ids[:, 1:] != BOS_ID).to(x.dtype).unsqueeze(-1)
                x = torch.cat([x[:, :1], x[:, 1:] + g * x[:, :-1] * not_bos], dim=1)
                return self.blocks(x, cu_seqlens=cu_seqlens)
            """,
            trap="BOS-masked smear (the #1797 fix)",
        ),
        Example(
            """
            import torch

            def forward_ttt(self, input_ids, cu_seqlens):
                x = self.tok_emb(input_ids)
                g = torch.sigmoid(self.smear_gate(x[:, 1:]))
                g = g.masked_fill((input_ids[:, 1:] == 1).unsqueeze(-1), 0.0)
                x = torch.cat([x[:, :1], x[:, 1:] + g * x[:, :-1]], dim=1)
                return self.blocks(x, cu_seqlens=cu_seqlens)
            """,
            trap="masked_fill of the gate where the current id is BOS",
        ),
        Example(
            """
            import torch

            def bigram_hash(tokens, mod):
                t = tokens.to(torch.int32)
                return torch.cat([torch.full_like(t[:, :1], mod), (t[:, 1:] * 36313 ^ t[:, :-1] * 27191) % mod], dim=1)
            """,
            trap="BigramHash hashes id pairs (GC906), it does not mix hidden states",
        ),
    )
    INVALID = (
        Example(
            """
            import torch

            def _forward_hidden(self, input_ids, cu_seqlens):
                x = self.tok_emb(input_ids)
                g = torch.sigmoid(self.smear_gate(x[:, 1:]))
                x = torch.cat([x[:, :1], x[:, 1:] + g * x[:, :-1]], dim=1)
                return self.blocks(x, cu_seqlens=cu_seqlens)

            def forward_ttt(self, input_ids, cu_seqlens, lora):
                x = self.tok_emb(input_ids)
                g = torch.sigmoid(self.smear_gate(x[:, 1:]))
                x = torch.cat([x[:, :1], x[:, 1:] + g * x[:, :-1]], dim=1)
                return self.blocks(x, cu_seqlens=cu_seqlens, lora=lora)
            """,
            trap="unmasked on both forward paths with varlen attention (#1797 before the fix)",
            lines=(6, 12),
        ),
        Example(
            """
            import torch

            class SmearGate(torch.nn.Module):
                def forward(self, x):
                    g = torch.sigmoid(self.gate)
                    prev = torch.nn.functional.pad(x[:, :-1], (0, 0, 1, 0))
                    return (1 - g) * x + g * prev

            def attend(q, k, v):
                return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            """,
            trap="unmasked zero-padded smear with attention over the whole stream: note, not an error",
            severity=Severity.NOTE,
            lines=(6,),
        ),
        Example(
            """
            import os
            import torch

            class Hyperparameters:
                smear_gate_enabled = bool(int(os.environ.get("SMEAR_GATE_ENABLED", "0")))

            def forward(self, input_ids, cu_seqlens):
                x = self.tok_emb(input_ids)
                if self.smear_gate_enabled:
                    g = torch.sigmoid(self.smear_gate(x[:, 1:]))
                    x = torch.cat([x[:, :1], x[:, 1:] + g * x[:, :-1]], dim=1)
                return self.blocks(x, cu_seqlens=cu_seqlens)
            """,
            files={"train_seed0.log": "smear_gate_enabled: False\nstep:1/10 train_loss:4.0\nval_bpb:1.10\n"},
            trap="unmasked but disabled (logs echo False): the engine reports it as a dormant note",
            severity=Severity.NOTE,
            lines=(11,),
        ),
        Example(
            """
            import os
            import torch

            def forward_logits(self, input_ids, cu_seqlens):
                x = self.tok_emb(input_ids)
                g = torch.sigmoid(self.smear_gate(x[:, 1:]))
                if os.environ.get("SMEAR_GATE_BOS_FIX", "0") == "1":
                    not_bos = (input_ids[:, 1:] != 1).to(x.dtype).unsqueeze(-1)
                    x = torch.cat([x[:, :1], x[:, 1:] + g * x[:, :-1] * not_bos], dim=1)
                else:
                    x = torch.cat([x[:, :1], x[:, 1:] + g * x[:, :-1]], dim=1)
                return self.blocks(x, cu_seqlens=cu_seqlens)
            """,
            files={"README.md": "```\nSMEAR_GATE_BOS_FIX=0 SMEAR_GATE_ENABLED=1 torchrun train_gpt.py\n```\n"},
            trap="the BOS fix exists behind an inline env flag that the run command leaves off (#2135 README)",
            lines=(11,),
        ),
    )
