"""Data: the embedded corpus (no download), its tokenizer and shards, and the train/val loaders.

Real FineWeb shards work when DATA_PATH / TOKENIZER_PATH point at them. Without them the trainer
builds a small deterministic corpus from the paragraphs of the stdlib's ``pydoc_data.topics``,
trains a SentencePiece BPE tokenizer with the challenge's settings, and writes train/val shards in
the real format into a cache (env GOLFCHECK_CACHE, else ~/.cache/golfcheck), never into the repo.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import tempfile

import numpy as np
import torch

from golfcheck.metric import load_tokens, shard_files, truncate_for_eval, write_shard

EMBEDDED_VAL_FRACTION = 0.1  # the first 10% of the shuffled documents are the validation split
# The challenge tokenizer's trainer settings (its data export script in the challenge repository), plus
# num_threads=1 so the embedded tokenizer is the same on every machine run.
SP_SETTINGS = dict(
    model_type="bpe", vocab_size=1024, byte_fallback=True, split_digits=True,
    normalization_rule_name="nmt_nfkc", add_dummy_prefix=False,
    pad_id=0, bos_id=1, eos_id=2, unk_id=3, num_threads=1,
    max_sentence_length=8192,  # the longest pydoc paragraph is ~6 kB; keep every document
)


def embedded_documents() -> list[str]:
    """Paragraphs (> 40 chars) of the stdlib's pydoc topics, shuffled with Random(0)."""
    from pydoc_data.topics import topics

    docs = [p.strip() for key in sorted(topics) for p in topics[key].split("\n\n") if len(p.strip()) > 40]
    random.Random(0).shuffle(docs)
    return docs


def cache_root() -> str:
    return os.environ.get("GOLFCHECK_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "golfcheck")


def train_tokenizer(docs: list[str], model_prefix: str) -> str:
    """Train the SentencePiece BPE tokenizer in-process; returns the .model path."""
    import sentencepiece as spm

    spm.SentencePieceTrainer.train(sentence_iterator=iter(docs), model_prefix=model_prefix,
                                   minloglevel=2, **SP_SETTINGS)
    return model_prefix + ".model"


def load_sentencepiece(path: str):
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=path)


def encode_documents(sp, docs: list[str]) -> np.ndarray:
    """Each document becomes BOS followed by its ids (no EOS), packed back to back."""
    out = []
    for ids in sp.encode(docs):
        out.append(1)
        out.extend(ids)
    return np.asarray(out, dtype=np.uint16)


def embedded_dataset() -> tuple[str, str]:
    """Build (once, cached) the embedded corpus; returns (data_dir, tokenizer_path)."""
    import sentencepiece as spm

    docs = embedded_documents()
    key = hashlib.sha256(("\x00".join(docs) + repr(sorted(SP_SETTINGS.items())) + spm.__version__).encode())
    final = os.path.join(cache_root(), "embedded-" + key.hexdigest()[:16])
    if os.path.exists(os.path.join(final, "tokenizer.model")):
        return final, os.path.join(final, "tokenizer.model")
    os.makedirs(cache_root(), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".building-", dir=cache_root())
    try:
        sp = load_sentencepiece(train_tokenizer(docs, os.path.join(tmp, "tokenizer")))
        n_val = int(len(docs) * EMBEDDED_VAL_FRACTION)
        write_shard(os.path.join(tmp, "fineweb_val_000000.bin"), encode_documents(sp, docs[:n_val]))
        write_shard(os.path.join(tmp, "fineweb_train_000000.bin"), encode_documents(sp, docs[n_val:]))
        try:
            os.rename(tmp, final)  # atomic publish; a concurrent builder may have won the race
        except OSError:
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final, os.path.join(final, "tokenizer.model")


def resolve_data(data_path: str, tokenizer_path: str) -> tuple[str, str]:
    """DATA_PATH/TOKENIZER_PATH if given (both needed), else the embedded corpus."""
    if not data_path and not tokenizer_path:
        return embedded_dataset()
    if not (data_path and tokenizer_path):
        raise SystemExit("set both DATA_PATH and TOKENIZER_PATH, or neither (embedded corpus)")
    return data_path, tokenizer_path


class TrainLoader:
    """Reads the train shards sequentially with wrap-around; every rank takes its own slice of each
    global chunk, and a batch is B windows of L+1 tokens (stride L), like the reference loader."""

    def __init__(self, pattern: str, rank: int = 0, world_size: int = 1):
        self.files = shard_files(pattern)
        self.rank, self.world_size = rank, world_size
        self.file_idx, self.pos = 0, 0
        self.tokens = load_tokens(self.files[0])

    def _take(self, n: int) -> np.ndarray:
        parts = []
        while n > 0:
            if self.pos >= len(self.tokens):
                self.file_idx = (self.file_idx + 1) % len(self.files)
                self.tokens, self.pos = load_tokens(self.files[self.file_idx]), 0
            k = min(n, len(self.tokens) - self.pos)
            parts.append(self.tokens[self.pos : self.pos + k])
            self.pos, n = self.pos + k, n - k
        return np.concatenate(parts)

    def next_batch(self, local_tokens: int, seq_len: int, device) -> torch.Tensor:
        local_tokens = (local_tokens // seq_len) * seq_len
        chunk = self._take(local_tokens * self.world_size + 1)
        start = self.rank * local_tokens
        buf = torch.from_numpy(chunk[start : start + local_tokens + 1].astype(np.int64))
        return buf.unfold(0, seq_len + 1, seq_len).to(device, non_blocking=True)


def load_validation(pattern: str, seq_len: int) -> torch.Tensor:
    """The val split as windows [N, L+1]: window j = tokens[jL : jL+L+1], targets are its last L."""
    tokens = torch.from_numpy(truncate_for_eval(load_tokens(pattern), seq_len).astype(np.int64))
    return tokens.unfold(0, seq_len + 1, seq_len)
