#!/usr/bin/python3
"""selftest.py - self-checks of the reference (primitives, formats, causality, compressor
formulations, committed fixtures). Run: /usr/bin/python3 scripts/reference/selftest.py
Prints one line per check and exits 1 when any check fails."""

import math
import os
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io as sio  # noqa: E402
import v4ref  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
FAILED = []


def check(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
    if not ok:
        FAILED.append(name)


def t_sinkhorn():
    g = torch.Generator().manual_seed(0)
    C = torch.randn(1000, 4, 4, generator=g, dtype=torch.float64)
    P = v4ref.sinkhorn(C, 20, 1e-6)
    col = (P.sum(-2) - 1).abs().max().item()
    row = (P.sum(-1) - 1).abs().max().item()
    check("sinkhorn doubly stochastic", col < 1e-5 and row < 1e-4 and bool((P > 0).all()),
          f"max |colsum-1| {col:.1e}, max |rowsum-1| {row:.1e}")
    # one iteration leaves rows far from stochastic: the loop count matters
    P1 = v4ref.sinkhorn(C, 1, 1e-6)
    check("sinkhorn iterations matter", (P1.sum(-1) - 1).abs().max().item() > 1e-3)


def t_e4m3():
    v = sio.E4M3_VALUES
    check("e4m3 max 448 = 0x7E", v[0x7E] == 448.0 and v[0xFE] == -448.0)
    check("e4m3 0x7F/0xFF NaN, no inf", math.isnan(v[0x7F]) and math.isnan(v[0xFF])
          and not np.isinf(v[~np.isnan(v)]).any())
    check("e4m3 subnormals", v[1] == 2.0 ** -9 and v[7] == 7 * 2.0 ** -9 and v[8] == 2.0 ** -6)
    finite = np.array([b for b in range(256) if not math.isnan(v[b])])
    rt = sio.e4m3_encode(v[finite])
    same = np.all(v[rt] == v[finite])
    check("e4m3 encode(decode(code)) round trip", bool(same))
    ties = np.array([1 + 1 / 16, 1 + 3 / 16, 2.0 ** -9 * 0.5, 2.0 ** -9 * 1.5, 432.0, -1 - 1 / 16])
    want = np.array([1.0, 1.25, 0.0, 2.0 * 2.0 ** -9, 448.0, -1.0])
    got = sio.e4m3_round(ties)
    check("e4m3 round ties to even (numpy)", bool(np.all(got == want)), f"{got}")
    gott = v4ref.e4m3_round_t(torch.tensor(ties)).numpy()
    check("e4m3 round ties to even (torch)", bool(np.all(gott == want)), f"{gott}")
    r = np.random.default_rng(1).standard_normal(20000) * np.exp(np.random.default_rng(2).uniform(-12, 6, 20000))
    r = np.clip(r, -448, 448)
    a, b = sio.e4m3_round(r), v4ref.e4m3_round_t(torch.tensor(r)).numpy()
    nearest = np.abs(v[finite][None, :1] - 0)  # placeholder to keep shapes clear
    del nearest
    # brute-force nearest-value check
    vals = np.sort(np.unique(v[finite]))
    idx = np.clip(np.searchsorted(vals, r), 1, len(vals) - 1)
    lo, hi = vals[idx - 1], vals[idx]
    best = np.where(np.abs(r - lo) < np.abs(r - hi), lo, hi)
    tie = np.abs(r - lo) == np.abs(r - hi)
    check("e4m3 rounding = brute-force nearest (numpy, torch)",
          bool(np.all((a == best) | tie) and np.all(a == b)))


def t_e8m0_fp4():
    s = sio.e8m0_decode(np.array([0, 1, 127, 128, 254, 255], dtype=np.uint8))
    check("e8m0 byte 0 = 2^-127 (not 0), 127 = 1, 0xFF NaN",
          s[0] == 2.0 ** -127 and s[0] > 0 and s[2] == 1.0 and s[3] == 2.0 and math.isnan(s[5]))
    mids = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, -0.75, -5.0])
    want = np.array([0.0, 1.0, 1.0, 2.0, 2.0, 4.0, 4.0, -1.0, -4.0])
    got = sio.e2m1_round(mids)
    check("fp4 ties (0.25->0 0.75->1 1.25->1 1.75->2 2.5->2 3.5->4 5->4)",
          bool(np.all(got == want)), f"{got}")
    gott = v4ref.e2m1_round_t(torch.tensor(mids)).numpy()
    check("fp4 ties (torch)", bool(np.all(gott == want)), f"{gott}")
    # nibble order: even column in the low nibble
    sign = np.array([[0, 1, 0, 0]], dtype=np.uint8)
    idx = np.array([[2, 7, 0, 5]], dtype=np.uint8)  # 1.0, -6, 0, 3
    packed = sio.fp4_encode_packed(sign, idx)
    check("fp4 packing low nibble = even column", packed.tolist() == [[0xF2, 0x50]],
          f"{[hex(x) for x in packed[0]]}")
    dec = sio.fp4_decode_packed(packed, np.array([[128]], dtype=np.uint8))
    check("fp4 decode with scale 2", dec.tolist() == [[2.0, -12.0, 0.0, 6.0]], f"{dec}")


