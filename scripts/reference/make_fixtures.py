#!/usr/bin/python3
"""make_fixtures.py - writes the reference fixtures the C engine's tests compare against.

Usage: /usr/bin/python3 scripts/reference/make_fixtures.py --out tests/fixtures [--only NAME]

For each fixture (tiny-bf16, tiny-fp8) it creates random weights in the official checkpoint
layout (spec §13.2-13.5), runs the independent reference (v4ref.py) on a fixed token sequence
with QAT emulation off and on, and writes
  <out>/<name>/config.json, model.safetensors, tokens.json, expected.safetensors
(contract: /work/notes/fixtures-contract.md; names documented in scripts/reference/README.md).

Deterministic: fixed numpy seeds, float64 reference. Before writing, it checks that the fixture
actually exercises what it is meant to test (finite, non-exploding hidden states; CSA top-k sets
that vary and have no near-ties at the selection boundary; hash routing different from what the
learned gate would pick; SwiGLU clamps active; QAT changing the logits) and refuses to write a
fixture that does not.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as sio  # noqa: E402
import v4ref  # noqa: E402

T_TOKENS = 301  # >= 300, not a multiple of 4 or 128: HCA emits 2 entries + remainder
TOKEN_ATTEMPTS = 40
U_GAIN = 12.0  # size of the residual bias direction in the embeddings (see Gen.__init__)


def tiny_config(fp8):
    """HF-style config.json of the tiny fixtures (spec §1.2 keys)."""
    cfg = {
        "architectures": ["DeepseekV4ForCausalLM"],
        "model_type": "deepseek_v4",
        "vocab_size": 128,
        "hidden_size": 64,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "head_dim": 80,
        "qk_rope_head_dim": 16,
        "q_lora_rank": 16,
        "o_groups": 2,
        "o_lora_rank": 16,
        "sliding_window": 8,
        "compress_ratios": [0, 4, 128, 4, 0],
        "compress_rope_theta": 160000.0,
        "rope_theta": 10000.0,
        "rope_scaling": {"type": "yarn", "factor": 16.0, "original_max_position_embeddings": 64,
                         "beta_fast": 32, "beta_slow": 1},
        "max_position_embeddings": 4096,
        "index_n_heads": 2,
        "index_head_dim": 32,
        "index_topk": 4,
        "n_routed_experts": 8,
        "n_shared_experts": 1,
        "num_experts_per_tok": 2,
        "moe_intermediate_size": 32,
        "scoring_func": "sqrtsoftplus",
        "norm_topk_prob": True,
        "routed_scaling_factor": 1.5,
        "topk_method": "noaux_tc",
        "num_hash_layers": 2,
        "swiglu_limit": 10.0,
        "hc_mult": 4,
        "hc_sinkhorn_iters": 20,
        "hc_eps": 1e-6,
        "rms_norm_eps": 1e-6,
        "num_nextn_predict_layers": 1,
        "hidden_act": "silu",
        "tie_word_embeddings": False,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "torch_dtype": "bfloat16",
    }
    if fp8:
        cfg["expert_dtype"] = "fp4"
        cfg["quantization_config"] = {"quant_method": "fp8", "fmt": "e4m3", "scale_fmt": "ue8m0",
                                      "activation_scheme": "dynamic",
                                      "weight_block_size": [128, 128]}
    return cfg


# ------------------------------------------------------------------------------------------------
# weight generation

class Gen:
    """Random master weights (float64) with the roles needed to choose the storage format."""

    def __init__(self, cfg, seed):
        self.c = cfg
        self.rng = np.random.default_rng(seed)
        D = cfg["hidden_size"]
        # A fixed "bias direction" u of the residual stream: every embedding carries +U_GAIN*u,
        # the sub-block outputs are kept orthogonal to u (so the component survives every layer)
        # and most input projections ignore it. The lightning indexer's head weights read it
        # (w_h = weights_proj . a > 0 for every token); with odd index heads = -even heads (see
        # block) every score is a positive sum, so the top-k never meets ties at 0.
        u = self.rng.standard_normal(D)
        self.u = u / np.linalg.norm(u)
        self.t = {}      # name -> float64 array
        self.role = {}   # name -> 'dense' | 'expert' | 'bf16' | 'f32' | 'i64'

    def normal(self, shape, std):
        return self.rng.standard_normal(shape) * std

    def add(self, name, arr, role):
        self.t[name] = arr
        self.role[name] = role

    def linear(self, name, out, inp, role="dense", gain=1.0, ortho_in=False, ortho_out=False):
        w = self.normal((out, inp), gain / math.sqrt(inp))
        if ortho_in:   # rows orthogonal to u: the projection ignores the bias direction
            w = w - np.outer(w @ self.u, self.u)
        if ortho_out:  # outputs orthogonal to u: the residual's u component is preserved
            w = w - np.outer(self.u, self.u @ w)
        self.add(name + ".weight", w, role)

    def norm(self, name, n):
        self.add(name + ".weight", 1.0 + self.normal((n,), 0.1), "bf16")

    def hc_site(self, pfx, site):
        c = self.c
        n, D = c["hc_mult"], c["hidden_size"]
        mix = (2 + n) * n
        self.add(f"{pfx}hc_{site}_fn", self.normal((mix, n * D), 1.0 / math.sqrt(n * D)), "f32")
        base = self.normal((mix,), 0.3)
        base[2 * n:] += (2.0 * np.eye(n)).reshape(-1)  # comb logits lean towards identity
        self.add(f"{pfx}hc_{site}_base", base, "f32")
        self.add(f"{pfx}hc_{site}_scale", 1.0 + self.normal((3,), 0.2), "f32")

    def hc_head(self, pfx):
        c = self.c
        n, D = c["hc_mult"], c["hidden_size"]
        self.add(f"{pfx}hc_head_fn", self.normal((n, n * D), 1.0 / math.sqrt(n * D)), "f32")
        self.add(f"{pfx}hc_head_base", self.normal((n,), 0.3), "f32")
        self.add(f"{pfx}hc_head_scale", 1.0 + self.normal((1,), 0.2), "f32")

    def compressor(self, pfx, m, cdim):
        D = self.c["hidden_size"]
        w = (2 if m == 4 else 1) * cdim
        self.linear(pfx + "wkv", w, D, "bf16", ortho_in=True)
        self.linear(pfx + "wgate", w, D, "bf16", gain=2.0, ortho_in=True)
        self.add(pfx + "ape", self.normal((m, w), 0.5), "f32")
        self.norm(pfx + "norm", cdim)

    def block(self, pfx, lid):
        c = self.c
        D, H, hd = c["hidden_size"], c["num_attention_heads"], c["head_dim"]
        G, ol, ql = c["o_groups"], c["o_lora_rank"], c["q_lora_rank"]
        ratio = c["compress_ratios"][lid]
        self.hc_site(pfx, "attn")
        self.hc_site(pfx, "ffn")
        self.norm(pfx + "attn_norm", D)
        self.norm(pfx + "ffn_norm", D)
        a = pfx + "attn."
        self.linear(a + "wq_a", ql, D)
        self.norm(a + "q_norm", ql)
        self.linear(a + "wq_b", H * hd, ql)
        self.linear(a + "wkv", hd, D, ortho_in=True)
        self.norm(a + "kv_norm", hd)
        self.linear(a + "wo_a", G * ol, (H // G) * hd)
        self.linear(a + "wo_b", D, G * ol, ortho_out=True)
        self.add(a + "attn_sink", self.normal((H,), 1.0), "f32")
        if ratio:
            self.compressor(a + "compressor.", ratio, hd)
        if ratio == 4:
            HI, cI = c["index_n_heads"], c["index_head_dim"]
            self.linear(a + "indexer.wq_b", HI * cI, ql, gain=1.0)
            # odd heads are the negation of the even heads: for every (query, entry) one of the
            # two dot products is positive, so ReLU never zeroes both and the (positive-weighted)
            # scores never tie at 0 - exact ties would make the top-k depend on tie-breaking
            wq = self.t[a + "indexer.wq_b.weight"]
            for h in range(1, HI, 2):
                wq[h * cI:(h + 1) * cI] = -wq[(h - 1) * cI:h * cI]
            # head weights lean positive: w_h = weights_proj . a > 0 for (almost) every token
            wp = self.normal((HI, D), 0.5 / math.sqrt(D)) + 1.0 * self.u
            self.add(a + "indexer.weights_proj.weight", wp, "bf16")
            self.compressor(a + "indexer.compressor.", 4, cI)
        f = pfx + "ffn."
        E, k, inter = c["n_routed_experts"], c["num_experts_per_tok"], c["moe_intermediate_size"]
        self.linear(f + "gate", E, D, "bf16", gain=2.0, ortho_in=True)
        if lid < c["num_hash_layers"]:
            tid = np.stack([self.rng.permutation(E)[:k] for _ in range(c["vocab_size"])])
            self.add(f + "gate.tid2eid", tid.astype(np.int64), "i64")
        else:
            self.add(f + "gate.bias", self.normal((E,), 0.1), "f32")
        for e in range(E):
            self.linear(f"{f}experts.{e}.w1", inter, D, "expert", gain=4.0, ortho_in=True)
            self.linear(f"{f}experts.{e}.w3", inter, D, "expert", gain=4.0, ortho_in=True)
            self.linear(f"{f}experts.{e}.w2", D, inter, "expert", gain=0.25, ortho_out=True)
        self.linear(f + "shared_experts.w1", inter, D, gain=4.0, ortho_in=True)
        self.linear(f + "shared_experts.w3", inter, D, gain=4.0, ortho_in=True)
        self.linear(f + "shared_experts.w2", D, inter, gain=0.25, ortho_out=True)

    def model(self):
        c = self.c
        V, D = c["vocab_size"], c["hidden_size"]
        self.add("embed.weight", self.normal((V, D), 1.0) + U_GAIN * self.u, "bf16")
        self.add("head.weight", self.normal((V, D), 2.0 / math.sqrt(D)), "bf16")
        self.norm("norm", D)
        self.hc_head("")
        for l in range(c["num_hidden_layers"]):
            self.block(f"layers.{l}.", l)
        for m in range(c["num_nextn_predict_layers"]):
            p = f"mtp.{m}."
            self.block(p, c["num_hidden_layers"] + m)
            self.linear(p + "e_proj", D, D)
            self.linear(p + "h_proj", D, D)
            self.norm(p + "enorm", D)
            self.norm(p + "hnorm", D)
            self.norm(p + "norm", D)
            self.hc_head(p)


def quant_fp8_blocks(w, block=128):
    """float weight [out, in] -> (E4M3 codes, E8M0 codes [ceil(out/128), ceil(in/128)])."""
    out, inp = w.shape
    so, si = -(-out // block), -(-inp // block)
    scales = np.empty((so, si))
    q = np.empty_like(w)
    for i in range(so):
        for j in range(si):
            blk = w[i * block:(i + 1) * block, j * block:(j + 1) * block]
            amax = max(np.abs(blk).max(), 1e-30)
            m, e = np.frexp(amax / 448.0)
            s = math.ldexp(1.0, int(e) - 1 if m == 0.5 else int(e))
            scales[i, j] = s
            q[i * block:(i + 1) * block, j * block:(j + 1) * block] = sio.e4m3_round(
                np.clip(blk / s, -448, 448))
    return sio.e4m3_encode(q), sio.e8m0_encode_pow2(scales)


def quant_fp4(w, block=32):
    """float weight [out, in] -> (packed uint8 [out, in/2], E8M0 codes [out, in/32])."""
    out, inp = w.shape
    assert inp % block == 0 and inp % 2 == 0
    wb = w.reshape(out, inp // block, block)
    amax = np.maximum(np.abs(wb).max(-1), 6.0 * 2.0 ** -126)
    m, e = np.frexp(amax / 6.0)
    s = np.ldexp(1.0, np.where(m == 0.5, e - 1, e))
    y = np.clip(wb / s[..., None], -6, 6).reshape(out, inp)
    sign, idx = sio.e2m1_round_index(y)
    return sio.fp4_encode_packed(sign, idx), sio.e8m0_encode_pow2(s)


def encode(gen, fp8):
    """Master weights -> safetensors tensors in the fixture's storage formats."""
    out = {}
    for name, arr in gen.t.items():
        role = gen.role[name]
        if role == "f32":
            out[name] = ("F32", arr.astype(np.float32))
        elif role == "i64":
            out[name] = ("I64", arr.astype(np.int64))
        elif role == "bf16" or not fp8:
            out[name] = ("BF16", sio.f32_to_bf16_bits(arr.astype(np.float32)))
        elif role == "dense":
            codes, sc = quant_fp8_blocks(arr)
            out[name] = ("F8_E4M3", codes)
            out[name[:-7] + ".scale"] = ("F8_E8M0", sc)
        elif role == "expert":
            packed, sc = quant_fp4(arr)
            out[name] = ("I8", packed.view(np.int8))
            out[name[:-7] + ".scale"] = ("F8_E8M0", sc)
        else:
            raise ValueError(role)
    return out


