#!/usr/bin/python3
"""selftest.py — self-checks of scripts/train/v4train.py (seconds, one thread).

1. A random tiny V4Model (every component: window-only, CSA with indexer, HCA, hash + learned
   MoE, MTP), exported through export.py, equals the independent float64 reference
   scripts/reference/v4ref.py: logits and MTP logits within 1e-4 over 300 tokens (75 CSA entries
   >> index_topk 4, 2 HCA entries).
2. The batched compressor equals the spec §6.3 streaming state machine run token by token.
3. Sinkhorn output is doubly stochastic (columns exactly, rows within 1e-4).
4. Gradient routing: the LM loss reaches no indexer parameter; the indexer KL loss reaches only
   indexer parameters.
5. Training is deterministic: two 3-step runs from the same seed give identical losses.
6. The attention-supervision losses (copy head, previous-token head, indexer) equal a brute-force
   sum over v4ref.py's attention probabilities and indexer scores, per layer.
Exit 0 when every check passes, 1 otherwise (each failure printed).
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import export  # noqa: E402
import v4train  # noqa: E402

TINY = dict(v4train.DEFAULT_CONFIG, vocab_size=96, hidden_size=32, num_attention_heads=4,
            head_dim=48, qk_rope_head_dim=16, q_lora_rank=16, o_groups=2, o_lora_rank=16,
            sliding_window=8, compress_ratios=[0, 4, 128, 4, 0], index_n_heads=2,
            index_head_dim=32, index_topk=4, n_routed_experts=4, num_experts_per_tok=2,
            moe_intermediate_size=32, num_hash_layers=2,
            rope_scaling={"type": "yarn", "factor": 16, "original_max_position_embeddings": 64,
                          "beta_fast": 32, "beta_slow": 1})

fails = []


def check(ok, what):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        fails.append(what)


def randomise(m, seed):
    """Weights away from the init's symmetric values (norms, sinks, ape, hc, biases)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in m.named_parameters():
            if p.dim() == 1 or name.endswith(".ape") or "hc_" in name:
                p.add_(torch.randn(p.shape, generator=g) * 0.3)
        for moe in m.moe_blocks():
            if not moe.gate.is_hash:
                moe.gate.bias.copy_(torch.randn(moe.E, generator=g) * 0.1)


def tiny_exported():
    """A randomised TINY model through export's encoding -> (tensors, model, v4ref module)."""
    m = v4train.V4Model(TINY, seed=3)
    randomise(m, 4)
    tensors, dec = export.encode(m.state_dict(), fp8=False)
    mm = export.model_with(TINY, dec)
    prev = torch.get_default_dtype()
    import v4ref               # sets torch's default dtype to float64 on import
    torch.set_default_dtype(prev)
    return tensors, mm, v4ref


def test_reference():
    torch.manual_seed(0)
    tensors, mm, v4ref = tiny_exported()
    # blocked window (window 8): chunks of 64 queries with a lookback of 8 over 300 tokens
    # (5 chunks, the last partial); one short chunk (T = 5, 16); and chunks of 3 and 5 queries,
    # shorter than the window (lookback = the window, or everything before when shorter)
    with tempfile.TemporaryDirectory() as td:
        export.write_copy(td, TINY, tensors, os.path.join(HERE, "..", "..", "models", "tokenizer",
                                                           "tokenizer.json"), False, {})
        ref = v4ref.V4Ref(td)
        chunk = v4train.WINDOW_CHUNK
        for T, ch in ((300, chunk), (5, chunk), (16, chunk), (300, 5), (16, 3), (7, 3)):
            v4train.WINDOW_CHUNK = ch
            toks = list(np.random.default_rng(5 + T).integers(0, TINY["vocab_size"], T))
            with torch.no_grad():
                lg, ml = mm(torch.tensor([toks]))
            v4train.WINDOW_CHUNK = chunk
            out = ref.forward(toks, qat=False, mtp=True)
            d1 = float((out["logits"] - lg[0].double()).abs().max())
            d2 = float((out["mtp_logits"] - ml[0].double()).abs().max())
            check(d1 < 1e-4, f"T={T}, window chunks of {ch}: logits vs v4ref (float64): max |diff| {d1:.2e}")
            check(d2 < 1e-4, f"T={T}, window chunks of {ch}: MTP logits vs v4ref (float64): max |diff| {d2:.2e}")
        # a batch of two sequences of different lengths, right-padded: the real rows equal
        # the single-sequence logits (padding after every real token never reaches them)
        a = list(np.random.default_rng(1).integers(0, TINY["vocab_size"], 40))
        b = list(np.random.default_rng(2).integers(0, TINY["vocab_size"], 23))
        with torch.no_grad():
            lb, _ = mm(torch.tensor([a, b + [1] * 17]))
            la, _ = mm(torch.tensor([a]))
            l2, _ = mm(torch.tensor([b]))
        d = max(float((lb[0] - la[0]).abs().max()), float((lb[1, :23] - l2[0]).abs().max()))
        check(d < 1e-4, f"batched + right-padded rows equal single sequences: max |diff| {d:.2e}")


