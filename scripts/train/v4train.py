#!/usr/bin/python3
"""v4train.py — a trainable DeepSeek-V4 in PyTorch (float32, autograd) and its trainer.

Written from /work/shared/spec/v4-architecture.md §2-§12; it shares no code with the C engine
nor with scripts/reference/v4ref.py (the float64 inference reference, used only as an
independent check of this file by export.py --check-ref). Module paths equal the official
checkpoint tensor names (`layers.{l}.attn.wq_a.weight`, `mtp.0.e_proj.weight`, ...), so
`state_dict()` is the checkpoint.

What the forward pass computes (the engine computes the same, QAT emulation off):
  * embedding copied into hc_mult streams; per block mHC pre (RMS over n*D, 24 mixing logits,
    pre/post sigmoids, Sinkhorn from a row softmax + eps ending on a column step), RMSNorm,
    attention, mHC post X'_j = post_j f + sum_i P_ij X_i, then the same around the MoE;
  * attention: wq_a -> q_norm -> wq_b, per-head unweighted RMS, partial interleaved RoPE on the
    trailing qk_rope_head_dim dims (base rope_theta without YaRN on window-only layers and the
    MTP block, compress_rope_theta + YaRN on compressed layers), K=V = kv_norm(wkv a) with RoPE;
    sliding window of `sliding_window` positions t-w+1..t (computed in blocks of 64 queries
    against a lookback of w key slots); one softmax over window entries and
    compressed entries plus a per-head sink logit; inverse RoPE on the outputs; grouped wo_a,
    then wo_b;
  * compressor (ratio 4 with overlap = 8 slots: A halves of the previous window + B halves of its
    own; ratio 128 without), per-channel softmax pooling with `ape`, RMSNorm, RoPE at j*m;
    entry j visible to query t iff j < floor((t+1)/m);
  * CSA: lightning indexer sum_h w_h ReLU(q_h . k_s) with w = weights_proj a / sqrt(c_I * H_I),
    top-min(k, visible) selection (not differentiable); HCA: every visible entry;
  * MoE: sqrt(softplus(gate a)); learned layers pick top-k of score + bias (aux-loss-free bias,
    updated outside autograd from the expert loads), hash layers take tid2eid[token]; weights
    renormalised x routed_scaling_factor; clamped SwiGLU for routed and shared experts;
  * head: hc_head collapse, RMSNorm, head.weight; MTP block 0 on (final streams at t, embedding
    of token t+1) predicting token t+2.

QAT emulation (FP8 KV, FP4 indexer, FP8 activations) is OFF in training: the model is trained in
float32 and exported; the engine's `--qat on` then perturbs it at quantisation-noise level. The
Hadamard rotation of the indexer is skipped (it is orthogonal: q.k unchanged without FP4).

Training (train()):
  * loss: cross-entropy on completion tokens only (the assistant text after the prompt, EOS
    included) + mtp_weight x the MTP cross-entropy on completion tokens two ahead;
  * lightning indexer: its own KL loss KL(p_main || softmax(I)) over the visible compressed
    entries of each CSA query, p_main = the main attention's per-head softmax over those entries
    averaged over heads, computed from detached q and entries; the indexer reads detached inputs,
    so the LM loss never reaches it and the KL loss reaches nothing else;
  * Muon (Nesterov momentum, 5 Newton-Schulz steps, update RMS matched to AdamW's 0.2 sqrt(max
    dim)) for the 2-D hidden matrices, AdamW for embeddings, head, norms, sinks, ape, mHC params;
  * dense warm-up (--dense-warmup-frac of the steps): CSA attends every visible entry while the
    indexer learns from the KL loss, then the sparse top-k attention of inference (V3.2's two
    phases);
  * context-length curriculum: stages of increasing maximum sample length (data files per stage,
    each with an optional token share FILE@SHARE);
  * optional haystack LM loss (--prompt-weight): next-token loss on the prompt tokens of the
    long-context samples, logged apart from the completion loss;
  * optional attention supervision (--copy-sup, --prev-sup; training only, the architecture and
    the exported weights' meaning are unchanged): each --copy-heads head gets -log of its
    attention mass on the visible keys (window keys and compressed entries) holding the token
    its query must predict, at completion positions whose target has a visible copy, and (with
    --index-sup) each CSA indexer the same loss over its softmax; each --prev-heads head gets
    -log of its mass on position t-1; --copy-max-copies K keeps the copy loss to targets with at most K visible
    copies (the informative ones: values, names, random spans — not "the" or DSML markup);
    --copy-window-first counts only window keys where the window holds the target (a
    compressed entry pools 4-8 neighbouring tokens, so a copy read from it is often off by one);
    --copy-context D keeps, among the window copies of the target, those whose preceding tokens
    agree longest (up to D) with the query's own last tokens — the source an induction head
    should read when the target token occurs several times (hex groups of a UUID, a '-' or a
    digit group repeated), where the plain loss pulls toward every copy alike;
    --copy-out W adds, at the same positions, the cross-entropy of the copy head's own output
    read through the final norm and the LM head (both frozen for this loss) toward the target:
    a read-out loss for the head's value/output path (attention alone found the source token
    55-70 % of the time while the copied spans' LM loss stayed at 5.5-7.5 nats).
    The aim: copying (needle values, tool arguments, names) that does not wait for an induction
    circuit to form by itself, which 5 M tokens did not give;
  * initialisation (new runs, not --init): --kv-norm-init sets every kv_norm weight — q and kv
    are RMS-normalised, so the attention logits are bounded by sqrt(head_dim) x that weight
    (8 at head_dim 64 and weight 1, against 22.6 for V4's head_dim 512; 2.5 gives 20);
    --embed-common A adds A x one shared N(0,1) vector to every embedding row: q, k and v have
    no bias, so without a direction common to all tokens layer 0 cannot form a query that does
    not depend on the token, and a previous-token head (the first half of every copy circuit)
    does not form — side by side, 100 steps: previous-token loss 3.4 nats at A = 0, 0.55 at 1;
    --head-init-embed starts the (untied) LM head as a scaled copy of the embedding, so an
    output path that keeps emb(X) already reads out X (a copy otherwise needs one learned map
    per token from its embedding to an unrelated head row);
  * deterministic: torch/numpy/python seeds fixed, single data order from the seed.
"""
import argparse
import csv
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ------------------------------------------------------------------------------------------------
# default architecture (official config.json keys)

DEFAULT_CONFIG = {
    "architectures": ["DeepseekV4ForCausalLM"],
    "model_type": "deepseek_v4",
    "vocab_size": 4096,
    "hidden_size": 128,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 1,
    "head_dim": 64,
    "qk_rope_head_dim": 16,
    "q_lora_rank": 64,
    "o_groups": 2,
    "o_lora_rank": 64,
    "sliding_window": 256,
    "compress_ratios": [0, 4, 128, 4, 0],
    "compress_rope_theta": 160000,
    "rope_theta": 10000,
    "rope_scaling": {"type": "yarn", "factor": 16, "original_max_position_embeddings": 4096,
                     "beta_fast": 32, "beta_slow": 1},
    "max_position_embeddings": 65536,
    "index_n_heads": 4,
    "index_head_dim": 32,
    "index_topk": 16,
    "n_routed_experts": 4,
    "n_shared_experts": 1,
    "num_experts_per_tok": 2,
    "moe_intermediate_size": 128,
    "scoring_func": "sqrtsoftplus",
    "norm_topk_prob": True,
    "routed_scaling_factor": 1.5,
    "topk_method": "noaux_tc",
    "num_hash_layers": 1,
    "swiglu_limit": 10.0,
    "hc_mult": 4,
    "hc_sinkhorn_iters": 20,
    "hc_eps": 1e-06,
    "rms_norm_eps": 1e-06,
    "num_nextn_predict_layers": 1,
    "hidden_act": "silu",
    "tie_word_embeddings": False,
    "bos_token_id": 0,
    "eos_token_id": 1,
    "expert_dtype": "bf16",
    "torch_dtype": "bfloat16",
    "attention_bias": False,
    "attention_dropout": 0.0,
}


# ------------------------------------------------------------------------------------------------
# primitives