# ------------------------------------------------------------------------------------------------
# checks

class FixtureError(Exception):
    pass


class SensitiveFixture(FixtureError):
    """The float32 rerun makes a different discrete choice: try another token sequence."""


def check_outputs(ref, name, tokens, out0, out1, rec0, rec1):
    """Refuses fixtures that would not test what they claim to test. Prints the figures."""
    c = ref.cfg
    T = len(tokens)
    lines = []
    for l, h in enumerate(out0["hidden"]):
        r = float(torch.sqrt((h * h).mean()))
        if not math.isfinite(r) or r > 1e3:
            raise FixtureError(f"{name}: hidden state of layer {l} blows up (rms {r})")
        lines.append(f"{r:.2f}")
    print(f"  hidden rms per layer: {' '.join(lines)}")
    for key in ("logits", "mtp_logits"):
        for mode, o in (("noqat", out0), ("qat", out1)):
            lg = o[key]
            if not torch.isfinite(lg).all():
                raise FixtureError(f"{name}: {key}_{mode} not finite")
        lg = out0[key]
        std = float(lg.std(-1).mean())
        amax = lg.argmax(-1)
        nd = len(set(amax.tolist()))
        print(f"  {key}: mean std over vocab {std:.3f}, distinct argmax {nd}/{lg.shape[0]}")
        if std < 0.3 or nd < 10:
            raise FixtureError(f"{name}: {key} degenerate (std {std}, {nd} distinct argmax)")
    dq = float((out0["logits"] - out1["logits"]).abs().max())
    print(f"  max |logits_qat - logits_noqat| = {dq:.4g}")
    if dq < 1e-3:
        raise FixtureError(f"{name}: QAT emulation does not change the logits ({dq})")
    for mode, st in (("noqat", ref.stats_noqat), ("qat", ref.stats_qat)):
        for l, r in enumerate(c.ratios[:c.n_layers]):
            if r != 4:
                continue
            mg, ns = st[f"indexer_margin.{l}"], st[f"indexer_sets.{l}"]
            ties = st[f"indexer_ties.{l}"]
            print(f"  [{mode}] CSA layer {l}: {ns} distinct top-k sets, {ties} exact ties at the "
                  f"boundary (lower index wins), smallest non-zero rel. gap {mg:.2g}")
            if ns < T // 8:
                raise FixtureError(f"{name}: layer {l} top-k selection hardly varies ({ns})")
            if ties and mode == "noqat":
                # exact ties at the top-k boundary would make the expected output depend on the
                # tie-break rule. Under QAT they are inherent (FP4-grid q/k give exactly equal
                # dot products) and the documented rule (lower entry index first) applies.
                raise SensitiveFixture(f"[{mode}] layer {l}: {ties} exact top-k ties")
        rm = min(v for k, v in st.items() if k.startswith("route_margin"))
        print(f"  [{mode}] min learned-routing margin {rm:.3g}; SwiGLU clamped "
              f"{st['clamped']}/{st['clamp_total']}")
        if rm < 1e-6:
            raise FixtureError(f"{name}: learned routing has a near-tie ({rm})")
        if st["clamped"] == 0:
            raise FixtureError(f"{name}: SwiGLU clamp never active")
    # hash routing must differ from what a learned top-k on the same gate would pick
    tok = torch.as_tensor(tokens)
    for l in range(min(c.n_hash, c.n_layers)):
        hashed = ref.W[f"layers.{l}.ffn.gate.tid2eid"][tok]
        learned = rec0[f"experts_learned_alt.{l}"]
        same = sum(set(hashed[t].tolist()) == set(learned[t].tolist()) for t in range(T))
        print(f"  hash layer {l}: learned top-k would equal tid2eid on {same}/{T} tokens")
        if same > T // 2:
            raise FixtureError(f"{name}: hash routing indistinguishable from learned routing")
    # a float32 rerun of the reference must make the same discrete choices (top-k, experts) and
    # stay close: otherwise a float32 engine could not be checked against this fixture
    drift = {}
    for mode, qat, rec64, o64 in (("noqat", False, rec0, out0), ("qat", True, rec1, out1)):
        r32 = v4ref.V4Ref(ref.model_dir, torch.float32)
        rec32 = {}
        o32 = r32.forward(tokens, qat=qat, record=rec32)
        nsel = sum(int((rec64[k] != rec32[k]).any(-1).sum()) for k in rec64
                   if k.startswith("csa_topk") or k.startswith("experts."))
        per_pos = (o64["logits"] - o32["logits"].double()).abs().amax(-1)
        dl = float(per_pos.max())
        dm = float((o64["mtp_logits"] - o32["mtp_logits"].double()).abs().max())
        bad = torch.nonzero(per_pos > 1e-3).flatten()
        stable = int(bad[0]) if len(bad) else T
        drift[mode] = (per_pos, stable)
        print(f"  [{mode}] float32 rerun: {nsel} differing top-k/expert choices, max |dlogit| "
              f"{dl:.2e}, max |dmtp| {dm:.2e}, positions 0..{stable - 1} within 1e-3")
        if not qat and (nsel or dl > 2e-3 or dm > 2e-3):
            raise SensitiveFixture(f"float32 rerun differs ({mode}: {nsel} choices, {dl:.2g})")
        if qat and stable < 16:
            raise SensitiveFixture(f"QAT logits diverge under float32 from position {stable}")
    ref.drift = drift
    used = set()
    for l in range(c.n_hash, c.n_layers):
        used |= set(rec0[f"experts.{l}"].flatten().tolist())
    if len(used) < c.n_experts:
        raise FixtureError(f"{name}: learned routing uses only experts {sorted(used)}")


