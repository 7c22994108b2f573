#!/usr/bin/python3
"""export.py — trained v4train checkpoint -> the official DeepSeek-V4 checkpoint layout.

Writes
  OUT/            config.json, tokenizer.json, model.safetensors        (BF16 master copy)
  FP8OUT/         config.json, tokenizer.json, model.safetensors        (official low precision)

Storage formats (spec §13.3/§13.5, the same encodings as scripts/reference):
  * BF16: embed, head, every norm, compressor wkv/wgate, indexer weights_proj, router weight;
    in the BF16 copy also every other linear;
  * F32: mHC fn/base/scale, attn_sink, compressor ape, router bias; I64: tid2eid;
  * FP8 copy only: dense linears (wq_a, wq_b, wkv, wo_a, wo_b, indexer.wq_b, shared experts,
    e_proj, h_proj) as F8_E4M3 + F8_E8M0 scales per 128x128 block (power-of-two scale
    2^ceil(log2(amax/448))); routed experts as packed FP4 E2M1 (I8 [out, in/2], low nibble = even
    column) + F8_E8M0 scale per 32 inputs (2^ceil(log2(amax/6))).

--verify runs the C engine (`bin/v4eval logits --qat off --topk-out`) on a token sequence for
each copy and checks it against scripts/reference/v4ref.py (float64, independent) on the stored
(decoded) weights. The CSA top-k is a discrete choice: where two index scores tie to float32
rounding, two exact implementations may pick different entries (measured on a smoke-run
model: 1 query of 1024 in layer 3, scores 0.025564939 vs 0.025564436, flips between this
PyTorch model run with 1 and with 2 OpenBLAS threads; the logits of that position then move by
1.4e-3). So the check has two parts: (1) the engine's selections, read from its --topk-out
trace, must be a top-k of the float64 scores up to --tie-tol (the best left-out score minus
the worst chosen one, relative to the query's largest |score|); (2) with v4ref made to use
those selections, max |logit difference| must be <= --tol (1e-3). The plain difference from
this float32 PyTorch model (its own selections) is printed beside them; the figures go to
OUT/verify.json. --exactness writes OUT/exactness/ (the reference logits of part 2 at 64
positions + greedy continuations of suite prompts, the fixture of tests/test_train_exact.c).
--check-ref also compares v4ref (own selections) with the PyTorch model on the BF16 copy.
Exit status: 0 ok, 1 verification failed, 2 bad input.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import safetensors_io as sio  # noqa: E402
import v4train  # noqa: E402


def role(name):
    """Storage role of a state_dict entry."""
    if name.endswith("tid2eid"):
        return "i64"
    base = name.rsplit(".", 1)[-1]
    if "hc_" in name or base in ("attn_sink", "ape") or name.endswith("gate.bias"):
        return "f32"
    if name in ("embed.weight", "head.weight") or name.endswith("norm.weight") \
            or ".compressor." in name or name.endswith("weights_proj.weight") \
            or name.endswith("gate.weight"):
        return "bf16"
    if ".experts." in name:
        return "expert"
    return "dense"


def pow2_ceil(x):
    m, e = np.frexp(x)
    return np.ldexp(1.0, np.where(m == 0.5, e - 1, e))


def quant_fp8(w, block=128):
    """float [out, in] -> (E4M3 codes, E8M0 codes [ceil(out/128), ceil(in/128)], decoded)."""
    out, inp = w.shape
    so, si = -(-out // block), -(-inp // block)
    sc = np.empty((so, si))
    q = np.empty_like(w)
    for i in range(so):
        for j in range(si):
            blk = w[i * block:(i + 1) * block, j * block:(j + 1) * block]
            s = float(pow2_ceil(max(np.abs(blk).max(), 1e-30) / 448.0))
            sc[i, j] = s
            q[i * block:(i + 1) * block, j * block:(j + 1) * block] = \
                sio.e4m3_round(np.clip(blk / s, -448, 448))
    codes, scodes = sio.e4m3_encode(q), sio.e8m0_encode_pow2(sc)
    return codes, scodes, sio.fp8_decode_blocks(codes, scodes, block)


def quant_fp4(w, block=32):
    """float [out, in] -> (packed uint8 [out, in/2], E8M0 codes [out, in/32], decoded)."""
    out, inp = w.shape
    if inp % block:
        raise SystemExit(f"export: FP4 needs in % {block} == 0, found {inp}")
    wb = w.reshape(out, inp // block, block)
    s = pow2_ceil(np.maximum(np.abs(wb).max(-1), 6.0 * 2.0 ** -126) / 6.0)
    y = np.clip(wb / s[..., None], -6, 6).reshape(out, inp)
    sign, idx = sio.e2m1_round_index(y)
    packed, scodes = sio.fp4_encode_packed(sign, idx), sio.e8m0_encode_pow2(s)
    return packed, scodes, sio.fp4_decode_packed(packed, scodes, block)


def encode(state, fp8):
    """state_dict -> ({name: (dtype, array)} for safetensors, {name: decoded float tensor})."""
    out, dec = {}, {}
    for name, t in state.items():
        r = role(name)
        a = t.detach().cpu().numpy()
        if r == "i64":
            out[name] = ("I64", a.astype(np.int64))
            dec[name] = t.clone()
        elif r == "f32":
            out[name] = ("F32", a.astype(np.float32))
            dec[name] = torch.from_numpy(a.astype(np.float32))
        elif r == "bf16" or not fp8:
            bits = sio.f32_to_bf16_bits(a.astype(np.float32))
            out[name] = ("BF16", bits)
            dec[name] = torch.from_numpy(sio.bf16_bits_to_f64(bits).astype(np.float32))
        elif r == "dense":
            codes, sc, d = quant_fp8(a.astype(np.float64))
            out[name] = ("F8_E4M3", codes)
            out[name[:-7] + ".scale"] = ("F8_E8M0", sc)
            dec[name] = torch.from_numpy(d.astype(np.float32))
        else:
            packed, sc, d = quant_fp4(a.astype(np.float64))
            out[name] = ("I8", packed.view(np.int8))
            out[name[:-7] + ".scale"] = ("F8_E8M0", sc)
            dec[name] = torch.from_numpy(d.astype(np.float32))
    return out, dec


def write_copy(out_dir, cfg, tensors, tokenizer, fp8, meta):
    os.makedirs(out_dir, exist_ok=True)
    c = dict(cfg)
    c["torch_dtype"] = "bfloat16"
    if fp8:
        c["expert_dtype"] = "fp4"
        c["quantization_config"] = {"quant_method": "fp8", "fmt": "e4m3", "scale_fmt": "ue8m0",
                                    "activation_scheme": "dynamic",
                                    "weight_block_size": [128, 128]}
    else:
        c["expert_dtype"] = "bf16"
        c.pop("quantization_config", None)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
        f.write("\n")
    shutil.copyfile(tokenizer, os.path.join(out_dir, "tokenizer.json"))
    sio.write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, meta)


def model_with(cfg, dec):
    m = v4train.V4Model(cfg)
    m.load_state_dict(dec)
    m.eval()
    return m


def engine_logits(engine, model_dir, tokens, cfg):
    """The engine's logits [T, V] and CSA selections [n_layers, T, index_topk] (-1 = unused)."""
    with tempfile.TemporaryDirectory() as td:
        tf, of, kf = (os.path.join(td, x) for x in ("tok.json", "out.f32", "topk.i32"))
        with open(tf, "w") as f:
            json.dump([int(t) for t in tokens], f)
        r = subprocess.run([engine, "logits", "--model", model_dir, "--tokens-file", tf,
                            "--out", of, "--qat", "off", "--topk-out", kf],
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"{engine} logits failed ({r.returncode}): {r.stderr.strip()}")
        lg = np.fromfile(of, dtype="<f4").reshape(len(tokens), -1)
        topk = np.fromfile(kf, dtype="<i4").reshape(cfg["num_hidden_layers"], len(tokens),
                                                     cfg["index_topk"])
        return lg, topk