def test_supervision():
    """Attention.supervise (blocked window slots, compressed entries, top-k gather) against a
    brute-force sum over the reference's full [H, T, T + N] attention probabilities."""
    tensors, mm, v4ref = tiny_exported()
    T = 300
    # few distinct tokens, so most targets have several visible copies (and some none)
    toks = [0] + list(np.random.default_rng(11).integers(2, 14, T - 1))
    ctgt = torch.full((1, T), -1, dtype=torch.int64)
    ctgt[0, 120:T - 1] = torch.tensor(toks[121:T])
    ctgt[0, 200:210] = 50                       # a token that appears nowhere: no loss there
    tok = torch.tensor([toks])
    L = TINY["num_hidden_layers"]
    lens = lambda y: F.linear(v4train.rms(y, mm.norm.eps) * mm.norm.weight, mm.head.weight)  # noqa: E731
    for blk in mm.layers:
        blk.attn.copy_head, blk.attn.prev_head, blk.attn.index_sup = 1, 0, True
        blk.attn.sup = (tok, ctgt, torch.ones(1, T, dtype=torch.bool))
        blk.attn.sup_out = []
        blk.attn.lens = lens
    mm.train()
    for blk in mm.layers:
        blk.attn.dense = False
    with torch.no_grad():
        mm(tok, mtp=False)
    rec = {}
    with tempfile.TemporaryDirectory() as td:
        export.write_copy(td, TINY, tensors, os.path.join(HERE, "..", "..", "models", "tokenizer",
                                                           "tokenizer.json"), False, {})
        ref = v4ref.V4Ref(td)
        with torch.no_grad():
            ref.forward(toks, qat=False, record=rec, mtp=False)
        ref_w = ref.W
    tk = torch.tensor(toks)
    # the same forward with copy_max = 2: the copy loss only where <= 2 visible copies
    rare = {}
    for blk in mm.layers:
        blk.attn.copy_max, blk.attn.sup_out, blk.attn.sup_keep = 2, [], blk.attn.sup_out
        blk.attn.lens = None
    with torch.no_grad():
        mm(tok, mtp=False)
    for l, blk in enumerate(mm.layers):
        rare[l] = {n: (float(v), c) for n, v, c in blk.attn.sup_out}.get("copy")
        blk.attn.sup_out = blk.attn.sup_keep
    # and with window_first: where a window key holds the target, compressed entries do not count
    wfirst = {}
    for blk in mm.layers:
        blk.attn.copy_max, blk.attn.window_first = 0, True
        blk.attn.sup_out, blk.attn.sup_keep = [], blk.attn.sup_out
    with torch.no_grad():
        mm(tok, mtp=False)
    for l, blk in enumerate(mm.layers):
        wfirst[l] = {n: (float(v), c) for n, v, c in blk.attn.sup_out}.get("copy")
        blk.attn.sup_out, blk.attn.window_first = blk.attn.sup_keep, False
    # and with copy_context = 2: the window copies whose two preceding tokens agree longest
    # with the query's last two (the 12-token alphabet makes depths 0, 1 and 2 all common)
    cdep = {}
    for blk in mm.layers:
        blk.attn.copy_context = 2
        blk.attn.sup_out, blk.attn.sup_keep = [], blk.attn.sup_out
    with torch.no_grad():
        mm(tok, mtp=False)
    for l, blk in enumerate(mm.layers):
        cdep[l] = {n: (float(v), c) for n, v, c in blk.attn.sup_out}.get("copy")
        blk.attn.sup_out, blk.attn.copy_context = blk.attn.sup_keep, 0
    depth_seen = set()
    for l in range(L):
        got = {n: (float(v), c) for n, v, c in mm.layers[l].attn.sup_out}
        P = rec[f"attn_p.{l}"]                                   # [H, T, T + N]
        ratio = TINY["compress_ratios"][l]
        N = P.shape[2] - T
        # key k's tokens: raw key s holds toks[s]; entry n holds toks[n*ratio .. n*ratio+ratio-1]
        want = {}
        cs, cn, ic, inn, rs, rn, co = 0.0, 0, 0.0, 0, 0.0, 0, 0.0
        ws, wn = 0.0, 0
        xs, xn = 0.0, 0
        # copy read-out: head 1's output (the reference's own o, its share through wo_a/wo_b
        # written out here), final norm + head of the exported weights, cross-entropy
        Wn, Wh = ref_w["norm.weight"], ref_w["head.weight"]
        hpg = TINY["num_attention_heads"] // TINY["o_groups"]
        hd, ol = TINY["head_dim"], TINY["o_lora_rank"]
        g1, j1 = 1 // hpg, 1 % hpg
        wa = ref_w[f"layers.{l}.attn.wo_a.weight"].reshape(TINY["o_groups"], ol, hpg * hd)[g1]
        wb = ref_w[f"layers.{l}.attn.wo_b.weight"][:, g1 * ol:(g1 + 1) * ol]
        for t in range(T):
            y = int(ctgt[0, t])
            if y < 0:
                continue
            match = torch.cat([tk == y, torch.tensor([bool((tk[n * ratio:(n + 1) * ratio] == y).any())
                                                      for n in range(N)], dtype=torch.bool)])
            pr = P[1, t]
            if bool(((pr > 0) & match).any()):
                cs += -math.log(float((pr * match).sum()))
                cn += 1
                yv = wb @ (wa[:, j1 * hd:(j1 + 1) * hd] @ rec[f"attn_o.{l}"][t, 1])
                yv = yv / torch.sqrt((yv * yv).mean() + TINY["rms_norm_eps"]) * Wn
                co += -float(torch.log_softmax(Wh @ yv, -1)[y])
                if int(((pr > 0) & match).sum()) <= 2:
                    rs += -math.log(float((pr * match).sum()))
                    rn += 1
                inw = match.clone()
                inw[T:] = False
                inw &= pr > 0
                wm = inw if bool(inw.any()) else match
                ws += -math.log(float((pr * wm).sum()))
                wn += 1
                # context depth of each visible window copy j: tk[t-i] == tk[j-1-i], i < 2
                dep = {}
                for j in inw.nonzero().flatten().tolist():
                    d = 0
                    while d < 2 and j - 1 - d >= 0 and t - d >= 0 and tk[t - d] == tk[j - 1 - d]:
                        d += 1
                    dep[j] = d
                if dep and max(dep.values()) >= 1:
                    best = max(dep.values())
                    depth_seen.add(best)
                    xm = torch.zeros_like(match)
                    xm[[j for j, d in dep.items() if d == best]] = True
                else:                         # no context agrees: every copy, as before
                    if dep:
                        depth_seen.add(0)
                    xm = match
                xs += -math.log(float((pr * xm).sum()))
                xn += 1
            if ratio == 4 and N:
                sc = rec[f"indexer_scores.{l}"][t]
                vis = torch.isfinite(sc)
                mt = match[T:] & vis
                if bool(mt.any()):
                    ls = torch.log_softmax(sc[vis], -1)
                    ic += -float(torch.logsumexp(ls[mt[vis]], -1))
                    inn += 1
        if cn:
            want["copy"] = (cs, cn)
            want["copy_out"] = (co, cn)
        if inn:
            want["index"] = (ic, inn)
        g, w = rare[l], ((rs, rn) if rn else None)
        check((g is None) == (w is None) and (g is None or (g[1] == w[1] and abs(g[0] - w[0]) <
                                                              1e-4 * max(1.0, w[0]))),
              f"layer {l} copy, at most 2 visible copies: {g} vs brute force {w}")
        g, w = wfirst[l], ((ws, wn) if wn else None)
        check((g is None) == (w is None) and (g is None or (g[1] == w[1] and abs(g[0] - w[0]) <
                                                              1e-4 * max(1.0, w[0]))),
              f"layer {l} copy, window keys first: {g} vs brute force {w}")
        g, w = cdep[l], ((xs, xn) if xn else None)
        check((g is None) == (w is None) and (g is None or (g[1] == w[1] and abs(g[0] - w[0]) <
                                                              1e-4 * max(1.0, w[0]))),
              f"layer {l} copy, context depth <= 2: {g} vs brute force {w}")
        ps = sum(-math.log(float(P[0, t, t - 1])) for t in range(1, T))
        want["prev"] = (ps, T - 1)
        check(sorted(got) == sorted(want), f"layer {l}: losses {sorted(got)} (expected {sorted(want)})")
        for n in want:
            if n in got:
                g, w = got[n], want[n]
                rel = abs(g[0] - w[0]) / max(1.0, abs(w[0]))
                check(g[1] == w[1] and rel < 1e-4,
                      f"layer {l} {n}: nll sum {g[0]:.4f} over {g[1]} queries vs brute force "
                      f"{w[0]:.4f} over {w[1]} (rel {rel:.1e})")
    check(depth_seen == {0, 1, 2}, f"copy context: best depths {sorted(depth_seen)} in the "
          "brute force (the test needs queries of depth 0, 1 and 2)")


