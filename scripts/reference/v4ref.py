"""v4ref.py - an independent DeepSeek-V4 forward pass (PyTorch, float64, CPU), written from
/work/shared/spec/v4-architecture.md (§2-§12). It shares no code with the C engine.

Formulation: the whole sequence at once (positions 0..T-1 from an empty state). The compressors
are computed in the plain batched way from all tokens (window j pools tokens j*m .. j*m+m-1, CSA
adds the A-halves of window j-1), not as a streaming state machine, so that the C engine's
incremental state machine is checked against a different formulation. Attention is computed with
explicit visibility masks: raw window t-w+1..t, compressed entry j visible iff j < floor((t+1)/m),
CSA entries further restricted to the indexer's top-k; one softmax over window ∪ compressed
entries with a per-head sink in the denominator.

Numerics: float64 throughout; weights are the exact dequantised stored values (BF16, F8_E4M3 x
E8M0 128x128 blocks, packed FP4 x E8M0/32). Activations are never rounded to BF16.

QAT emulation (qat=True, spec §3.4; the official default):
- FQ8 (E4M3, power-of-two UE8M0 scale, block 64) on the nope dims of the window KV and of the main
  compressed entries;
- Hadamard (natural-order Sylvester, 1/sqrt(n)) + FQ4 (E2M1, UE8M0 scale, block 32) on the
  indexer query and the indexer compressed keys (all dims);
- FP8 activation quantisation (block 128 along the input dim, power-of-two scales) before every
  linear whose stored weight is F8_E4M3 or packed FP4, except attn.wo_a, which the official code
  dequantises and applies as a plain (BF16) grouped einsum.
Blocks that do not fill a whole block (dims smaller than or not a multiple of the block size) are
quantised as a shorter last block with their own scale.
Hadamard rotation of the indexer q/k is applied in both modes (it is orthogonal: without FQ4 it
does not change the scores beyond rounding).

Determinism: no randomness, no threading-dependent reductions beyond torch's CPU kernels in
float64.
"""

import json
import math
import os

import numpy as np
import torch

import safetensors_io as sio

torch.set_default_dtype(torch.float64)
DT = torch.float64

FP8_MAX = 448.0
FP4_MAX = 6.0


# ------------------------------------------------------------------------------------------------
# fake quantisation (torch, float64)

def _pow2_ceil(x):
    """2^ceil(log2(x)) for x > 0, exact (frexp based)."""
    m, e = torch.frexp(x)
    # x = m * 2^e with m in [0.5, 1): ceil(log2 x) = e - 1 when m == 0.5 else e
    e = torch.where(m == 0.5, e - 1, e)
    return torch.ldexp(torch.ones_like(x), e)


def _blocks(x, block):
    """Splits the last dim into blocks of `block` (last one possibly shorter)."""
    n = x.shape[-1]
    return [x[..., i:i + block] for i in range(0, n, block)]


def e4m3_round_t(y):
    """Nearest E4M3FN value of y (|y| <= 448), ties to even."""
    a = y.abs()
    safe = torch.where(a > 0, a, torch.ones_like(a))
    e = torch.floor(torch.log2(safe))
    e = torch.where(torch.pow(2.0, e) > safe, e - 1, e)
    e = torch.where(torch.pow(2.0, e + 1) <= safe, e + 1, e)
    e = torch.clamp(e, min=-6.0)
    quantum = torch.pow(2.0, e - 3)
    q = torch.round(a / quantum) * quantum  # torch.round: half to even
    q = torch.clamp(q, max=FP8_MAX)
    return torch.sign(y) * q


_FP4_MIDS = torch.tensor([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0])
_FP4_GRID = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])


def e2m1_round_t(y):
    """Nearest E2M1 value of y (|y| <= 6), ties to even code."""
    a = y.abs()
    mids = _FP4_MIDS.to(a.dtype)
    idx = torch.bucketize(a, mids, right=False)  # a == mid -> lower neighbour
    for k in range(len(mids)):
        if k % 2 == 1:  # lower neighbour index k is odd -> tie goes up to the even k+1
            idx = torch.where(a == mids[k], torch.full_like(idx, k + 1), idx)
    return torch.sign(y) * _FP4_GRID.to(a.dtype)[idx]


