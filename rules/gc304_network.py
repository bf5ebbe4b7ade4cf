"""GC304 — network access and downloads (error on the eval path, warning elsewhere)."""

import re

from golfcheck.findings import Severity
from golfcheck.rule import Example, Rule, Ruling
from ._data_bytes import code_files, strings_in

NETWORK_CALL = re.compile(
    r"^(huggingface_hub\.(snapshot_download|hf_hub_download|hf_hub_url|HfApi|list_repo_files)|"
    r"requests\.\w+|urllib\.request\.\w+|urllib\.urlopen|urllib2\.\w+|http\.client\.\w+|httpx\.\w+|aiohttp\.\w+|"
    r"socket\.(socket|create_connection|getaddrinfo)|torch\.hub\.\w+|datasets\.load_dataset|"
    r"wget\.download|gdown\.\w+)$")
NETWORK_NAME = {"snapshot_download", "hf_hub_download", "urlopen", "urlretrieve", "load_dataset",
                "load_state_dict_from_url", "download_url_to_file"}
SHELL_CALLS = re.compile(r"^(subprocess\.\w+|os\.system|os\.popen|os\.exec\w*|sp\.\w+)$")
SHELL_NET = re.compile(r"(^|[\s;&|/\"'])(wget|curl|pip3?\s+install|python3?\s+-m\s+pip\s+install|git\s+clone|"
                       r"huggingface-cli\s+download|hf\s+download|aria2c|scp|rsync)\b")
NETWORK_MODULES = ("huggingface_hub", "requests", "urllib.request", "http.client", "httpx", "aiohttp", "gdown", "wget")


class NetworkAccess(Rule):
    id = "GC304"
    name = "network-access"
    severity = Severity.ERROR
    summary = "Network calls or downloads (HF hub, requests, urllib, sockets, wget/curl/pip) in the submission."
    rationale = (
        "The README allows no external downloads, training-dataset access or network calls during evaluation: "
        "the artifact must be self-contained. Downloads of shards or tokenizers elsewhere in train_gpt.py are a "
        "provenance risk (the evaluated tokenizer must be the one submitted) and need a reviewer."
    )
    looks_for = (
        "huggingface_hub snapshot_download/hf_hub_download, requests, urllib.request, http.client, socket, "
        "torch.hub, from_pretrained, datasets.load_dataset; subprocess/os.system running wget, curl, pip install "
        "or git clone. Error when the call is on the evaluation path, warning elsewhere."
    )
    traps = (
        "dist.init_process_group and NCCL_* / NCCL_NET=Socket environment settings are collective communication "
        "between the ranks, not network downloads.",
        "A local g++/nvcc compile is not network (GC002/GC502 cover native code).",
    )
    rulings = (Ruling("README (a15093ada): no external downloads or network calls during evaluation",
                      "https://github.com/openai/parameter-golf#faq", "the artifact must be fully self-contained"),
               Ruling("PR #1707: snapshot_download at startup (not on the leaderboard)",
                      "https://github.com/openai/parameter-golf/pull/1707", ""))

    def check(self, ctx):
        sub = ctx.submission
        counted = sub.counted_file.rel if sub is not None and sub.counted_file is not None else None
        for facts in code_files(ctx):
            runs = counted is None or facts.path == counted or facts.source.origin in ("sibling-exec", "local-import")
            called = False
            for f, c in facts.all_calls():
                what = self._network(facts, c)
                if not what:
                    continue
                called = True
                on_eval = facts.on_eval_path(f)
                sev = None if on_eval else Severity.WARNING
                where = "on the evaluation path" if on_eval else "outside the evaluation path (provenance risk)"
                if not runs:  # a bundled data-prep/download script that train_gpt.py does not run
                    sev, where = Severity.NOTE, f"in {facts.path}, a helper script train_gpt.py does not run"
                yield ctx.finding(self, facts, c.node, f"network access `{what}` {where}", severity=sev)
            if not called and runs:
                for name, line in facts.import_lines:
                    if name.lstrip(".") in NETWORK_MODULES or name.startswith(tuple(m + "." for m in NETWORK_MODULES)):
                        yield ctx.finding(self, facts, line, f"imports network module `{name}`", severity=Severity.WARNING)

    @staticmethod
    def _network(facts, c):
        q = facts.qualify(c.func) or c.name
        if NETWORK_CALL.match(q) or c.name in NETWORK_NAME:
            return q
        if c.name == "from_pretrained":
            return c.func or c.name
        if SHELL_CALLS.match(q):
            text = " ".join(strings_in(c.node))
            m = SHELL_NET.search(text)
            if m:
                return f"{q}(... {m.group(2)} ...)"
        return None

    VALID = (
        Example(
            """
            import os
            import subprocess
            import torch.distributed as dist
            os.environ.setdefault("NCCL_NET", "Socket")
            dist.init_process_group(backend="nccl")
            subprocess.run(["g++", "-O3", "-shared", "k.cpp", "-o", "k.so"], check=True)
            """,
            trap="NCCL process group, NCCL socket env, local g++",
        ),
    )
    INVALID = (
        Example(
            """
            import os
            if not os.path.exists("data/fineweb_train_000000.bin"):
                from huggingface_hub import snapshot_download
                snapshot_download(repo_id="someone/dataset", repo_type="dataset", local_dir="data")
            """,
            trap="snapshot_download at startup (PR #1707)", severity=Severity.WARNING, lines=(4,),
        ),
        Example(
            """
            import urllib.request
            def eval_val(model, val_tokens):
                urllib.request.urlretrieve("https://example.com/table.bin", "table.bin")
                loss_sum = 0.0
                loss_sum += model(val_tokens).sum()
                return loss_sum
            """,
            trap="download on the evaluation path", lines=(3,),
        ),
        Example(
            """
            import os
            os.system("pip install sentencepiece==0.2.0")
            """,
            trap="pip install from the script", severity=Severity.WARNING, lines=(2,),
        ),
    )