def test_data():
    """Token shares (FILE@SHARE) and the prompt-loss targets of collate()."""
    with tempfile.TemporaryDirectory() as td:
        fa, fb = os.path.join(td, "a.jsonl"), os.path.join(td, "b.jsonl")
        with open(fa, "w") as f:
            for i in range(500):
                f.write(json.dumps({"prompt_ids": [0, 5, 6, 7], "completion_ids": [8, 1],
                                    "task": "niah_single_1"}) + "\n")
        with open(fb, "w") as f:
            for i in range(200):
                f.write(json.dumps({"prompt_ids": [0] + [9] * 20, "completion_ids": [3, 1],
                                    "task": "arith"}) + "\n")
        import random as _r
        for sa, sb in ((0.25, 0.75), (0.5, 0.5), (0.9, 0.1)):
            got, _ = v4train.load_samples([f"{fa}@{sa}", f"{fb}@{sb}"], 1000, _r.Random(3))
            ta = sum(len(x[0]) for x in got if x[2] == "niah_single_1")
            tb = sum(len(x[0]) for x in got if x[2] == "arith")
            share = ta / (ta + tb)
            check(abs(share - sa) < 0.03, f"shares {sa}/{sb}: file a holds {share:.3f} of the tokens")
        got, _ = v4train.load_samples([fa, f"{fb}@0.5"], 1000, _r.Random(3))
        ta = sum(len(x[0]) for x in got if x[2] == "niah_single_1")
        tb = sum(len(x[0]) for x in got if x[2] == "arith")
        check(ta == 3000 and abs(tb - 3000) <= 460,         # 3 sigma of the random part
              f"plain file keeps weight 1 ({ta} tokens), shared file fills the rest ({tb})")
        samples, _ = v4train.load_samples([fa, fb], 1000)
        idx = [0, 500]                                   # one niah sample, one arith sample
        tok, tgt, ptgt = v4train.collate(samples, idx, 1, ("niah",))
        check(tgt[0].tolist() == [-100, -100, -100, 8, 1, -100] + [-100] * 17 and
              ptgt[0].tolist()[:3] == [5, 6, 7] and (ptgt[0, 3:] == -100).all() and
              (ptgt[1] == -100).all(),
              "collate: completion targets after the prompt, prompt targets only for niah rows")