def load_reference(model_dir):
    """scripts/reference/v4ref.py's model of model_dir (float64), imported late: the import
    sets torch's default dtype to float64, which is put back for this script's model."""
    prev = torch.get_default_dtype()
    import v4ref
    torch.set_default_dtype(prev)
    return v4ref.V4Ref(model_dir)


def reference_forced(model_dir, tokens, topk, routes):
    """v4ref (float64) logits with the CSA selections `topk` of the engine and the learned
    expert routes `routes` ({layer: [T, k]}) of the float32 model, and v4ref's stats
    (force_differ.L / force_violation.L per CSA layer, route_differ.L / route_violation.L per
    learned-routing layer)."""
    ref = load_reference(model_dir)
    force = {l: torch.from_numpy(topk[l].astype(np.int64)) for l in range(topk.shape[0])}
    out = ref.forward(tokens, qat=False, mtp=False, force_topk=force, force_experts=routes)
    return out["logits"].numpy(), ref.stats


def float32_routes(m):
    """The learned-routing MoE layers' expert choices {layer: [T, k]} of the float32 model's
    last forward (batch 1). The engine exposes its CSA selections but not its routes; its
    logits match this model's to ~1e-4 (the "plain" figure), which a route taken differently
    at any position would break by far more."""
    return {l: b.ffn.last_idx.numpy() for l, b in enumerate(m.layers)
            if not b.ffn.gate.is_hash and getattr(b.ffn, "last_idx", None) is not None}


