"""The adaptation-order fact behind GC201/GC202/GC203/GC901/GC902/GC909, and the calibration flows of
GC204/GC903, checked on small real-world-shaped sources (written for these tests)."""

from __future__ import annotations

import textwrap

import pytest

from golfcheck.engine import build_context
from golfcheck.rules._adaptation import Order, adaptations, calibrations


def facts_of(tmp_path, code: str):
    (tmp_path / "train_gpt.py").write_text(textwrap.dedent(code).lstrip("\n"), encoding="utf-8")
    ctx = build_context(tmp_path, ["train_gpt.py"])
    return ctx.facts[0]


SCORE_FIRST = """
import torch

def eval_val_sliding_ttt(model, val_tokens, chunk, opt, epochs):
    loss_sum = torch.zeros((), dtype=torch.float64)
    token_count = torch.zeros((), dtype=torch.float64)
    byte_count = torch.zeros((), dtype=torch.float64)
    num_chunks = val_tokens.numel() // chunk
    for ci in range(num_chunks):
        chunk_start = ci * chunk
        with torch.inference_mode():
            piece = val_tokens[chunk_start:chunk_start + chunk + 1]
            nll = model.nll(piece[:-1], piece[1:])
            loss_sum += nll.sum()
            token_count += chunk
            byte_count += chunk
        if ci < num_chunks - 1:
            for _ep in range(epochs):
                for bs in range(0, chunk, 256):
                    local = val_tokens[chunk_start + bs:chunk_start + bs + 257]
                    loss = model(local[:-1], local[1:])
                    loss.backward()
                    opt.step()
    return loss_sum / token_count
"""

LAST_EPOCH = """
import torch

def lora_ttt_eval(model, lora, opt, val_tokens, chunks, epochs):
    loss_sum = torch.zeros((), dtype=torch.float64)
    byte_sum = torch.zeros((), dtype=torch.float64)
    for epoch in range(epochs):
        for ci in range(chunks):
            piece = val_tokens[ci * 256:(ci + 1) * 256 + 1]
            ptl = model(piece[:-1], piece[1:], lora=lora)
            if epoch == epochs - 1:
                loss_sum += ptl.detach().sum()
                byte_sum += 256
            ptl.mean().backward()
            opt.step()
    return loss_sum / byte_sum
"""

PRE_QUANT = """
import torch

def prequant_ttt(model, val_data, epochs, opt):
    for epoch in range(epochs):
        for bs in range(0, val_data.val_tokens.numel() - 1, 2048):
            local = val_data.val_tokens[bs:bs + 2049]
            loss = model(local[:-1], local[1:])
            loss.backward()
            opt.step()

def train_and_eval(model, val_data, opt):
    prequant_ttt(model, val_data, 8, opt)
    blob = quantize_state_dict(model.state_dict())
    torch.save(blob, "final_model.ptz")
"""

SLOT = """
import torch

def eval_slot(model, val_tokens, steps):
    loss_sum = torch.zeros((), dtype=torch.float64)
    byte_sum = torch.zeros((), dtype=torch.float64)
    for ws in range(0, val_tokens.numel() - 1, 64):
        piece = val_tokens[ws:ws + 2049]
        hidden = model.hidden(piece[:-1])
        delta = torch.zeros(hidden.shape[-1], requires_grad=True)
        opt = torch.optim.AdamW([delta], lr=0.01)
        for _ in range(steps):
            loss = model.head(hidden + delta, piece[1:])
            loss.backward()
            opt.step()
        loss_sum += model.head(hidden + delta, piece[1:]).detach()
        byte_sum += 64
    return loss_sum / byte_sum
"""


@pytest.mark.parametrize("code,order", [
    (SCORE_FIRST, Order.SCORE_FIRST),
    (LAST_EPOCH, Order.SCORE_AFTER),
    (PRE_QUANT, Order.UNSCORED),
])
def test_order(tmp_path, code, order):
    found = adaptations(facts_of(tmp_path, code))
    assert found and {a.order for a in found} == {order}


