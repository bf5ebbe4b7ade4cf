"""GC302 — validation data or statistics of it serialised into the artifact ("paid prefix")."""

import re


from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._data_bytes import code_files, data_taint

SERIALISERS = re.compile(
    r"^(torch\.save|pickle\.dumps?|np\.save|np\.savez\w*|numpy\.save\w*|lzma\.compress|zlib\.compress|bz2\.compress|"
    r"brotli\.compress|zstd\.compress|zstandard\.\w+\.compress|\w+\.write|\w+\.write_bytes|json\.dump)$")
# metric scalars written next to the model (val_bpb in a results file) are not data
METRIC = re.compile(r"(bpb|loss|nll|ppl|score|time|ms|elapsed|bytes|count|n_tokens|numel)$", re.I)
BLOB_CHARS = 64_000


class ValInArtifact(Rule):
    id = "GC302"
    name = "val-in-artifact"
    severity = Severity.ERROR
    summary = "Validation tokens, or statistics computed from them, are serialised into the artifact."
    rationale = (
        "The README forbids accessing validation data during training, e.g. by compressing it into the 16 MB "
        "artifact as a 'paid prefix'. Any n-gram table, unigram count or token slice built from val_tokens and "
        "saved with the model lets eval read the answers."
    )
    looks_for = (
        "torch.save / pickle / np.save / lzma/zlib/brotli compress / file writes whose argument is derived from "
        "validation tokens (inter-procedural taint); large literal blobs in the code that are not decoded as code."
    )
    traps = (
        "Storing the tokenizer or tables built from training data (paid for in bytes) is legal.",
        "Writing the val_bpb / val_loss scalar to a log or results file is reporting, not data.",
        "Self-extracting code wrappers are big literals too; they are decoded and audited (GC503), not flagged.",
    )
    rulings = (Ruling("README (2cff08e1a, Alex Zhao, 2026-03-20)", "https://github.com/openai/parameter-golf#faq",
                      "you CANNOT access validation data during training, e.g. by compressing it into your 16mb"),)

    def check(self, ctx):
        decoded = {f.path for f in ctx.facts if f.source.in_payload}
        for facts in code_files(ctx):
            for f in facts.iter_functions():
                tainted = data_taint(facts, f)
                if not tainted:
                    continue
                for c in f.calls:
                    q = facts.qualify(c.func) or ""
                    if not SERIALISERS.match(q) and not SERIALISERS.match(c.func or ""):
                        continue
                    hit = sorted(n for n in c.reads if n in tainted and not METRIC.search(n.rsplit(".", 1)[-1])
                                 and not n.startswith("<"))
                    if (q.endswith((".write", ".write_bytes")) or q == "json.dump") and \
                            not re.search(r"final_model|artifact|\.pt|\.ptz|model", facts.code(c.node)):
                        continue  # a write that is not the artifact (logs, a results summary)
                    if hit:
                        yield ctx.finding(self, facts, c.node,
                                          f"`{c.func}` serialises `{hit[0]}`, which is derived from validation tokens")
            if facts.path not in decoded and not facts.source.in_payload:
                yield from self._blobs(ctx, facts)

    def _blobs(self, ctx, facts):
        rule = self
        found = [n for n in facts.string_nodes if len(n.value) > BLOB_CHARS]
        for n in found:
            yield ctx.finding(rule, facts, n, f"a {len(n.value):,}-character literal blob that is not decoded as code: "
                              "check that it holds no validation data", severity=Severity.WARNING)

    VALID = (
        Example(
            """
            import torch
            def main(model, train_tokens, val_tokens, eval_val):
                counts = torch.bincount(train_tokens)
                val_bpb = eval_val(model, val_tokens)
                torch.save({"model": model.state_dict(), "unigram": counts}, "final_model.pt")
                print(f"val_bpb {val_bpb}")
            """,
            trap="training-derived tables saved with the model are fine",
        ),
        Example(
            """
            import torch
            def main(model, sp, val_tokens, eval_val):
                val_bpb = eval_val(model, val_tokens)
                torch.save({"model": model.state_dict(), "tokenizer": sp.serialized_model_proto()}, "final_model.pt")
                with open("results.json", "w") as fh:
                    fh.write(str(val_bpb))
            """,
            trap="tokenizer in the artifact; val_bpb written to a results file",
        ),
        Example(
            """
            import torch
            def save_checkpoint(model, step, val_bpb):
                ckpt = {"step": step, "val_bpb": val_bpb, "model_state_dict": model.state_dict()}
                torch.save(ckpt, f"ckpt_{step}.pt")
            def main(model, val_tokens, eval_val):
                val_bpb = eval_val(model, val_tokens)
                save_checkpoint(model, 100, val_bpb)
            """,
            trap="a checkpoint that records the val_bpb scalar (PR #1632 save_checkpoint)",
        ),
        Example(
            """
            import json
            def main(model, val_tokens, eval_val):
                val_loss, val_bpb = eval_val(model, val_tokens)
                summary = {"val_loss": val_loss, "val_bpb": val_bpb, "tokens": int(val_tokens.numel())}
                with open("results.json", "w") as fh:
                    json.dump(summary, fh)
            """,
            trap="a results summary of the evaluation written as JSON is reporting, not the artifact",
        ),
        Example(
            """
            import glob, torch
            VAL_FILES = "data/fineweb_val_*.bin"
            def load_validation_tokens(pattern):
                return torch.cat([torch.load(f) for f in sorted(glob.glob(pattern))])
            def main(base_model, eval_val):
                for k, v in sorted({"val_files": VAL_FILES}.items()):
                    print(f"{k}: {v}")
                val_bpb = eval_val(base_model, load_validation_tokens(VAL_FILES))
                sd_cpu = {k: v.detach().cpu() for k, v in base_model.state_dict().items()}
                torch.save(sd_cpu, "final_model.pt")
            """,
            trap="comprehension variables are the comprehension's own: the `k, v` of a logging loop over "
                 "val settings do not reach the saved state dict",
        ),
    )
    INVALID = (
        Example(
            """
            import lzma, pickle, torch
            def main(model, val_tokens):
                table = torch.bincount(val_tokens[: 5_000_000])
                blob = lzma.compress(pickle.dumps({"sd": model.state_dict(), "prefix": table}))
                return blob
            """,
            trap="val statistics compressed into the artifact", lines=(4,),
        ),
        Example(
            """
            import torch
            def build_cache(val_tokens):
                return val_tokens[:1_000_000].clone()
            def main(model, val_tokens):
                cache = build_cache(val_tokens)
                torch.save({"model": model.state_dict(), "cache": cache}, "final_model.pt")
            """,
            trap="torch.save of a val token slice", lines=(6,),
        ),
    )
