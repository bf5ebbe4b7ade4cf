"""Hostile inputs, generated (never copied): each function returns file contents for a submission
folder or a PR. ``scale`` arguments let the tests use small versions with the same behaviour and
``benchmarks/hostile_table.py`` the sizes the attack report used.
"""

from __future__ import annotations

import base64
import json
import lzma
import textwrap

# A score path that keys an n-gram table on the realised target (GC101, an error): the payload every
# bypass tries to hide. Line 9 is the lookup.
ILLEGAL = textwrap.dedent('''\
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
    ''')
ILLEGAL_LINE = 9

# The same path behind a flag whose code default is on (the forged-echo attack switches it off).
GATED = textwrap.dedent('''\
    import os
    import numpy as np
    import torch
    USE_NGRAM = bool(int(os.environ.get("USE_NGRAM", "1")))
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
        if USE_NGRAM:
            nll = mix_and_score(model(x), x.numpy(), y.numpy(), *tables)
        else:
            nll = torch.nn.functional.cross_entropy(model(x), y, reduction="none")
        loss_sum += nll.sum()
        return loss_sum
    ''')

FULL_WIDTH_EXEC = "".join(chr(0xFF00 + ord(c) - 0x20) for c in "exec")  # ｅｘｅｃ


def b85_lzma(code: str | bytes) -> str:
    data = code.encode("utf-8") if isinstance(code, str) else code
    return base64.b85encode(lzma.compress(data)).decode("ascii")


def wrapper(payload: str, exec_name: str = "exec") -> str:
    """A self-extracting train_gpt.py: base85 + xz of ``payload``, exec'd."""
    return f'import lzma, base64\n{exec_name}(lzma.decompress(base64.b85decode("{b85_lzma(payload)}")))\n'


# ----------------------------------------------------------------------- code that breaks the parser
def deep_or(n: int = 8000) -> str:
    """``x = a or a or ... or a``: flat for CPython, ``n`` levels deep for libcst (40 KB at 8,000)."""
    return "a = 1\nx = " + " or ".join(["a"] * n) + "\n"


def deep_import(n: int = 8000) -> str:
    return "import " + ".".join(["m"] * n) + "\n"


_BLOCK = textwrap.dedent('''\
    def block_{i}(x, y, scale=0.5):
        """A small honest function."""
        total = 0.0
        for j in range(len(x)):
            if x[j] > y[j]:
                total += (x[j] - y[j]) * scale
            else:
                total -= (y[j] - x[j]) / (scale + 1.0)
        return {{"total": total, "n": len(x), "mean": total / max(1, len(x))}}
    ''')


def valid_code(nbytes: int) -> str:
    """Valid, ordinary-looking Python of about ``nbytes`` characters."""
    parts, size, i = [], 0, 0
    while size < nbytes:
        block = _BLOCK.format(i=i)
        parts.append(block)
        size += len(block)
        i += 1
    return "".join(parts)


def dict_literal(nbytes: int) -> str:
    entries, size, i = [], 0, 0
    while size < nbytes:
        e = f"'k{i}': {i},"
        entries.append(e)
        size += len(e)
        i += 1
    return "TABLE = {" + "".join(entries) + "}\n"


def semicolons(nbytes: int) -> str:
    n = max(1, nbytes // 4)
    return ";".join(["x=1"] * n) + "\n"


# ----------------------------------------------------------------------- amplification in a wrapper
def amplification(kind: str) -> str:
    """A wrapper whose exec argument would build a huge value before any decoder runs."""
    if kind == "multiply":
        return 'import lzma, base64\nexec(lzma.decompress(base64.b85decode("A" * 2**28)))\n'
    if kind == "concat":  # doubling through module constants: 2**25 evaluations, 2**25 characters
        lines = ['import lzma, base64', 'x0 = "A"']
        lines += [f"x{i} = x{i - 1} + x{i - 1}" for i in range(1, 26)]
        lines.append("exec(lzma.decompress(base64.b85decode(x25)))")
        return "\n".join(lines) + "\n"
    if kind == "replace":  # each step multiplies the length by 16
        expr = '"A"'
        for _ in range(8):
            expr = f'{expr}.replace("A", "{"A" * 16}")'
        return f"import lzma, base64\nexec(lzma.decompress(base64.b85decode({expr})))\n"
    raise ValueError(kind)


# ----------------------------------------------------------------------- logs
LOG_HEAD = "Hyperparameters:\n  seed: 1337\n  use_ngram: 1\n"
LOG_TAIL = ("step:100/100 val_loss:2.0000 val_bpb:1.2000 train_time:590000ms step_avg:5900.00ms\n"
            "final_int8_zlib_roundtrip_exact val_loss:2.00000000 val_bpb:1.20000000\n")


def tiny_lines_log(nbytes: int, line: str = "a:1") -> bytes:
    n = max(1, nbytes // (len(line) + 1))
    return (LOG_HEAD + (line + "\n") * n + LOG_TAIL).encode()


def cr_only_log(nbytes: int = 200_000) -> bytes:
    body = LOG_HEAD + "step:1/100 train_loss:3.0 train_time:1000ms step_avg:10.00ms\n" * max(1, nbytes // 60) + LOG_TAIL
    return body.replace("\n", "\r").encode()


def spaces_log(lines: int = 50, spaces: int = 4080) -> bytes:
    """``diagnostic`` + thousands of spaces + ``:``: a backtracking trap for the metric regex."""
    bad = "diagnostic " + " " * spaces + ":\n"
    bad += "  k: v" + " " * spaces + "x\n"  # the echo regex
    bad += "| 0 NVIDIA x" + " " * spaces + "y\n"  # the GPU table regex
    bad += "device:cuda a" + " " * spaces + "b\n"
    bad += "artifact:1MB " * (spaces // 13) + "\n"
    bad += "params:1 " + "params:1 " * (spaces // 9) + "\n"
    bad += "a" * spaces + " model: 1 bytes\n"
    return (LOG_HEAD + bad * lines + LOG_TAIL).encode()


def long_line_log(nbytes: int) -> bytes:
    """One line of ``nbytes`` with a metric surrounded by spaces."""
    half = " " * (nbytes // 2)
    return (LOG_HEAD + half + "final_int8_zlib_roundtrip val_loss:2.0 val_bpb:1.2" + half + "\n" + LOG_TAIL).encode()


# ----------------------------------------------------------------------- submission.json
def json_variants() -> dict[str, bytes]:
    base = {"name": "x", "val_bpb": 1.2, "seeds": [1337]}
    return {
        "int400": json.dumps({**base, "bytes_total": 0}).replace('"bytes_total": 0', '"bytes_total": ' + "9" * 400).encode(),
        "infinity": json.dumps(base).replace("1.2", "Infinity").encode(),
        "nan": json.dumps(base).replace("1.2", "NaN").encode(),
        "int5000": json.dumps({**base, "bytes_total": 0}).replace('"bytes_total": 0', '"bytes_total": ' + "9" * 5000).encode(),
        "deep": (b'{"name": "x", "extra": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    }


# ----------------------------------------------------------------------- folders
README = "# Tiny\n\n**val_bpb: 1.2000**\n\n```\ntorchrun --nproc_per_node=8 train_gpt.py\n```\n"
SUBMISSION = json.dumps({"name": "Tiny", "val_bpb": 1.2, "seeds": [1337]}) + "\n"


def folder(code: str, **extra: str | bytes) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {"train_gpt.py": code, "README.md": README, "submission.json": SUBMISSION,
                                     "train_seed1337.log": LOG_HEAD + LOG_TAIL}
    files.update(extra)
    return files