def test_last_epoch_names_the_repeat_loop(tmp_path):
    (a,) = adaptations(facts_of(tmp_path, LAST_EPOCH))
    assert a.repeat_loop is not None and a.repeat_loop.targets == {"epoch"}
    assert a.score_line == 11


def test_pre_quant_is_lifted_to_the_call_and_sees_serialisation(tmp_path):
    (a,) = adaptations(facts_of(tmp_path, PRE_QUANT))
    assert [s.function.name for s in a.chain[:2]] == ["prequant_ttt", "train_and_eval"]
    assert a.serialise_line == 13 and a.loop_line == 4


def test_slot_delta_is_left_to_gc105(tmp_path):
    assert adaptations(facts_of(tmp_path, SLOT)) == []


def test_calibration_argument_use_not_owner_name(tmp_path):
    facts = facts_of(tmp_path, """
        def collect_hessians(model, tokens):
            return {}

        def fit_logit_calibration(h, model, sp):
            return sp

        def main(model, h, val_data):
            fit_logit_calibration(h, model, val_data.sp)
            hessians = collect_hessians(model, val_data.val_tokens[:65536])
            q = gptq_quantize(model, hessians)
            return q
    """)
    cals = calibrations(facts)
    assert [(c.call.name, c.source) for c in cals] == [("collect_hessians", "val")]


def test_minified_payload_statements_on_one_line(tmp_path):
    facts = facts_of(tmp_path, """
        import torch
        def eval_val_ttt(model, val_data, chunk, opt, n):
        \tloss_sum=torch.zeros(());byte_count=torch.zeros(())
        \tfor ci in range(n):
        \t\tp=val_data.val_tokens[ci*chunk:(ci+1)*chunk+1];x=p[:-1];y=p[1:]
        \t\twith torch.no_grad():loss_sum+=model.nll(x,y).sum();byte_count+=chunk
        \t\tfor _ep in range(2):
        \t\t\tlocal=val_data.val_tokens[ci*chunk:(ci+1)*chunk+1];xt=local[:-1];yt=local[1:];loss=model(xt,yt)
        \t\t\tloss.backward();opt.step()
        \treturn loss_sum/byte_count
    """)
    (a,) = adaptations(facts)
    assert a.order is Order.SCORE_FIRST


def test_training_loop_reusing_names_is_not_adaptation(tmp_path):
    facts = facts_of(tmp_path, """
        def main(model, opt, train_loader, val_tokens, steps, epochs):
            for step in range(steps):
                x, y = train_loader.next_batch()
                loss = model(x, y)
                loss.backward()
                opt.step()
            for epoch in range(epochs):
                x, y = val_tokens[:-1], val_tokens[1:]
                loss = model(x, y)
                loss.backward()
                opt.step()
    """)
    assert [a.step.line for a in adaptations(facts)] == [11]


def test_context_logit_bias_is_left_to_the_slot_rules(tmp_path):
    facts = facts_of(tmp_path, """
        import torch
        import torch.nn.functional as F
        def eval_val_sliding_etlb(model, val_data, windows, steps, bias, s):
        \tloss_sum=torch.zeros(());byte_count=torch.zeros(())
        \tfor ws in windows:
        \t\tchunk=val_data.val_tokens[ws:ws+2049];x=chunk[:-1];y=chunk[1:];logits=model(x)
        \t\tb=bias.clone().detach().requires_grad_(True);opt=torch.optim.SGD([b],lr=0.1)
        \t\tfor _ in range(steps):opt.zero_grad();loss=F.cross_entropy(logits[:s]+b,y[:s]);loss.backward();opt.step()
        \t\tloss_sum+=F.cross_entropy(logits[s:]+b.detach(),y[s:]).sum();byte_count+=2048-s
        \treturn loss_sum/byte_count
    """)
    assert adaptations(facts) == []