def t_fake_quant():
    x = torch.tensor([[448.0, 1.0, -3.0], [449.0, 0.0, 0.0], [1e-6, 0, 0]])
    y = v4ref.fq8(x, 128)
    check("fq8 scale: amax 448 -> scale 1 (exact)", y[0].tolist() == [448.0, 1.0, -3.0])
    check("fq8 scale: amax 449 -> scale 2", y[1, 0].item() == 448.0)
    s_small = 2.0 ** math.ceil(math.log2(1e-4 / 448))
    check("fq8 amax floor 1e-4", y[2, 0].item() == round(1e-6 / s_small) * s_small,
          f"{y[2, 0].item()}")
    z = v4ref.fq4(torch.tensor([[6.0, 5.0, 0.7, -1.25] + [0.0] * 28]), 32)
    check("fq4 block 32 values", z[0, :4].tolist() == [6.0, 4.0, 0.5, -1.0], f"{z[0, :4]}")
    H = v4ref.hadamard_matrix(32)
    check("hadamard orthogonal, natural order", torch.allclose(H @ H.T, torch.eye(32))
          and H[1, 1].item() < 0 and H[3, 1].item() < 0 and H[2, 1].item() > 0)
    bf = sio.round_bf16(np.array([1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, -2.5]))
    check("bf16 round to nearest even", bf.tolist() == [1.0, 1 + 2.0 ** -6, -2.5], f"{bf}")


def t_yarn():
    om = v4ref.rope_freqs(64, 160000.0, (16.0, 65536, 32, 1))
    want = {0: 1.0, 15: 3.636e-3, 16: 2.266e-3, 25: 5.372e-6, 31: 5.681e-7}
    ok = all(abs(om[i].item() - w) / w < 2e-3 for i, w in want.items())
    check("yarn frequencies match spec §3.2 samples", ok,
          " ".join(f"w{i}={om[i].item():.4g}" for i in want))
    x = torch.randn(5, 16, dtype=torch.float64)
    pos = torch.arange(5)
    o = v4ref.rope_freqs(16, 10000.0, None)
    back = v4ref.rope(v4ref.rope(x, pos, o), pos, o, inverse=True)
    check("rope inverse undoes rope", torch.allclose(back, x, atol=1e-12))


def t_safetensors():
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "x.safetensors")
        t = {"a": ("F32", np.arange(6, dtype=np.float32).reshape(2, 3)),
             "b": ("BF16", sio.f32_to_bf16_bits(np.array([1.5, -2.0], dtype=np.float32))),
             "c": ("I64", np.array([1, 2, 3], dtype=np.int64))}
        sio.write_safetensors(p, t, {"k": "v"})
        back, meta = sio.read_safetensors(p)
        ok = (back["a"][1] == t["a"][1]).all() and back["a"][0] == "F32" and meta == {"k": "v"}
        ok = ok and sio.bf16_bits_to_f64(back["b"][1]).tolist() == [1.5, -2.0]
        check("safetensors write/read round trip", bool(ok))
        blob = open(p, "rb").read()
        open(p, "wb").write(blob[:-4])
        try:
            sio.read_safetensors(p)
            check("safetensors truncated file rejected", False)
        except sio.SafetensorsError as e:
            check("safetensors truncated file rejected", "c" in str(e), str(e))


