#!/usr/bin/python3
"""attn_stats.py — how sharp is each attention head of a trained tiny model?

Runs the PyTorch model of v4train.py (weights from a v4train checkpoint, or from an exported
model directory) on the first --n samples of a gen-train JSONL file and prints, per layer and
head, the mean entropy of the attention distribution (window + compressed entries + sink) and
the mean top probability, over the completion positions. A head that can copy one token has a
top probability near 1; uniform attention over W keys has entropy ln W. Also prints the mean
|kv_norm weight| of each layer (q and kv are RMS-normalised, so that weight bounds the logits).
Read-only; exit 2 on bad input.

Usage: attn_stats.py (--ckpt model.pt | --model DIR) --data FILE.jsonl [--n 4]
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import v4train  # noqa: E402
import safetensors_io  # noqa: E402
import v4ref  # noqa: E402


def die(msg):
    print(f"attn_stats: {msg}", file=sys.stderr)
    sys.exit(2)


def add_model_args(ap):
    """The model options load() reads: --ckpt (a v4train checkpoint) or --model (an export)."""
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--ckpt")
    g.add_argument("--model")


def load(args):
    if args.ckpt:
        ck = torch.load(args.ckpt)
        m = v4train.V4Model(ck["config"])
        m.load_state_dict(ck["state"])
        return m, ck["config"]
    with open(os.path.join(args.model, "config.json")) as f:
        cfg_file = json.load(f)
    cfg = dict(v4train.DEFAULT_CONFIG)
    cfg.update({k: cfg_file[k] for k in cfg_file if k in v4train.DEFAULT_CONFIG})
    m = v4train.V4Model(cfg)
    # every stored format (BF16, FP8, FP4) decoded by the reference's loader; strict load:
    # a missing or extra tensor is a RuntimeError naming it
    W, _ = v4ref.load_weights(os.path.join(args.model, "model.safetensors"))
    m.load_state_dict(W)
    return m, cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_model_args(ap)
    ap.add_argument("--data", required=True)
    ap.add_argument("--n", type=int, default=4)
    args = ap.parse_args()
    torch.set_num_threads(1)
    try:
        m, cfg = load(args)
    except (OSError, ValueError, KeyError, RuntimeError, AssertionError,
            safetensors_io.SafetensorsError) as e:
        die(f"{args.ckpt or args.model}: cannot load the model: {e}")
    m.eval()
    H, W = cfg["num_attention_heads"], cfg["sliding_window"]
    rows = []
    try:
        with open(args.data) as f:
            for line in f:
                rows.append(json.loads(line))
                if len(rows) >= args.n:
                    break
    except (OSError, ValueError) as e:
        die(f"{args.data}: expected gen-train JSONL: {e}")
    if not rows:
        die(f"{args.data}: expected gen-train JSONL lines, found none")
    L = len(m.layers)
    ent = np.zeros((L, H))
    top = np.zeros((L, H))
    cnt = 0
    sm = torch.softmax
    for r in rows:
        ids = r["prompt_ids"] + r["completion_ids"]
        npr = len(r["prompt_ids"])
        cap = []

        def spy(x, dim=-1, **kw):
            p = sm(x, dim=dim, **kw)
            # the attention softmax: [B, T, H, window (+ compressed) + sink]
            if x.dim() == 4 and x.shape[2] == H and x.shape[-1] > 2 * min(W, x.shape[1]):
                cap.append(p)
            return p
        torch.softmax = spy
        try:
            with torch.no_grad():
                m(torch.tensor([ids]), mtp=False)
        finally:
            torch.softmax = sm
        for li, p in enumerate(cap[:L]):
            q = p[0, npr - 1:len(ids) - 1]                           # completion queries
            ent[li] += (-(q * q.clamp_min(1e-30).log()).sum(-1)).mean(0).numpy()
            top[li] += q[..., :-1].max(-1).values.mean(0).numpy()
        cnt += 1
    print(f"attn_stats: {cnt} samples of {args.data}; uniform over {W} keys = "
          f"{math.log(W):.2f} nats")
    for li, blk in enumerate(m.layers):
        kv = float(blk.attn.kv_norm.weight.abs().mean())
        print(f"  layer {li} (ratio {blk.ratio}) |kv_norm| {kv:.2f}  entropy "
              + " ".join(f"{v / cnt:.2f}" for v in ent[li]) + "  top-p "
              + " ".join(f"{v / cnt:.2f}" for v in top[li]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
