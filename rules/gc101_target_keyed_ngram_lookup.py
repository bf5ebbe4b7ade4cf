"""GC101 — an n-gram table read at scoring time whose key hashes in the realised target."""

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from . import _ngram


class TargetKeyedNgramLookup(Rule):
    id = "GC101"
    name = "target-keyed-ngram-lookup"
    severity = Severity.ERROR
    ruling_date = "2026-03-27"
    summary = "A table lookup keyed on the realised target feeds the scored loss (the 'n-gram family bug')."
    rationale = (
        "At position t the predictive distribution may depend only on the artifact and x_1..x_{t-1} "
        "(Issue #1017, C1). A count table read with a key that hashes the context together with the "
        "target x_t returns a probability for the gold token only: it reads x_t, and the other V-1 "
        "tokens never get mass (C2), so in the collision limit P(correct) -> 1. valerio-oai disallowed "
        "it on PR #779 and PR #982."
    )
    looks_for = (
        "On the evaluation path: a key built with ^, %, & or | from a context value and a target-derived "
        "value (y, tgt, val_np[j] at the predicted position, also through helpers that return keys), "
        "read from a table (a load, not a write), whose value flows into the scored -log / loss_sum."
    )
    traps = (
        "BigramHash/TrigramHash input embeddings hash input ids (context), not the target.",
        "np.add.at(table, key, 1) and table[key] += 1 after scoring are writes: only the scoring read matters.",
        "table[ctx_key, :] then gather(target): the target is a column index of a full row (GC904).",
        "A target-in-key lookup for every candidate c in arange(V), normalised over V, reads no realised target.",
    )
    rulings = (
        Ruling("valerio-oai on PR #779 (2026-03-27)", "https://github.com/openai/parameter-golf/pull/779",
               "hashed n-gram cache with the target in the key is disallowed"),
        Ruling("valerio-oai on PR #982 (2026-03-27)", "https://github.com/openai/parameter-golf/pull/982",
               "hashed n-gram caches look ahead to the target token to mix probabilities"),
        Ruling("Issue #1017, condition C1", "https://github.com/openai/parameter-golf/issues/1017",
               "p_t may depend only on the artifact and the strict prefix"),
    )

    def check(self, ctx):
        for facts in ctx.facts:
            for fn in _ngram.eval_functions(facts):
                for read in _ngram.target_keyed_reads(facts, fn):
                    held = _ngram.statement_targets(facts, fn, read.node)
                    sink = _ngram.reaches_loss(facts, fn, held, skip=lambda e, b=read.base: e.subscript_store and any(t in b for t in e.targets))
                    if sink is None:
                        continue
                    yield ctx.finding(
                        self, facts, read.node,
                        f"`{read.base}[{read.key}]` reads a table with a key that hashes in the realised target; "
                        f"its value reaches the scored loss at line {sink.line} (C1 lookahead; the gold token "
                        f"alone gets mass, so the distribution is not normalised either, C2)",
                        evidence=facts.code(read.node)[:200],
                    )
        for cache_facts, read, facts, fn, call, sink in _ngram.cross_module_keyed_reads(ctx.facts):
            yield ctx.finding(
                self, cache_facts, read.node,
                f"`{read.base}[{read.key}]` reads a table with a key that hashes in the realised target; "
                f"{facts.path} calls `{facts.code(call.node.func)}` in `{fn.name}` (line {call.line}) with the target "
                f"and its value reaches the scored loss at line {sink.line} (C1 lookahead, C2)",
                evidence=f"{facts.path}:{call.line}",
            )

    VALID = (
        Example(
            """
            import torch
            def bigram_hash(ids, buckets):
                # input ids at t-1 and t: context for predicting t+1
                return torch.bitwise_xor(36313 * ids[:, 1:], 27191 * ids[:, :-1]) % buckets
            def eval_val(model, val_tokens, emb):
                loss_sum = 0.0
                x, y = val_tokens[:-1][None], val_tokens[1:][None]
                h = emb[bigram_hash(x, 4096)]
                logits = model(x, h)
                loss_sum += torch.nn.functional.cross_entropy(logits[0], y[0], reduction="sum")
                return loss_sum
            """,
            trap="BigramHash input embedding hashes input ids, not the target",
        ),
        Example(
            """
            import numpy as np
            def eval_ngram(val_np, model_p, ctx_tab, full_tab, mask, P):
                loss_sum = 0.0
                for j in range(1, len(val_np)):
                    ctx = (val_np[j - 1] * P) & mask
                    p = ctx_tab[ctx] / max(ctx_tab.sum(), 1)
                    loss_sum += -np.log(model_p[j])
                    full = (ctx ^ (val_np[j] * P)) & mask
                    np.add.at(full_tab, full, 1)
                    full_tab[full] += 1
                return loss_sum
            """,
            trap="target-keyed writes after scoring are updates, not scoring reads",
        ),
        Example(
            """
            import torch
            def eval_ngram(logits, x, y, table, mask, P):
                loss_sum = 0.0
                ctx_key = (x * P) & mask
                row = table[ctx_key]  # [B, V]
                q = row / row.sum(-1, keepdim=True)
                p = 0.8 * torch.softmax(logits, -1) + 0.2 * q
                loss_sum += -torch.log(p.gather(-1, y[:, None])).sum()
                return loss_sum
            """,
            trap="context-only key; the target is a column index of a full row",
        ),
        Example(
            """
            import torch
            def eval_ngram(ctx_h, y, pair, V, M, B):
                loss_sum = 0.0
                cand = torch.arange(V)
                pair_h = (ctx_h[:, None] * M + cand[None, :]) % B
                counts = pair[pair_h].float()
                q = counts / counts.sum(1, keepdim=True)
                loss_sum += -torch.log(q.gather(1, y[:, None])).sum()
                return loss_sum
            """,
            trap="target-in-key lookup over every candidate in arange(V), normalised over V",
        ),
        Example(
            """
            import os
            import numpy as np
            USE_NGRAM = bool(int(os.environ.get("USE_NGRAM", "0")))
            def ngram_nll(val_np, nll_np, ctx_tab, full_tab, mask, P):
                j = np.arange(1, len(val_np))
                ck = (val_np[j - 1] * P) & mask
                fk = (ck ^ (val_np[j] * P)) & mask
                p = 0.8 * np.exp(-nll_np) + 0.2 * np.minimum(full_tab[fk], ctx_tab[ck]) / np.maximum(ctx_tab[ck], 1)
                return -np.log(p)
            def eval_val(val_np, nll_np, tables):
                nll = ngram_nll(val_np, nll_np, *tables) if USE_NGRAM else nll_np
                loss_sum = 0.0
                loss_sum += float(nll.sum())
                return loss_sum
            """,
            trap="the target-keyed path is chosen only by `A if flag else B` with the flag off: dormant, as under an if",
        ),
        Example(
            """
            import os
            import numpy as np
            import torch
            import torch.nn.functional as F
            os.environ.setdefault("NG", "1")
            NG = int(os.environ["NG"])
            def main():
                v = np.fromfile("data/fineweb_val_000000.bin", dtype=np.uint16).astype(np.int64)
                m = torch.load("final_model.pt")
                T = np.zeros(1 << 22, dtype=np.int32)
                R = np.zeros((4096, 1024), dtype=np.int32)
                L = 0.0
                for j in range(2, len(v)):
                    p = float(F.log_softmax(m(torch.tensor(v[j - 2:j])[None])[0, -1], -1)[v[j]].exp())
                    if NG:
                        c = (v[j - 1] * 1000003 ^ v[j - 2] * 998244353) & ((1 << 22) - 1)
                        row = R[c % 4096]
                        p = 0.8 * p + 0.2 * row[v[j]] / max(row.sum(), 1)
                        R[c % 4096, v[j]] += 1
                    L += -np.log(p)
                print(f"final val_bpb:{L / len(v):.6f}")
            main()
            """,
            trap='compact inline n-gram in a long main (one-letter names), context-only row normalised over V',
        ),
        Example(
            """
            import numpy as np
            import torch.nn.functional as F
            from ngram_cache import Cache
            def eval_val(model, val_tokens):
                cache = Cache()
                loss_sum = 0.0
                for j in range(1, len(val_tokens)):
                    p_model = float(F.softmax(model(val_tokens[:j])[-1], -1)[val_tokens[j]])
                    p = 0.9 * p_model + 0.1 * cache.prob(int(val_tokens[j - 1]), int(val_tokens[j]))
                    loss_sum += -np.log(p)
                return loss_sum
            """,
            files={'ngram_cache.py': 'import numpy as np\n\n\nclass Cache:\n    def __init__(self, rows=4096, vocab=1024):\n        self.rows = rows\n        self.t = np.zeros((rows, vocab), dtype=np.int32)\n\n    def prob(self, ctx, tgt):\n        row = self.t[(ctx * 1000003) % self.rows]\n        return row[tgt] / max(row.sum(), 1)\n'}, trap='the cache in a sibling module reads a full row by the context; the target is a column of it',
        ),
    )
    INVALID = (
        Example(
            """
            import numpy as np
            import torch
            def mix_and_score(logits, x_np, y_np, ctx_counts, full_counts, mask, P):
                neural_p = torch.softmax(logits, -1).gather(-1, torch.from_numpy(y_np)[..., None])[..., 0].numpy()
                ctx_hash = x_np * P[0]
                ctx_key = ctx_hash & mask
                full_key = (ctx_hash ^ (y_np * P[1])) & mask
                ctx_c = ctx_counts[ctx_key]
                full_c = full_counts[full_key]
                p = np.minimum(full_c, ctx_c) / np.maximum(ctx_c, 1.0)
                mixed = 0.7 * neural_p + 0.3 * p
                return -np.log(mixed)
            def eval_val(model, val_tokens, tables):
                loss_sum = 0.0
                x, y = val_tokens[:-1], val_tokens[1:]
                nll = mix_and_score(model(x), x.numpy(), y.numpy(), *tables)
                loss_sum += nll.sum()
                return loss_sum
            """,
            trap="PR #779 shape: full_key = ctx_hash ^ (y * prime), read, mixed, returned to loss_sum",
            lines=(9,),
        ),
        Example(
            """
            import numpy as np
            def hash_keys(tokens_np, pos, order, mask, primes):
                h = np.zeros(pos.size, dtype=np.uint64)
                for k in range(order - 1):
                    h ^= tokens_np[pos - (order - 1 - k)] * primes[k]
                ctx_idx = h & mask
                full_idx = (h ^ (tokens_np[pos] * primes[order])) & mask
                return ctx_idx, full_idx
            def eval_val_sliding(val_np, nll_np, ctx_tab, full_tab, mask, primes):
                loss_sum = 0.0
                gj = np.arange(1, len(val_np))
                ck, fk = hash_keys(val_np, gj, 3, mask, primes)
                cc = ctx_tab[ck].astype(np.float64)
                fc = full_tab[fk].astype(np.float64)
                p = 0.8 * np.exp(-nll_np) + 0.2 * np.minimum(fc, cc) / np.maximum(cc, 1)
                loss_sum += float(-np.log(p).sum())
                return loss_sum
            """,
            trap="PR #797 shape: the helper keys tokens[pos] (the token after the context tokens[pos-k])",
            lines=(14,),
        ),
        Example(
            """
            import os
            import numpy as np
            USE_NGRAM = bool(int(os.environ.get("USE_NGRAM", "1")))
            def ngram_nll(val_np, nll_np, ctx_tab, full_tab, mask, P):
                j = np.arange(1, len(val_np))
                ck = (val_np[j - 1] * P) & mask
                fk = (ck ^ (val_np[j] * P)) & mask
                p = 0.8 * np.exp(-nll_np) + 0.2 * np.minimum(full_tab[fk], ctx_tab[ck]) / np.maximum(ctx_tab[ck], 1)
                return -np.log(p)
            def eval_val(val_np, nll_np, tables):
                nll = ngram_nll(val_np, nll_np, *tables) if USE_NGRAM else nll_np
                loss_sum = 0.0
                loss_sum += float(nll.sum())
                return loss_sum
            """,
            trap="the same conditional expression with the flag on by default: the target-keyed path runs",
        ),
        Example(
            """
            import os
            import numpy as np
            import torch
            import torch.nn.functional as F
            os.environ.setdefault("NG", "1")
            NG = int(os.environ["NG"])
            def main():
                v = np.fromfile("data/fineweb_val_000000.bin", dtype=np.uint16).astype(np.int64)
                m = torch.load("final_model.pt")
                T = np.zeros(1 << 22, dtype=np.int32)
                C = np.zeros(1 << 22, dtype=np.int32)
                L = 0.0
                for j in range(2, len(v)):
                    p = float(F.log_softmax(m(torch.tensor(v[j - 2:j])[None])[0, -1], -1)[v[j]].exp())
                    if NG:
                        c = (v[j - 1] * 1000003 ^ v[j - 2] * 998244353) & ((1 << 22) - 1)
                        k = (c ^ (v[j] * 2654435761)) & ((1 << 22) - 1)
                        p = 0.8 * p + 0.2 * T[k] / max(C[c], 1)
                        T[k] += 1
                        C[c] += 1
                    L += -np.log(p)
                print(f"final val_bpb:{L / len(v):.6f}")
            main()
            """,
            trap='compact inline n-gram: one-letter names, the target mixed into the hash, the path enabled by os.environ.setdefault', lines=(18,),
        ),
        Example(
            """
            import numpy as np
            import torch.nn.functional as F
            from ngram_cache import Cache
            def eval_val(model, val_tokens):
                cache = Cache()
                loss_sum = 0.0
                for j in range(1, len(val_tokens)):
                    p_model = float(F.softmax(model(val_tokens[:j])[-1], -1)[val_tokens[j]])
                    p = 0.9 * p_model + 0.1 * cache.prob(int(val_tokens[j - 1]), int(val_tokens[j]))
                    loss_sum += -np.log(p)
                return loss_sum
            """,
            files={'ngram_cache.py': 'import numpy as np\n\n\nclass Cache:\n    def __init__(self, bits=22):\n        self.mask = (1 << bits) - 1\n        self.t = np.zeros(1 << bits, dtype=np.int32)\n        self.c = np.zeros(1 << bits, dtype=np.int32)\n\n    def prob(self, ctx, tgt):\n        h = (ctx * 1000003) & self.mask\n        k = (h ^ (tgt * 2654435761)) & self.mask\n        return self.t[k] / max(self.c[h], 1)\n'}, trap='the target-keyed cache lives in a sibling module that train_gpt.py imports',
        ),
    )
