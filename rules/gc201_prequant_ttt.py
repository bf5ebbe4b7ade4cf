"""GC201 — pre-quant TTT: gradient steps on validation tokens that nothing has scored, baked into the artifact."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._adaptation import Order, adaptations, first_per_loop


class PreQuantTTT(Rule):
    id = "GC201"
    name = "pre-quant-ttt"
    severity = Severity.ERROR
    ruling_date = "2026-03-20"
    summary = "Optimizer steps on validation tokens before they are scored, with the adapted weights then quantised or serialised."
    rationale = (
        "The README allows test-time training only on validation tokens 'you've already evaluated your model "
        "on'. Fine-tuning on val_tokens after training and before GPTQ/serialisation trains on the test set: "
        "every later score has seen its own tokens. Calling it 'Track A, weights baked into the artifact' does "
        "not make it legal; valerio-oai closed #1376 for it and #1902 excluded 'pre-quant/future-validation leakage'."
    )
    looks_for = (
        "An optimizer step after a backward() whose loss reads validation-derived tokens, where no reported-loss "
        "accumulation of those tokens comes before the step — not in the step's loop, and not around any call "
        "site that leads to it — and a quantisation or serialisation call follows the adaptation."
    )
    traps = (
        "Score-first TTT (GC901) also backprops on val tokens, but inside a per-chunk loop after that chunk's "
        "loss_sum += under no_grad/inference_mode: it is a note, not this error.",
        "A training-loss log after the step (epoch_loss_sum += loss) is not scoring: it is neither returned nor "
        "paired with a byte count.",
        "A diagnostic eval_val() inside the epoch loop does not make the adaptation score-first.",
        "Names decide nothing: a function called `ttt_adapt` may be the legal pattern, `train_global` may run on "
        "already-scored documents (GC902).",
        "A compile warmup that steps on val tokens and throws the adapter away is GC203 (warning).",
    )
    rulings = (
        Ruling("README: test-time training only on already-evaluated tokens (fc6332a9c)",
               "https://github.com/openai/parameter-golf#faq",
               "you are only allowed to test-time train on validation set tokens you've already evaluated your model on"),
        Ruling("PR #1376 closed by valerio-oai (2026-04-10), cited as the Pre-Quant TTT ruling",
               "https://github.com/openai/parameter-golf/pull/1376"),
        Ruling("Issue #677 (valerio-oai, 2026-03-27)", "https://github.com/openai/parameter-golf/issues/677",
               "TTT is valid only if each token is scored before the adapter trains on it"),
        Ruling("PR #1902 (cocohearts): leaderboard excludes pre-quant/future-validation leakage",
               "https://github.com/openai/parameter-golf/pull/1902"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for a in first_per_loop(adaptations(facts)):
                if a.order is not Order.UNSCORED or a.warmup or a.serialise_line is None:
                    continue
                yield ctx.finding(self, facts, a.loop_line, (
                    f"pre-quant TTT: `{a.function.name}` takes optimizer steps on validation tokens (step at line "
                    f"{a.step.line}) with no scoring of those tokens before the update{a.describe_chain()}; the "
                    f"adapted weights are then quantised/serialised (line {a.serialise_line}), so every reported "
                    f"score has already been trained on (README; #1376 closed)"))

    VALID = (
        Example(
            """
            import torch

            def eval_val_ttt(model, val_tokens, chunk, epochs, opt):
                loss_sum = torch.zeros((), dtype=torch.float64)
                byte_count = torch.zeros((), dtype=torch.float64)
                n = val_tokens.numel() // chunk
                for ci in range(n):
                    piece = val_tokens[ci * chunk:(ci + 1) * chunk + 1]
                    x, y = piece[:-1], piece[1:]
                    with torch.inference_mode():
                        nll = model.nll(x, y)
                    loss_sum += nll.sum()
                    byte_count += y.numel()
                    if ci == n - 1:
                        continue
                    for _ep in range(epochs):
                        loss = model(x, y)
                        loss.backward()
                        opt.step()
                        opt.zero_grad()
                return loss_sum / byte_count

            def main(model, val_tokens, opt):
                torch.save(model.state_dict(), "final_model.pt")
                print(eval_val_ttt(model, val_tokens, 32768, 3, opt))
            """,
            trap="score-first chunked TTT with ttt_epochs=3 after serialisation (GC901, legal)",
        ),
        Example(
            """
            import torch

            def warm_up_compile(model, opt):
                x = torch.randint(0, 1024, (4, 2048))
                loss = model(x[:, :-1], x[:, 1:])
                loss.backward()
                opt.step()

            def main(model, opt):
                warm_up_compile(model, opt)
                torch.save(model.state_dict(), "final_model.pt")
            """,
            trap="gradient steps on synthetic tokens (torch.randint) touch no validation data",
        ),
    )
    INVALID = (
        Example(
            """
            import torch

            def ttt_adapt(model, val_tokens, epochs, opt, seq_len):
                for epoch in range(epochs):
                    epoch_loss_sum = torch.zeros(())
                    for bs in range(0, val_tokens.numel() - 1, seq_len):
                        local = val_tokens[bs:bs + seq_len + 1]
                        x, y = local[:-1], local[1:]
                        loss = model(x, y)
                        loss.backward()
                        opt.step()
                        opt.zero_grad()
                        epoch_loss_sum += loss.detach()
                    print(epoch, epoch_loss_sum.item())

            def serialize(model):
                torch.save(model.state_dict(), "final_model.pt")

            def main(model, val_tokens, opt):
                ttt_adapt(model, val_tokens, 10, opt, 2048)
                serialize(model)
            """,
            trap="multi-epoch AdamW on val_tokens before serialisation; the training-loss log after the step is not a score (#1423 shape)",
            lines=(4,),
        ),
        Example(
            """
            import torch

            def eval_val(model, val_data):
                loss_sum, byte_count = 0.0, 0.0
                with torch.no_grad():
                    for x, y in val_data.batches():
                        loss_sum += model.nll(x, y).sum()
                        byte_count += y.numel()
                return loss_sum / byte_count

            def pre_quant_adamw_ttt(model, val_data, epochs, chunks, opt):
                for epoch in range(epochs):
                    for ci in range(chunks):
                        local = val_data.val_tokens[ci * 4096:(ci + 1) * 4096 + 1]
                        loss = model(local[:-1], local[1:])
                        loss.backward()
                        opt.step()
                    diag = eval_val(model, val_data)
                    print("diagnostic", epoch, diag)

            def train_and_eval(model, val_data, opt):
                pre_quant_adamw_ttt(model, val_data, 8, 16, opt)
                quantize_and_serialize(model)

            def quantize_and_serialize(model):
                torch.save(model.state_dict(), "final_model.int6.ptz")
            """,
            trap="a diagnostic eval_val after each epoch does not make the chunks score-first (#1735 shape)",
            lines=(12,),
        ),
        Example(
            """
            import os
            import torch

            def pre_quant_ttt(model, val_tokens, epochs, opt, seq_len):
                for epoch in range(epochs):
                    epoch_loss_sum = 0.0
                    for bs in range(0, val_tokens.numel() - 1, seq_len):
                        local = val_tokens[bs:bs + seq_len + 1]
                        loss = model(local[:-1], local[1:])
                        loss.backward()
                        opt.step()
                        opt.zero_grad()
                        epoch_loss_sum += loss.item()

            class Hyperparameters:
                prequant_ttt_enabled = bool(int(os.environ.get("PREQUANT_TTT_ENABLED", "1")))

            def main(model, val_tokens, opt):
                args = Hyperparameters()
                if args.prequant_ttt_enabled:
                    pre_quant_ttt(model, val_tokens, 10, opt, 2048)
                torch.save(model.state_dict(), "final_model.pt")
            """,
            files={"README.md": "## Run\n```\nPREQUANT_TTT_ENABLED=0 torchrun --nproc_per_node=8 train_gpt.py\n```\n"},
            trap="the path exists but the README run command disables it: a dormant note, not an error",
            severity=Severity.NOTE,
        ),
    )
