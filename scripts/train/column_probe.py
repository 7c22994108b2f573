#!/usr/bin/python3
"""column_probe.py — where does a trained tiny model look when it starts a line of column working?

The math suite's one-step arithmetic trains on column working (suites/math.c: one digit column
per line, least significant first: `46 + 71` -> `6 + 1 + 0 = 7`, `4 + 7 + 0 = 11`). The first
token of column line k is the k-th digit of the first operand, which the model can only get by
reading the operand in the question. This probe runs the PyTorch model of v4train.py (weights
from a checkpoint or an exported directory, as attn_stats.py loads them) teacher-forced on the
reference completions of --task samples of a gen-train JSONL file and prints, per column line:
how often the greedy next token at the line's start is the reference one (the digit; with
working "operands" the first number left for the column), and for each --heads head
where its largest attention weight falls — on a token of operand a, of operand b, elsewhere in
the prompt, on the working written so far, on a compressed entry or on the sink. Samples whose
working does not start with a column line (`a − b` with a < b writes `a − b = −(b − a)` first)
are skipped and counted. Read-only; exit 2 on bad input.

Usage: column_probe.py (--ckpt model.pt | --model DIR) --data FILE.jsonl [--task arith_2da]
                       [--n 50] [--heads 1:0,2:0,4:0] [--tokenizer models/tokenizer/tokenizer.json]
"""
import argparse
import collections
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import attn_stats  # noqa: E402
import safetensors_io  # noqa: E402
import v4train  # noqa: E402

PLACES = ("a", "b", "prompt", "working", "compressed", "sink")


def die(msg):
    print(f"column_probe: {msg}", file=sys.stderr)
    sys.exit(2)


def operand_spans(ids, npr, digit):
    """Token positions of the first two runs of digit tokens in the prompt (the operands)."""
    runs, cur = [], []
    for i in range(npr):
        if digit(ids[i]):
            cur.append(i)
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return (set(runs[0]), set(runs[1])) if len(runs) >= 2 else None


def probe_sample(model, cfg, heads, ids, npr, a, b, line_starts):
    """-> [(first token right, [place of each head's largest weight])] per column line."""
    H, W, T = cfg["num_attention_heads"], cfg["sliding_window"], len(ids)
    S, nC, P, K = v4train.window_blocks(T, W)
    _, slot_pos = v4train.window_slots(nC, S, P, K)             # [nC, 1, K] key positions
    cap, sm = [], torch.softmax

    def spy(x, dim=-1, **kw):
        p = sm(x, dim=dim, **kw)
        # the attention softmax: [B, T, H, window slots (+ compressed) + sink]
        if x.dim() == 4 and x.shape[1] == T and x.shape[2] == H and x.shape[-1] >= K + 1:
            cap.append(p)
        return p
    torch.softmax = spy
    try:
        with torch.no_grad():
            logits = model(torch.tensor([ids]), mtp=False)
    finally:
        torch.softmax = sm
    logits = logits[0] if isinstance(logits, tuple) else logits
    if len(cap) != len(model.layers):
        die(f"expected one attention softmax per layer ({len(model.layers)}), found {len(cap)}")
    out = []
    for q in line_starts:
        right = int(logits[0, q].argmax()) == ids[q + 1]
        places = []
        for li, h in heads:
            p = cap[li][0, q, h]
            k = int(p.argmax())
            if k == p.shape[0] - 1:
                places.append("sink")
            elif k >= K:
                places.append("compressed")
            else:
                pos = int(slot_pos[q // S, 0, k])   # window slot k of query q's chunk
                places.append("a" if pos in a else "b" if pos in b else
                              "prompt" if pos < npr else "working")
        out.append((right, places))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    attn_stats.add_model_args(ap)
    ap.add_argument("--data", required=True)
    ap.add_argument("--task", default="arith_2da")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--heads", default="1:0,2:0,4:0")
    ap.add_argument("--tokenizer", default=os.path.join(HERE, "..", "..", "models", "tokenizer",
                                                         "tokenizer.json"))
    args = ap.parse_args()
    if args.n < 1:
        die(f"--n: expected >= 1, found {args.n}")
    torch.set_num_threads(1)
    try:
        model, cfg = attn_stats.load(args)
    except (OSError, ValueError, KeyError, RuntimeError, AssertionError,
            safetensors_io.SafetensorsError) as e:
        die(f"{args.ckpt or args.model}: cannot load the model: {e}")
    model.eval()
    try:
        heads = v4train.parse_heads(args.heads, cfg, "--heads")
    except SystemExit as e:      # parse_heads' one-line error, as this script's exit 2
        die(str(e).removeprefix("v4train: "))
    try:
        with open(args.tokenizer) as f:
            vocab = json.load(f)["model"]["vocab"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        die(f"{args.tokenizer}: expected a tokenizer.json with model.vocab: {e!r}")
    inv = {v: k for k, v in vocab.items()}
    newline = vocab.get("\u010a")          # byte-level "\n"
    if newline is None:
        die(f"{args.tokenizer}: expected a token for \"\\n\", found none")

    def digit(t):
        return inv.get(t, "").isdigit()

    stats = collections.defaultdict(collections.Counter)
    used = skipped = 0
    try:
        with open(args.data) as f:
            for ln, line in enumerate(f, 1):
                r = json.loads(line)
                if r["task"] != args.task:
                    continue
                lines = r["completion"].split("\n")
                cols = [x for x in lines if x[:1].isdigit() and " = " in x and "(" not in x]
                ids, npr = r["prompt_ids"] + r["completion_ids"], len(r["prompt_ids"])
                ops = operand_spans(ids, npr, digit)
                if not cols or "(" in lines[0] or ops is None:
                    skipped += 1
                    continue
                nls = [i for i in range(npr, len(ids)) if ids[i] == newline]
                starts = ([npr - 1] + nls)[:len(cols)]
                for k, (right, places) in enumerate(probe_sample(model, cfg, heads, ids, npr,
                                                                 *ops, starts)):
                    st = stats[k + 1]
                    st["n"] += 1
                    st["right"] += right
                    for (li, h), pl in zip(heads, places):
                        st[f"{li}:{h} {pl}"] += 1
                used += 1
                if used >= args.n:
                    break
    except OSError as e:
        die(f"{args.data}: {e.strerror}")
    except (ValueError, KeyError, TypeError) as e:
        die(f"{args.data}:{ln}: expected a gen-train JSON line with prompt, completion, "
            f"prompt_ids, completion_ids and task, found: {e!r}")
    if not used:
        die(f"{args.data}: expected --task {args.task} samples with column working, found none")
    print(f"column_probe: {used} {args.task} samples ({skipped} skipped) of {args.data}; "
          f"largest attention weight of each head at the start of each column line")
    print("line  n    first token right  " + "  ".join(
        f"{li}:{h} " + "/".join(PLACES) for li, h in heads))
    for k in sorted(stats):
        st = stats[k]
        print(f"{k:<5} {st['n']:<4} {st['right']:>4} ({100 * st['right'] / st['n']:5.1f} %)    "
              + "  ".join(" " * 4 + "/".join(str(st[f'{li}:{h} {pl}']) for pl in PLACES)
                          for li, h in heads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