def verify_tokens(args, vocab):
    """A real training-format sequence (prompt + completion) when --verify-data is given, padded
    out with more samples up to --verify-len tokens; else random ids."""
    toks = []
    if args.verify_data:
        with open(args.verify_data) as f:
            for line in f:
                o = json.loads(line)
                toks += o["prompt_ids"] + o["completion_ids"]
                if len(toks) >= args.verify_len:
                    break
    if len(toks) < args.verify_len:
        rng = np.random.default_rng(7)
        toks += list(rng.integers(3, vocab, args.verify_len - len(toks)))
    return toks[:args.verify_len]


def greedy_prompts(files, n, max_len):
    """Up to n prompts (id lists) taken round-robin from gen-train files, each <= max_len ids."""
    per = []
    for path in files:
        with open(path) as f:
            per.append([json.loads(l)["prompt_ids"] for l in f])
    out, i = [], 0
    while len(out) < n and any(i < len(p) for p in per):
        for p in per:
            if i < len(p) and len(p[i]) <= max_len and len(out) < n:
                out.append(p[i])
        i += 1
    return out


def write_exactness(m, toks, logits, prompts, n_new, eos, out_dir, forced, n_pos=64):
    """Fixture of the engine exactness test (tests/test_train_exact.c): the reference logits of
    the verification sequence at n_pos positions (forced: v4ref float64 with the engine's CSA
    selections, else this float32 PyTorch model), and greedy continuations of prompts with the
    top-1/top-2 margin of every step (a step whose margin is below the test's threshold may
    legitimately flip between two exact implementations)."""
    d = os.path.join(out_dir, "exactness")
    os.makedirs(d, exist_ok=True)
    T, V = logits.shape
    pos = sorted(set(np.linspace(0, T - 1, n_pos).round().astype(int).tolist()))
    logits[pos].astype("<f4").tofile(os.path.join(d, "logits.f32"))
    with open(os.path.join(d, "tokens.json"), "w") as f:
        json.dump([int(t) for t in toks], f)
    with open(os.path.join(d, "greedy.jsonl"), "w") as f:
        for p in prompts:
            seq, gen, margins = list(p), [], []
            for _ in range(n_new):
                with torch.no_grad():
                    lg, _ = m(torch.tensor([seq]), mtp=False)
                last = lg[0, -1].double()
                top = torch.topk(last, 2)
                t = int(top.indices[0])
                gen.append(t)
                margins.append(float(top.values[0] - top.values[1]))
                seq.append(t)
                if t == eos:
                    break
            f.write(json.dumps({"prompt_ids": [int(x) for x in p], "greedy": gen,
                                "margins": margins}) + "\n")
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"positions": pos, "vocab": V, "n_tokens": T, "tol": 1e-3,
                   "min_margin": 1e-4, "qat": "off", "n_prompts": len(prompts),
                   "logits_from": ("v4ref float64 with the engine's CSA selections (export.py "
                                   "--verify)" if forced else "PyTorch float32 (v4train)"),
                   "producer": "scripts/train/export.py"}, f)
        f.write("\n")
    print(f"export: exactness fixture {d}: {len(pos)} logit rows of {T} tokens, "
          f"{len(prompts)} greedy prompts x <= {n_new} tokens")