def streaming_compressor(comp, a, m, rd, tab):
    """Spec §6.3 state machine, token by token (independent of the batched formula)."""
    c, ov = comp.c, comp.ov
    w = (2 if ov else 1) * c
    SK = torch.zeros((2 if ov else 1) * m, w)
    SZ = torch.full(((2 if ov else 1) * m, w), float("-inf"))
    out = []
    cos, sin = tab
    for p in range(a.shape[0]):
        r = p % m
        row = (m if ov else 0) + r
        SK[row] = comp.wkv(a[p])
        SZ[row] = comp.wgate(a[p]) + comp.ape[r]
        if (p + 1) % m == 0:
            if ov:
                K = torch.cat((SK[:m, :c], SK[m:, c:]), 0)
                Z = torch.cat((SZ[:m, :c], SZ[m:, c:]), 0)
            else:
                K, Z = SK, SZ
            e = (torch.softmax(Z, 0) * K).sum(0)
            if ov:
                SK[:m] = SK[m:].clone()
                SZ[:m] = SZ[m:].clone()
            e = comp.norm(e)
            j = p + 1 - m
            e = v4train.apply_rope(e, cos[j], sin[j], rd)
            out.append(e)
    return torch.stack(out)


def test_compressor():
    torch.manual_seed(1)
    for m_, c in ((4, 48), (128, 48)):
        comp = v4train.Compressor(32, m_, c, 1e-6)
        with torch.no_grad():
            for p in comp.parameters():
                p.copy_(torch.randn(p.shape) * 0.5)
        T = 300
        a = torch.randn(T, 32)
        om = v4train.rope_omega(16, 160000, (16, 64, 32, 1))
        tab = v4train.rope_cs(torch.arange(T), om)
        with torch.no_grad():
            batched = comp(a[None], tab, 16)[0]
            stream = streaming_compressor(comp, a, m_, 16, tab)
        d = float((batched - stream).abs().max())
        check(batched.shape == stream.shape and d < 1e-5,
              f"compressor ratio {m_}: batched vs streaming, {stream.shape[0]} entries, max |diff| {d:.2e}")


def test_sinkhorn():
    C = torch.randn(1000, 4, 4)
    P = v4train.sinkhorn(C, 20, 1e-6)
    cs = float((P.sum(-2) - 1).abs().max())
    rs = float((P.sum(-1) - 1).abs().max())
    check(cs < 1e-5 and rs < 1e-4 and bool((P >= 0).all()),
          f"Sinkhorn: column sums within {cs:.1e}, row sums within {rs:.1e}")