def streaming_compress(ref, a, pfx, m, cdim, om, rotate):
    """Spec §6.3 state machine, token by token (a second formulation, test only)."""
    c = ref.cfg
    o = m == 4
    w = (2 if o else 1) * cdim
    SK = torch.zeros((2 if o else 1) * m, w)
    SZ = torch.full(((2 if o else 1) * m, w), -math.inf)
    wkv, wg, ape = ref.W[pfx + "wkv.weight"], ref.W[pfx + "wgate.weight"], ref.W[pfx + "ape"]
    out = []
    for p in range(a.shape[0]):
        r = p % m
        row = (m if o else 0) + r
        SK[row] = wkv @ a[p]
        SZ[row] = wg @ a[p] + ape[r]
        if (p + 1) % m == 0:
            if o:
                vals = torch.cat([SK[:m, :cdim], SK[m:, cdim:]], 0)
                logit = torch.cat([SZ[:m, :cdim], SZ[m:, cdim:]], 0)
                SK[:m], SZ[:m] = SK[m:].clone(), SZ[m:].clone()
            else:
                vals, logit = SK, SZ
            e = (torch.softmax(logit, 0) * vals).sum(0)
            e = v4ref.rmsnorm(e, ref.W[pfx + "norm.weight"], c.eps)
            e = torch.cat([e[:cdim - c.rd], v4ref.rope(e[None, cdim - c.rd:],
                                                       torch.tensor([p + 1 - m]), om)[0]])
            if rotate:
                e = e @ ref.had
                if ref.qat:
                    e = v4ref.fq4(e[None], 32)[0]
            elif ref.qat:
                e = torch.cat([v4ref.fq8(e[None, :cdim - c.rd], 64)[0], e[cdim - c.rd:]])
            out.append(e)
    return torch.stack(out) if out else torch.zeros(0, cdim)


