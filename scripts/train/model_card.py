#!/usr/bin/python3
"""model_card.py — writes MODEL_CARD.md of a trained tiny-v4 from measured facts only.

Sections: architecture table (config.json + tensor counts of model.safetensors), training
(training.json and loss.csv written by scripts/train/run.sh, loss.png), and the scores that
`bin/v4eval run` measures on the held-out EVAL seed space (the suite default seeds; gen-train
drops any train prompt equal to one of those eval prompts) per suite, task and context length.
Nothing is typed by hand: rerun it after every training run.

Usage: model_card.py [--model models/tiny-v4] [--suites longctx,math,toolcall,code]
                     [--lengths 512,1024,2048,4096,8192,16384,32768] [--limit N]
                     [--suite-limit SUITE=N …] [--niah-focus N] [--qat on|off]
                     [--threads N] [--out-root build/card]
Exit 0 when the card was written (a suite that failed is reported in the card), 2 bad input.
"""
import argparse
import csv
import json
import os
import struct
import subprocess
import sys
import time


def tensor_summary(path):
    """(n_tensors, n_params, bytes, dtype -> count) from a safetensors header."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
    h.pop("__metadata__", None)
    params, dtypes = 0, {}
    for name, t in h.items():
        k = 1
        for d in t["shape"]:
            k *= d
        if not name.endswith(".scale"):
            params += k * (2 if t["dtype"] == "I8" else 1)
        dtypes[t["dtype"]] = dtypes.get(t["dtype"], 0) + 1
    return len(h), params, os.path.getsize(path), dtypes


def run_suite(args, suite, tasks=None, lengths=None, limit=None):
    run_id = f"card-{suite}{'-focus' if tasks else ''}-{int(time.time())}"
    cmd = [args.engine, "run", "--suite", suite, "--model", args.model, "--run-id", run_id,
           "--out", args.out_root, "--qat", args.qat, "--progress", "lines"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if tasks:
        cmd += ["--task", tasks]
    if limit is None:
        limit = dict(kv.split("=", 1) for kv in args.suite_limit).get(suite, args.limit)
    if int(limit):
        cmd += ["--limit", str(limit)]
    if suite == "longctx" and (lengths or args.lengths):
        cmd += ["--lengths", lengths or args.lengths]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.time() - t0
    path = os.path.join(args.out_root, run_id, "results.csv")
    if r.returncode or not os.path.exists(path):
        tail = (r.stderr or r.stdout).strip().splitlines()[-1:] or ["(no output)"]
        return None, dt, f"`{' '.join(cmd)}` exited {r.returncode}: {tail[0]}"
    return list(csv.DictReader(open(path))), dt, " ".join(cmd)


def window_split(run_dir, window):
    """Needle samples of a run split by where the (first) needle sits: inside the last `window`
    prompt tokens (the sliding window reaches it) or further back (only the compressed entries
    of the CSA/HCA layers do) -> {(task, length): {"in": [passed, n], "out": [passed, n]}}."""
    out = {}
    path = os.path.join(run_dir, "samples.jsonl")
    if not os.path.exists(path):
        return out
    for line in open(path):
        d = json.loads(line)
        pos = ((d.get("meta") or {}).get("sample") or {}).get("needle_token_pos", -1)
        if pos is None or pos < 0 or d.get("status") != "ok":
            continue
        side = "in" if d["tokens_in"] - pos <= window else "out"
        c = out.setdefault((d["task"], d["length"]), {"in": [0, 0], "out": [0, 0]})
        c[side][0] += bool(d.get("passed"))
        c[side][1] += 1
    return out


def pct(v):
    try:
        return f"{100 * float(v):.1f}"
    except ValueError:
        return "–"


def verify_section(args):
    """The card's "Engine check" lines from verify.json of the BF16 and FP8 copies."""
    vrows = []
    for d in (args.model, args.model.rstrip("/") + "-fp8"):
        vp = os.path.join(d, "verify.json")
        if os.path.exists(vp):
            v = json.load(open(vp))
            routes = (f"{v['routes_differ']} of {v['routes_total']} (worst tie "
                      f"{v['worst_route_tie']:.2g})" if "routes_total" in v else "–")
            vrows.append(f"| {os.path.basename(d.rstrip('/'))} | {v['tokens']} | "
                         f"{v['selections_differ']} of {v['csa_queries']} "
                         f"(worst tie {v['worst_relative_tie']:.2g}) | {routes} | "
                         f"{v['max_abs_diff']:.2g} | "
                         f"{v['argmax_agreement'] * 100:.2f} % | "
                         f"{v['plain_vs_float32_pytorch_max_abs_diff']:.2g} | "
                         f"{'ok' if v['ok'] else 'FAIL'} |")
    if not vrows:
        return []
    return ["", "## Engine check (export.py --verify, QAT off)", "",
            "The C engine against scripts/reference/v4ref.py (float64) on one training-format "
            "sequence: the engine's CSA top-k selections must be a top-k of the float64 index "
            "scores up to float ties (1e-4 relative), the learned expert routes (top-2 of 4) "
            "are the float32 model's — whose logits the engine matches, column \"plain\" — and "
            "must be a top-2 of the float64 router scores up to the same tie tolerance, and with "
            "those choices the logits must agree within 1e-3. The plain difference from the "
            "float32 PyTorch training model (its own choices) is shown beside: one selection or "
            "route that flips at a tie moves the logits of its position by up to units.", "",
            "| copy | tokens | CSA selections unlike float64's | expert routes unlike "
            "float64's | max abs logit diff | argmax agreement | plain vs float32 PyTorch | |",
            "|---|---|---|---|---|---|---|---|"] + vrows