def test_gradients():
    torch.manual_seed(2)
    m = v4train.V4Model(TINY, seed=7)
    randomise(m, 8)
    m.train()
    tok = torch.randint(0, TINY["vocab_size"], (2, 64))
    aux = []
    lg, ml = m(tok, aux=aux)
    lm = F.cross_entropy(lg[:, :-1].reshape(-1, lg.shape[-1]), tok[:, 1:].reshape(-1)) \
        + F.cross_entropy(ml[:, :-1].reshape(-1, ml.shape[-1]), tok[:, 2:].reshape(-1))
    kl = torch.stack([k.mean() for k in aux]).mean()
    names = [n for n, _ in m.named_parameters()]
    params = [p for _, p in m.named_parameters()]
    g_lm = torch.autograd.grad(lm, params, retain_graph=True, allow_unused=True)
    g_kl = torch.autograd.grad(kl, params, allow_unused=True)
    nz = lambda g: g is not None and float(g.abs().max()) > 0
    idx_names = [n for n in names if ".indexer." in n]
    lm_into_idx = [n for n, g in zip(names, g_lm) if ".indexer." in n and nz(g)]
    kl_outside = [n for n, g in zip(names, g_kl) if ".indexer." not in n and nz(g)]
    kl_into_idx = [n for n, g in zip(names, g_kl) if ".indexer." in n and nz(g)]
    check(not lm_into_idx, f"LM + MTP loss reaches no indexer parameter ({len(idx_names)} checked)")
    check(not kl_outside and len(kl_into_idx) == len(idx_names),
          f"indexer KL reaches exactly the {len(idx_names)} indexer parameters "
          f"(outside: {kl_outside[:3]})")
    check(float(kl) > 0, f"indexer KL is positive at random init ({float(kl):.3f})")


def tiny_run_inputs(td, what):
    """(data, cfg) for a small v4train run in td: 32 math samples from gen-train and a
    two-layer config; None (and a failed check) when gen-train fails."""
    root = os.path.join(HERE, "..", "..")
    data = os.path.join(td, "d.jsonl")
    r = subprocess.run([os.path.join(root, "bin", "v4eval"), "gen-train", "--suite", "math",
                        "--n", "16", "--tokenizer",
                        os.path.join(root, "models", "tokenizer", "tokenizer.json"),
                        "--out", data], capture_output=True, text=True)
    if r.returncode:
        check(False, f"gen-train for {what}: {r.stderr.strip()}")
        return None
    cfg = os.path.join(td, "cfg.json")
    json.dump({"hidden_size": 32, "num_hidden_layers": 2, "compress_ratios": [4, 128, 0],
               "num_hash_layers": 1, "moe_intermediate_size": 32}, open(cfg, "w"))
    return data, cfg


def test_determinism():
    with tempfile.TemporaryDirectory() as td:
        inputs = tiny_run_inputs(td, "the determinism check")
        if inputs is None:
            return
        data, cfg = inputs
        losses = []
        for k in range(2):
            out = os.path.join(td, f"o{k}")
            r = subprocess.run([sys.executable, os.path.join(HERE, "v4train.py"), "--stages",
                                f"1024:{data}", "--stage-frac", "1", "--tokens", "3000",
                                "--batch-tokens", "1024", "--threads", "1", "--config", cfg,
                                "--dense-warmup-frac", "0.5", "--out", out],
                               capture_output=True, text=True)
            if r.returncode:
                check(False, f"v4train run {k}: {r.stderr.strip()[-200:]}")
                return
            losses.append([l.split(",")[6:9] for l in open(os.path.join(out, "loss.csv"))][1:])
        check(len(losses[0]) >= 3 and losses[0] == losses[1],
              f"two runs, same seed: identical loss / MTP / KL columns over {len(losses[0])} steps")


def _dp_grad_worker(rank, port, outdir):
    """One rank of test_data_parallel: TINY's gradients on this rank's batch, averaged."""
    torch.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                                         rank=rank, world_size=2)
    torch.set_num_threads(1)
    m = dp_model()
    dp_loss(m, rank).backward()
    m.embed.weight.grad = None                    # no gradient on any rank: stays None
    if rank == 1:
        m.head.weight.grad = None                 # on one rank only: counts as zero there
    v4train.dp_average_grads(m)
    if rank == 0:
        torch.save({n: p.grad for n, p in m.named_parameters()}, os.path.join(outdir, "g.pt"))
    torch.distributed.destroy_process_group()


