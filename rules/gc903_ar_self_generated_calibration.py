"""GC903 — recognised legal pattern: GPTQ calibration on tokens the model generates itself."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._adaptation import calibrations


class SelfGeneratedCalibration(Rule):
    id = "GC903"
    name = "ar-self-generated-calibration"
    severity = Severity.NOTE
    summary = "Recognised legal pattern: calibration statistics collected on tokens sampled from the model itself."
    rationale = (
        "#1019 (merged) samples 64x2048 tokens from the trained model (temperature 0.8, fixed seed) and collects "
        "GPTQ Hessians from them: no validation or training data is touched. Its folder is called "
        "2026-03-25_ValCalib_..., a historical misnomer; this note says why it passes GC204."
    )
    looks_for = (
        "A calibration collector whose token argument comes from a local generator that samples from the model "
        "in a loop (torch.multinomial / argmax)."
    )
    traps = ("The folder or function name saying 'ValCalib' decides nothing; the data flow does.",)
    rulings = (
        Ruling("PR #1019 (merged): AR self-generated GPTQ calibration", "https://github.com/openai/parameter-golf/pull/1019"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for cal in calibrations(facts):
                if cal.source == "self-generated":
                    yield ctx.finding(self, facts, cal.call.node, (
                        f"LEGAL self-generated calibration: `{cal.call.func or cal.call.name}` is fed `{cal.arg}`, "
                        f"tokens sampled from the model itself, not validation data (PR #1019 pattern)"))

    VALID = (
        Example(
            """
            def collect_hessians(model, loader):
                return {}

            def main(model, train_loader):
                return collect_hessians(model, train_loader)
            """,
            trap="calibration on training data: legal, but not this pattern",
        ),
    )
    INVALID = (
        Example(
            """
            import torch

            def generate_autoregressive_calib(model, n, seq_len, vocab, temperature=0.8):
                tokens = torch.randint(0, vocab, (n, 1))
                for _ in range(seq_len - 1):
                    probs = torch.softmax(model.forward_logits(tokens)[:, -1] / temperature, -1)
                    tokens = torch.cat([tokens, torch.multinomial(probs, 1)], 1)
                return tokens

            def collect_hessians_from_tokens(model, token_seqs):
                return {}

            def main(model, args):
                ar_tokens = generate_autoregressive_calib(model, 64, 2048, args.vocab_size)
                return collect_hessians_from_tokens(model, ar_tokens)
            """,
            trap="the #1019 shape, in a folder named ValCalib",
            lines=(15,),
        ),
    )
