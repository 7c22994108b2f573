#!/usr/bin/env python3
"""copy_data.py — synthetic copy tasks that teach the tiny model to copy from its context.

Why: the suites' answers (needle values, tool-call arguments, names in code) are copied from the
prompt, but each suite sample carries only a few such tokens among hundreds of prompt tokens, and
5 M tokens of suite data alone did not form a copy (induction) circuit in the tiny model (the card
of the second run: fluent answers whose values do not depend on the prompt). These samples carry
a copy target on every completion token, so the circuit gets a dense gradient from step 0.

Three kinds, all written in the JSONL form of `v4eval gen-train` (prompt_ids, completion_ids, task)
so v4train.py reads them like any other data file:
  copy_random  <bos> S <sep>  ->  S <eos>       S = 8..MAX random non-special tokens
  copy_kv      <bos> k1 : v1 <sep> k2 : v2 <sep> ... <query> kq :  ->  vq <eos>
               keys and values are spans of 1-3 random tokens; vq may be any pair
  copy_rep     <bos> S <sep>  ->  S <eos>       S drawn from a pool of 4..32 tokens, 1.5-3x as
               long as the pool (within --min-len..--max-len): every token repeats, so the next token follows from the last two
               or three, not the last one alone (a UUID's '-' and hex groups; copy_random's
               distinct tokens let a copy keyed on the last token pass, which then loops or
               skips on such strings)
The token ids are drawn from the ordinary (non-special) part of the vocabulary, so nothing here
overlaps an eval prompt (they are not text). Deterministic for a given --seed.
"""
import argparse
import json
import random


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokenizer", required=True, help="tokenizer.json (ids of the special tokens)")
    ap.add_argument("--n", type=int, required=True, help="samples per kind")
    ap.add_argument("--min-len", type=int, default=8, help="shortest span / key-value list (tokens)")
    ap.add_argument("--max-len", type=int, default=240, help="longest span / key-value list (tokens)")
    ap.add_argument("--kinds", default="copy_random,copy_kv",
                    help="comma-separated kinds to write (copy_random, copy_kv, copy_rep)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    kinds = [k for k in a.kinds.split(",") if k]
    bad = [k for k in kinds if k not in ("copy_random", "copy_kv", "copy_rep")]
    if bad or not kinds:
        raise SystemExit(f"copy_data: --kinds: expected a comma-separated list of copy_random, "
                         f"copy_kv, copy_rep, found {a.kinds!r}")
    if not 2 <= a.min_len <= a.max_len:
        raise SystemExit(f"copy_data: --min-len/--max-len: expected 2 <= min <= max, "
                         f"found {a.min_len}, {a.max_len}")
    if a.n < 1:
        raise SystemExit(f"copy_data: --n: expected >= 1, found {a.n}")
    try:
        with open(a.tokenizer) as f:
            tok = json.load(f)
        special = {t["id"] for t in tok["added_tokens"]}
        vocab = tok["model"]["vocab"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise SystemExit(f"copy_data: {a.tokenizer}: expected a tokenizer.json with "
                         f"added_tokens and model.vocab: {e}")
    colon = vocab.get(":")
    if colon is None:
        raise SystemExit(f"copy_data: {a.tokenizer}: expected a token ':' in the vocabulary")
    ordinary = sorted(set(vocab.values()) - special - {colon})
    if len(ordinary) < 100:
        raise SystemExit(f"copy_data: {a.tokenizer}: expected >= 100 ordinary tokens, "
                         f"found {len(ordinary)}")

    def sid(content):
        for t in tok["added_tokens"]:
            if t["content"] == content:
                return t["id"]
        raise SystemExit(f"copy_data: {a.tokenizer}: special token {content!r} not found")
    bos, eos = sid("<｜begin▁of▁sentence｜>"), sid("<｜end▁of▁sentence｜>")
    sep, query = sid("<｜User｜>"), sid("<｜Assistant｜>")
    r = random.Random(a.seed)
    with open(a.out, "w") as out:
        for i in range(a.n if "copy_random" in kinds else 0):
            n = r.randint(a.min_len, a.max_len)
            s = [r.choice(ordinary) for _ in range(n)]
            out.write(json.dumps({"id": f"copy_random/{i}", "task": "copy_random",
                                  "prompt_ids": [bos] + s + [sep],
                                  "completion_ids": s + [eos]}) + "\n")
        for i in range(a.n if "copy_kv" in kinds else 0):
            pairs, used, length = [], set(), 1
            target = r.randint(a.min_len, a.max_len)
            while length < target:
                k = tuple(r.choice(ordinary) for _ in range(r.randint(1, 3)))
                if k in used:
                    continue
                used.add(k)
                v = [r.choice(ordinary) for _ in range(r.randint(1, 3))]
                pairs.append((list(k), v))
                length += len(k) + len(v) + 2
            kq, vq = r.choice(pairs)
            prompt = [bos]
            for k, v in pairs:
                prompt += k + [colon] + v + [sep]
            out.write(json.dumps({"id": f"copy_kv/{i}", "task": "copy_kv",
                                  "prompt_ids": prompt + [query] + kq + [colon],
                                  "completion_ids": vq + [eos]}) + "\n")
        for i in range(a.n if "copy_rep" in kinds else 0):
            pool = r.sample(ordinary, r.randint(4, 32))
            # longer than the pool (so tokens repeat) where --max-len allows
            lo = min(a.max_len, max(a.min_len, len(pool) * 3 // 2))
            n = r.randint(lo, max(lo, min(a.max_len, 3 * len(pool))))
            s = [r.choice(pool) for _ in range(n)]
            out.write(json.dumps({"id": f"copy_rep/{i}", "task": "copy_rep",
                                  "prompt_ids": [bos] + s + [sep],
                                  "completion_ids": s + [eos]}) + "\n")


if __name__ == "__main__":
    main()