def fq8(x, block):
    """FP8 E4M3 quantise-dequantise with one power-of-two scale per `block` elements."""
    out = []
    for xb in _blocks(x, block):
        amax = torch.clamp(xb.abs().amax(-1, keepdim=True), min=1e-4)
        s = _pow2_ceil(amax / FP8_MAX)
        y = torch.clamp(xb / s, -FP8_MAX, FP8_MAX)
        out.append(e4m3_round_t(y) * s)
    return torch.cat(out, -1)


def fq4(x, block=32):
    """FP4 E2M1 quantise-dequantise with one power-of-two scale per `block` elements."""
    out = []
    for xb in _blocks(x, block):
        amax = torch.clamp(xb.abs().amax(-1, keepdim=True), min=6.0 * 2.0 ** -126)
        s = _pow2_ceil(amax / FP4_MAX)
        y = torch.clamp(xb / s, -FP4_MAX, FP4_MAX)
        out.append(e2m1_round_t(y) * s)
    return torch.cat(out, -1)


def hadamard_matrix(n):
    """Natural-order Sylvester Hadamard H[i][j] = (-1)^popcount(i&j), scaled by 1/sqrt(n)."""
    assert n & (n - 1) == 0, "Hadamard size must be a power of two"
    i = torch.arange(n).unsqueeze(1)
    j = torch.arange(n).unsqueeze(0)
    bits = i & j
    pc = torch.zeros_like(bits)
    while bits.any():
        pc += bits & 1
        bits = bits >> 1
    return torch.where(pc % 2 == 0, 1.0, -1.0).to(torch.get_default_dtype()) / math.sqrt(n)


# ------------------------------------------------------------------------------------------------
# primitives

def rmsnorm(x, w, eps):
    y = x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)
    return y * w if w is not None else y