def dp_model():
    m = v4train.V4Model(TINY, seed=7)
    randomise(m, 8)
    m.train()
    return m


def dp_loss(m, rank):
    g = torch.Generator().manual_seed(100 + rank)
    tok = torch.randint(0, TINY["vocab_size"], (2, 48), generator=g)
    lg, _ = m(tok, mtp=False)
    return F.cross_entropy(lg[:, :-1].reshape(-1, lg.shape[-1]), tok[:, 1:].reshape(-1))


def test_data_parallel():
    """v4train --procs: the all-reduced gradient is the mean of the ranks' gradients (None
    kept where no rank has one, zero where one rank lacks it), and a 2-process run ends with
    one loss log and a checkpoint."""
    import socket
    import torch.multiprocessing as mp
    with tempfile.TemporaryDirectory() as td:
        with socket.socket() as so:
            so.bind(("127.0.0.1", 0))
            port = so.getsockname()[1]
        mp.spawn(_dp_grad_worker, args=(port, td), nprocs=2, join=True)
        got = torch.load(os.path.join(td, "g.pt"))
        want = {}
        for rank in range(2):
            m = dp_model()
            dp_loss(m, rank).backward()
            for n, p in m.named_parameters():
                if p.grad is not None:
                    g = p.grad if not (rank == 1 and n == "head.weight") else torch.zeros_like(p)
                    want[n] = want.get(n, 0) + g / 2
        worst = max(float((got[n] - w).abs().max()) for n, w in want.items()
                    if n != "embed.weight")
        check(got["embed.weight"] is None and worst < 1e-6
              and float(got["head.weight"].abs().max()) > 0,
              f"2 ranks: all-reduced gradient = mean of the ranks' (max |diff| {worst:.1e}); "
              "None on every rank stays None")
        inputs = tiny_run_inputs(td, "the --procs 2 run")
        if inputs is None:
            return
        data, cfg = inputs
        out = os.path.join(td, "o")
        r = subprocess.run(
            [sys.executable, os.path.join(HERE, "v4train.py"), "--stages", f"1024:{data}",
             "--stage-frac", "1", "--tokens", "4000", "--batch-tokens", "1024", "--threads", "1",
             "--procs", "2", "--config", cfg, "--out", out], capture_output=True, text=True)
        rows = list(open(os.path.join(out, "loss.csv")))[1:] if r.returncode == 0 else []
        check(len(rows) >= 1 and sorted(os.listdir(out)) == ["loss.csv", "model.pt"],
              f"--procs 2 run: {len(rows)} steps logged once, checkpoint written"
              + ("" if rows else f" ({r.stderr[-200:]})"))


def test_copy_data():
    """copy_data.py: the completion is the copied span / the queried key's value, no special
    token inside a span, deterministic for a seed, one clear error for a bad option."""
    tok = os.path.join(HERE, "..", "..", "models", "tokenizer", "tokenizer.json")
    with open(tok) as f:
        special = {t["id"] for t in json.load(f)["added_tokens"]}
    with tempfile.TemporaryDirectory() as td:
        outs = []
        for k in range(2):
            out = os.path.join(td, f"c{k}.jsonl")
            r = subprocess.run([sys.executable, os.path.join(HERE, "copy_data.py"), "--tokenizer",
                                tok, "--n", "40", "--max-len", "60", "--seed", "3", "--kinds",
                                "copy_random,copy_kv,copy_rep", "--out", out],
                               capture_output=True, text=True)
            if r.returncode:
                check(False, f"copy_data run {k}: {r.stderr.strip()[-200:]}")
                return
            outs.append(open(out).read())
        check(outs[0] == outs[1], "copy_data: same seed, identical output")
        rows = [json.loads(l) for l in outs[0].splitlines()]
        ok_r = ok_k = ok_p = 0
        for o in rows:
            p, c = o["prompt_ids"], o["completion_ids"]
            if o["task"] == "copy_random":
                span = p[1:-1]
                ok_r += c[:-1] == span and not (set(span) & special) and 8 <= len(span) <= 60
            elif o["task"] == "copy_rep":
                # a span longer than its pool of <= 32 tokens: some token repeats
                span = p[1:-1]
                ok_p += (c[:-1] == span and not (set(span) & special) and 8 <= len(span) <= 60
                         and len(set(span)) <= 32 and len(span) > len(set(span)))
            else:
                # <bos> (k : v <sep>)* <Assistant> kq :  ->  value of kq
                colon = p[-1]
                sep = next(t for t in p[1:] if t in special)     # the first pair's end
                qpos = max(i for i, t in enumerate(p) if i and t in special and t != sep)
                kq = p[qpos + 1:-1]
                pairs, cur = {}, []
                for t in p[1:qpos]:
                    if t == sep:
                        j = cur.index(colon)
                        pairs[tuple(cur[:j])] = cur[j + 1:]
                        cur = []
                    else:
                        cur.append(t)
                val = pairs.get(tuple(kq))
                ok_k += val is not None and c[:-1] == val
        nr = sum(o["task"] == "copy_random" for o in rows)
        nk = sum(o["task"] == "copy_kv" for o in rows)
        npp = sum(o["task"] == "copy_rep" for o in rows)
        check(nr == 40 and ok_r == nr, f"copy_random: completion = the span ({ok_r}/{nr})")
        check(nk == 40 and ok_k == 40, f"copy_kv: completion = the value of the "
              f"queried key ({ok_k}/{nk})")
        check(npp == 40 and ok_p == 40, f"copy_rep: completion = the span, every span repeats "
              f"tokens of its pool ({ok_p}/{npp})")
        r = subprocess.run([sys.executable, os.path.join(HERE, "copy_data.py"), "--tokenizer", tok,
                            "--n", "1", "--kinds", "bogus", "--out", os.path.join(td, "x")],
                           capture_output=True, text=True)
        check(r.returncode != 0 and "--kinds" in r.stderr, "copy_data: bad --kinds is one clear error")


