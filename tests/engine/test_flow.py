"""The dataflow layer (golfcheck.flow): sources by flow, reaching definitions, order."""

from __future__ import annotations

import textwrap

from golfcheck import flow
from golfcheck.facts import Facts
from golfcheck.source import Source, parse


def facts_of(code: str) -> Facts:
    src = Source("train_gpt.py", textwrap.dedent(code).lstrip("\n"), False, "file", None)
    module, bad = parse(src)
    assert bad is None
    return Facts.build(src, module)


def fn(facts: Facts, name: str):
    (f,) = facts.by_name(name)
    return f


SHARED_READER = """
import glob
import numpy as np

class Hyperparameters:
    data_path = "./data/fineweb10B_sp1024"
    train_files = f"{data_path}/fineweb_train_*.bin"
    shard_glob = f"{data_path}/fineweb_val_*.bin"

def read_shard(path):
    return np.fromfile(path, dtype=np.uint16)

def fetch_eval_stream(pattern):
    parts = [read_shard(p) for p in sorted(glob.glob(pattern))]
    return np.concatenate(parts)

class Batches:
    def __init__(self, pattern):
        self.files = sorted(glob.glob(pattern))
    def next(self):
        toks = read_shard(self.files[0])
        return toks[:-1], toks[1:]

def main(args, model, opt):
    stream = fetch_eval_stream(args.shard_glob)
    train = Batches(args.train_files)
    x, y = train.next()
    model(x, y).backward()
    opt.step()
    ev = stream[:4096]
    return model(ev[:-1], ev[1:])
"""


def test_sources_are_found_by_flow_not_by_name():
    facts = facts_of(SHARED_READER)
    main = fn(facts, "main")
    val = flow.names(facts, main)
    # the val shards reach `stream` through a renamed loader and a setting named shard_glob
    assert {"stream", "ev"} <= val
    # the shard reader is shared with the training batches: their tokens are not validation data
    assert not {"x", "y", "train"} & val
    assert {"x", "y"} <= flow.names(facts, main, flow.TRAIN)
    # the readers return what they are given; main returns a score of validation tokens
    assert flow.source_returns(facts) == {"main"}


def test_a_parameter_receives_what_callers_pass():
    facts = facts_of(SHARED_READER + "\ndef score(tokens):\n    return tokens.sum()\nscore(fetch_eval_stream('x/fineweb_val_0.bin'))\n")
    assert flow.source_params(facts, fn(facts, "score")) == {"tokens"}


def test_names_are_evidence_only_where_the_flow_stops():
    facts = facts_of("""
        def eval_val(model, val_tokens):
            return model(val_tokens)
        def helper(val_tokens):
            return val_tokens
        def caller(model, train_tokens):
            return helper(train_tokens)
    """)
    assert "val_tokens" in flow.names(facts, fn(facts, "eval_val"))  # nobody calls it: the name decides
    assert "val_tokens" not in flow.names(facts, fn(facts, "helper"))  # its caller passes training tokens


def test_value_at_follows_the_definition_that_reaches_the_read():
    facts = facts_of("""
        def main(model, opt, train_loader, val_tokens):
            for step in range(10):
                x, y = train_loader.next_batch()
                loss = model(x, y)
                loss.backward()
                opt.step()
            for i in range(0, 100, 10):
                x, y = val_tokens[i:i + 10], val_tokens[i + 1:i + 11]
                loss = model(x, y)
                loss.backward()
    """)
    main = fn(facts, "main")
    assert {"x", "loss"} <= flow.names(facts, main)  # the flow-insensitive set mixes both loops
    assert not flow.value_at(facts, main, {"loss"}, (5, 8))  # the training loop's backward
    assert flow.value_at(facts, main, {"loss"}, (10, 8))  # the validation loop's backward


def test_reaching_sees_the_loop_back_edge_and_augmentations():
    facts = facts_of("""
        def f(xs, table):
            h = 0
            for x in xs:
                key = h ^ x
                table.append(key)
                h = key * 31
            return table
    """)
    fl = flow.function_flow(facts, fn(facts, "f"))
    lines = sorted(e.line for e in fl.reaching("h", (4, 14)))
    assert lines == [2, 6]  # before the loop, and the previous iteration's update
    assert [e.line for e in fl.reaching("table", (7, 11))] == [5]  # the append adds to the parameter


def test_closures_read_their_enclosing_function():
    facts = facts_of("""
        def outer():
            toks = load("data/fineweb_val_000000.bin")
            def inner(i):
                return toks[i]
            return inner
    """)
    assert "toks" in flow.names(facts, fn(facts, "inner"))


def test_attributes_of_a_source_object_hold_source_data():
    facts = facts_of("""
        class ValidationData:
            def __init__(self, h):
                self.tokens = load_tokens(h.val_pattern)
        class H:
            val_pattern = "x/fineweb_val_*.bin"
        def main(h, model):
            data = ValidationData(h)
            return model(data.tokens[:-1])
    """)
    main = fn(facts, "main")
    assert {"data", "data.tokens"} <= flow.names(facts, main)
    assert flow.from_source(facts, main, "data", (9, 0))