def main():
    ap = argparse.ArgumentParser(description="export a v4train checkpoint")
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True, help="BF16 copy directory")
    ap.add_argument("--fp8-out", help="FP8/FP4 copy directory")
    ap.add_argument("--verify", action="store_true", help="compare the C engine with PyTorch")
    ap.add_argument("--check-ref", action="store_true", help="compare v4ref.py (float64) too")
    ap.add_argument("--engine", default="bin/v4eval")
    ap.add_argument("--verify-data", help="gen-train JSONL for the verification sequence")
    ap.add_argument("--verify-len", type=int, default=2048)
    ap.add_argument("--tol", type=float, default=1e-3)
    ap.add_argument("--tie-tol", type=float, default=1e-4,
                    help="how far (relative) an engine top-k choice may be from float64's")
    ap.add_argument("--exactness", action="store_true",
                    help="write OUT/exactness/ (fixture of tests/test_train_exact.c)")
    ap.add_argument("--greedy-data", default="",
                    help="comma-separated gen-train files for the exactness greedy prompts")
    ap.add_argument("--greedy-n", type=int, default=50)
    ap.add_argument("--greedy-tokens", type=int, default=12)
    ap.add_argument("--max-mb", type=float, default=20.0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if not os.path.exists(args.ckpt):
        print(f"export: {args.ckpt}: no such checkpoint", file=sys.stderr)
        return 2
    ck = torch.load(args.ckpt)
    cfg, state = ck["config"], ck["state"]
    meta = {"format": "pt", "producer": "v4eval scripts/train/export.py",
            "train_steps": ck.get("steps"), "train_tokens": ck.get("tokens"),
            "train_seconds": round(float(ck.get("seconds", 0)), 1), "seed": ck.get("seed")}
    copies = [(args.out, False)] + ([(args.fp8_out, True)] if args.fp8_out else [])
    rc = 0
    for out_dir, fp8 in copies:
        tensors, dec = encode(state, fp8)
        write_copy(out_dir, cfg, tensors, args.tokenizer, fp8, meta)
        mb = os.path.getsize(os.path.join(out_dir, "model.safetensors")) / 1e6
        print(f"export: {out_dir}: {len(tensors)} tensors, {mb:.2f} MB "
              f"({'FP8 e4m3 + FP4 experts' if fp8 else 'BF16'})")
        if mb > args.max_mb:
            print(f"export: {out_dir}/model.safetensors: {mb:.2f} MB exceeds --max-mb "
                  f"{args.max_mb}", file=sys.stderr)
            rc = 1
        if not (args.verify or args.check_ref or (args.exactness and not fp8)):
            continue
        toks = verify_tokens(args, cfg["vocab_size"])
        m = model_with(cfg, dec)
        with torch.no_grad():
            pt, pm = m(torch.tensor([toks]), mtp=True)
        pt = pt[0].double().numpy()
        pm = pm[0].double().numpy() if pm is not None else None
        fixture_logits = pt
        if args.verify:
            eng, topk = engine_logits(args.engine, out_dir, toks, cfg)
            d = np.abs(eng - pt)
            try:
                rl, st = reference_forced(out_dir, toks, topk, float32_routes(m))
            except ValueError as e:     # the engine's trace is not a set of visible entries
                print(f"export: verify {out_dir}: engine top-k trace: {e} -> FAIL",
                      file=sys.stderr)
                rc |= 1
                continue
            dr = np.abs(eng - rl)
            layers = sorted(int(k.split(".")[1]) for k in st if k.startswith("force_differ."))
            differ = sum(st[f"force_differ.{l}"] for l in layers)
            viol = max([st[f"force_violation.{l}"] for l in layers] or [-np.inf])
            rlay = sorted(int(k.split(".")[1]) for k in st if k.startswith("route_differ."))
            rdiffer = sum(st[f"route_differ.{l}"] for l in rlay)
            rviol = max([st[f"route_violation.{l}"] for l in rlay] or [-np.inf])
            agree = float((eng.argmax(-1) == rl.argmax(-1)).mean())
            ok = dr.max() <= args.tol and viol <= args.tie_tol and rviol <= args.tie_tol
            print(f"export: verify {out_dir}: engine vs v4ref (float64) over {len(toks)} tokens: "
                  f"CSA selections differ at {differ} of {len(toks) * len(layers)} queries, "
                  f"worst relative tie {max(viol, 0.0):.2g} (tie tol {args.tie_tol}); learned "
                  f"expert routes (float32's) differ at {rdiffer} of {len(toks) * len(rlay)}, "
                  f"worst relative tie {max(rviol, 0.0):.2g}; with these choices "
                  f"max |diff| {dr.max():.3g} (mean {dr.mean():.3g}), argmax "
                  f"agreement {agree * 100:.2f}% -> {'ok' if ok else 'FAIL'} (tol {args.tol}); "
                  f"plain engine vs float32 PyTorch: max |diff| {d.max():.3g}")
            rc |= 0 if ok else 1
            fixture_logits = rl
            with open(os.path.join(out_dir, "verify.json"), "w") as f:
                json.dump({"tokens": len(toks), "reference": "scripts/reference/v4ref.py float64",
                           "csa_queries": len(toks) * len(layers), "selections_differ": differ,
                           "worst_relative_tie": max(viol, 0.0), "tie_tol": args.tie_tol,
                           "routes_total": len(toks) * len(rlay), "routes_differ": rdiffer,
                           "worst_route_tie": max(rviol, 0.0),
                           "max_abs_diff": float(dr.max()), "mean_abs_diff": float(dr.mean()),
                           "argmax_agreement": agree, "tol": args.tol, "ok": bool(ok),
                           "plain_vs_float32_pytorch_max_abs_diff": float(d.max())}, f)
                f.write("\n")
        if args.exactness and not fp8:
            files = [x for x in args.greedy_data.split(",") if x]
            prompts = greedy_prompts(files, args.greedy_n, 1100) if files else []
            write_exactness(m, toks, fixture_logits, prompts, args.greedy_tokens,
                            cfg["eos_token_id"], out_dir, args.verify)
        if args.check_ref and not fp8:
            out = load_reference(out_dir).forward(toks, qat=False, mtp=pm is not None)
            for key, mine in (("logits", pt), ("mtp_logits", pm)):
                if mine is None:
                    continue
                d = np.abs(out[key].numpy() - mine)
                ok = d.max() <= args.tol
                print(f"export: v4ref (float64) vs PyTorch {key} over {len(toks)} tokens: "
                      f"max |diff| {d.max():.3g} -> {'ok' if ok else 'FAIL'}")
                rc |= 0 if ok else 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