def learned_alt(ref, tokens, rec):
    """For hash layers: what top-k of the gate scores would select (to prove hash != learned).
    Recomputed from the recorded forward (noqat) by rerunning the block inputs."""
    c = ref.cfg
    ref.qat = False
    saved, ref.stats = ref.stats, {}  # keep the recorded run's statistics untouched
    tok = torch.as_tensor(tokens)
    X = ref.W["embed.weight"][tok].unsqueeze(1).repeat(1, c.hc, 1)
    for l in range(min(c.n_hash, c.n_layers)):
        pfx = f"layers.{l}."
        y, post, P = ref.hc_pre(X, pfx, "attn")
        a = v4ref.rmsnorm(y, ref.W[pfx + "attn_norm.weight"], c.eps)
        X1 = ref.hc_post(ref.attention(a, pfx, c.ratios[l], l, None), X, post, P)
        y, _, _ = ref.hc_pre(X1, pfx, "ffn")
        a = v4ref.rmsnorm(y, ref.W[pfx + "ffn_norm.weight"], c.eps)
        s = torch.sqrt(torch.nn.functional.softplus(a @ ref.W[pfx + "ffn.gate.weight"].T))
        rec[f"experts_learned_alt.{l}"] = torch.topk(s, c.n_act, dim=-1).indices
        X = ref.block(X, tok, pfx, l, None)
    ref.stats = saved