def t_model():
    d = os.path.join(FIXTURES, "tiny-bf16")
    if not os.path.exists(os.path.join(d, "expected.safetensors")):
        check("fixture tiny-bf16 present", False, "run make fixtures")
        return
    ref = v4ref.V4Ref(d)
    c = ref.cfg
    import json
    tokens = json.load(open(os.path.join(d, "tokens.json")))
    torch.set_default_dtype(torch.float64)
    g = torch.Generator().manual_seed(3)
    a = torch.randn(263, c.dim, generator=g, dtype=torch.float64)
    for qat in (False, True):
        ref.qat = qat
        for l, r in enumerate(c.ratios[:c.n_layers]):
            if not r:
                continue
            pfx = f"layers.{l}.attn.compressor."
            b = ref.compress(a, pfx, r, c.head_dim, ref.om_comp, False)
            s = streaming_compress(ref, a, pfx, r, c.head_dim, ref.om_comp, False)
            check(f"compressor batched = streaming (layer {l}, ratio {r}, qat {qat})",
                  b.shape == s.shape and torch.allclose(b, s, atol=1e-12), f"{tuple(b.shape)}")
            if r == 4:
                pfx = f"layers.{l}.attn.indexer.compressor."
                b = ref.compress(a, pfx, 4, c.index_dim, ref.om_comp, True)
                s = streaming_compress(ref, a, pfx, 4, c.index_dim, ref.om_comp, True)
                check(f"indexer compressor batched = streaming (layer {l}, qat {qat})",
                      torch.allclose(b, s, atol=1e-12))
    # causality: logits at t must not depend on tokens after t; a prefix run must agree
    for qat in (False, True):
        full = ref.forward(tokens, qat=qat)
        alt = list(tokens)
        cut = 150
        alt[cut + 1:] = [(x * 7 + 3) % c.vocab for x in alt[cut + 1:]]
        other = ref.forward(alt, qat=qat)
        dl = (full["logits"][:cut + 1] - other["logits"][:cut + 1]).abs().max().item()
        dafter = (full["logits"][cut + 1:] - other["logits"][cut + 1:]).abs().max().item()
        check(f"causality: changing tokens after {cut} (qat {qat})", dl < 1e-10 and dafter > 1e-3,
              f"max |d| before {dl:.1e}, after {dafter:.2f}")
        for n in (7, 130, 257):
            pre = ref.forward(tokens[:n], qat=qat, mtp=False)
            dp = (pre["logits"] - full["logits"][:n]).abs().max().item()
            check(f"prefix of {n} tokens = first {n} positions (qat {qat})", dp < 1e-10,
                  f"{dp:.1e}")
    # the committed fixtures are what the current reference computes
    for name in ("tiny-bf16", "tiny-fp8"):
        fd = os.path.join(FIXTURES, name)
        r2 = v4ref.V4Ref(fd)
        toks = json.load(open(os.path.join(fd, "tokens.json")))
        exp, _ = sio.read_safetensors(os.path.join(fd, "expected.safetensors"))
        for qat, key in ((False, "logits_noqat"), (True, "logits_qat")):
            out = r2.forward(toks, qat=qat)
            dd = np.abs(out["logits"].numpy().astype(np.float32) - exp[key][1]).max()
            check(f"{name}/{key} reproduced", dd == 0.0, f"max |d| {dd:.1e}")
            if not qat:
                dm = np.abs(out["mtp_logits"].numpy().astype(np.float32)
                            - exp["mtp_logits_noqat"][1]).max()
                check(f"{name}/mtp_logits_noqat reproduced", dm == 0.0, f"max |d| {dm:.1e}")
    # force_topk: forcing the reference's own selections changes nothing; one swapped entry is
    # counted and measured (positive violation); a malformed set is refused
    fd = os.path.join(FIXTURES, "tiny-bf16")
    r2 = v4ref.V4Ref(fd)
    toks = json.load(open(os.path.join(fd, "tokens.json")))
    exp, _ = sio.read_safetensors(os.path.join(fd, "expected.safetensors"))
    own = {l: torch.from_numpy(exp[k][1].astype(np.int64))
           for l in range(c.n_layers) for k in [f"csa_topk_noqat.{l}"] if k in exp}
    base = r2.forward(toks, qat=False, mtp=False)["logits"]
    same = r2.forward(toks, qat=False, mtp=False, force_topk=own)["logits"]
    st = dict(r2.stats)
    check("force_topk = own selections: identical logits, 0 differing queries",
          torch.equal(base, same) and len(own) > 0
          and all(st[f"force_differ.{l}"] == 0 for l in own), f"layers {sorted(own)}")
    l0 = sorted(own)[0]
    t = len(toks) - 1
    bad = {l: v.clone() for l, v in own.items()}
    nv = (t + 1) // 4
    out_ids = [i for i in range(nv) if i not in set(bad[l0][t].tolist())]
    bad[l0][t, 0] = out_ids[0]
    moved = r2.forward(toks, qat=False, mtp=False, force_topk=bad)["logits"]
    st = dict(r2.stats)
    check("force_topk with one swapped entry: 1 differing query, violation > 0, last row moves",
          st[f"force_differ.{l0}"] == 1 and st[f"force_violation.{l0}"] > 0
          and (moved[:t] - base[:t]).abs().max() < 1e-12
          and (moved[t] - base[t]).abs().max() > 1e-3,
          f"violation {st[f'force_violation.{l0}']:.3g}")
    bad[l0][t, 0] = bad[l0][t, 1]
    try:
        r2.forward(toks, qat=False, mtp=False, force_topk=bad)
        check("force_topk with a repeated entry is refused", False)
    except ValueError as e:
        check("force_topk with a repeated entry is refused", "distinct" in str(e), str(e)[:60])
    # force_experts: the same for the learned routes (record gives this model's own)
    rec = {}
    r2.forward(toks, qat=False, mtp=False, record=rec)
    learned = [l for l in range(c.n_layers) if l >= c.n_hash]
    routes = {l: rec[f"experts.{l}"].numpy().copy() for l in learned}
    same = r2.forward(toks, qat=False, mtp=False, force_experts=routes)["logits"]
    st = dict(r2.stats)
    check("force_experts = own routes: identical logits, 0 differing rows",
          torch.equal(base, same) and len(routes) > 0
          and all(st[f"route_differ.{l}"] == 0 for l in routes), f"layers {sorted(routes)}")
    l1 = learned[0]
    swapped = {l: v.copy() for l, v in routes.items()}
    swapped[l1][t, 0] = [e for e in range(c.n_experts) if e not in set(swapped[l1][t])][0]
    moved = r2.forward(toks, qat=False, mtp=False, force_experts=swapped)["logits"]
    st = dict(r2.stats)
    check("force_experts with one swapped expert: 1 differing row, violation > 0, last row moves",
          st[f"route_differ.{l1}"] == 1 and st[f"route_violation.{l1}"] > 0
          and (moved[:t] - base[:t]).abs().max() < 1e-12
          and (moved[t] - base[t]).abs().max() > 1e-6,
          f"violation {st[f'route_violation.{l1}']:.3g}")
    swapped[l1][t, 0] = swapped[l1][t, 1]
    try:
        r2.forward(toks, qat=False, mtp=False, force_experts=swapped)
        check("force_experts with a repeated expert is refused", False)
    except ValueError as e:
        check("force_experts with a repeated expert is refused", "distinct" in str(e), str(e)[:60])