def rms(x, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return rms(x, self.eps) * self.weight


def linear(n_in, n_out):
    return nn.Linear(n_in, n_out, bias=False)


def rope_omega(rd, base, yarn):
    """omega_i, i = 0..rd/2-1 (float64); yarn = (factor, orig, beta_fast, beta_slow) or None.
    YaRN (spec §3.2): low/high correction dims, linear ramp, omega' = omega (1-r) + omega/f r."""
    om = [1.0 / base ** ((2.0 * i) / rd) for i in range(rd // 2)]
    if yarn is not None:
        factor, orig, bfast, bslow = yarn
        dim = lambda rot: rd * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(base))
        lo = max(math.floor(dim(bfast)), 0)
        hi = min(math.ceil(dim(bslow)), rd - 1)
        if hi == lo:
            hi = lo + 0.001
        out = []
        for i, w in enumerate(om):
            r = min(max((i - lo) / (hi - lo), 0.0), 1.0)
            out.append(w * (1 - r) + (w / factor) * r)
        om = out
    return torch.tensor(om, dtype=torch.float64)


def rope_cs(pos, om):
    """cos/sin tables [len(pos), rd/2]: float32 angles fl32(fl32(pos) * fl32(omega)), the table
    of DeepSeek's inference code, the engine and v4ref (a float64 table moves the angles by
    ~|angle| * 6e-8, which sharp attention turns into 1e-3 logit differences at 2K tokens);
    cos and sin of them in float64, then float32."""
    ang = pos.to(torch.float32)[:, None] * om.to(torch.float32)[None, :]
    ang = ang.to(torch.float64)
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin, rd, inverse=False):
    """Rotates the trailing rd dims of x[..., d] by interleaved pairs (2i, 2i+1).
    cos/sin broadcast against x[..., rd/2] (caller arranges the leading dims)."""
    if inverse:
        sin = -sin
    nope, r = x[..., :-rd], x[..., -rd:]
    xr, xi = r[..., 0::2], r[..., 1::2]
    yr = xr * cos - xi * sin
    yi = xr * sin + xi * cos
    r2 = torch.stack((yr, yi), dim=-1).flatten(-2)
    return torch.cat((nope, r2), dim=-1)


def topk_idx(x, k):
    """Indices of the k largest values along the last dim; among exactly equal values the lower
    index wins (stable descending sort) - the engine's and the reference's tie rule. ReLU scores
    tie at 0 often, so this matters for the indexer."""
    return torch.sort(x, dim=-1, descending=True, stable=True).indices[..., :k]


WINDOW_CHUNK = 64    # queries per block of the blocked sliding window (training speed only)


def window_blocks(T, W):
    """Blocked sliding window of W positions over T queries -> (S, nC, P, K): nC chunks of S
    queries, each attending K = P + S key slots, slot s of chunk c = position c*S - P + s. The
    lookback P is W, or all earlier positions when the padded sequence is shorter, so every
    window t-W+1 .. t lies inside its chunk's slots."""
    S = min(WINDOW_CHUNK, T)
    nC = -(-T // S)
    P = min(W, (nC - 1) * S)
    return S, nC, P, P + S


def window_slots(nC, S, P, K):
    """Query positions [nC, S, 1] and key-slot positions [nC, 1, K] of window_blocks' layout."""
    tq = torch.arange(nC * S).view(nC, S, 1)
    tk = (torch.arange(nC) * S - P).view(nC, 1, 1) + torch.arange(K).view(1, 1, K)
    return tq, tk


def sinkhorn(C, iters, eps):
    P = torch.softmax(C, dim=-1) + eps
    P = P / (P.sum(-2, keepdim=True) + eps)
    for _ in range(iters - 1):
        P = P / (P.sum(-1, keepdim=True) + eps)
        P = P / (P.sum(-2, keepdim=True) + eps)
    return P


# ------------------------------------------------------------------------------------------------
# modules

class Compressor(nn.Module):
    """Token-level compressor (spec §6): ratio m, entry dim c, overlap iff m == 4."""

    def __init__(self, D, m, c, eps):
        super().__init__()
        self.m, self.c, self.ov = m, c, m == 4
        w = (2 if self.ov else 1) * c
        self.wkv = linear(D, w)
        self.wgate = linear(D, w)
        self.ape = nn.Parameter(torch.zeros(m, w))
        self.norm = RMSNorm(c, eps)

    def forward(self, a, rope_tab, rd):
        """a [B, T, D] -> entries [B, N, c], N = T // m (complete windows only)."""
        B, T, _ = a.shape
        m, c = self.m, self.c
        N = T // m
        if N == 0:
            return a.new_zeros(B, 0, c)
        a = a[:, :N * m]
        K = self.wkv(a).view(B, N, m, -1)
        Z = (self.wgate(a).view(B, N, m, -1) + self.ape)
        if self.ov:
            KA, KB = K[..., :c], K[..., c:]
            ZA, ZB = Z[..., :c], Z[..., c:]
            # previous window's A halves (absent for j = 0: logit -inf, value 0)
            KAp = F.pad(KA, (0, 0, 0, 0, 1, 0))[:, :N]
            ZAp = F.pad(ZA, (0, 0, 0, 0, 1, 0), value=float("-inf"))[:, :N]
            K = torch.cat((KAp, KB), dim=2)
            Z = torch.cat((ZAp, ZB), dim=2)
        p = torch.softmax(Z, dim=2)
        e = (p * K).sum(2)                               # [B, N, c]
        e = self.norm(e)
        cos, sin = rope_tab
        pos = torch.arange(N) * m
        return apply_rope(e, cos[pos][None], sin[pos][None], rd)


class Indexer(nn.Module):
    """Lightning indexer (spec §7.2)."""

    def __init__(self, cfg):
        super().__init__()
        D, ql = cfg["hidden_size"], cfg["q_lora_rank"]
        self.HI, self.cI = cfg["index_n_heads"], cfg["index_head_dim"]
        self.wq_b = linear(ql, self.HI * self.cI)
        self.weights_proj = linear(D, self.HI)
        self.compressor = Compressor(D, 4, self.cI, cfg["rms_norm_eps"])

    def forward(self, a, qr, tab, rd):
        """-> scores I [B, T, N] (unmasked)."""
        B, T, _ = a.shape
        cos, sin = tab
        q = self.wq_b(qr).view(B, T, self.HI, self.cI)
        q = apply_rope(q, cos[:T][None, :, None], sin[:T][None, :, None], rd)
        k = self.compressor(a, tab, rd)                  # [B, N, cI]
        w = self.weights_proj(a) * (self.cI ** -0.5) * (self.HI ** -0.5)
        s = torch.relu(torch.einsum("bthc,bnc->bthn", q, k))
        return (s * w[..., None]).sum(2)


class Attention(nn.Module):
    def __init__(self, cfg, ratio):
        super().__init__()
        D, H, hd = cfg["hidden_size"], cfg["num_attention_heads"], cfg["head_dim"]
        ql, G, ol = cfg["q_lora_rank"], cfg["o_groups"], cfg["o_lora_rank"]
        eps = cfg["rms_norm_eps"]
        self.H, self.hd, self.G, self.ol, self.eps = H, hd, G, ol, eps
        self.rd = cfg["qk_rope_head_dim"]
        self.W = cfg["sliding_window"]
        self.ratio = ratio
        self.topk = cfg["index_topk"]
        self.dense = False      # training warm-up: CSA attends every visible entry (no top-k)
        # attention supervision (training only, set by train() per batch; see supervise())
        self.copy_head = None   # head index whose attention is pulled onto copies of the target
        self.prev_head = None   # head index whose attention is pulled onto the previous token
        self.sup = None         # (tokens [B, T], copy target [B, T] (-1 none), valid [B, T])
        self.sup_out = []       # (name, nll sum, count) appended by forward
        self.copy_max = 0       # copy loss only where the target has <= copy_max visible copies (0: all)
        self.index_sup = False  # also the indexer's loss toward the entries holding the target (CSA)
        self.window_first = False  # copy loss: compressed entries count only without a window copy
        self.copy_context = 0   # copy loss: keep the window copies whose context agrees longest (<= this)
        self.lens = None        # copy read-out loss: [M, D] head output -> [M, V] logits (or None)
        self.reach = None       # [B, T] bool: the copy loss's query positions (set by supervise)
        self.wq_a = linear(D, ql)
        self.q_norm = RMSNorm(ql, eps)
        self.wq_b = linear(ql, H * hd)
        self.wkv = linear(D, hd)
        self.kv_norm = RMSNorm(hd, eps)
        self.wo_a = linear((H // G) * hd, G * ol)
        self.wo_b = linear(G * ol, D)
        self.attn_sink = nn.Parameter(torch.zeros(H))
        if ratio:
            self.compressor = Compressor(D, ratio, hd, eps)
        if ratio == 4:
            self.indexer = Indexer(cfg)

    def forward(self, a, tab, aux):
        B, T, _ = a.shape
        H, hd, rd, W = self.H, self.hd, self.rd, self.W
        cos, sin = tab
        cT, sT = cos[:T], sin[:T]
        scale = hd ** -0.5
        qr = self.q_norm(self.wq_a(a))
        q = self.wq_b(qr).view(B, T, H, hd)
        q = rms(q, self.eps)
        q = apply_rope(q, cT[None, :, None], sT[None, :, None], rd)
        kv = self.kv_norm(self.wkv(a))
        kv = apply_rope(kv, cT[None], sT[None], rd)                   # [B, T, hd]
        # window, blocked: the sequence is cut into chunks of S queries; chunk c attends K = P + S
        # key slots, slot s holding position c*S - P + s (P = the lookback, W or less when the
        # whole sequence is shorter), masked to the window t-W+1 .. t — the same entries as a
        # per-query window, as batched matmuls over K ~ W + S keys per query
        t_idx = torch.arange(T)
        S, nC, P, K = window_blocks(T, W)
        Tp = nC * S
        kp = F.pad(kv, (0, 0, P, Tp - T))                                 # [B, P + Tp, hd]
        Kb = kp.unfold(1, K, S).transpose(2, 3)                           # [B, nC, K, hd]
        qb = F.pad(q, (0, 0, 0, 0, 0, Tp - T)).view(B, nC, S, H, hd)
        tq, tk = window_slots(nC, S, P, K)
        wvalid = (tk >= 0) & (tk <= tq) & (tk > tq - W)                   # [nC, S, K]
        lw = torch.einsum("bcqhd,bcsd->bcqhs", qb, Kb) * scale
        lw = lw.masked_fill(~wvalid[None, :, :, None, :], float("-inf"))
        lw = lw.reshape(B, Tp, H, K)[:, :T]                              # [B, T, H, K]
        blocks = (S, nC, P, K)
        parts, vals = [lw], [("b", Kb)]
        if self.ratio:
            m = self.ratio
            C = self.compressor(a, tab, rd)                             # [B, N, hd]
            N = C.shape[1]
            vis = torch.arange(N)[None, :] < ((t_idx + 1) // m)[:, None]   # [T, N]
            if self.ratio == 4 and N > 0:
                I = self.indexer(a.detach(), qr.detach(), tab, rd)         # [B, T, N]
                Im = I.masked_fill(~vis[None], float("-inf"))
                sel = (Im, None, None)
                if self.dense and self.training:
                    # dense warm-up (V3.2's recipe): the main attention sees every visible
                    # entry while the indexer learns from it through the KL loss below
                    lc = torch.einsum("bthd,bnd->bthn", q, C) * scale
                    lc = lc.masked_fill(~vis[None, :, None, :], float("-inf"))
                    parts.append(lc)
                    vals.append(("d", C))
                else:
                    k = min(self.topk, N)
                    idx = topk_idx(Im.detach(), k)                         # [B, T, k]
                    sel_ok = torch.gather(vis[None].expand(B, T, N), 2, idx)   # [B, T, k]
                    sel = (Im, idx, sel_ok)
                    Cs = C[torch.arange(B)[:, None, None], idx]            # [B, T, k, hd]
                    lc = torch.einsum("bthd,btkd->bthk", q, Cs) * scale
                    lc = lc.masked_fill(~sel_ok[:, :, None, :], float("-inf"))
                    parts.append(lc)
                    vals.append(("s", Cs))
                if aux is not None and self.training:
                    # indexer KL toward the main attention over all visible entries
                    with torch.no_grad():
                        lt = torch.einsum("bthd,bnd->bthn", q.detach(), C.detach()) * scale
                        lt = lt.masked_fill(~vis[None, :, None, :], float("-inf"))
                        rows = vis.any(-1)                                  # [T]
                        pt = torch.softmax(lt[:, rows], dim=-1).mean(2)    # [B, R, N]
                    lq = torch.log_softmax(Im[:, rows], dim=-1)
                    lq = lq.masked_fill(~vis[rows][None], 0.0)
                    kl = (pt * (torch.log(pt.clamp_min(1e-30)) - lq)).sum(-1)   # [B, R]
                    aux.append(kl)
            elif N > 0:
                lc = torch.einsum("bthd,bnd->bthn", q, C) * scale
                lc = lc.masked_fill(~vis[None, :, None, :], float("-inf"))
                parts.append(lc)
                vals.append(("d", C))
        sink = self.attn_sink.view(1, 1, H, 1).expand(B, T, H, 1)
        logits = torch.cat(parts + [sink], dim=-1)
        p = torch.softmax(logits, dim=-1)
        if self.training and self.sup is not None:
            self.reach = None
            self.supervise(p, blocks, wvalid, vals, sel if self.ratio == 4 and N > 0 else None)
        o, off = 0, 0
        for (kind, V), L in zip(vals, parts):
            n = L.shape[-1]
            pp = p[..., off:off + n]
            off += n
            if kind == "b":
                S, nC, P, K = blocks
                pb = F.pad(pp, (0, 0, 0, 0, 0, nC * S - T)).view(B, nC, S, H, K)
                ob = torch.einsum("bcqhs,bcsd->bcqhd", pb, V)
                o = o + ob.reshape(B, -1, H, hd)[:, :T]
            elif kind == "d":
                o = o + torch.einsum("bthn,bnd->bthd", pp, V)
            else:
                o = o + torch.einsum("bthn,btnd->bthd", pp, V)
        o = apply_rope(o, cT[None, :, None], sT[None, :, None], rd, inverse=True)
        if self.training and self.lens is not None and self.reach is not None:
            y = self.head_out(o[self.reach], self.copy_head)                   # [M, D]
            real = self.sup[3] if len(self.sup) > 3 else self.sup[1]
            ce = F.cross_entropy(self.lens(y), real[self.reach], reduction="sum")
            self.sup_out.append(("copy_out", ce, int(self.reach.sum())))
        G = self.G
        og = o.reshape(B, T, G, (H // G) * hd)
        wa = self.wo_a.weight.view(G, self.ol, (H // G) * hd)
        u = torch.einsum("btgi,goi->btgo", og, wa).reshape(B, T, G * self.ol)
        return self.wo_b(u)

    def head_out(self, o, h):
        """Head h's share of the attention output: o [..., H, hd] (after the inverse RoPE) ->
        [..., D] = wo_b(the grouped wo_a product with every other head's o set to 0); the
        output projection is linear, so the shares of all heads sum to the output."""
        hpg = self.H // self.G
        g, j = h // hpg, h % hpg
        wa = self.wo_a.weight.view(self.G, self.ol, hpg * self.hd)[g, :, j * self.hd:(j + 1) * self.hd]
        wb = self.wo_b.weight[:, g * self.ol:(g + 1) * self.ol]               # [D, ol]
        return (o[..., h, :] @ wa.t()) @ wb.t()

    def supervise(self, p, blocks, wvalid, vals, sel):
        """Attention supervision losses (training only; appended to self.sup_out as
        (name, nll sum, count)):
          copy: -log of the copy head's attention mass on the visible keys that hold the token
                the query must predict (window keys with that token; compressed entries whose
                m tokens include it), at the supervised query positions whose target token is
                visible at all (and has at most copy_max visible copies when copy_max > 0);
          index: the same for the lightning indexer's softmax over the visible entries (CSA
                 layers with index_sup set);
          prev: -log of the previous-token head's attention on position t-1 (every valid t)."""
        tok, tgt, valid = self.sup[:3]
        B, T = tok.shape
        S, nC, P, K = blocks
        Tp = nC * S
        keyt = F.pad(tok, (P, Tp - T), value=-2).unfold(1, K, S)            # [B, nC, K]
        if self.copy_head is not None:
            h = self.copy_head
            qt = F.pad(tgt, (0, Tp - T), value=-1).view(B, nC, S)
            mw = (keyt[:, :, None, :] == qt[..., None]) & wvalid[None] & (qt[..., None] >= 0)
            mw = mw.reshape(B, Tp, K)[:, :T]                                    # [B, T, K]
            ctx = None
            if self.copy_context:
                # among the window copies, those whose context agrees longest with the query's;
                # where that agreement is >= 1 token, the compressed entries (no positions to
                # agree with) do not count
                dm = torch.where(mw, context_depth(tok, blocks, mw, self.copy_context), -1)
                best = dm.max(-1).values                                        # [B, T]
                mw = mw & (dm == best[..., None])
                ctx = best >= 1
            mass = (p[:, :, h, :K] * mw).sum(-1)
            reach = mw.any(-1)
            ncopy = mw.sum(-1)
            inwin = reach.clone()          # the target has a copy among the window keys
            off = K
            for kind, _ in vals[1:]:
                m = self.ratio
                N = (T // m)
                blk = (tok[:, :N * m].view(B, N, m)[:, None] == tgt[:, :, None, None]).any(-1)
                vis = torch.arange(N)[None, :] < ((torch.arange(T) + 1) // m)[:, None]
                me = blk & vis[None] & (tgt[..., None] >= 0)                    # [B, T, N]
                if sel is not None and self.index_sup:
                    Im = sel[0]
                    ok = me.any(-1)
                    if bool(ok.any()):
                        li = torch.log_softmax(Im[ok], dim=-1)
                        nll = -torch.logsumexp(li.masked_fill(~me[ok], float("-inf")), -1)
                        self.sup_out.append(("index", nll.sum(), int(ok.sum())))
                if kind == "s":
                    idx, sel_ok = sel[1], sel[2]
                    me = torch.gather(me, 2, idx) & sel_ok
                if ctx is not None:
                    me = me & ~ctx[..., None]
                if self.window_first:
                    # a compressed entry mixes m (8 with overlap) consecutive tokens, so reading
                    # a copy from it is off by one as often as not: where the window holds the
                    # target, only window keys count
                    me = me & ~inwin[..., None]
                n = me.shape[-1]
                mass = mass + (p[:, :, h, off:off + n] * me).sum(-1)
                reach = reach | me.any(-1)
                ncopy = ncopy + me.sum(-1)
                off += n
            if self.copy_max:
                reach = reach & (ncopy <= self.copy_max)
            if bool(reach.any()):
                nll = -torch.log(mass[reach].clamp_min(1e-9))
                self.sup_out.append(("copy", nll.sum(), int(reach.sum())))
                self.reach = reach
        if self.prev_head is not None:
            tq, tk = window_slots(nC, S, P, K)
            mp = (tk == tq - 1).reshape(Tp, K)[:T]                             # [T, K]
            rows = valid.clone()
            rows[:, 0] = False
            mass = (p[:, :, self.prev_head, :K] * mp[None]).sum(-1)
            if bool(rows.any()):
                nll = -torch.log(mass[rows].clamp_min(1e-9))
                self.sup_out.append(("prev", nll.sum(), int(rows.sum())))


def context_depth(tok, blocks, mw, D):
    """[B, T, K] int16: for query t and window slot k (key position j) of window_blocks' layout
    where mw [B, T, K] holds (0 elsewhere), how many of the query's last tokens, up to D, agree
    with the tokens before the key: tok[t - i] == tok[j - 1 - i] for i = 0 .. depth-1. A key j
    holding the token that follows t with depth d is where a copy of the d-token context
    t-d+1..t continues (induction's source). Work is per True entry of mw (the target's copies)."""
    S, nC, P, K = blocks
    b, t, k = mw.nonzero(as_tuple=True)
    j = (t // S) * S - P + k                                       # slot k's key position
    run = torch.ones(b.shape, dtype=torch.bool)
    dep = torch.zeros(b.shape, dtype=torch.int16)
    for i in range(D):
        ok = (t - i >= 0) & (j - 1 - i >= 0)
        run = run & ok & (tok[b, (t - i).clamp_min(0)] == tok[b, (j - 1 - i).clamp_min(0)])
        dep = dep + run
    out = torch.zeros(mw.shape, dtype=torch.int16)
    out[b, t, k] = dep
    return out


def space_canon(path, vocab):
    """[vocab] int64: the id of the token without its leading space ('Ġ' in the byte-level
    alphabet) where that token exists, else the id itself. Copy supervision compares these."""
    try:
        with open(path, encoding="utf-8") as f:
            v = json.load(f)["model"]["vocab"]
        if not isinstance(v, dict):
            raise TypeError(f"model.vocab is a {type(v).__name__}, not an object")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise SystemExit(f"v4train: --copy-canon {path}: expected a tokenizer.json with "
                         f"model.vocab, found: {e}")
    canon = torch.arange(vocab)
    for tokstr, i in v.items():
        if (tokstr.startswith("\u0120") and len(tokstr) > 1 and tokstr[1] != "\u0120"
                and tokstr[1:] in v and i < vocab):
            canon[i] = v[tokstr[1:]]
    return canon


def sup_tuple(tok, ctgt, valid, canon=None, rows=None):
    """Attention.sup for a batch: (key tokens, copy targets (-1 none), valid) compared by id;
    with a space_canon map, (canon[tok], canon[target], valid, real target): keys and targets
    match modulo a leading space (in the rows where rows [B] is True; all rows when None), the
    read-out loss keeps the real target."""
    if canon is None or (rows is not None and not bool(rows.any())):
        return (tok, ctgt, valid)
    tk = canon[tok]
    tg = torch.where(ctgt >= 0, canon[ctgt.clamp_min(0)], ctgt)
    if rows is not None:
        tk = torch.where(rows[:, None], tk, tok)
        tg = torch.where(rows[:, None], tg, ctgt)
    return (tk, tg, valid, ctgt)


class Expert(nn.Module):
    def __init__(self, D, inter, limit):
        super().__init__()
        self.w1 = linear(D, inter)
        self.w2 = linear(inter, D)
        self.w3 = linear(D, inter)
        self.limit = limit

    def forward(self, x, g=None):
        h = F.silu(self.w1(x).clamp(max=self.limit)) * self.w3(x).clamp(-self.limit, self.limit)
        if g is not None:
            h = h * g
        return self.w2(h)


class Gate(nn.Module):
    def __init__(self, cfg, is_hash, rng):
        super().__init__()
        E, D = cfg["n_routed_experts"], cfg["hidden_size"]
        self.weight = nn.Parameter(torch.empty(E, D))
        self.is_hash = is_hash
        if is_hash:
            k = cfg["num_experts_per_tok"]
            tid = np.stack([rng.permutation(E)[:k] for _ in range(cfg["vocab_size"])])
            self.register_buffer("tid2eid", torch.from_numpy(tid.astype(np.int64)))
        else:
            self.register_buffer("bias", torch.zeros(E))


class MoE(nn.Module):
    def __init__(self, cfg, is_hash, rng):
        super().__init__()
        D, E, inter = cfg["hidden_size"], cfg["n_routed_experts"], cfg["moe_intermediate_size"]
        lim = cfg["swiglu_limit"]
        self.k, self.E = cfg["num_experts_per_tok"], E
        self.scale = cfg["routed_scaling_factor"]
        self.gate = Gate(cfg, is_hash, rng)
        self.experts = nn.ModuleList([Expert(D, inter, lim) for _ in range(E)])
        self.shared_experts = Expert(D, inter, lim)
        self.load = None

    def forward(self, a, tokens):
        B, T, D = a.shape
        x = a.reshape(-1, D)
        s = torch.sqrt(F.softplus(x @ self.gate.weight.t()))            # [BT, E]
        if self.gate.is_hash:
            idx = self.gate.tid2eid[tokens.reshape(-1)]
        else:
            idx = topk_idx((s + self.gate.bias).detach(), self.k)
        g = torch.gather(s, 1, idx)
        g = g / g.sum(-1, keepdim=True) * self.scale                    # [BT, k]
        y = self.shared_experts(x)
        counts = torch.zeros(self.E)
        for e in range(self.E):
            hit = idx == e                                              # [BT, k]
            rows = hit.any(-1).nonzero(as_tuple=True)[0]
            counts[e] = rows.numel()
            if rows.numel() == 0:
                continue
            ge = (g * hit).sum(-1)[rows][:, None]
            y = y.index_add(0, rows, self.experts[e](x[rows], ge))
        self.load = counts
        self.last_idx = idx.detach()    # [BT, k] the routes taken (export.py's verification)
        return y.view(B, T, D)


class Block(nn.Module):
    def __init__(self, cfg, lid, rng):
        super().__init__()
        n, D, eps = cfg["hc_mult"], cfg["hidden_size"], cfg["rms_norm_eps"]
        mix = (2 + n) * n
        self.n, self.eps = n, eps
        self.hc_eps, self.iters = cfg["hc_eps"], cfg["hc_sinkhorn_iters"]
        self.ratio = cfg["compress_ratios"][lid]
        is_hash = lid < cfg["num_hash_layers"] and lid < cfg["num_hidden_layers"]
        for site in ("attn", "ffn"):
            setattr(self, f"hc_{site}_fn", nn.Parameter(torch.zeros(mix, n * D)))
            setattr(self, f"hc_{site}_base", nn.Parameter(torch.zeros(mix)))
            setattr(self, f"hc_{site}_scale", nn.Parameter(torch.ones(3)))
        self.attn_norm = RMSNorm(D, eps)
        self.ffn_norm = RMSNorm(D, eps)
        self.attn = Attention(cfg, self.ratio)
        self.ffn = MoE(cfg, is_hash, rng)

    def hc_pre(self, X, site):
        n = self.n
        fn, base, sc = (getattr(self, f"hc_{site}_{k}") for k in ("fn", "base", "scale"))
        xf = X.flatten(-2)                                              # [B, T, nD]
        r = torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        mu = r * (xf @ fn.t())                                          # [B, T, 24]
        pre = torch.sigmoid(sc[0] * mu[..., :n] + base[:n]) + self.hc_eps
        post = 2 * torch.sigmoid(sc[1] * mu[..., n:2 * n] + base[n:2 * n])
        C = (sc[2] * mu[..., 2 * n:] + base[2 * n:]).unflatten(-1, (n, n))
        P = sinkhorn(C, self.iters, self.hc_eps)
        y = (pre[..., None] * X).sum(-2)
        return y, post, P

    @staticmethod
    def hc_post(f, X, post, P):
        return torch.einsum("btij,btid->btjd", P, X) + post[..., None] * f[:, :, None, :]

    def forward(self, X, tokens, tab, aux):
        y, post, P = self.hc_pre(X, "attn")
        X = self.hc_post(self.attn(self.attn_norm(y), tab, aux), X, post, P)
        y, post, P = self.hc_pre(X, "ffn")
        X = self.hc_post(self.ffn(self.ffn_norm(y), tokens), X, post, P)
        return X


def hc_head(X, fn, base, scale, eps, hc_eps):
    xf = X.flatten(-2)
    r = torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    mu = r * (xf @ fn.t())
    pre = torch.sigmoid(scale * mu + base) + hc_eps
    return (pre[..., None] * X).sum(-2)


class MTP(Block):
    """MTP block: a full Block (layer id num_hidden_layers) plus its input projections, norms
    and head collapse, all under `mtp.{i}.` like the official checkpoint."""

    def __init__(self, cfg, rng):
        super().__init__(cfg, cfg["num_hidden_layers"], rng)
        n, D, eps = cfg["hc_mult"], cfg["hidden_size"], cfg["rms_norm_eps"]
        self.e_proj = linear(D, D)
        self.h_proj = linear(D, D)
        self.enorm = RMSNorm(D, eps)
        self.hnorm = RMSNorm(D, eps)
        self.norm = RMSNorm(D, eps)
        self.hc_head_fn = nn.Parameter(torch.zeros(n, n * D))
        self.hc_head_base = nn.Parameter(torch.zeros(n))
        self.hc_head_scale = nn.Parameter(torch.ones(1))


class V4Model(nn.Module):
    def __init__(self, cfg, seed=0):
        super().__init__()
        self.cfg = cfg
        rng = np.random.default_rng(seed + 1)
        V, D, n = cfg["vocab_size"], cfg["hidden_size"], cfg["hc_mult"]
        self.n, self.eps, self.hc_eps = n, cfg["rms_norm_eps"], cfg["hc_eps"]
        self.embed = nn.Embedding(V, D)
        self.layers = nn.ModuleList([Block(cfg, l, rng) for l in range(cfg["num_hidden_layers"])])
        self.norm = RMSNorm(D, cfg["rms_norm_eps"])
        self.head = linear(D, V)
        self.hc_head_fn = nn.Parameter(torch.zeros(n, n * D))
        self.hc_head_base = nn.Parameter(torch.zeros(n))
        self.hc_head_scale = nn.Parameter(torch.ones(1))
        self.mtp = nn.ModuleList([MTP(cfg, rng) for _ in range(cfg["num_nextn_predict_layers"])])
        rd = cfg["qk_rope_head_dim"]
        rs = cfg.get("rope_scaling") or {}
        yarn = None
        if rs.get("original_max_position_embeddings", 0) > 0:
            yarn = (rs.get("factor", 1.0), rs["original_max_position_embeddings"],
                    rs.get("beta_fast", 32), rs.get("beta_slow", 1))
        self.om_plain = rope_omega(rd, cfg["rope_theta"], None)
        self.om_comp = rope_omega(rd, cfg["compress_rope_theta"], yarn)
        self.tabs = {}
        self.reset_parameters(seed)

    def rope_tables(self, T):
        if T not in self.tabs:
            if len(self.tabs) > 64:
                self.tabs.clear()
            pos = torch.arange(T)
            self.tabs[T] = (rope_cs(pos, self.om_plain), rope_cs(pos, self.om_comp))
        return self.tabs[T]

    @torch.no_grad()
    def reset_parameters(self, seed):
        g = torch.Generator().manual_seed(seed)
        L = self.cfg["num_hidden_layers"] + len(self.mtp)
        n = self.n
        for name, p in self.named_parameters():
            if name.endswith("norm.weight"):
                p.fill_(1.0)
            elif name.endswith("hc_attn_fn") or name.endswith("hc_ffn_fn") or name.endswith("hc_head_fn"):
                p.normal_(0.0, 0.02 / math.sqrt(p.shape[1]), generator=g)
            elif name.endswith("_base"):
                p.zero_()
                if p.numel() == (2 + n) * n:   # comb logits lean towards identity
                    p[2 * n:] += (3.0 * torch.eye(n)).flatten()
            elif name.endswith("_scale") or name.endswith("attn_sink") or name.endswith(".ape"):
                p.fill_(1.0) if name.endswith("_scale") else p.zero_()
            elif name == "embed.weight":
                p.normal_(0.0, 1.0, generator=g)
            elif name == "head.weight":
                p.normal_(0.0, 0.5 / math.sqrt(p.shape[1]), generator=g)
            elif p.dim() == 2:
                std = 1.0 / math.sqrt(p.shape[1])
                if name.endswith("wo_b.weight") or name.endswith("w2.weight"):
                    std /= math.sqrt(2 * L)
                p.normal_(0.0, std, generator=g)
            else:
                raise ValueError(f"no init rule for {name}")

    def layer_tab(self, ratio, T):
        plain, comp = self.rope_tables(T)
        return comp if ratio else plain

    def forward(self, tokens, aux=None, mtp=True, sel=None, sel_mtp=None):
        """tokens [B, T] -> (logits [B, T, V], mtp_logits [B, T-1, V] or None).
        Training: sel [B, T] / sel_mtp [B, T-1] bool masks restrict the head to the positions
        that carry a loss (logits then [M, V] in mask order) — the head is ~40 % of the work."""
        B, T = tokens.shape
        X = self.embed(tokens)[:, :, None, :].expand(B, T, self.n, -1)
        for blk in self.layers:
            X = blk(X, tokens, self.layer_tab(blk.ratio, T), aux)
        h = hc_head(X, self.hc_head_fn, self.hc_head_base, self.hc_head_scale, self.eps, self.hc_eps)
        logits = self.head(self.norm(h if sel is None else h[sel]))
        ml = None
        if mtp and len(self.mtp) and T > 1:
            mt = self.mtp[0]
            e = mt.enorm(self.embed(tokens[:, 1:]))                     # [B, T-1, D]
            x = mt.hnorm(X[:, :-1])                                     # [B, T-1, n, D]
            Xm = mt.e_proj(e)[:, :, None, :] + mt.h_proj(x)
            Xm = mt(Xm, tokens[:, 1:], self.layer_tab(0, T - 1), None)
            hm = hc_head(Xm, mt.hc_head_fn, mt.hc_head_base, mt.hc_head_scale, self.eps, self.hc_eps)
            ml = self.head(mt.norm(hm if sel_mtp is None else hm[sel_mtp]))
        return logits, ml

    def moe_blocks(self):
        for blk in self.layers:
            yield blk.ffn
        for mt in self.mtp:
            yield mt.ffn


# ------------------------------------------------------------------------------------------------
# optimiser

def newton_schulz(G, steps=5):
    """Approximate orthogonalisation U V^T of G (quintic Newton-Schulz, Muon's coefficients)."""
    a, b, c = 3.4445, -4.7750, 2.0315
    X = G / (G.norm() + 1e-7)
    tr = X.shape[0] > X.shape[1]
    if tr:
        X = X.t()
    for _ in range(steps):
        A = X @ X.t()
        X = a * X + (b * A + c * A @ A) @ X
    return X.t() if tr else X


class Muon(torch.optim.Optimizer):
    """Muon for 2-D matrices: Nesterov momentum, Newton-Schulz orthogonalised update scaled by
    0.2 sqrt(max(out, in)) (update RMS comparable to AdamW, so one learning rate serves both),
    decoupled weight decay."""

    def __init__(self, params, lr, momentum=0.95, wd=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, wd=wd))

    @torch.no_grad()
    def step(self):
        for grp in self.param_groups:
            for p in grp["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if "m" not in st:
                    st["m"] = torch.zeros_like(p)
                m = st["m"]
                m.mul_(grp["momentum"]).add_(p.grad)
                u = p.grad.add(m, alpha=grp["momentum"])
                u = newton_schulz(u) * (0.2 * math.sqrt(max(p.shape)))
                p.mul_(1 - grp["lr"] * grp["wd"])
                p.add_(u, alpha=-grp["lr"])


def param_groups(model):
    """(muon params, adamw decay params, adamw no-decay params) with names for the log."""
    muon, adam_d, adam_nd = [], [], []
    for name, p in model.named_parameters():
        hidden2d = p.dim() == 2 and name not in ("embed.weight", "head.weight") \
            and "hc_" not in name and not name.endswith(".ape")
        if hidden2d:
            muon.append(p)
        elif name in ("embed.weight", "head.weight"):
            adam_d.append(p)
        else:
            adam_nd.append(p)
    return muon, adam_d, adam_nd


# ------------------------------------------------------------------------------------------------
# data

def load_samples(paths, max_len, rng=None):
    """JSONL from `v4eval gen-train` -> list of (ids int64 array, n_prompt, task); samples
    longer than max_len tokens are skipped (counted). A path may carry a token share,
    `FILE@SHARE`: its samples are repeated (whole copies, then a seeded random part) so that
    the file holds SHARE of the stage's tokens (shares are normalised over the files that give
    one; files without a share keep their natural weight and the rest of the tokens)."""
    files, skipped = [], 0
    for spec in paths:
        path, share = spec, None
        if "@" in spec:
            path, sh = spec.rsplit("@", 1)
            try:
                share = float(sh)
            except ValueError:
                share = -1.0
            if not 0.0 < share <= 1.0:
                raise SystemExit(f"v4train: {spec}: token share: expected a number in (0, 1], "
                                 f"found {sh!r}")
        got = []
        try:
            with open(path) as f:
                for ln, line in enumerate(f, 1):
                    o = json.loads(line)
                    p, c = o["prompt_ids"], o["completion_ids"]
                    if len(p) + len(c) > max_len:
                        skipped += 1
                        continue
                    got.append((np.array(p + c, dtype=np.int64), len(p), o["task"]))
        except OSError as e:
            raise SystemExit(f"v4train: {path}: {e.strerror}")
        except (ValueError, KeyError, TypeError) as e:
            raise SystemExit(f"v4train: {path}:{ln}: expected a gen-train JSON line with "
                             f"prompt_ids, completion_ids and task, found: {e!r}")
        files.append((spec, share, got, sum(len(x[0]) for x in got)))
    plain = sum(n for _, sh, _, n in files if sh is None)
    shares = sum(sh for _, sh, g, _ in files if sh is not None and g)
    if plain and shares >= 1.0:
        raise SystemExit(f"v4train: {', '.join(f[0] for f in files)}: token shares: expected a "
                         f"sum < 1 beside files without a share, found {shares:g}")
    # the stage's token count: plain files keep weight 1 and leave (1 - shares) to the shared
    # files; with shared files only, their natural total, the shares normalised to sum to 1
    total = plain / (1.0 - shares) if plain else sum(n for _, sh, _, n in files if sh is not None)
    norm = 1.0 if plain else shares
    r = rng or random.Random(0)
    out = []
    for _, share, got, n in files:
        if share is None or not got:
            out.extend(got)
            continue
        rep = share / norm * total / n
        whole = int(rep)
        out.extend(got * whole)
        out.extend(x for x in got if r.random() < rep - whole)
    return out, skipped


def make_batches(samples, tokens_per_batch, rng):
    """Length-bucketed batches (32-token length buckets, chunks of <= tokens_per_batch padded
    tokens), shuffled batch order."""
    # buckets of 32 tokens, random order inside a bucket: copies of a repeated sample (token
    # shares) spread over the batches of their length instead of filling one batch
    key = [rng.random() for _ in samples]
    order = sorted(range(len(samples)), key=lambda i: (len(samples[i][0]) // 32, key[i]))
    batches, cur, cur_max = [], [], 0
    for i in order:
        L = len(samples[i][0])
        if cur and max(cur_max, L) * (len(cur) + 1) > tokens_per_batch:
            batches.append(cur)
            cur, cur_max = [], 0
        cur.append(i)
        cur_max = max(cur_max, L)
    if cur:
        batches.append(cur)
    rng.shuffle(batches)
    return batches


def major_task(samples, idxs):
    """The most frequent task of a batch (batches are length-bucketed, so mostly one kind)."""
    c = {}
    for i in idxs:
        c[samples[i][2]] = c.get(samples[i][2], 0) + 1
    return max(sorted(c), key=lambda t: c[t])


def collate(samples, idxs, pad_id, prompt_tasks=()):
    """-> tokens [B, T], completion targets [B, T], prompt targets [B, T] (target of position
    t = token t+1, -100 = no loss). Prompt targets are set only for samples whose task starts
    with one of prompt_tasks (the haystack LM loss of --prompt-weight)."""
    T = max(len(samples[i][0]) for i in idxs)
    tok = np.full((len(idxs), T), pad_id, dtype=np.int64)
    tgt = np.full((len(idxs), T), -100, dtype=np.int64)
    ptgt = np.full((len(idxs), T), -100, dtype=np.int64)
    for r, i in enumerate(idxs):
        ids, npr, task = samples[i]
        tok[r, :len(ids)] = ids
        # positions npr-1 .. len-2 predict the completion tokens npr .. len-1
        tgt[r, npr - 1:len(ids) - 1] = ids[npr:]
        if prompt_tasks and task.startswith(tuple(prompt_tasks)):
            ptgt[r, :npr - 1] = ids[1:npr]
    return torch.from_numpy(tok), torch.from_numpy(tgt), torch.from_numpy(ptgt)


# ------------------------------------------------------------------------------------------------
# training

def parse_heads(spec, cfg, flag):
    """'L:H,L:H' -> [(layer, head)]; one clear error for a layer or head out of range."""
    out = []
    for part in (x for x in spec.split(",") if x):
        try:
            l, h = (int(v) for v in part.split(":"))
        except ValueError:
            raise SystemExit(f"v4train: {flag}: expected LAYER:HEAD[,LAYER:HEAD...], found {spec!r}")
        if not (0 <= l < cfg["num_hidden_layers"] and 0 <= h < cfg["num_attention_heads"]):
            raise SystemExit(f"v4train: {flag}: {part}: expected layer < {cfg['num_hidden_layers']} "
                             f"and head < {cfg['num_attention_heads']}")
        out.append((l, h))
    return out


EXPORT_ONLY_KEYS = ("torch_dtype", "expert_dtype", "quantization_config")


def load_exported(model_dir):
    """{"config", "state"} of a model directory written by export.py (config.json +
    model.safetensors with BF16/F32/I64 tensors named as this script's state_dict), so that a
    run can continue from an exported (e.g. the shipped) model: --init DIR. The weights are
    the BF16 copies, not the float32 checkpoint they were rounded from. FP8/FP4 exports and
    files that are not export.py's give one SystemExit naming the file and tensor."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
    import safetensors_io as sio
    cpath = os.path.join(model_dir, "config.json")
    wpath = os.path.join(model_dir, "model.safetensors")
    try:
        with open(cpath) as f:
            cfg = json.load(f)
        tensors, _ = sio.read_safetensors(wpath)
    except (OSError, ValueError, sio.SafetensorsError) as e:
        raise SystemExit(f"v4train: --init {model_dir}: {e}")
    if not isinstance(cfg, dict):
        raise SystemExit(f"v4train: --init {cpath}: expected a JSON object")
    state = {}
    for name, (dt, a) in tensors.items():
        if dt == "BF16":
            state[name] = torch.from_numpy(sio.bf16_bits_to_f64(a).astype(np.float32))
        elif dt == "F32":
            state[name] = torch.from_numpy(a.astype(np.float32))
        elif dt == "I64":
            state[name] = torch.from_numpy(a.astype(np.int64))
        else:
            raise SystemExit(f"v4train: --init {wpath}: {name}: expected BF16, F32 or I64 (a "
                             f"BF16 export), found {dt}")
    return {"config": cfg, "state": state}


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def config_overrides_error(over):
    """None when `over` can update DEFAULT_CONFIG (a JSON object of its keys, sliding_window a
    positive integer), else one line saying what is wrong. run.sh checks TRAIN_CONFIG with it
    before any data is generated."""
    if not isinstance(over, dict):
        return f"expected a JSON object of config.json keys, found {type(over).__name__}"
    bad = sorted(k for k in over if k not in DEFAULT_CONFIG)
    if bad:
        return (f"{bad[0]}: not a key of the V4 config (expected one of "
                f"{', '.join(sorted(DEFAULT_CONFIG))})")
    sw = over.get("sliding_window")
    if sw is not None and (not isinstance(sw, int) or isinstance(sw, bool) or sw <= 0):
        return f"sliding_window: expected a positive integer, found {sw!r}"
    return None


def dp_average_grads(model):
    """Averages the gradients over the data-parallel ranks in one all-reduce. A parameter
    without a gradient on one rank counts as zero there; one without a gradient on every rank
    keeps None (so the optimisers skip it as a single process would)."""
    ps = list(model.parameters())
    flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                      for p in ps] + [torch.tensor([float(p.grad is not None) for p in ps])])
    torch.distributed.all_reduce(flat)
    world = torch.distributed.get_world_size()
    off = 0
    for i, p in enumerate(ps):
        n = p.numel()
        if flat[flat.numel() - len(ps) + i] > 0:
            p.grad = (flat[off:off + n] / world).view_as(p)
        off += n


def _dp_worker(rank, args, port, errdir):
    """One data-parallel rank. A bad-input exit (SystemExit with a message) leaves its message
    in errdir and ends the process with status 2; the parent prints it once."""
    torch.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                                         rank=rank, world_size=args.procs)
    args.rank = rank
    try:
        train(args)
    except SystemExit as e:
        if e.code in (None, 0):
            raise
        with open(os.path.join(errdir, f"rank{rank}"), "w") as f:
            f.write(str(e.code))
        raise SystemExit(2)
    finally:
        torch.distributed.destroy_process_group()


def train(args):
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    cfg = dict(DEFAULT_CONFIG)
    if args.config:
        try:
            with open(args.config) as f:
                over = json.load(f)
        except (OSError, ValueError) as e:
            raise SystemExit(f"v4train: --config {args.config}: {e}")
        err = config_overrides_error(over)
        if err:
            raise SystemExit(f"v4train: --config {args.config}: {err}")
        cfg.update(over)
    model = V4Model(cfg, seed=args.seed)
    if args.init:
        # continue from an earlier checkpoint (weights and router biases; optimiser state fresh)
        exported = os.path.isdir(args.init)
        ck = load_exported(args.init) if exported else torch.load(args.init)
        # an export sets its own storage keys (EXPORT_ONLY_KEYS); they do not change the model
        skip = EXPORT_ONLY_KEYS if exported else ()
        diff = sorted(k for k in set(cfg) | set(ck["config"])
                      if k not in skip and cfg.get(k) != ck["config"].get(k))
        if diff:
            k = diff[0]
            raise SystemExit(f"v4train: --init {args.init}: config.{k}: expected {cfg.get(k)!r} "
                             f"(this run), found {ck['config'].get(k)!r} ({len(diff)} keys differ)")
        want = model.state_dict()
        for name, t in want.items():
            got = ck["state"].get(name)
            if got is None or tuple(got.shape) != tuple(t.shape):
                raise SystemExit(f"v4train: --init {args.init}: {name}: expected shape "
                                 f"{list(t.shape)}, found "
                                 f"{'no such tensor' if got is None else list(got.shape)}")
        extra = sorted(set(ck["state"]) - set(want))
        if extra:
            raise SystemExit(f"v4train: --init {args.init}: {extra[0]}: not a tensor of this "
                             f"model ({len(extra)} such)")
        model.load_state_dict(ck["state"])
    else:
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name.endswith("attn.kv_norm.weight"):
                    p.fill_(args.kv_norm_init)
            if args.head_init_embed:
                # the LM head starts as a scaled copy of the embedding (untied afterwards):
                # copying token X then needs an OV path that keeps emb(X), not a learned map
                # from emb(X) to an unrelated random head row for each of 4096 tokens
                model.head.weight.copy_(model.embed.weight * (0.5 / math.sqrt(cfg["hidden_size"])))
            if args.embed_common:
                # a direction shared by every token: bias-free q/k projections of layer 0 can
                # then form content-independent (positional, e.g. previous-token) queries
                g = torch.Generator().manual_seed(args.seed + 17)
                model.embed.weight.add_(args.embed_common * torch.randn(cfg["hidden_size"], generator=g))
    n_params = sum(p.numel() for p in model.parameters())
    muon_p, ad_p, and_p = param_groups(model)
    opt_m = Muon(muon_p, lr=args.lr, wd=args.wd)
    opt_a = torch.optim.AdamW([{"params": ad_p, "weight_decay": args.wd},
                               {"params": and_p, "weight_decay": 0.0}],
                              lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    if args.copy_out > 0 and args.copy_sup <= 0:
        raise SystemExit("v4train: --copy-out: needs --copy-sup > 0 (the read-out loss is taken "
                         f"at the copy loss's positions), found --copy-sup {args.copy_sup}")
    if args.copy_canon and args.copy_sup <= 0:
        raise SystemExit("v4train: --copy-canon: needs --copy-sup > 0 (the map changes what the "
                         f"copy loss matches), found --copy-sup {args.copy_sup}")
    if args.copy_canon_tasks and not args.copy_canon:
        raise SystemExit("v4train: --copy-canon-tasks: needs --copy-canon TOKENIZER_JSON")
    if args.copy_context < 0 or (args.copy_context and args.copy_sup <= 0):
        raise SystemExit("v4train: --copy-context: expected 0, or a depth >= 1 with --copy-sup > 0, "
                         f"found --copy-context {args.copy_context} with --copy-sup {args.copy_sup}")
    copy_heads = parse_heads(args.copy_heads, cfg, "--copy-heads") if args.copy_sup > 0 else []
    prev_heads = parse_heads(args.prev_heads, cfg, "--prev-heads") if args.prev_sup > 0 else []
    sup_layers = sorted({l for l, _ in copy_heads + prev_heads})
    for l, h in copy_heads:
        model.layers[l].attn.copy_head = h
        model.layers[l].attn.copy_max = args.copy_max_copies
        model.layers[l].attn.index_sup = args.index_sup > 0
        model.layers[l].attn.window_first = args.copy_window_first
        model.layers[l].attn.copy_context = args.copy_context
        if args.copy_out > 0:
            # the head's output read like the residual stream at the top: final norm + LM head,
            # frozen for this loss (it trains the head's value/output path, not the read-out)
            model.layers[l].attn.lens = lambda y: F.linear(
                rms(y, model.norm.eps) * model.norm.weight.detach(), model.head.weight.detach())
    canon = space_canon(args.copy_canon, cfg["vocab_size"]) if args.copy_canon else None
    canon_tasks = tuple(t for t in args.copy_canon_tasks.split(",") if t)
    skip_tasks = tuple(t for t in args.copy_skip_tasks.split(",") if t)
    if skip_tasks and args.copy_sup <= 0:
        raise SystemExit("v4train: --copy-skip-tasks: needs --copy-sup > 0 (it takes samples out "
                         f"of the copy loss), found --copy-sup {args.copy_sup}")
    for l, h in prev_heads:
        model.layers[l].attn.prev_head = h
    rng = random.Random(args.seed)
    # data parallelism (--procs N): every rank holds the same model and draws the same batch
    # list from the same rng; rank r trains batch N*k + r of it, and the gradients are averaged
    # before clipping, so the N ranks take identical optimiser steps (one step = N batches)
    world, rank = args.procs, getattr(args, "rank", 0)
    lead = rank == 0
    prompt_tasks = tuple(t for t in args.prompt_tasks.split(",") if t) if args.prompt_weight else ()

    # curriculum stages: "maxlen:file1,file2;maxlen:file…" ; token budget split by --stage-frac
    stages = []
    for spec in args.stages.split(";"):
        ml, files = spec.split(":", 1)
        stages.append((int(ml), files.split(",")))
    fracs = [float(x) for x in args.stage_frac.split(",")]
    assert len(fracs) == len(stages), "--stage-frac needs one fraction per stage"
    budgets = [args.tokens * f / sum(fracs) for f in fracs]
    if skip_tasks:
        # a prefix that names no task of the data would silently skip nothing (a typo costs a
        # whole run): check against the task names of every stage file first
        names = set()
        for _, files in stages:
            for spec in files:
                path = spec.rsplit("@", 1)[0] if "@" in spec else spec
                try:
                    with open(path) as f:
                        names.update(json.loads(line).get("task", "") for line in f)
                except OSError as e:
                    raise SystemExit(f"v4train: {path}: {e.strerror}")
                except (ValueError, AttributeError) as e:
                    raise SystemExit(f"v4train: {path}: expected gen-train JSON lines, found: {e!r}")
        unmatched = [t for t in skip_tasks if not any(n.startswith(t) for n in names)]
        if unmatched:
            raise SystemExit(f"v4train: --copy-skip-tasks: expected task-name prefixes of the "
                             f"stage files' samples, found {','.join(unmatched)} (tasks: "
                             f"{','.join(sorted(names))})")

    os.makedirs(args.out, exist_ok=True)
    log_path = os.path.join(args.out, "loss.csv")
    logf = open(log_path if lead else os.devnull, "w", newline="")
    logw = csv.writer(logf)
    logw.writerow(["step", "stage", "max_len", "tokens", "seconds", "lr", "loss", "mtp_loss",
                   "indexer_kl", "tokens_per_s", "task", "prompt_loss", "copy_loss", "prev_loss",
                   "copy_out_loss"])
    say = print if lead else (lambda *a, **k: None)
    say(f"v4train: {n_params} parameters ({sum(p.numel() for p in muon_p)} Muon), "
        f"{len(stages)} stages, {args.tokens} tokens, {args.threads} threads"
        + (f" x {world} processes" if world > 1 else ""), flush=True)

    # total steps estimate for the schedule: tokens / tokens_per_batch (padded)
    total_steps = max(1, int(args.tokens / (args.batch_tokens * world)))
    step, seen, t0 = 0, 0, time.time()
    pad = cfg["eos_token_id"]
    for si, ((max_len, files), budget) in enumerate(zip(stages, budgets)):
        samples, skipped = load_samples(files, max_len, rng)
        if not samples:
            raise SystemExit(f"v4train: stage {si}: no samples <= {max_len} tokens in {files}")
        say(f"v4train: stage {si}: max_len {max_len}, {len(samples)} samples "
              f"({skipped} longer skipped), budget {budget:.0f} tokens", flush=True)
        stage_seen = 0
        while stage_seen < budget:
            # one group of N batches per step; a pass's last len % N batches are left out, and a
            # list shorter than N (a tiny stage) is reused around
            blist = make_batches(samples, args.batch_tokens, rng)
            for gi in range(max(1, len(blist) // world)):
                b = blist[(gi * world + rank) % len(blist)]
                if stage_seen >= budget:
                    break
                tok, tgt, ptgt = collate(samples, b, pad, prompt_tasks)
                lr = lr_at(step, total_steps, args.lr, args.warmup)
                for grp in opt_m.param_groups + opt_a.param_groups:
                    grp["lr"] = lr
                model.train()
                for blk in model.layers:
                    blk.attn.dense = step < int(args.dense_warmup_frac * total_steps)
                aux = []
                sel = tgt != -100
                mt = tgt[:, 1:]                              # MTP: position t predicts token t+2
                sel_m = mt != -100
                psel = ptgt != -100
                use_p = args.prompt_weight > 0 and bool(psel.any())
                if sup_layers:
                    lens = torch.tensor([len(samples[i][0]) for i in b])
                    valid = torch.arange(tok.shape[1])[None, :] < lens[:, None]
                    ctgt = torch.where(sel, tgt, torch.full_like(tgt, -1))
                    if skip_tasks:
                        # rows of skipped tasks: no copy target anywhere (no copy, read-out or
                        # indexer copy loss); the previous-token loss does not read targets
                        keep = torch.tensor([not samples[i][2].startswith(skip_tasks) for i in b])
                        ctgt = torch.where(keep[:, None], ctgt, torch.full_like(ctgt, -1))
                    rows = None
                    if canon is not None and canon_tasks:
                        rows = torch.tensor([samples[i][2].startswith(canon_tasks) for i in b])
                    sup = sup_tuple(tok, ctgt, valid, canon, rows)
                    for l in sup_layers:
                        model.layers[l].attn.sup = sup
                        model.layers[l].attn.sup_out = []
                if use_p:
                    # one head pass over completion and prompt positions (they never overlap);
                    # is_c marks the completion rows among the selected ones
                    is_c = sel[sel | psel]
                    tgt = torch.where(sel, tgt, ptgt)
                    sel = sel | psel
                logits, ml = model(tok, aux=aux, mtp=args.mtp_weight > 0, sel=sel, sel_mtp=sel_m)
                ploss = torch.zeros(())
                if use_p:
                    ce = F.cross_entropy(logits, tgt[sel], reduction="none")
                    loss = ce[is_c].mean()
                    ploss = ce[~is_c].mean()
                    total = loss + args.prompt_weight * ploss
                else:
                    loss = F.cross_entropy(logits, tgt[sel])
                    total = loss
                mloss = torch.zeros(())
                if ml is not None and bool(sel_m.any()):
                    mloss = F.cross_entropy(ml, mt[sel_m])
                    total = total + args.mtp_weight * mloss
                kl = torch.zeros(())
                if aux:
                    kl = torch.stack([k.mean() for k in aux]).mean()
                    total = total + kl        # reaches only the indexer parameters
                sl = {"copy": [0.0, 0], "index": [0.0, 0], "prev": [0.0, 0], "copy_out": [0.0, 0]}
                for l in sup_layers:
                    for name, nll, cnt in model.layers[l].attn.sup_out:
                        sl[name][0] = sl[name][0] + nll
                        sl[name][1] += cnt
                    model.layers[l].attn.sup = None
                    model.layers[l].attn.sup_out = []
                    model.layers[l].attn.reach = None
                closs = sl["copy"][0] / max(1, sl["copy"][1])
                pvloss = sl["prev"][0] / max(1, sl["prev"][1])
                if sl["copy"][1]:
                    total = total + args.copy_sup * closs
                if sl["index"][1]:
                    total = total + args.index_sup * sl["index"][0] / sl["index"][1]
                if sl["prev"][1]:
                    total = total + args.prev_sup * pvloss
                coloss = sl["copy_out"][0] / max(1, sl["copy_out"][1])
                if sl["copy_out"][1]:
                    total = total + args.copy_out * coloss
                opt_m.zero_grad(set_to_none=True)
                opt_a.zero_grad(set_to_none=True)
                total.backward()
                if world > 1:
                    dp_average_grads(model)
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt_m.step()
                opt_a.step()
                # aux-loss-free balancing of the learned routers
                with torch.no_grad():
                    for moe in model.moe_blocks():
                        if not moe.gate.is_hash and moe.load is not None:
                            if world > 1:
                                torch.distributed.all_reduce(moe.load)   # all N batches' load
                            ld = moe.load / moe.load.sum().clamp_min(1)
                            moe.gate.bias.add_(args.bias_rate * torch.sign(1.0 / moe.E - ld))
                ntok = int(tok.numel())
                if world > 1:
                    # tokens of all ranks; the logged losses are the ranks' mean; the stop
                    # decision is rank 0's clock, so every rank leaves the loop at one step
                    red = torch.tensor([float(ntok), loss.item(), mloss.item(), kl.item(),
                                        float(closs), float(pvloss), float(coloss), ploss.item(),
                                        time.time() - t0 if lead else 0.0])
                    torch.distributed.all_reduce(red)
                    ntok = int(red[0])
                    loss, mloss, kl, ploss = (red[1] / world, red[2] / world, red[3] / world,
                                              red[7] / world)
                    closs, pvloss, coloss = red[4] / world, red[5] / world, red[6] / world
                    t_lead = float(red[8])
                seen += ntok
                stage_seen += ntok
                step += 1
                el = time.time() - t0 if world == 1 else t_lead
                logw.writerow([step, si, max_len, seen, f"{el:.1f}", f"{lr:.6g}", f"{loss.item():.5f}",
                               f"{mloss.item():.5f}", f"{kl.item():.5f}", f"{seen / max(el, 1e-9):.1f}",
                               major_task(samples, b), f"{ploss.item():.5f}",
                               f"{float(closs):.5f}", f"{float(pvloss):.5f}", f"{float(coloss):.5f}"])
                if step % args.log_every == 0:
                    logf.flush()
                    say(f"step {step} stage {si} tokens {seen} {major_task(samples, b)} loss {loss.item():.4f} "
                          f"mtp {mloss.item():.4f} kl {kl.item():.4f} copy {float(closs):.3f} "
                          f"prev {float(pvloss):.3f} "
                          f"{f'cout {float(coloss):.3f} ' if args.copy_out > 0 else ''}lr {lr:.2e} "
                          f"{seen / max(el, 1e-9):.0f} tok/s", flush=True)
                if args.max_seconds and el > args.max_seconds:
                    say("v4train: --max-seconds reached", flush=True)
                    budget = 0
                    break
            if budget == 0:
                break
        if args.save_stages and si < len(stages) - 1 and lead:
            # a checkpoint at each stage boundary (same form as model.pt) for probing a stage
            torch.save({"config": cfg, "state": model.state_dict(), "steps": step, "tokens": seen,
                        "seconds": time.time() - t0, "params": n_params, "seed": args.seed},
                       os.path.join(args.out, f"model_stage{si}.pt"))
        if budget == 0:
            break
    logf.close()
    if not lead:
        return
    el = time.time() - t0
    ckpt = os.path.join(args.out, "model.pt")
    torch.save({"config": cfg, "state": model.state_dict(), "steps": step, "tokens": seen,
                "seconds": el, "params": n_params, "seed": args.seed}, ckpt)
    print(f"v4train: done: {step} steps, {seen} tokens in {el:.0f} s "
          f"({seen / max(el, 1e-9):.0f} tok/s) -> {ckpt}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stages", required=True,
                    help="curriculum: 'MAXLEN:FILE[,FILE…];MAXLEN:FILE…' (gen-train JSONL)")
    ap.add_argument("--stage-frac", required=True, help="token share per stage, e.g. 1,2,2")
    ap.add_argument("--tokens", type=float, required=True, help="total (padded) token budget")
    ap.add_argument("--batch-tokens", type=int, default=8192)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=0.01)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--mtp-weight", type=float, default=0.3)
    ap.add_argument("--dense-warmup-frac", type=float, default=0.0,
                    help="share of the (estimated) steps during which CSA layers attend every "
                         "visible compressed entry (the indexer learns by KL), then top-k sparse "
                         "as in inference")
    ap.add_argument("--prompt-weight", type=float, default=0.0,
                    help="weight of an LM loss on the PROMPT tokens of the --prompt-tasks samples "
                         "(long-context haystacks: many next-token targets per sample, which "
                         "trains the copy/induction heads that retrieval needs); 0 = off")
    ap.add_argument("--prompt-tasks", default="niah,vt,cwe,fwe",
                    help="task-name prefixes whose prompts get the --prompt-weight loss")
    ap.add_argument("--kv-norm-init", type=float, default=1.0,
                    help="initial kv_norm weight (the attention's only temperature: q and kv are "
                         "RMS-normalised, so max logit = sqrt(head_dim) * weight)")
    ap.add_argument("--copy-sup", type=float, default=0.0,
                    help="weight of the copy-head attention loss (0 = off): the --copy-heads put "
                         "their attention on the earlier copies of each completion target token "
                         "(and the CSA indexer ranks the entries holding them first)")
    ap.add_argument("--copy-heads", default="3:0", help="LAYER:HEAD list of the copy heads")
    ap.add_argument("--copy-out", type=float, default=0.0,
                    help="weight of the copy heads' read-out loss (needs --copy-sup > 0; 0 = off): "
                         "cross-entropy of each copy head's own output through the frozen final "
                         "norm + LM head toward the target, at the copy loss's positions")
    ap.add_argument("--index-sup", type=float, default=0.0,
                    help="weight of the copy loss on the CSA indexers of the --copy-heads layers "
                         "(0 = off: the indexers learn from the KL toward the attention only)")
    ap.add_argument("--copy-max-copies", type=int, default=0,
                    help="copy loss only at targets with at most this many visible copies "
                         "(the informative, rare copies: values, names); 0 = every target")
    ap.add_argument("--copy-canon", metavar="TOKENIZER_JSON",
                    help="copy supervision matches tokens modulo a leading space ('Ġx' = 'x'), "
                         "so a value copied from after a space (' Seoul' in the request) "
                         "to after a delimiter ('>Seoul' in a DSML parameter) is supervised")
    ap.add_argument("--copy-canon-tasks", default="", metavar="PREFIX,…",
                    help="--copy-canon only on samples whose task name starts with one of these "
                         "(e.g. tool: the DSML calls; default: every sample)")
    ap.add_argument("--copy-skip-tasks", default="", metavar="PREFIX,…",
                    help="no copy loss, copy read-out loss or indexer copy loss on samples whose "
                         "task name starts with one of these (e.g. arith: column working reads a "
                         "digit out of a two-digit token, so the same token earlier in the sample "
                         "is not its source; default: every sample has them)")
    ap.add_argument("--copy-window-first", action="store_true",
                    help="copy loss: where the target has a copy inside the sliding window, only "
                         "window keys count (not the compressed entries that also hold it)")
    ap.add_argument("--copy-context", type=int, default=0, metavar="D",
                    help="copy loss: among the window copies of the target keep those whose "
                         "preceding tokens agree longest (up to D tokens) with the query's last "
                         "tokens, the source of a repeated token (0 = off: every copy counts)")
    ap.add_argument("--head-init-embed", action="store_true",
                    help="init: the LM head = the embedding x 0.5/sqrt(hidden) (the head's usual "
                         "init scale), untied afterwards")
    ap.add_argument("--embed-common", type=float, default=0.0,
                    help="init: add this x one shared N(0,1) vector to every embedding row "
                         "(a constant direction for positional heads; 0 = off)")
    ap.add_argument("--prev-sup", type=float, default=0.0,
                    help="weight of the previous-token attention loss of the --prev-heads (0 = off)")
    ap.add_argument("--prev-heads", default="0:0", help="LAYER:HEAD list of the previous-token heads")
    ap.add_argument("--bias-rate", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--config", help="JSON overrides of the architecture")
    ap.add_argument("--init", help="model.pt of an earlier run, or a BF16 model directory written "
                    "by export.py (e.g. models/tiny-v4), to continue from (same config)")
    ap.add_argument("--max-seconds", type=float, default=0, help="stop early after this wall time")
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--save-stages", action="store_true",
                    help="also write OUT/model_stageN.pt at the end of every stage but the last")
    ap.add_argument("--procs", type=int, default=1,
                    help="data-parallel processes (gloo on this machine), each with --threads "
                         "threads; one optimiser step takes one batch per process")
    ap.add_argument("--out", required=True, help="output dir: loss.csv, model.pt")
    args = ap.parse_args()
    if args.procs < 1:
        raise SystemExit(f"v4train: --procs: expected a positive integer, found {args.procs}")
    if args.procs == 1:
        train(args)
        return
    import socket
    import tempfile
    import torch.multiprocessing as mp
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        port = so.getsockname()[1]
    with tempfile.TemporaryDirectory() as errdir:
        try:
            mp.spawn(_dp_worker, args=(args, port, errdir), nprocs=args.procs, join=True)
        except mp.ProcessExitedException:
            # the ranks fail alike on bad input: one message (a rank may be stopped first)
            msgs = sorted({open(os.path.join(errdir, f)).read() for f in os.listdir(errdir)})
            if not msgs:
                raise
            raise SystemExit("\n".join(msgs))


if __name__ == "__main__":
    main()