def test_normalising_sources_does_not_need_the_facts_module():
    """The import graph has no circle: source and runconfig load without facts (and flow)."""
    import subprocess
    import sys

    code = ("import sys, golfcheck.source, golfcheck.runconfig, golfcheck.tree; "
            "print(sorted(m for m in sys.modules if m in ('golfcheck.facts', 'golfcheck.flow')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


SETTINGS_AND_TRAINER = """
import glob, os
import numpy as np
import torch

def default_byte_files(root):
    return os.path.join(root, "fineweb_val_bytes_*.bin")

class Hyperparameters:
    def __init__(self):
        self.data_dir = os.environ.get("DATA_DIR", "./data/")
        self.val_files = os.environ.get("VAL_FILES", os.path.join(self.data_dir, "fineweb_val_*.bin"))
        self.byte_files = os.environ.get("BYTE_FILES", default_byte_files(self.data_dir)).strip()
        alt = os.environ.get("ALT_FILES", "").strip()
        self.alt_files = alt if alt else self.val_files

class ValidationData:
    def __init__(self, h):
        self.tokens = np.concatenate([np.fromfile(f, dtype=np.uint16) for f in sorted(glob.glob(h.val_files))])

def evaluate(model, val_data):
    return float(model(torch.from_numpy(val_data.tokens)).mean())

def train_model(h, val_data):
    model = torch.nn.Linear(h.dim, h.dim)

    def lr_at(step):
        return step / 10
    for step in range(10):
        lr_at(step)
    summary = {"val_loss": evaluate(model, val_data)}
    return model, summary

def main():
    h = Hyperparameters()
    val_data = ValidationData(h)
    model, summary = train_model(h, val_data)
    sd = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    for k, v in sorted({"val_files": h.val_files}.items()):
        print(k, v)
    torch.save(sd, "final_model.pt")
    return summary
"""


def test_a_settings_object_holding_the_shard_pattern_is_not_validation_data():
    facts = facts_of(SETTINGS_AND_TRAINER)
    main = fn(facts, "main")
    val = flow.names(facts, main)
    # the pattern is a source attribute (h.val_files is followed where it is read) ...
    assert "h.val_files" in val
    # ... but the object that holds it, and what is built from it, are not validation data
    assert "h" not in val
    # the loader object fills an attribute from the shards: that is data
    assert "val_data" in val
    assert "ValidationData.__init__" in flow.source_returns(facts)
    assert "Hyperparameters.__init__" not in flow.source_returns(facts)


def test_unpacking_a_returned_tuple_narrows_per_element():
    facts = facts_of(SETTINGS_AND_TRAINER)
    main = fn(facts, "main")
    val = flow.names(facts, main)
    # train_model returns (model, summary): only the summary reads the validation data
    assert "summary" in val
    assert "model" not in val
    line = next(i for i, t in enumerate(SETTINGS_AND_TRAINER.lstrip("\n").splitlines(), 1) if "torch.save" in t)
    assert flow.value_at(facts, main, {"summary"}, line)
    assert not flow.value_at(facts, main, {"model"}, line)


def test_returns_of_nested_functions_are_not_the_functions_returns():
    facts = facts_of(SETTINGS_AND_TRAINER)
    (ret,) = flow.returned(fn(facts, "train_model"))
    assert facts.code(ret.value) == "model, summary"


def test_comprehension_variables_are_the_comprehensions_own():
    facts = facts_of(SETTINGS_AND_TRAINER)
    main = fn(facts, "main")
    val = flow.names(facts, main)
    # `k, v` of the logging loop carry the shard pattern; the state-dict comprehension binds its own
    assert "v" in val
    assert "sd" not in val


def test_a_definition_that_always_runs_first_hides_the_loops_later_ones():
    facts = facts_of("""
        def main(model, opt, loader, val_tokens, warmup, dim):
            loader = Loader(loader)
            for step in range(100):
                if step < warmup:
                    chunk = dim * 8
                    batch = max(chunk, 4096 // chunk * chunk)
                else:
                    batch = 4096
                x = loader.next_batch(batch)
                model(x).backward()
                opt.step()
                if step == 50:
                    for ci in range(4):
                        chunk = val_tokens[ci * 2048:(ci + 1) * 2048]
                        model(chunk)

        class Loader:
            def __init__(self, tokens):
                self.tokens = tokens
            def next_batch(self, n):
                return self.tokens.view(n, -1)
    """)
    main = fn(facts, "main")
    # `chunk` is redefined from val_tokens later in the loop, but the read at line 6 always sees line 5
    assert not flow.value_at(facts, main, {"chunk"}, 6)
    assert not flow.value_at(facts, main, {"batch"}, 9)
    # the loader's batch is shaped by `batch`: flow-insensitively that could be the val chunk,
    # but as defined at the call it is not
    assert "x" in flow.names(facts, main)
    assert not flow.value_at(facts, main, {"x"}, 10)
    # without the definition just before it, the back edge would carry the later value
    assert flow.value_at(facts, main, {"chunk"}, 15)


def test_a_conditional_definition_does_not_hide_the_back_edge():
    facts = facts_of("""
        def main(model, val_tokens, flag):
            buf = None
            for i in range(10):
                if flag:
                    buf = i
                model(buf)
                buf = val_tokens[i]
    """)
    main = fn(facts, "main")
    assert flow.value_at(facts, main, {"buf"}, 6)