def rope_freqs(rd, base, yarn):
    """Angular frequencies omega_i, i = 0..rd/2-1; yarn = (factor, orig_len, beta_fast,
    beta_slow) or None (spec §3.2)."""
    i = torch.arange(0, rd, 2, dtype=torch.float64)
    om = 1.0 / (base ** (i / rd))
    if yarn is not None:
        factor, orig, bfast, bslow = yarn

        def corr_dim(rot):
            return rd * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(base))

        low = max(math.floor(corr_dim(bfast)), 0)
        high = min(math.ceil(corr_dim(bslow)), rd - 1)
        if low == high:
            high += 0.001
        ramp = torch.clamp((torch.arange(rd // 2, dtype=torch.float64) - low) / (high - low), 0, 1)
        om = om * (1 - ramp) + (om / factor) * ramp
    return om


def rope(x, pos, om, inverse=False):
    """Interleaved rotation of the pairs (2i, 2i+1) of x[..., rd] at positions pos (broadcast
    over x's leading dims: pos has the shape of x.shape[:1]).

    The angle table is float32, as DeepSeek's inference code builds it (precompute_freqs_cis:
    float32 frequencies times float32 positions) and as the engine does: theta = fl32(fl32(pos)
    * fl32(omega)); cos, sin and the rotation are float64. This is a convention of the model,
    not rounding noise: a float64 table moves the angles by up to ~|theta| * 6e-8 (1e-4 rad at
    position 2000), which a sharply attending model turns into logit differences of 1e-3
    (measured on a trained tiny model: 1.45e-3 with a float64 table, 8e-5 with this one)."""
    ang = pos.to(torch.float32).unsqueeze(-1) * om.to(torch.float32)   # [T, rd/2], float32
    ang = ang.to(x.dtype)
    while ang.dim() < x.dim():
        ang = ang.unsqueeze(-2)
    c, s = torch.cos(ang), torch.sin(ang)
    if inverse:
        s = -s
    xr, xi = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = xr * c - xi * s
    out[..., 1::2] = xr * s + xi * c
    return out


def sinkhorn(C, iters, eps):
    """Row softmax + eps, column normalisation, then (iters-1) x (row, column) (spec §4.2)."""
    P = torch.softmax(C, dim=-1) + eps
    P = P / (P.sum(-2, keepdim=True) + eps)
    for _ in range(iters - 1):
        P = P / (P.sum(-1, keepdim=True) + eps)
        P = P / (P.sum(-2, keepdim=True) + eps)
    return P


# ------------------------------------------------------------------------------------------------
# model

class Config:
    def __init__(self, d):
        self.raw = d
        self.vocab = d["vocab_size"]
        self.dim = d["hidden_size"]
        self.n_layers = d["num_hidden_layers"]
        self.n_mtp = d.get("num_nextn_predict_layers", 0)
        self.n_heads = d["num_attention_heads"]
        self.head_dim = d["head_dim"]
        self.rd = d["qk_rope_head_dim"]
        self.q_lora = d["q_lora_rank"]
        self.o_groups = d["o_groups"]
        self.o_lora = d["o_lora_rank"]
        self.window = d["sliding_window"]
        self.ratios = list(d["compress_ratios"])
        self.rope_theta = d["rope_theta"]
        self.compress_theta = d["compress_rope_theta"]
        rs = d.get("rope_scaling") or {}
        self.yarn = None
        if rs.get("original_max_position_embeddings", 0) > 0:
            self.yarn = (rs.get("factor", 1.0), rs["original_max_position_embeddings"],
                         rs.get("beta_fast", 32), rs.get("beta_slow", 1))
        self.index_heads = d["index_n_heads"]
        self.index_dim = d["index_head_dim"]
        self.index_topk = d["index_topk"]
        self.n_experts = d["n_routed_experts"]
        self.n_act = d["num_experts_per_tok"]
        self.inter = d["moe_intermediate_size"]
        self.route_scale = d["routed_scaling_factor"]
        self.n_hash = d["num_hash_layers"]
        self.swiglu_limit = d["swiglu_limit"]
        self.hc = d["hc_mult"]
        self.sinkhorn_iters = d["hc_sinkhorn_iters"]
        self.hc_eps = d["hc_eps"]
        self.eps = d["rms_norm_eps"]
        assert d.get("scoring_func", "sqrtsoftplus") == "sqrtsoftplus"
        # official ModelArgs indexes compress_ratios by layer id: a longer list is fine
        assert len(self.ratios) >= self.n_layers + self.n_mtp
        self.ratios = list(self.ratios[:self.n_layers + self.n_mtp])


def load_weights(path):
    """Reads model.safetensors and dequantises every tensor to float64 torch tensors.
    Returns (weights, lowprec) where lowprec is the set of weight names stored as F8_E4M3 or
    packed FP4 (the linears that quantise their input activation under QAT)."""
    raw, _ = sio.read_safetensors(path)
    W, lowprec = {}, set()
    for name, (dt, arr) in raw.items():
        if name.endswith(".scale") and name[:-6] + ".weight" in raw:
            continue
        if dt == "BF16":
            W[name] = torch.from_numpy(sio.bf16_bits_to_f64(arr))
        elif dt in ("F32", "F64", "F16"):
            W[name] = torch.from_numpy(arr.astype(np.float64))
        elif dt in ("I64", "I32"):
            W[name] = torch.from_numpy(arr.astype(np.int64))
        elif dt == "F8_E4M3":
            sc = raw[name[:-7] + ".scale"]
            assert sc[0] == "F8_E8M0", name
            W[name] = torch.from_numpy(sio.fp8_decode_blocks(arr, sc[1]))
            lowprec.add(name)
        elif dt in ("I8", "U8"):
            sc = raw[name[:-7] + ".scale"]
            assert sc[0] == "F8_E8M0", name
            W[name] = torch.from_numpy(sio.fp4_decode_packed(arr, sc[1]))
            lowprec.add(name)
        else:
            raise sio.SafetensorsError(f"{path}: {name}: unexpected dtype {dt}")
    return W, lowprec


class V4Ref:
    """The reference model. forward(tokens, qat) -> dict of outputs (see forward)."""

    def __init__(self, model_dir, dtype=torch.float64):
        """dtype: compute dtype (float64 for the fixtures; float32 only to measure how far a
        float32 implementation drifts from the float64 reference)."""
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = Config(json.load(f))
        self.W, self.lowprec = load_weights(os.path.join(model_dir, "model.safetensors"))
        self.dtype = dtype
        self.model_dir = model_dir
        for k, v in self.W.items():
            if v.is_floating_point():
                self.W[k] = v.to(dtype)
        prev = torch.get_default_dtype()
        torch.set_default_dtype(dtype)
        c = self.cfg
        self.om_plain = rope_freqs(c.rd, c.rope_theta, None)
        self.om_comp = rope_freqs(c.rd, c.compress_theta, c.yarn)
        self.had = hadamard_matrix(c.index_dim)
        torch.set_default_dtype(prev)
        self.qat = False
        self.stats = {}
        self.force_topk = {}   # forward(force_topk=...): {layer: [T, index_topk]} selections
        self.force_experts = {}  # forward(force_experts=...): {layer: [T, n_act]} routes

    # -- helpers ---------------------------------------------------------------------------------
    def w(self, name):
        return self.W[name]

    def lin(self, name, x):
        """y = x W^T with W = name + '.weight'; FP8 activation quant (block 128) under QAT when
        the stored weight is FP8/FP4."""
        wn = name + ".weight"
        if self.qat and wn in self.lowprec:
            x = fq8(x, 128)
        return x @ self.W[wn].T

    # -- mHC -------------------------------------------------------------------------------------
    def hc_pre(self, X, pfx, site):
        """X [T, n, D] -> (y [T, D], post [T, n], comb [T, n, n])."""
        c = self.cfg
        n = c.hc
        fn = self.w(f"{pfx}hc_{site}_fn")
        base = self.w(f"{pfx}hc_{site}_base")
        scale = self.w(f"{pfx}hc_{site}_scale")
        xf = X.reshape(X.shape[0], -1)
        rho = 1.0 / torch.sqrt((xf * xf).mean(-1, keepdim=True) + c.eps)
        mu = (xf @ fn.T) * rho
        pre = torch.sigmoid(scale[0] * mu[:, :n] + base[:n]) + c.hc_eps
        post = 2.0 * torch.sigmoid(scale[1] * mu[:, n:2 * n] + base[n:2 * n])
        C = (scale[2] * mu[:, 2 * n:] + base[2 * n:]).reshape(-1, n, n)
        P = sinkhorn(C, c.sinkhorn_iters, c.hc_eps)
        y = (pre.unsqueeze(-1) * X).sum(1)
        return y, post, P

    @staticmethod
    def hc_post(f, X, post, P):
        # X'_j = post_j f + sum_i P_ij X_i
        return post.unsqueeze(-1) * f.unsqueeze(1) + torch.einsum("tij,tid->tjd", P, X)

    def hc_head(self, X, pfx):
        c = self.cfg
        fn, base, scale = (self.w(f"{pfx}hc_head_fn"), self.w(f"{pfx}hc_head_base"),
                           self.w(f"{pfx}hc_head_scale"))
        xf = X.reshape(X.shape[0], -1)
        rho = 1.0 / torch.sqrt((xf * xf).mean(-1, keepdim=True) + c.eps)
        mu = (xf @ fn.T) * rho
        pre = torch.sigmoid(scale[0] * mu + base) + c.hc_eps
        return (pre.unsqueeze(-1) * X).sum(1)

    # -- compressor (batched formulation) --------------------------------------------------------
    def compress(self, a, pfx, m, cdim, om, rotate):
        """Compressed entries [N = T // m, cdim] from the full sequence a [T, D] (spec §6.2)."""
        c = self.cfg
        T = a.shape[0]
        N = T // m
        if N == 0:
            return torch.zeros(0, cdim)
        K = a @ self.w(pfx + "wkv.weight").T
        Z = a @ self.w(pfx + "wgate.weight").T
        ape = self.w(pfx + "ape")
        Kb = K[:N * m].reshape(N, m, -1)
        Zb = Z[:N * m].reshape(N, m, -1) + ape  # ape[slot] added to token slot t mod m
        if m == 4:  # overlap: entry j pools A-halves of window j-1 and B-halves of window j
            KA, KB = Kb[..., :cdim], Kb[..., cdim:]
            ZA, ZB = Zb[..., :cdim], Zb[..., cdim:]
            KA_prev = torch.cat([torch.zeros(1, m, cdim), KA[:-1]], 0)
            ZA_prev = torch.cat([torch.full((1, m, cdim), -math.inf), ZA[:-1]], 0)
            vals = torch.cat([KA_prev, KB], 1)
            logits = torch.cat([ZA_prev, ZB], 1)
        else:
            vals, logits = Kb, Zb
        p = torch.softmax(logits, dim=1)
        e = (p * vals).sum(1)
        e = rmsnorm(e, self.w(pfx + "norm.weight"), c.eps)
        pos = torch.arange(N) * m
        e = torch.cat([e[:, :cdim - c.rd], rope(e[:, cdim - c.rd:], pos, om)], -1)
        if rotate:
            e = e @ self.had
            if self.qat:
                e = fq4(e, 32)
        elif self.qat:
            e = torch.cat([fq8(e[:, :cdim - c.rd], 64), e[:, cdim - c.rd:]], -1)
        return e

    # -- indexer ---------------------------------------------------------------------------------
    def indexer(self, a, qr, pfx, om, lid, record=None, force=None):
        """Top-k compressed entry indices per query: bool mask [T, N] of selected entries
        (record: the visible-masked scores [T, N] as indexer_scores.{lid})."""
        c = self.cfg
        T = a.shape[0]
        HI, cI = c.index_heads, c.index_dim
        q = self.lin(pfx + "indexer.wq_b", qr).reshape(T, HI, cI)
        pos = torch.arange(T)
        q = torch.cat([q[..., :cI - c.rd], rope(q[..., cI - c.rd:], pos, om)], -1)
        q = q @ self.had
        if self.qat:
            q = fq4(q, 32)
        kidx = self.compress(a, pfx + "indexer.compressor.", 4, cI, om, True)
        N = kidx.shape[0]
        wts = (a @ self.w(pfx + "indexer.weights_proj.weight").T) * (cI ** -0.5) * (HI ** -0.5)
        sel = torch.zeros(T, N, dtype=torch.bool)
        if N == 0:
            return sel
        scores = (torch.relu(torch.einsum("thc,nc->thn", q, kidx)) * wts.unsqueeze(-1)).sum(1)
        visible = torch.arange(N).unsqueeze(0) < ((pos + 1) // 4).unsqueeze(1)
        scores = torch.where(visible, scores, torch.full_like(scores, -math.inf))
        if record is not None:
            record[f"indexer_scores.{lid}"] = scores
        margins = []
        ties = 0
        differ, violation = 0, -math.inf
        for t in range(T):
            nv = (t + 1) // 4
            k = min(c.index_topk, nv)
            if k == 0:
                continue
            order = torch.argsort(scores[t, :nv], descending=True, stable=True)
            sel[t, order[:k]] = True
            if force is not None:
                f = [int(i) for i in force[t] if i >= 0]
                if len(set(f)) != k or min(f) < 0 or max(f) >= nv:
                    raise ValueError(f"force_topk layer {lid} position {t}: expected {k} distinct "
                                     f"entries in [0, {nv}), found {sorted(f)}")
                fs = torch.zeros(N, dtype=torch.bool)
                fs[f] = True
                if not torch.equal(fs[:nv], sel[t, :nv]):
                    differ += 1
                    scale = max(scores[t, :nv].abs().max().item(), 1e-30)
                    worst_in = scores[t, :nv][fs[:nv]].min().item()
                    best_out = scores[t, :nv][~fs[:nv]].max().item()
                    violation = max(violation, (best_out - worst_in) / scale)
                sel[t] = fs
            if k < nv:
                # gap at the selection boundary relative to the largest |score| of this query
                kth, nxt = scores[t, order[k - 1]].item(), scores[t, order[k]].item()
                scale = scores[t, :nv].abs().max().item()
                margins.append((kth - nxt) / max(scale, 1e-30))
                ties += kth == nxt
        if force is not None:
            self.stats[f"force_differ.{lid}"] = differ
            self.stats[f"force_violation.{lid}"] = violation
        self.stats[f"indexer_margin.{lid}"] = min([m for m in margins if m > 0] or [math.inf])
        self.stats[f"indexer_ties.{lid}"] = ties
        self.stats[f"indexer_sets.{lid}"] = len({tuple(sorted(torch.nonzero(sel[t]).flatten().tolist()))
                                                  for t in range(T)})
        return sel

    # -- attention -------------------------------------------------------------------------------
    def attention(self, a, pfx, ratio, lid, record):
        c = self.cfg
        T = a.shape[0]
        H, hd, rd = c.n_heads, c.head_dim, c.rd
        nope = hd - rd
        om = self.om_comp if ratio else self.om_plain
        pos = torch.arange(T)
        qr = rmsnorm(self.lin(pfx + "attn.wq_a", a), self.w(pfx + "attn.q_norm.weight"), c.eps)
        q = self.lin(pfx + "attn.wq_b", qr).reshape(T, H, hd)
        q = rmsnorm(q, None, c.eps)
        q = torch.cat([q[..., :nope], rope(q[..., nope:], pos, om)], -1)
        kv = rmsnorm(self.lin(pfx + "attn.wkv", a), self.w(pfx + "attn.kv_norm.weight"), c.eps)
        kv = torch.cat([kv[:, :nope], rope(kv[:, nope:], pos, om)], -1)
        if self.qat:
            kv = torch.cat([fq8(kv[:, :nope], 64), kv[:, nope:]], -1)
        # window mask over raw keys: t-w+1 <= s <= t
        s_idx = pos.unsqueeze(0)
        t_idx = pos.unsqueeze(1)
        win_mask = (s_idx <= t_idx) & (s_idx > t_idx - c.window)
        keys, mask = kv, win_mask
        if ratio:
            comp = self.compress(a, pfx + "attn.compressor.", ratio, hd, om, False)
            N = comp.shape[0]
            vis = torch.arange(N).unsqueeze(0) < ((pos + 1) // ratio).unsqueeze(1)
            if ratio == 4:
                sel = self.indexer(a, qr, pfx + "attn.", om, lid, record,
                                   self.force_topk.get(lid))
                vis = vis & sel
                if record is not None:
                    topk = torch.full((T, c.index_topk), -1, dtype=torch.int64)
                    for t in range(T):
                        idx = torch.nonzero(sel[t]).flatten()
                        topk[t, :len(idx)] = idx
                    record[f"csa_topk.{lid}"] = topk
            keys = torch.cat([kv, comp], 0)
            mask = torch.cat([win_mask, vis], 1)
            if record is not None:
                record[f"compressed.{lid}"] = comp
        z = torch.einsum("thd,sd->hts", q, keys) / math.sqrt(hd)
        z = torch.where(mask.unsqueeze(0), z, torch.full_like(z, -math.inf))
        M = z.amax(-1, keepdim=True)
        e = torch.exp(z - M)
        sink = self.w(pfx + "attn.attn_sink").reshape(H, 1, 1)
        den = e.sum(-1, keepdim=True) + torch.exp(sink - M)
        o = torch.einsum("hts,sd->thd", e / den, keys)
        if record is not None:
            record[f"attn_p.{lid}"] = e / den          # [H, T, T (raw keys) + N (entries)]
        o = torch.cat([o[..., :nope], rope(o[..., nope:], pos, om, inverse=True)], -1)
        if record is not None:
            record[f"attn_o.{lid}"] = o                # [T, H, hd] per-head outputs
        G = c.o_groups
        og = o.reshape(T, G, (H // G) * hd)
        wo_a = self.w(pfx + "attn.wo_a.weight").reshape(G, c.o_lora, (H // G) * hd)
        u = torch.einsum("tgd,grd->tgr", og, wo_a).reshape(T, G * c.o_lora)
        return self.lin(pfx + "attn.wo_b", u)

    # -- MoE -------------------------------------------------------------------------------------
    def expert(self, name, x, g=None):
        c = self.cfg
        L = c.swiglu_limit
        h1 = self.lin(name + ".w1", x)
        h3 = self.lin(name + ".w3", x)
        if L > 0:
            h1 = torch.clamp(h1, max=L)
            h3 = torch.clamp(h3, -L, L)
        self.stats["clamped"] = self.stats.get("clamped", 0) + int((h1 >= L).sum() + (h3.abs() >= L).sum())
        self.stats["clamp_total"] = self.stats.get("clamp_total", 0) + 2 * h1.numel()
        h = torch.nn.functional.silu(h1) * h3
        if g is not None:
            h = h * g.unsqueeze(-1)
        return self.lin(name + ".w2", h)

    def forced_routes(self, biased, own, force, lid):
        """The expert choices `force` [T, n_act] of another implementation instead of this one's
        own top-k `own` of the biased router scores (a float32 model and this float64 one can
        pick differently where two experts' scores tie to ~1e-8). Each forced row must hold
        n_act distinct experts (else ValueError). Returns (forced idx, rows whose set differs
        from own, max over those rows of the best left-out score minus the worst forced one,
        relative to the row's max |score|; -inf when no row differs)."""
        c = self.cfg
        f = torch.as_tensor(np.asarray(force, dtype=np.int64))
        T = biased.shape[0]
        if f.shape != (T, c.n_act) or int(f.min()) < 0 or int(f.max()) >= c.n_experts or \
                any(len(set(r.tolist())) != c.n_act for r in f):
            raise ValueError(f"force_experts layer {lid}: expected [{T}, {c.n_act}] distinct "
                             f"experts in [0, {c.n_experts}), found shape {tuple(f.shape)}")
        differ, violation = 0, -math.inf
        for t in range(T):
            fs = set(f[t].tolist())
            if fs != set(own[t].tolist()):
                differ += 1
                inn = torch.zeros(c.n_experts, dtype=torch.bool)
                inn[f[t]] = True
                scale = max(biased[t].abs().max().item(), 1e-30)
                violation = max(violation, (biased[t][~inn].max().item()
                                            - biased[t][inn].min().item()) / scale)
        return f, differ, violation

    def moe(self, a, tokens, pfx, is_hash, lid, record):
        c = self.cfg
        T = a.shape[0]
        u = a @ self.w(pfx + "ffn.gate.weight").T
        s = torch.sqrt(torch.nn.functional.softplus(u))
        if is_hash:
            idx = self.w(pfx + "ffn.gate.tid2eid")[tokens]
        else:
            biased = s + self.w(pfx + "ffn.gate.bias")
            order = torch.argsort(biased, dim=-1, descending=True, stable=True)
            idx = order[:, :c.n_act]
            kth = biased.gather(1, order[:, c.n_act - 1:c.n_act])
            nxt = biased.gather(1, order[:, c.n_act:c.n_act + 1])
            self.stats[f"route_margin.{lid}"] = float((kth - nxt).min())
            force = self.force_experts.get(lid)
            if force is not None:
                idx, differ, violation = self.forced_routes(biased, idx, force, lid)
                self.stats[f"route_differ.{lid}"] = differ
                self.stats[f"route_violation.{lid}"] = violation
        g = s.gather(1, idx)
        g = g / g.sum(-1, keepdim=True) * c.route_scale
        if record is not None:
            record[f"experts.{lid}"] = idx
        y = torch.zeros(T, c.dim)
        for e in range(c.n_experts):
            rows, slot = torch.nonzero(idx == e, as_tuple=True)
            if len(rows) == 0:
                continue
            y[rows] += self.expert(f"{pfx}ffn.experts.{e}", a[rows], g[rows, slot])
        y = y + self.expert(pfx + "ffn.shared_experts", a)
        return y

    # -- block -----------------------------------------------------------------------------------
    def block(self, X, tokens, pfx, lid, record):
        c = self.cfg
        ratio = c.ratios[lid]
        y, post, P = self.hc_pre(X, pfx, "attn")
        if record is not None:
            record.setdefault("comb", []).append(P)
        a = rmsnorm(y, self.w(pfx + "attn_norm.weight"), c.eps)
        f = self.attention(a, pfx, ratio, lid, record)
        X = self.hc_post(f, X, post, P)
        y, post, P = self.hc_pre(X, pfx, "ffn")
        a = rmsnorm(y, self.w(pfx + "ffn_norm.weight"), c.eps)
        is_hash = lid < c.n_hash  # official Gate rule; MTP layer id = n_layers
        f = self.moe(a, tokens, pfx, is_hash, lid, record)
        return self.hc_post(f, X, post, P)

    def logits_from_streams(self, X, pfx):
        h = self.hc_head(X, pfx)
        h = rmsnorm(h, self.w(pfx + "norm.weight"), self.cfg.eps)
        return h @ self.w("head.weight").T

    def forward(self, tokens, qat=False, record=None, mtp=True, force_topk=None,
                force_experts=None):
        """tokens: list/array of ids (positions 0..T-1). Returns dict with 'logits' [T, V],
        'hidden' list of [T, n, D] after each block, 'embed' [T, D], 'final' streams and (when the
        model has an MTP block and mtp=True) 'mtp_logits' [T-1, V].
        force_topk: {layer: int array [T, index_topk]} - the CSA selections of another
        implementation (-1 = unused slot), used instead of this one's own top-k so the two can
        be compared where a float near-tie let them choose differently. Each forced set must be
        a full set of distinct visible entries (else ValueError); how far it is from a true
        top-k of the float64 scores lands in self.stats: force_differ.L (queries whose set
        differs from this one's) and force_violation.L (max over queries of the best left-out
        score minus the worst forced one, relative to the query's max |score|; <= 0 when the
        forced set is a top-k here too).
        force_experts: {layer: int array [T, n_act]} - the same for the learned routes of the
        MoE layers (hash layers ignore it): route_differ.L and route_violation.L."""
        prev = torch.get_default_dtype()
        torch.set_default_dtype(self.dtype)
        self.force_topk = force_topk or {}
        self.force_experts = force_experts or {}
        try:
            return self._forward(tokens, qat, record, mtp)
        finally:
            torch.set_default_dtype(prev)
            self.force_topk = {}
            self.force_experts = {}

    def _forward(self, tokens, qat, record, mtp):
        c = self.cfg
        self.qat = qat
        tok = torch.as_tensor(np.asarray(tokens, dtype=np.int64))
        emb = self.w("embed.weight")[tok]
        X = emb.unsqueeze(1).repeat(1, c.hc, 1)
        hidden = []
        for l in range(c.n_layers):
            X = self.block(X, tok, f"layers.{l}.", l, record)
            hidden.append(X)
        out = {"embed": emb, "hidden": hidden, "final": X, "logits": self.logits_from_streams(X, "")}
        if mtp and c.n_mtp > 0 and len(tok) > 1:
            out["mtp_logits"] = self.mtp_forward(X[:-1], tok[1:], record)
        return out

    def mtp_forward(self, X, next_tok, record=None):
        """MTP block 0: X [T', n, D] final streams at positions 0..T'-1, next_tok [T'] the tokens
        at positions 1..T'. Returns logits [T', V] (spec §12)."""
        c = self.cfg
        p = "mtp.0."
        e = rmsnorm(self.w("embed.weight")[next_tok], self.w(p + "enorm.weight"), c.eps)
        x = rmsnorm(X, self.w(p + "hnorm.weight"), c.eps)
        Xm = self.lin(p + "e_proj", e).unsqueeze(1) + self.lin(p + "h_proj", x)
        Xm = self.block(Xm, next_tok, p, c.n_layers, record)
        return self.logits_from_streams(Xm, p)


# ------------------------------------------------------------------------------------------------
# command line: the same contract as `v4eval logits` (for comparing the engine on any checkpoint)

def main(argv=None):
    import argparse
    import sys
    ap = argparse.ArgumentParser(
        description="Reference DeepSeek-V4 logits at every position (float64), written as "
                    "little-endian float32 [n_tokens x vocab] like `v4eval logits`.")
    ap.add_argument("--model", required=True, help="folder with config.json + model.safetensors")
    ap.add_argument("--tokens-file", required=True, help="JSON array of token ids")
    ap.add_argument("--out", required=True, help="output .f32 file")
    ap.add_argument("--qat", choices=["on", "off"], default="on",
                    help="QAT emulation (default on, as the official code)")
    ap.add_argument("--mtp-out", help="also write the MTP logits [n_tokens-1 x vocab] here")
    args = ap.parse_args(argv)
    try:
        with open(args.tokens_file) as f:
            tokens = json.load(f)
        ref = V4Ref(args.model)
    except (OSError, ValueError, KeyError, sio.SafetensorsError) as e:
        print(f"v4ref: {e}", file=sys.stderr)
        return 2
    if (not isinstance(tokens, list) or not tokens
            or not all(isinstance(t, int) and 0 <= t < ref.cfg.vocab for t in tokens)):
        print(f"v4ref: {args.tokens_file}: expected a non-empty JSON array of ids in "
              f"[0, {ref.cfg.vocab})", file=sys.stderr)
        return 2
    out = ref.forward(tokens, qat=args.qat == "on", mtp=bool(args.mtp_out))
    out["logits"].numpy().astype("<f4").tofile(args.out)
    if args.mtp_out and "mtp_logits" in out:
        out["mtp_logits"].numpy().astype("<f4").tofile(args.mtp_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