def t_tokenizer():
    import json
    import train_bpe as tb
    p = os.path.join(ROOT, "models", "tokenizer", "tokenizer.json")
    if not os.path.exists(p):
        check("tokenizer.json present", False, p)
        return
    tok = json.load(open(p, encoding="utf-8"))
    v = tok["model"]["vocab"]
    ids = sorted(v.values())
    check("tokenizer: 4096 ids 0..4095, BOS 0, EOS 1",
          ids == list(range(4096)) and v[tb.BOS] == 0 and v[tb.EOS] == 1, f"{len(ids)} ids")
    added = {a["content"]: a["id"] for a in tok["added_tokens"]}
    check("tokenizer: every special token added and in vocab",
          all(added.get(s) == v.get(s) is not None for s in tb.ALL_SPECIALS))
    pts = tok["pre_tokenizer"]["pretokenizers"]
    check("tokenizer: Split x3 (Isolated) + ByteLevel(no prefix space, no regex)",
          [x["type"] for x in pts] == ["Split"] * 3 + ["ByteLevel"]
          and all(x["behavior"] == "Isolated" for x in pts[:3])
          and pts[0]["pattern"]["Regex"] == r"\p{N}{1,2}"
          and not pts[3]["add_prefix_space"] and not pts[3]["use_regex"]
          and tok["model"]["byte_fallback"] is False and tok["decoder"]["type"] == "ByteLevel")
    text = ("Hello! 毕老师！1 + 1 = 2 ĠÑĤÐ²ÑĬÑĢ\n\ndef f(x):\n    return x * 2\n"
            "<｜User｜>你好<｜Assistant｜><think>推理</think>答案<｜end▁of▁sentence｜>")
    enc = tb.encode_text(tok, text)
    check("tokenizer: decode(encode(x)) == x", tb.decode_ids(tok, enc) == text, f"{len(enc)} tokens")
    check("tokenizer: specials map to single ids",
          enc[-1] == 1 and v["<｜User｜>"] in enc and v["</think>"] in enc)
    check("tokenizer: digits split in groups of 2 (every 2-digit string one token)",
          [tb.decode_ids(tok, [i]) for i in tb.encode_text(tok, "1234567")] == ["12", "34", "56", "7"]
          and all(f"{k:02d}" in v for k in range(100)))
    # --digit-group 3: DeepSeek's own digit split, groups of up to three digits
    keep = tb.DIGIT_GROUP
    try:
        tb.DIGIT_GROUP = 3
        tok3, _, _ = tb.train_tokenizer(tb.generate_corpus(1, 200_000), 1024)
        pieces = [tb.decode_ids(tok3, [i]) for i in tb.encode_text(tok3, "x = 1234567 + 89")]
        check("tokenizer --digit-group 3: pattern \\p{N}{1,3}, no token spans a group boundary",
              tok3 is not None
              and tok3["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] == r"\p{N}{1,3}"
              and "".join(pieces) == "x = 1234567 + 89"
              and not any(len(p) > 3 and p.isdigit() for p in pieces)
              and any(len(p) > 1 and p.isdigit() for p in pieces), str(pieces))
    finally:
        tb.DIGIT_GROUP = keep


def main():
    torch.set_default_dtype(torch.float64)
    for t in (t_sinkhorn, t_e4m3, t_e8m0_fp4, t_fake_quant, t_yarn, t_safetensors, t_model,
              t_tokenizer):
        t()
    print(f"selftest: {len(FAILED)} failed" + (f" ({', '.join(FAILED)})" if FAILED else ""))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
