#!/usr/bin/python3
"""heldout.py — a one-minute teacher-forced check of a trained tiny model on held-out samples.

Runs the PyTorch model of v4train.py (a v4train checkpoint, or an exported model directory in
any stored format) over gen-train JSONL files and prints, per task (and context length), the
share of completion tokens whose argmax is the reference token, the mean completion NLL, and
the samples whose every completion argmax is right — exactly the samples that greedy decoding
would reproduce word for word. The files should come from a train seed that no training run
used (`v4eval gen-train --seed S`: seeds are hashed, so another base seed gives other samples);
the model card's scores on the eval seeds remain the measurement, this is the fast probe.
Read-only; exit 2 on bad input (file, line, what was expected).

Usage: heldout.py (--ckpt model.pt | --model DIR) FILE.jsonl [FILE.jsonl ...] [--limit N]
"""
import argparse
import collections
import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import attn_stats  # noqa: E402


def die(msg):
    print(f"heldout: {msg}", file=sys.stderr)
    sys.exit(2)


def read_samples(path, limit):
    """-> [(key, ids, n_prompt)]; key = task or task/length; at most `limit` per key (0: all)."""
    out, per = [], collections.Counter()
    try:
        f = open(path)
    except OSError as e:
        die(f"{path}: {e.strerror}")
    with f:
        for ln, line in enumerate(f, 1):
            try:
                o = json.loads(line)
                p, c, task = o["prompt_ids"], o["completion_ids"], o["task"]
                length = int(o.get("length") or 0)
            except (ValueError, KeyError, TypeError) as e:
                die(f"{path}:{ln}: expected a gen-train JSON line with prompt_ids, completion_ids "
                    f"and task, found an error: {e}")
            if not p or not c:
                die(f"{path}:{ln}: expected non-empty prompt_ids and completion_ids")
            key = f"{task}/{length}" if length else task
            if limit and per[key] >= limit:
                continue
            per[key] += 1
            out.append((key, p + c, len(p)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--ckpt", help="v4train checkpoint model.pt")
    g.add_argument("--model", help="exported model directory (config.json, model.safetensors)")
    ap.add_argument("files", nargs="+", help="gen-train JSONL files")
    ap.add_argument("--limit", type=int, default=0, help="at most N samples per task and length")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for p in [a.ckpt or a.model] + a.files:
        if not os.path.exists(p):
            die(f"{p}: no such file or directory")
    try:
        model, cfg = attn_stats.load(a)
    except (OSError, RuntimeError, KeyError, ValueError) as e:
        die(f"{a.ckpt or a.model}: cannot load the model: {e}")
    model.eval()
    V = cfg["vocab_size"]
    res = collections.defaultdict(lambda: [0, 0, 0.0, 0, 0])   # right, tokens, nll, exact, samples
    for path in a.files:
        for key, ids, npr in read_samples(path, a.limit):
            if max(ids) >= V or min(ids) < 0:
                die(f"{path}: {key}: token id outside the model's vocabulary 0..{V - 1}")
            with torch.no_grad():
                lg, _ = model(torch.tensor([ids]), mtp=False)
            tgt = torch.tensor(ids[npr:])
            lc = lg[0, npr - 1:len(ids) - 1]
            ok = lc.argmax(-1) == tgt
            r = res[key]
            r[0] += int(ok.sum())
            r[1] += len(ok)
            r[2] += float(F.cross_entropy(lc, tgt, reduction="sum"))
            r[3] += int(ok.all())
            r[4] += 1
    print(f"{'task':28s} {'token acc':>9s} {'nll/token':>9s} {'exact':>9s}")
    for key in sorted(res):
        right, n, nll, ex, m = res[key]
        print(f"{key:28s} {right / n:9.3f} {nll / n:9.3f} {ex:4d}/{m:<4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