def test_copy_canon():
    """--copy-canon: the space map of the real tokenizer, and a copy target reached only
    through its spaced variant is supervised with the map and not without it."""
    tok_path = os.path.join(HERE, "..", "..", "models", "tokenizer", "tokenizer.json")
    with open(tok_path, encoding="utf-8") as f:
        vocab = json.load(f)["model"]["vocab"]
    canon = v4train.space_canon(tok_path, 4096)
    sp, ns = vocab["\u0120Seoul"], vocab["Seoul"]
    check(int(canon[sp]) == ns and int(canon[ns]) == ns, "space_canon: 'ĠSeoul' -> 'Seoul', 'Seoul' kept")
    check(int(canon[vocab["\u0120\u0120\u0120\u0120"]]) == vocab["\u0120\u0120\u0120\u0120"],
          "space_canon: runs of spaces keep their own ids (indentation is not merged)")
    moved = int((canon != torch.arange(4096)).sum())
    check(0 < moved < 1000, f"space_canon: {moved} spaced tokens map to an unspaced twin")
    try:
        v4train.space_canon(os.path.join(HERE, "no-such.json"), 4096)
        check(False, "space_canon: a missing file is an error")
    except SystemExit as e:
        check("--copy-canon" in str(e) and "no-such.json" in str(e),
              "space_canon: a missing file is one error naming --copy-canon and the path")
    # TINY model: token 40 plays ' x', 41 plays 'x'; targets 41 whose only copies are 40s
    m = v4train.V4Model(TINY, seed=3)
    randomise(m, 4)
    cmap = torch.arange(TINY["vocab_size"])
    cmap[40] = 41
    T = 60
    toks = [0] + list(np.random.default_rng(5).integers(2, 30, T - 1))
    toks[18] = 40
    ctgt = torch.full((1, T), -1, dtype=torch.int64)
    ctgt[0, 20:24] = 41                      # 41 never occurs; its spaced twin sits at 18 (in the window of 8)
    tok = torch.tensor([toks])
    valid = torch.ones(1, T, dtype=torch.bool)
    counts = {}
    for name, cm in (("exact", None), ("canon", cmap)):
        blk = m.layers[0]
        blk.attn.copy_head, blk.attn.sup_out, blk.attn.dense = 1, [], False
        blk.attn.sup = v4train.sup_tuple(tok, ctgt, valid, cm)
        m.train()
        with torch.no_grad():
            m(tok, mtp=False)
        counts[name] = {n: c for n, _, c in blk.attn.sup_out}.get("copy", 0)
        blk.attn.sup, blk.attn.copy_head = None, None
    check(counts["exact"] == 0 and counts["canon"] == 4,
          f"copy loss through the spaced twin: {counts['canon']} of 4 targets with the map, "
          f"{counts['exact']} without")
    tok2, ctgt2 = tok.repeat(2, 1), ctgt.repeat(2, 1)
    sup2 = v4train.sup_tuple(tok2, ctgt2, valid.repeat(2, 1), cmap, torch.tensor([False, True]))
    check(int(sup2[0][0, 18]) == 40 and int(sup2[1][0, 20]) == 41 and int(sup2[0][1, 18]) == 41
          and torch.equal(sup2[3], ctgt2), "sup_tuple: the map only in the selected rows")
    sup0 = v4train.sup_tuple(tok2, ctgt2, valid.repeat(2, 1), cmap, torch.tensor([False, False]))
    check(len(sup0) == 3 and sup0[0] is tok2, "sup_tuple: no selected row = exact ids")
    sup = v4train.sup_tuple(tok, ctgt, valid, cmap)
    check(torch.equal(sup[3], ctgt) and int(sup[1][0, 20]) == 41 and int(sup[0][0, 18]) == 41,
          "sup_tuple: keys and targets mapped, the real target kept for the read-out loss")


