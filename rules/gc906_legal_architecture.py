"""GC906 — recognised legal architecture that mixes input ids from positions ≤ t (note)."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._eval_time import legal_components


class LegalArchitecture(Rule):
    id = "GC906"
    name = "legal-architecture"
    severity = Severity.NOTE
    summary = "Recognised legal architecture: BigramHash, TrigramHash, BOS-masked SmearGate, XSA, VE, U-Net skips, value residuals."
    rationale = (
        "These components mix information from input positions ≤ t only, so they keep C1. Printing them lets a "
        "reviewer see why a look-alike of the n-gram or smear bugs passed (BigramHash hashes the previous and "
        "current *input* ids, never the target)."
    )
    looks_for = (
        "Class, function and assigned names of the components (BigramHash, TrigramHash, xsa_*, value "
        "embeddings, skip_weights/skip_gates, value residuals) and SmearGate sites that mask the BOS position. "
        "One note per component per file, at its first occurrence."
    )
    traps = (
        "An unmasked SmearGate is GC110, not this note.",
        "A hash whose key includes the target token is GC101, whatever it is called.",
    )
    rulings = (
        Ruling("RULES.md GC906 (merged records #265, #1019, #1667 fix)", "https://github.com/openai/parameter-golf/pull/1797",
               "architecture over input positions ≤ t is legal"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for label, line, name in legal_components(facts):
                yield ctx.finding(self, facts, line, (
                    f"recognised legal architecture: {label} (`{name}`) mixes input ids or hidden states from "
                    f"positions ≤ t only"))

    VALID = (
        Example(
            """
            import torch

            class MLP(torch.nn.Module):
                def forward(self, x):
                    return self.proj(torch.relu(self.fc(x)).square())
            """,
            trap="a plain block has nothing to recognise",
        ),
    )
    INVALID = (
        Example(
            """
            import torch

            class BigramHashEmbedding(torch.nn.Module):
                def forward(self, ids):
                    prev = torch.cat([torch.zeros_like(ids[:, :1]), ids[:, :-1]], dim=1)
                    return self.embed((prev * 36313 ^ ids * 27191) % self.buckets)

            class GPT(torch.nn.Module):
                def __init__(self, n):
                    self.skip_weights = torch.nn.Parameter(torch.ones(n))
                    self.xsa_last_n = 4
            """,
            trap="BigramHash, U-Net skips and XSA each get one note",
            lines=(4, 10, 11),
        ),
        Example(
            """
            import torch

            def forward_hidden(self, input_ids, cu_seqlens):
                x = self.tok_emb(input_ids)
                g = torch.sigmoid(self.smear_gate(x[:, 1:]))
                not_bos = (input_ids[:, 1:] != 1).to(x.dtype).unsqueeze(-1)
                x = torch.cat([x[:, :1], x[:, 1:] + g * x[:, :-1] * not_bos], dim=1)
                return self.blocks(x, cu_seqlens=cu_seqlens)
            """,
            trap="SmearGate with the BOS mask (#1797 fix) is recognised as legal",
            lines=(7,),
        ),
    )