# ------------------------------------------------------------------------------------------------

def make_fixture(out_dir, name, fp8, seed, with_hidden):
    cfg = tiny_config(fp8)
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    gen = Gen(cfg, seed)
    gen.model()
    tensors = encode(gen, fp8)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    sio.write_safetensors(os.path.join(d, "model.safetensors"), tensors,
                          {"format": "pt", "generator": "v4eval scripts/reference/make_fixtures.py"})
    ref = v4ref.V4Ref(d)  # reads back what was written: the layout is part of what is checked
    print(f"{name}:")
    # The token sequence is the one free knob: a sequence whose float32 rerun flips a discrete
    # choice (top-k entry, expert) would make the fixture unusable for a float32 engine, so the
    # next seed is tried (deterministically) until one passes every check.
    for attempt in range(TOKEN_ATTEMPTS):
        rng = np.random.default_rng(seed + 1000 + attempt)
        tokens = [cfg["bos_token_id"]] + rng.integers(2, cfg["vocab_size"], T_TOKENS - 1).tolist()
        rec0, rec1 = {}, {}
        ref.stats = {}
        out0 = ref.forward(tokens, qat=False, record=rec0)
        ref.stats_noqat = ref.stats
        ref.stats = {}
        out1 = ref.forward(tokens, qat=True, record=rec1)
        ref.stats_qat = ref.stats
        learned_alt(ref, tokens, rec0)
        try:
            check_outputs(ref, name, tokens, out0, out1, rec0, rec1)
            break
        except SensitiveFixture as e:
            print(f"  token seed {seed + 1000 + attempt} rejected: {e}")
    else:
        raise FixtureError(f"{name}: no token sequence passed the float32 stability check")
    with open(os.path.join(d, "tokens.json"), "w") as f:
        json.dump(tokens, f)
        f.write("\n")

    f32 = lambda t: ("F32", t.detach().numpy().astype(np.float32))  # noqa: E731
    i32 = lambda t: ("I32", t.detach().numpy().astype(np.int32))  # noqa: E731
    exp = {
        "logits_noqat": f32(out0["logits"]),
        "logits_qat": f32(out1["logits"]),
        "embed_noqat": f32(out0["embed"]),
        "mtp_logits_noqat": f32(out0["mtp_logits"]),
        "qat_f32_drift": f32(ref.drift["qat"][0]),
        "qat_stable_prefix": ("I32", np.array([ref.drift["qat"][1]], dtype=np.int32)),
    }
    if with_hidden:
        for l, h in enumerate(out0["hidden"]):
            exp[f"hidden_noqat.{l}"] = f32(h)
    for l in range(cfg["num_hidden_layers"]):
        if f"csa_topk.{l}" in rec0:
            exp[f"csa_topk_noqat.{l}"] = i32(rec0[f"csa_topk.{l}"])
            exp[f"csa_topk_qat.{l}"] = i32(rec1[f"csa_topk.{l}"])
        exp[f"experts_noqat.{l}"] = i32(rec0[f"experts.{l}"])
    sio.write_safetensors(os.path.join(d, "expected.safetensors"), exp,
                          {"tokens": str(len(tokens)), "generator": "v4ref.py float64"})
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print(f"  wrote {d} ({size / 1e6:.2f} MB)")
    return size


FIXTURES = {
    # name: (fp8 storage, seed, store hidden_noqat.{l})
    "tiny-bf16": (False, 1234, True),
    "tiny-fp8": (True, 1234, False),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output folder (tests/fixtures)")
    ap.add_argument("--only", choices=sorted(FIXTURES), help="write one fixture only")
    args = ap.parse_args()
    total = 0
    try:
        for name, (fp8, seed, hid) in FIXTURES.items():
            if args.only and name != args.only:
                continue
            total += make_fixture(args.out, name, fp8, seed, hid)
    except FixtureError as e:
        print(f"make_fixtures: {e}", file=sys.stderr)
        return 1
    print(f"total {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
