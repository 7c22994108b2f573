#!/usr/bin/python3
"""compare_logits.py - compares a float32 logits file (e.g. from `v4eval logits`) with a tensor
of a fixture's expected.safetensors. numpy only (no torch needed).

Usage: /usr/bin/python3 scripts/reference/compare_logits.py OUT.f32 tests/fixtures/tiny-bf16 \
           [--key logits_noqat] [--tol 1e-3] [--positions N]
Prints max |diff|, the worst position and the argmax agreement; exit 0 when max |diff| <= tol,
1 when not, 2 on bad input."""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as sio  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("logits", help="little-endian float32 [T x V] file")
    ap.add_argument("fixture", help="fixture folder holding expected.safetensors")
    ap.add_argument("--key", default="logits_noqat", help="tensor to compare (default logits_noqat)")
    ap.add_argument("--tol", type=float, default=1e-3, help="max |diff| allowed (default 1e-3)")
    ap.add_argument("--positions", type=int, help="compare only the first N positions")
    a = ap.parse_args()
    try:
        exp, _ = sio.read_safetensors(os.path.join(a.fixture, "expected.safetensors"))
        if a.key not in exp:
            raise ValueError(f"{a.fixture}/expected.safetensors: no tensor {a.key}")
        want = exp[a.key][1].astype(np.float64)
        got = np.fromfile(a.logits, dtype="<f4").astype(np.float64)
        if got.size != want.size:
            raise ValueError(f"{a.logits}: {got.size} floats, expected {want.size} "
                             f"({want.shape[0]} x {want.shape[1]})")
    except (OSError, ValueError, sio.SafetensorsError) as e:
        print(f"compare_logits: {e}", file=sys.stderr)
        return 2
    got = got.reshape(want.shape)
    if a.positions:
        got, want = got[:a.positions], want[:a.positions]
    d = np.abs(got - want)
    d = np.where(np.isnan(d), np.inf, d)
    worst = np.unravel_index(np.argmax(d), d.shape)
    agree = float(np.mean(got.argmax(-1) == want.argmax(-1)))
    md = float(d.max())
    print(f"{a.key}: max |diff| {md:.3e} at position {worst[0]} token {worst[1]}; "
          f"argmax agreement {agree * 100:.1f}% over {want.shape[0]} positions")
    return 0 if md <= a.tol else 1


if __name__ == "__main__":
    sys.exit(main())