def test_init_export():
    """v4train --init DIR: an export.py BF16 directory loads back as the decoded tensors (the
    shipped model can be tuned), a run continues from it, and an FP8 tensor or another
    config is one clear error."""
    m = v4train.V4Model(TINY, seed=5)
    randomise(m, 6)
    with tempfile.TemporaryDirectory() as td:
        tok = os.path.join(HERE, "..", "..", "models", "tokenizer", "tokenizer.json")
        tensors, dec = export.encode(m.state_dict(), fp8=False)
        export.write_copy(os.path.join(td, "bf16"), TINY, tensors, tok, False, {})
        ck = v4train.load_exported(os.path.join(td, "bf16"))
        same = all(torch.equal(ck["state"][n], dec[n]) for n in dec) and set(ck["state"]) == set(dec)
        check(same, f"load_exported: {len(dec)} tensors equal export's decoded BF16 values")
        skip = set(v4train.EXPORT_ONLY_KEYS)
        check(all(ck["config"].get(k) == v for k, v in TINY.items() if k not in skip),
              "load_exported: config.json gives the model's config back")
        tensors8, _ = export.encode(m.state_dict(), fp8=True)
        export.write_copy(os.path.join(td, "fp8"), TINY, tensors8, tok, True, {})
        try:
            v4train.load_exported(os.path.join(td, "fp8"))
            check(False, "load_exported: an FP8 export is refused")
        except SystemExit as e:
            check("expected BF16, F32 or I64" in str(e) and "found F8_" in str(e),
                  f"load_exported: an FP8 export is one clear error ({str(e)[-70:]})")
        inputs = tiny_run_inputs(td, "the --init check")
        if inputs is None:
            return
        data, cfg = inputs
        base = [sys.executable, os.path.join(HERE, "v4train.py"), "--stages", f"1024:{data}",
                "--stage-frac", "1", "--tokens", "1500", "--batch-tokens", "1024", "--threads", "1"]
        r = subprocess.run(base + ["--config", cfg, "--lr", "1e-2", "--tokens", "6000",
                                   "--out", os.path.join(td, "a")], capture_output=True, text=True)
        if r.returncode:
            check(False, f"v4train run: {r.stderr.strip()[-200:]}")
            return
        a = torch.load(os.path.join(td, "a", "model.pt"))
        t8, _ = export.encode(a["state"], fp8=False)
        export.write_copy(os.path.join(td, "a_bf16"), a["config"], t8, tok, False, {})
        r = subprocess.run(base + ["--config", cfg, "--init", os.path.join(td, "a_bf16"),
                                   "--out", os.path.join(td, "b")], capture_output=True, text=True)
        # the continued run starts near where the first one ended, far below a fresh model
        rows = [l.split(",") for l in open(os.path.join(td, "a", "loss.csv"))][1:]
        fresh, end = float(rows[0][6]), sum(float(x[6]) for x in rows[-3:]) / 3
        first = float([l.split(",") for l in open(os.path.join(td, "b", "loss.csv"))][1][6]) \
            if not r.returncode else float("nan")
        check(first < (fresh + end) / 2,
              f"v4train --init DIR continues the run (first loss {first:.3f}; the first run "
              f"{fresh:.3f} -> {end:.3f})" + (f": {r.stderr.strip()[-200:]}" if r.returncode else ""))
        json.dump({"hidden_size": 32, "num_hidden_layers": 2, "compress_ratios": [4, 128, 0],
                   "num_hash_layers": 1, "moe_intermediate_size": 64}, open(cfg, "w"))
        r = subprocess.run(base + ["--config", cfg, "--init", os.path.join(td, "a_bf16"),
                                   "--out", os.path.join(td, "c")], capture_output=True, text=True)
        check(r.returncode != 0 and "config.moe_intermediate_size: expected 64" in r.stderr,
              f"v4train --init DIR, another config: one clear error ({r.stderr.strip()[-90:]})")


def main():
    torch.set_num_threads(1)
    assert torch.get_default_dtype() == torch.float32
    for t in (test_reference, test_data, test_compressor, test_sinkhorn, test_gradients, test_determinism,
              test_copy_data, test_supervision, test_copy_canon, test_data_parallel,
              test_init_export):
        print(t.__name__)
        t()
    print(f"selftest: {'all ok' if not fails else f'{len(fails)} FAILED'}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