# the math suite's one-step tasks: the "2–3 digit arithmetic"
ONE_STEP = ("arith_2da", "arith_2ds", "arith_3da", "arith_3ds", "arith_2dm")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/tiny-v4")
    ap.add_argument("--suites", default="longctx,math,toolcall,code")
    ap.add_argument("--lengths", default="512,1024,2048,4096,8192,16384,32768")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--suite-limit", action="append", default=[], metavar="SUITE=N",
                    help="per-suite --limit (e.g. longctx=3), overriding --limit")
    ap.add_argument("--niah-focus", type=int, default=0, metavar="N",
                    help="also run niah_single_1..3 with up to N samples per cell (the suite "
                         "file caps it) at --niah-focus-lengths")
    ap.add_argument("--niah-focus-lengths", default="512,1024,2048,4096")
    ap.add_argument("--qat", default="off", choices=["on", "off"])
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--engine", default="bin/v4eval")
    ap.add_argument("--out-root", default="build/card")
    args = ap.parse_args()
    cfg_path = os.path.join(args.model, "config.json")
    st_path = os.path.join(args.model, "model.safetensors")
    if not (os.path.exists(cfg_path) and os.path.exists(st_path)):
        print(f"model_card: {args.model}: expected config.json and model.safetensors", file=sys.stderr)
        return 2
    cfg = json.load(open(cfg_path))
    n_t, n_p, nbytes, dts = tensor_summary(st_path)
    L = [f"# tiny-v4 — model card", "",
         "A small DeepSeek-V4 with every component of the architecture active, trained by "
         "`make train` (scripts/train/) on the TRAIN seed space of v4eval's own suite generators. "
         "Everything below was measured by scripts/train/model_card.py; rerun it to refresh.", "",
         "## Architecture", "", "| field | value |", "|---|---|"]
    ratios = cfg["compress_ratios"]
    kinds = {0: "window-only", 4: "CSA (ratio 4, indexer)", 128: "HCA (ratio 128)"}
    sched = ", ".join(f"{i}: {kinds[r]}" for i, r in enumerate(ratios[:cfg["num_hidden_layers"]]))
    rows = [
        ("parameters", f"{n_p:,} ({n_t} tensors, {nbytes / 1e6:.2f} MB; dtypes {dts})"),
        ("vocab / hidden / layers", f"{cfg['vocab_size']} / {cfg['hidden_size']} / {cfg['num_hidden_layers']} + {cfg.get('num_nextn_predict_layers', 0)} MTP"),
        ("layer schedule", sched + f"; MTP: {kinds[ratios[-1]]}"),
        ("attention", f"{cfg['num_attention_heads']} heads × {cfg['head_dim']} (RoPE on last {cfg['qk_rope_head_dim']}), one shared K=V head, q_lora {cfg['q_lora_rank']}, {cfg['o_groups']} output groups × {cfg['o_lora_rank']}, sinks"),
        ("window / index_topk", f"{cfg['sliding_window']} / {cfg['index_topk']} (indexer {cfg['index_n_heads']} heads × {cfg['index_head_dim']})"),
        ("RoPE", f"θ {cfg['rope_theta']} (window-only, MTP); θ {cfg['compress_rope_theta']} + YaRN {cfg['rope_scaling']} (compressed layers)"),
        ("MoE", f"{cfg['n_routed_experts']} routed (top-{cfg['num_experts_per_tok']}, sqrtsoftplus, ×{cfg['routed_scaling_factor']}) + {cfg['n_shared_experts']} shared, width {cfg['moe_intermediate_size']}, SwiGLU clamp {cfg['swiglu_limit']}; hash routing on the first {cfg['num_hash_layers']} layer(s)"),
        ("mHC", f"{cfg['hc_mult']} streams, Sinkhorn {cfg['hc_sinkhorn_iters']} iterations"),
        ("max positions", str(cfg["max_position_embeddings"])),
    ]
    tkp = os.path.join(args.model, "tokenizer.json")
    if os.path.exists(tkp):
        tkj = json.load(open(tkp, encoding="utf-8"))
        pre = (tkj.get("pre_tokenizer") or {}).get("pretokenizers") or []
        digits = next((p["pattern"]["Regex"] for p in pre if p.get("type") == "Split"
                       and "p{N}" in str(p.get("pattern", {}).get("Regex", ""))), "?")
        rows.append(("tokenizer", f"byte-level BPE, {len(tkj['model']['vocab'])} ids, DeepSeek's "
                     f"pre-tokenizer form with the digit split `{digits}` (DeepSeek's: "
                     "`\\p{N}{1,3}`), DeepSeek's special tokens"))
    L += [f"| {a} | {b} |" for a, b in rows]
    L += ["", "## Training", ""]
    tj = os.path.join(args.model, "training.json")
    lc = os.path.join(args.model, "loss.csv")
    t = json.load(open(tj)) if os.path.exists(tj) else {}
    if t:
        L.append(f"- recipe {t.get('recipe', '?')} of `make train` (scripts/train/run.sh), seed {t.get('seed')}, "
                 f"{t.get('threads')} threads"
                 + (f" x {t['procs']} data-parallel processes" if t.get("procs", 1) > 1 else "")
                 + f", token budget {t.get('tokens_budget'):,}"
                 + (" — SMOKE RUN, not the real model" if t.get("smoke") else ""))
        s = t.get("seconds", {})
        L.append(f"- wall time: data {s.get('data')} s, training {s.get('train')} s"
                 + (f", tune {s['tune']} s" if s.get("tune") else "")
                 + f", export + plot {s.get('export_plot')} s")
    if os.path.exists(lc):
        rws = list(csv.DictReader(open(lc)))
        if rws:
            last = rws[-1]
            k = max(1, len(rws) // 20)
            tail = rws[-k:]
            avg = lambda key: sum(float(r[key]) for r in tail) / len(tail)
            L.append(f"- {last['step']} steps, {int(float(last['tokens'])):,} tokens (padded), "
                     f"{float(last['seconds']):.0f} s, {float(last['tokens_per_s']):.0f} tokens/s")
            L.append(f"- final loss (mean of the last {k} steps): completion {avg('loss'):.3f}, "
                     f"MTP {avg('mtp_loss'):.3f}, indexer KL {avg('indexer_kl'):.3f}")
    pw = float(t.get("prompt_weight", 0) or 0)
    L.append("- data: `v4eval gen-train` (suite generators, TRAIN seed space), chat-encoded; loss "
             "on completion tokens" + (f" + {pw} × LM loss on the prompt (haystack) tokens of the "
             f"long-context samples" if pw else " only") + "; Muon (hidden matrices) + AdamW; "
             "indexer KL toward the main attention; MTP weight 0.3.")
    if "copy.jsonl" in str(t.get("stages", "")):
        L.append("- plus synthetic copy tasks (`scripts/train/copy_data.py`: random-token spans "
                 "and key-value lists of random tokens"
                 + (", and spans over a pool of 4-32 tokens in which every token repeats"
                    if int(t.get("copy_rep", 0) or 0) else "")
                 + "): a copy target on every completion token.")
    if t.get("batch_tokens") or t.get("kv_norm_init"):
        L.append(f"- {t.get('batch_tokens', 4096)} padded tokens per step; kv_norm weights "
                 f"initialised to {t.get('kv_norm_init', 1.0)} (q and kv are RMS-normalised, so "
                 f"this weight alone sets the attention's logit range)")
    if float(t.get("copy_sup", 0) or 0) or float(t.get("prev_sup", 0) or 0):
        L.append(f"- attention supervision (training only): copy heads {t.get('copy_heads')} "
                 f"(weight {t.get('copy_sup')}; their attention mass on the visible copies of "
                 f"each completion target with at most {t.get('copy_max_copies') or 'any'} "
                 f"copies; the same loss on the CSA indexers with weight "
                 f"{t.get('index_sup', 0)}), previous-token heads "
                 f"{t.get('prev_heads')} (weight {t.get('prev_sup')})"
                 + (f"; copy-head read-out loss weight {t.get('copy_out')} (each copy head's own "
                    f"output through the frozen final norm + LM head)"
                    if float(t.get("copy_out", 0) or 0) else ""))
    wm = float(t.get("warmup_math", 0) or 0)
    if int(t.get("warmup_tokens", 0) or 0) and wm:
        L.append(f"- warm-up: the first {int(t['warmup_tokens']):,} tokens are the synthetic copy "
                 f"tasks ({(1 - wm) * 100:.0f} %) and the math data ({wm * 100:.0f} %: column "
                 "working is digit copying plus one-digit facts; stage 0 below), then the suite "
                 "curriculum")
    elif int(t.get("warmup_tokens", 0) or 0):
        L.append(f"- copy-only warm-up: the first {int(t['warmup_tokens']):,} tokens are the synthetic "
                 "copy tasks alone (stage 0 below), then the suite curriculum")
    canon = str(t.get("copy_canon", 0) or 0)
    if canon not in ("0", "False"):
        L.append("- copy loss modulo a leading space ("
                 + ("tool-call samples" if canon == "tool" else "every sample")
                 + "): a target and a key match when they are the same token or one is the "
                 "other with a leading space (' Seoul' in a request, 'Seoul' after `>` in a "
                 "DSML parameter)")
    if t.get("copy_skip"):
        L.append(f"- no copy loss on the samples of tasks {t['copy_skip']} (prefixes)")
    # the tunes after the curriculum, in order: earlier_tunes then tune (run.sh's record)
    tunes = list(t.get("earlier_tunes") or []) + ([t["tune"]] if t.get("tune") else [])
    n_cur = len(t["stages"].split(";")) if t.get("stages") else 0   # curriculum stages
    for k, tune in enumerate(tunes):
        what = "tune" if len(tunes) == 1 else f"tune {k + 1} of {len(tunes)}"
        L.append(f"- {what} after the curriculum (stage {n_cur + k} "
                 f"below): {tune['tokens']:,} "
                 f"tokens of the last curriculum stage's files with math.jsonl at weight "
                 f"{tune['math_weight']}"
                 + (f" and toolcall.jsonl at {tune['tool_weight']}"
                    if tune.get("tool_weight") is not None else "")
                 + f", its own learning-rate schedule (peak {tune['lr']}, "
                 f"{tune.get('warmup_steps', 20)} warm-up steps, cosine to a tenth)"
                 + (f", no copy loss on the samples of tasks {tune['copy_skip']}"
                    if tune.get("copy_skip") else "")
                 + f"; from {tune.get('from', '?')}"
                 + (f"; {tune['seconds']} s" if tune.get("seconds") is not None else ""))
    if int(t.get("copy_context", 0) or 0):
        L.append(f"- context-matched copy targets: where the target token has several copies in "
                 f"the window, the copy loss keeps those whose preceding tokens agree longest "
                 f"(up to {int(t['copy_context'])}) with the query's own last tokens")
    if t.get("task_shares"):
        L.append(f"- shares of math, code and tool calls in each curriculum stage: "
                 f"{t['task_shares']}")
    irrel = str(t.get("tool_irrel", "natural") or "natural")
    if irrel != "natural":
        L.append(f"- tool_irrelevance in its own file, {irrel} of the tool-call share (the other "
                 f"four categories the rest; at its natural weight it took ~17 %)")
    if t.get("copy_window_first"):
        L.append("- copy loss, window first: where the sliding window holds the target, only "
                 "window keys count (a compressed entry mixes 4-8 neighbouring tokens)")
    if t.get("config_overrides"):
        L.append(f"- architecture overrides of v4train.py's DEFAULT_CONFIG: "
                 f"`{json.dumps(t['config_overrides'])}`")
    if t.get("head_init_embed"):
        L.append("- initialisation: the LM head starts as a scaled copy of the embedding "
                 "(0.5/sqrt(hidden); untied afterwards)")
    if float(t.get("embed_common", 0) or 0):
        L.append(f"- initialisation: every embedding row + {t.get('embed_common')} × one shared "
                 f"N(0,1) vector (a token-independent direction for positional heads)")
    if t.get("stages"):
        fr = [float(x) for x in str(t.get("stage_frac", "1")).split(",")]
        L += ["", "Curriculum (`--stages` of run.sh; share = the file's share of the stage's tokens):",
              "", "| stage | max tokens | share of the budget | files (token share) |", "|---|---|---|---|"]
        specs = t["stages"].split(";") + [tn["stage"] for tn in tunes if tn.get("stage")]
        for i, spec in enumerate(specs):
            ml, files = spec.split(":", 1)
            parts = [f.partition("@")[::2] for f in files.split(",")]
            # v4train's rule: with every file shared, the shares are normalised to sum to 1
            # (r24's sum to 1.07); beside plain files they stand as given
            tot = sum(float(sh) for _, sh in parts if sh)
            norm = tot if tot and all(sh for _, sh in parts) else 1.0
            fs = [f"{os.path.basename(name).replace('.jsonl', '')}"
                  + (f" {float(sh) / norm * 100:.1f} %" if sh else "") for name, sh in parts]
            if i < n_cur:
                share = f"{fr[i] / sum(fr) * 100:.0f} %" if i < len(fr) else "?"
            else:
                share = f"tune: {tunes[i - n_cur]['tokens']:,} tokens after it"
            L.append(f"| {i} | {ml} | {share} | {', '.join(fs)} |")
    if os.path.exists(lc):
        rws = [r for r in csv.DictReader(open(lc)) if r.get("task")]
        if rws:
            tail = rws[-max(1, len(rws) // 5):]
            per = {}
            for r in tail:
                per.setdefault(r["task"], []).append(float(r["loss"]))
            L += ["", f"Completion loss per task over the last {len(tail)} steps (each step's "
                  "batch is labelled by its most frequent task):", "",
                  "| task | steps | mean loss (nats/token) |", "|---|---|---|"]
            L += [f"| {k} | {len(v)} | {sum(v) / len(v):.3f} |" for k, v in sorted(per.items())]
    if os.path.exists(os.path.join(args.model, "loss.png")):
        L += ["", "![loss curves](loss.png)"]
    verify_at = len(L)     # the engine check is read last (export may rewrite verify.json)
    L += ["", "## Scores (held-out eval seeds, greedy, `v4eval run`, QAT " + args.qat + ")", ""]
    runs = [(s, s, None, None, None) for s in args.suites.split(",") if s]
    if args.niah_focus:
        # the single-needle tasks at the short lengths with more samples per cell than the
        # whole-suite run can afford (the niah_single targets are read from these)
        runs.append(("longctx", "longctx: single needle, {ncell} per cell",
                     "niah_single_1,niah_single_2,niah_single_3", args.niah_focus_lengths,
                     args.niah_focus))
    for suite, title, tasks, lengths, limit in runs:
        res, dt, how = run_suite(args, suite, tasks, lengths, limit)
        if "{ncell}" in title:
            # --limit only caps the samples per cell: the suite file may hold fewer
            ncell = sorted({int(r["n"]) for r in res or [] if r["task"] != "all"
                            and r["length"] not in ("all", "0") and r["depth"] == "all"
                            and r["metric"] == "score"})
            title = title.format(ncell="/".join(map(str, ncell)) or str(limit))
        L.append(f"### {title}")
        L.append("")
        if res is None:
            L += [f"Run failed: {how}", ""]
            continue
        L.append(f"`{how}` — {dt:.0f} s")
        L.append("")
        run_dir = os.path.join(args.out_root, how.split("--run-id ")[1].split()[0])
        res = [r for r in res if r["depth"] == "all" and r["metric"] == "score"]
        lengths = sorted({r["length"] for r in res if r["length"] not in ("all", "0")}, key=int)
        tasks = sorted({r["task"] for r in res if r["task"] != "all"})
        fmt = lambda r: f"{pct(r['value'])} ± {pct(r['stderr'])}" if r["stderr"] else pct(r["value"])
        if lengths:
            L.append("| task (score %, ± stderr) | " + " | ".join(lengths) + " | all | n |")
            L.append("|---" * (len(lengths) + 3) + "|")
            for t in tasks + ["all"]:
                cell = {r["length"]: r for r in res if r["task"] == t}
                n = cell["all"]["n"] if "all" in cell else "–"
                L.append(f"| {t} | " + " | ".join(fmt(cell[x]) if x in cell else "–"
                                                  for x in lengths + ["all"]) + f" | {n} |")
        else:
            L.append("| task | score % (± stderr) | n |")
            L.append("|---|---|---|")
            for t in tasks + ["all"]:
                for r in res:
                    if r["task"] == t and r["length"] in ("0", "all"):
                        L.append(f"| {t} | {fmt(r)} | {r['n']} |")
                        break
        L.append("")
        one = [r for r in res if r["task"] in ONE_STEP and r["length"] in ("0", "all")]
        if suite == "math" and one:
            n1 = sum(int(r["n"]) for r in one)
            v1 = sum(float(r["value"]) * int(r["n"]) for r in one) / max(1, n1)
            L += [f"2–3 digit arithmetic (the issue's math target; the five one-step tasks "
                  f"{', '.join(sorted(r['task'] for r in one))} — GPT-3's 2D+ 2D− 3D+ 3D− 2D×, "
                  f"operands uniform in [0, 10^d)): **{pct(v1)} %** over {n1} samples. `arith` is "
                  f"a three-step chain with × (answers up to 12 digits), `wordprob` word "
                  f"problems; neither is in this average.", ""]
        split = window_split(run_dir, cfg["sliding_window"]) if tasks and suite == "longctx" else {}
        if split and title != suite:
            W = cfg["sliding_window"]
            L += [f"Split by where the needle sits: inside the last {W} prompt tokens (the "
                  f"sliding window reaches it) or further back (only the compressed entries "
                  f"of the CSA and HCA layers do); passed / samples:", "",
                  "| task | " + " | ".join(f"{x} in / beyond" for x in lengths) + " |",
                  "|---" * (len(lengths) + 1) + "|"]
            for tk in tasks:
                cells = []
                for x in lengths:
                    c = split.get((tk, int(x)))
                    cells.append(f"{c['in'][0]}/{c['in'][1]} · {c['out'][0]}/{c['out'][1]}" if c else "–")
                L.append(f"| {tk} | " + " | ".join(cells) + " |")
            L.append("")
    L[verify_at:verify_at] = verify_section(args)
    out = os.path.join(args.model, "MODEL_CARD.md")
    with open(out, "w") as f:
        f.write("\n".join(L) + "\n")
    print(f"model_card: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
