"""GC204 — calibration, quantisation or post-hoc scalars fitted on validation tokens."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._adaptation import calibrations


class ValCalibration(Rule):
    id = "GC204"
    name = "val-calibration"
    severity = Severity.ERROR
    summary = "GPTQ Hessians, AWQ scales or logit/temperature calibration fitted on validation tokens."
    rationale = (
        "Statistics fitted on validation tokens and baked into the scoring model are an update that depends on "
        "x_t (Issue #1017, C3): training on val by another name. dexhunter on PR #1919 (2026-04-29): AWQ scales "
        "from the first val tokens break C3, 'same class as PR #1350 / PR #1351 pre-quant calibration'. "
        "Temperature calibration on val was ruled out on PR #1004. The #1019 authors switched to AR "
        "self-generated calibration for exactly this reason."
    )
    looks_for = (
        "A calibration collector — a call named for Hessians/calibration/AWQ/activation scales/temperature, or a "
        "local function that installs forward hooks — whose argument carries validation token data (the taint of "
        "val_tokens/val_data, not a tokenizer or byte-table field of the validation object)."
    )
    traps = (
        "The folder 2026-03-25_ValCalib_GPTQ_XSA_BigramHash3072 (#1019) uses AR self-generated calibration "
        "(GC903): names decide nothing.",
        "fit_logit_calibration(h, device, model, val_data.sp) passes only the tokenizer: the argument's use "
        "decides, not its owner's name.",
        "Hessians from training shards inside the training budget are legal (GC303 covers timing).",
        "A Hessian dict derived from a reported collector and handed to the quantiser is the same flow, "
        "reported once.",
    )
    rulings = (
        Ruling("dexhunter on PR #1919 (2026-04-29): AWQ scales from val tokens break C3",
               "https://github.com/openai/parameter-golf/pull/1919"),
        Ruling("PR #1004: temperature calibration on val ruled illegal", "https://github.com/openai/parameter-golf/pull/1004"),
        Ruling("README: no training on the validation set before evaluating on it",
               "https://github.com/openai/parameter-golf#faq"),
        Ruling("Issue #1017 Condition 3", "https://github.com/openai/parameter-golf/issues/1017"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for cal in calibrations(facts):
                if cal.source != "val":
                    continue
                yield ctx.finding(self, facts, cal.call.node, (
                    f"calibration on validation data: `{cal.call.func or cal.call.name}` is fed `{cal.arg}`, "
                    f"validation tokens; statistics fitted on val and baked into the scored model depend on x_t "
                    f"(Issue #1017 C3; PR #1919, #1350/#1351). Calibrate on self-generated or training tokens"))

    VALID = (
        Example(
            """
            import torch

            def generate_autoregressive_calib(model, n, seq_len, vocab):
                tokens = torch.randint(0, vocab, (n, 1))
                for _ in range(seq_len - 1):
                    probs = torch.softmax(model.forward_logits(tokens)[:, -1], -1)
                    tokens = torch.cat([tokens, torch.multinomial(probs, 1)], 1)
                return tokens

            def collect_hessians_from_tokens(model, token_seqs):
                return {}

            def main(model, val_tokens, args):
                ar_tokens = generate_autoregressive_calib(model, 64, 2048, args.vocab_size)
                hessians = collect_hessians_from_tokens(model, ar_tokens)
                return hessians, val_tokens.numel()
            """,
            trap="folder named ValCalib but the calibration is AR self-generated (#1019, GC903)",
        ),
        Example(
            """
            def fit_logit_calibration(h, device, model, sp):
                train_tokens = load_train_shard(h.train_files)
                return sp.vocab_size(), train_tokens[:4096]

            def main(h, device, model, val_data):
                calib = fit_logit_calibration(h, device, model, val_data.sp)
                return calib
            """,
            trap="only the tokenizer of the validation object is passed (PR #1924)",
        ),
        Example(
            """
            def collect_hessians(model, loader, n):
                return {}

            def main(model, train_loader, val_tokens):
                n_batches = val_tokens.numel() // 65536
                hessians = collect_hessians(model, train_loader, n_batches)
                return hessians
            """,
            trap="Hessians from the training loader; only a size derived from val is passed",
        ),
        Example(
            """
            import glob
            import os
            import numpy as np
            import torch

            ROOT = os.environ.get("DATA_PATH", "./data/fineweb10B_sp8192")
            HELD = f"{ROOT}/fineweb_train_*.bin"


            def grab(pattern, n):
                files = sorted(glob.glob(pattern))
                return torch.from_numpy(np.fromfile(files[0], dtype=np.uint16)[:n].astype(np.int64))


            def collect_hessians(model, tokens, seq):
                hs = {}
                for name, mod in model.named_modules():
                    if isinstance(mod, torch.nn.Linear):
                        hs[name] = torch.zeros(mod.in_features, mod.in_features)
                hooks = [mod.register_forward_hook(lambda m, i, o: None) for _, mod in model.named_modules()]
                with torch.no_grad():
                    for s in range(0, tokens.numel() - seq, seq):
                        model(tokens[s:s + seq][None])
                for h in hooks:
                    h.remove()
                return hs


            def main(model):
                calib = grab(HELD, 65536)
                hessians = collect_hessians(model, calib, 2048)
                torch.save({"h": hessians, "sd": model.state_dict()}, "final_model.pt")
            """,
            trap='the same renamed loader and pattern-built path, over the training shards',
        ),
    )
    INVALID = (
        Example(
            """
            def collect_hessians(model, tokens, n_samples):
                hessians = {}
                for i in range(n_samples):
                    model(tokens[i * 2048:(i + 1) * 2048][None])
                return hessians

            def main(base_model, val_tokens, quantize):
                gptq_hessians = collect_hessians(base_model, val_tokens, n_samples=128)
                return quantize(base_model, hessians=gptq_hessians)
            """,
            trap="GPTQ Hessians from val_tokens (PR #624 shape)",
            lines=(8,),
        ),
        Example(
            """
            def tail_sequences(val_tokens, seq_len, n):
                return [val_tokens[-(i + 1) * seq_len:] for i in range(n)]

            def activation_stats(model, seqs):
                stats = {}
                for name, mod in model.named_modules():
                    mod.register_forward_hook(lambda m, i, o: stats.setdefault(name, i[0]))
                for s in seqs:
                    model(s)
                return stats

            def export(model, val_tokens, args):
                calib_tokens = tail_sequences(val_tokens, args.seq_len, 16)
                scales = activation_stats(model, calib_tokens)
                return scales
            """,
            trap="AWQ-style activation statistics from the validation tail; the hook collector is found by what it does",
            lines=(14,),
        ),
        Example(
            """
            import glob
            import os
            import numpy as np
            import torch

            ROOT = os.environ.get("DATA_PATH", "./data/fineweb10B_sp8192")
            HELD = f"{ROOT}/fineweb_val_*.bin"


            def grab(pattern, n):
                files = sorted(glob.glob(pattern))
                return torch.from_numpy(np.fromfile(files[0], dtype=np.uint16)[:n].astype(np.int64))


            def collect_hessians(model, tokens, seq):
                hs = {}
                for name, mod in model.named_modules():
                    if isinstance(mod, torch.nn.Linear):
                        hs[name] = torch.zeros(mod.in_features, mod.in_features)
                hooks = [mod.register_forward_hook(lambda m, i, o: None) for _, mod in model.named_modules()]
                with torch.no_grad():
                    for s in range(0, tokens.numel() - seq, seq):
                        model(tokens[s:s + seq][None])
                for h in hooks:
                    h.remove()
                return hs


            def main(model):
                calib = grab(HELD, 65536)
                hessians = collect_hessians(model, calib, 2048)
                torch.save({"h": hessians, "sd": model.state_dict()}, "final_model.pt")
            """,
            trap='calibration tokens from a renamed loader over a path built from the val pattern (flow, not names)', lines=(31,),
        ),
    )
