#!/usr/bin/env bash
# run.sh — `make train`: the whole recipe of the default model models/tiny-v4.
#
#   0. selftest.py (seconds): the trainable model against v4ref.py and the spec's state machine
#   1. training data: bin/v4eval gen-train (suite generators, TRAIN seed space, prompts
#      equal to eval prompts dropped) -> $OUT/data/*.jsonl
#   2. training: scripts/train/v4train.py, 3-stage context-length curriculum -> $OUT/model.pt,
#      $OUT/loss.csv; recipe 5 then tunes it (TRAIN_TUNE_TOKENS) -> $OUT/tune*/model.pt
#   3. export: scripts/train/export.py -> $MODEL_DIR (BF16) and $MODEL_DIR-fp8 (FP8 + FP4),
#      the C engine verified against v4ref.py (float64) with the engine's CSA selections
#      (a top-k of the float64 scores up to float ties; max |logit diff| <= 1e-3, QAT off)
#   4. loss plot (gnuplot) -> $OUT/loss.png, copied next to the model
#
# Environment (all optional):
#   TRAIN_RECIPE   5 (default: the recipe of the shipped models/tiny-v4 — five layers in
#                  DeepSeek-V4-Flash's schedule [window, window, CSA, HCA, CSA] with a 2048-token
#                  sliding window, a copy-only warm-up stage of 2.4 M tokens, then recipe 4's
#                  curriculum with more copy tasks, 10.8 M tokens in all over two data-parallel
#                  processes; copy heads 1:0 (window-only), 2:0 and 4:0 (CSA), their loss on
#                  the context-matched copies, copy_rep spans among the copy tasks;
#                  task shares 0.12,0.07,0.34 with tool_irrelevance at 8 % of the tool share;
#                  copy read-out loss and embedding-initialised LM head, no copy loss on the
#                  arithmetic; then four tunes: 2.0 M tokens with 46 % math, 0.6 M with 21 %,
#                  0.6 M with 26 % math and 41 % tool calls, 0.6 M with 21 % math
#                  (TRAIN_TUNE_TOKENS); scripts/train/README.md "Fifth recipe", "Two tunes",
#                  "Tool-heavier tunes"),
#                  4 (the previous default: four layers [window, CSA, HCA, CSA], recipe 3 +
#                  attention supervision: copy heads 1:0 and 3:0, previous-token head 0:0,
#                  shared embedding direction; README "Fourth recipe"),
#                  2 (no copy tasks, 4096-token steps, 5 M tokens) or 3 (recipe 2 + synthetic
#                  copy tasks, 2048-token steps, kv_norm initialised to 2.5, 4 M tokens; README
#                  "Third recipe" has what it measured)
#   TRAIN_CONFIG   architecture overrides, a JSON object of config.json keys (recipe 5: five
#                  layers, '{"num_hidden_layers": 5, "compress_ratios": [0, 0, 4, 128, 4, 0]}';
#                  the others: none = v4train.py's DEFAULT_CONFIG)
#   TRAIN_COPY_HEADS  LAYER:HEAD list of the copy heads (recipe 5: 1:0,2:0,4:0; else 1:0,3:0)
#   TRAIN_WINDOW_FIRST=1  copy loss on window keys only where the window holds the target
#                  (v4train.py --copy-window-first; default 0)
#   TRAIN_COPY_CANON  copy loss matching tokens modulo a leading space, so a value copied
#                  from ' Seoul' in a request into '>Seoul' of a DSML parameter is supervised
#                  (v4train.py --copy-canon): all (every sample; recipe 5's default), tool
#                  (the tool-call samples only) or 0 (off; the other recipes' default)
#   TRAIN_COPY_SKIP  task-name prefixes (comma-separated) whose samples get no copy loss of
#                  any kind (v4train.py --copy-skip-tasks; recipe 5: arith (r25 on; set it
#                  empty for r24's recipe), the others: none): a column line reads a digit
#                  out of a two-digit token, and the copy loss pointed it at the same digit
#                  token on an earlier line (README "More math", "No copy loss on the arithmetic")
#   TRAIN_TUNE_TOKENS  recipe 5: token counts of the tunes after the curriculum, comma-
#                  separated, one per tune (default 2000000,600000,600000,600000, the shipped
#                  model's; smoke runs 6000,3000,3000,3000; 0 = none, r25): each tune is one
#                  more stage of the last stage's files with math.jsonl's weight set to its
#                  TRAIN_TUNE_MATH entry (in (0, 1]; default 0.8,0.25,0.5,0.25) and
#                  toolcall.jsonl's to its TRAIN_TUNE_TOOL entry (in (0, 1] or stage = the
#                  last stage's own, 0.3128 at the default shares; default stage,stage,0.8,
#                  stage), its own learning-rate
#                  schedule (TRAIN_TUNE_LR, default 1e-3,5e-4, warm-up 20 steps, cosine to a
#                  tenth) and no copy loss on the tasks TRAIN_TUNE_SKIP (default arith; '' =
#                  none), from the model before it (the curriculum's model.pt, TRAIN_INIT's
#                  model, the tune before). TRAIN_TUNE_MATH / _TOOL / _LR take one value for
#                  every tune or one per tune; unset, the default lists' first entries, the
#                  last repeating (README "Two tunes", "Tool-heavier tunes")
#   TRAIN_INIT     recipe 5: a BF16 model directory written by export.py (e.g. models/tiny-v4)
#                  to tune instead of training the curriculum: data, then the tunes alone
#                  (TRAIN_TUNE_TOKENS not 0); training.json keeps the directory's own
#                  training.json as the record of the curriculum
#   TRAIN_COPY_CONTEXT  copy loss on the window copies of the target whose preceding tokens
#                  agree longest (up to this many) with the query's last tokens — the source
#                  of a repeated token (v4train.py --copy-context; recipe 5: 3, the others: 0 =
#                  every copy alike)
#   TRAIN_COPY_REP=1  the copy tasks include copy_rep, spans over a 4-32-token pool in which
#                  every token repeats (copy_data.py; recipe 5: 1, the others: 0)
#   TRAIN_TASK_SHARES  recipe 5: shares of math, code and tool calls in each curriculum stage
#                  (default 0.12,0.07,0.34, r24's; r23 had 0.05,0.07,0.34, r22 0.03,0.08,0.35,
#                  r21 0.06,0.10,0.30 and r16 0.10,0.12,0.24). Beside them the copy tasks and
#                  retrieval files hold 0.54 of each stage; v4train normalises a stage's shares,
#                  so a sum above 0.46 takes from every other file in proportion (0.53: 6.5 %)
#   TRAIN_WARMUP_MATH  recipe 5: the share of math.jsonl in the copy warm-up stage (default
#                  0.3; 0 = copy tasks only, r22 and before). Recipe 5's math data is the
#                  GPT-3-style one-step tasks (arith_2da … arith_2dm, column working) and the
#                  word problems; the three-step chain (arith) is left out, its 12-digit
#                  products are beyond the model (scripts/train/README.md "Arithmetic")
#   TRAIN_TOOL_IRREL  recipe 5: the share of the tool-call tokens that goes to tool_irrelevance
#                  (its own file, toolcall_irrel.jsonl; default 0.08 — at its natural weight,
#                  one file for all five categories, it took 17 % of them for a category the
#                  model answered right 98-100 % of the time); 'natural' = one file (the
#                  other recipes, and r21 before it)
#   TRAIN_COPY_SUP / TRAIN_PREV_SUP  weights of the copy-head and previous-token attention
#                  losses (recipe 4: 1.0 and 0.5; recipes 2 and 3: 0 = off)
#   TRAIN_COPY_MAX copy loss only at targets with at most this many visible copies (recipe 4: 3)
#   TRAIN_INDEX_SUP weight of the same loss on the CSA indexers (recipe 4: 1.0; 0 = the
#                  indexers learn from the KL toward the attention only)
#   TRAIN_EMBED_COMMON  init: shared component of every embedding row (recipe 4: 1.0; v4train.py)
#   TRAIN_COPY_OUT weight of the copy heads' read-out loss (v4train.py --copy-out; default 0,
#                  recipe 5: 1.0; needs the copy loss, i.e. recipe 4 or 5)
#   TRAIN_WARMUP_TOKENS  recipe 5: tokens of the copy-only warm-up stage (default 2400000; the rest
#                  of TRAIN_TOKENS goes to the three curriculum stages, 3:4:3)
#   TRAIN_HEAD_INIT_EMBED=1  init: the LM head starts as a scaled copy of the embedding
#                  (v4train.py --head-init-embed; default 0, recipe 5: 1)
#   TRAIN_TOKENS   total training tokens, padded (default 10800000 for recipe 5, 4000000 for
#                  recipes 3 and 4, 5000000 for recipe 2). Speed is the CPU's: recipe 5 with
#                  two processes ran 1823-2132 tokens/s on an idle 2-core AVX-512 machine
#                  (10.8 M: r24 89 min end to end; 9.6 M: 77-89 min; ~3200
#                  tokens/s in the copy warm-up, ~1300 in the 2K stage); other machines of
#                  the same kind ran 1.5-2x slower (the shipped r25: 133 min, 2240 tokens/s in
#                  the warm-up); an AVX2-only machine measured 2.5x slower
#   TRAIN_BATCH    tokens per optimiser step, padded (default 2048 for recipes 3 and 4; 4096
#                  for recipe 2)
#   TRAIN_LR       peak learning rate of Muon and AdamW (default 3e-3)
#   TRAIN_KV_INIT  initial kv_norm weight = the attention's logit range (default 1.0; recipe 3:
#                  2.5; see v4train.py)
#   TRAIN_WINDOW   sliding window of the attention (recipe 5: 2048 = the last stage's length,
#                  r19 before it had 512; the others: 256 =
#                  DEFAULT_CONFIG; TRAIN_CONFIG's own sliding_window when it has one — given both,
#                  they must agree); goes to v4train.py as a --config override and into the
#                  exported config.json
#   TRAIN_PROMPT_WEIGHT  weight of the LM loss on the long-context prompts (default 0 = off)
#   TRAIN_THREADS  torch threads (default: 2 when the 1-minute load average is below 1, else 1 —
#                  on a busy machine two OpenMP threads measured 6x SLOWER than one)
#   TRAIN_PROCS    data-parallel training processes (recipe 5: 2, the shipped model's; the
#                  others and TRAIN_SMOKE: 1; 2 on 2 cores trains ~1.5x the tokens per
#                  second of one process: v4train.py --procs, one
#                  thread each; each process takes TRAIN_BATCH / TRAIN_PROCS tokens per step,
#                  so a step holds TRAIN_BATCH tokens as with one process, except samples
#                  longer than a process's share, which go one per process; TRAIN_THREADS
#                  then defaults to 1)
#   TRAIN_SEED     seed of initialisation and data order (default 1234)
#   TRAIN_OUT      work directory (default build/train)
#   MODEL_DIR      export directory (default models/tiny-v4; the FP8 copy goes to MODEL_DIR-fp8)
#   TRAIN_SMOKE=1  a few-minute end-to-end check: small data, 1 thread, TRAIN_TOKENS 40000,
#                  output under build/train-smoke (never touches models/)
set -euo pipefail
cd "$(dirname "$0")/../.."
RECIPE=${TRAIN_RECIPE:-5}
case "$RECIPE" in 2|3|4|5) ;; *) echo "run.sh: TRAIN_RECIPE: expected 2, 3, 4 or 5, found '$RECIPE'" >&2; exit 2;; esac
# recipe 4 = recipe 3's data and schedule + attention supervision; recipe 5 = a copy-only
# warm-up stage before recipe 4's curriculum
case "$RECIPE" in 4|5) DATA=3; SUP=1;; *) DATA=$RECIPE; SUP=0;; esac

# Debian's OpenBLAS misdetects recent CPUs and falls back to a slow generic kernel: name the core
# (SkylakeX ~40% faster torch here). Only when the CPU has the instructions; a user value wins.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
  elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi
PY=/usr/bin/python3
TOK=models/tokenizer/tokenizer.json
V4=bin/v4eval

if [ "${TRAIN_SMOKE:-0}" = 1 ]; then
  OUT=${TRAIN_OUT:-build/train-smoke}
  MODEL_DIR=${MODEL_DIR:-$OUT/tiny-v4}
  TOKENS=${TRAIN_TOKENS:-40000}
  THREADS=${TRAIN_THREADS:-1}
  PROCS=${TRAIN_PROCS:-1}
  N_MATH=20; N_CODE=10; N_TOOL=10; N_LCS=4; N_LC1=4; N_LC2=3; N_LC3=2; N_COPY=100
  VERIFY_LEN=1024
  GREEDY_N=6; GREEDY_T=4
else
  OUT=${TRAIN_OUT:-build/train}
  MODEL_DIR=${MODEL_DIR:-models/tiny-v4}
  case "$RECIPE" in 3|4) TOKENS=${TRAIN_TOKENS:-4000000};; 5) TOKENS=${TRAIN_TOKENS:-10800000};;
    *) TOKENS=${TRAIN_TOKENS:-5000000};; esac
  if [ "$RECIPE" = 5 ]; then PROCS=${TRAIN_PROCS:-2}; else PROCS=${TRAIN_PROCS:-1}; fi
  if [ -z "${TRAIN_THREADS:-}" ] && [ "$PROCS" != 1 ]; then
    THREADS=1
  elif [ -z "${TRAIN_THREADS:-}" ]; then
    load=$(cut -d' ' -f1 /proc/loadavg)
    if awk "BEGIN{exit !($load < 1.0)}"; then THREADS=2; else THREADS=1; fi
    echo "run.sh: load average $load -> $THREADS torch thread(s) (set TRAIN_THREADS to override)"
  else
    THREADS=$TRAIN_THREADS
  fi
  N_MATH=3000; N_CODE=1500; N_TOOL=600; N_LCS=300; N_LC1=200; N_LC2=200; N_LC3=100; N_COPY=6000
  if [ "$DATA" = 3 ]; then N_TOOL=1500; fi
  VERIFY_LEN=2048
  GREEDY_N=50; GREEDY_T=12
fi
SEED=${TRAIN_SEED:-1234}
if [ "$DATA" = 3 ]; then
  BATCH=${TRAIN_BATCH:-2048}; KV_INIT=${TRAIN_KV_INIT:-2.5}
else
  BATCH=${TRAIN_BATCH:-4096}; KV_INIT=${TRAIN_KV_INIT:-1.0}
fi
if [ "$SUP" = 1 ]; then
  COPY_SUP=${TRAIN_COPY_SUP:-1.0}; PREV_SUP=${TRAIN_PREV_SUP:-0.5}
  EMBED_COMMON=${TRAIN_EMBED_COMMON:-1.0}; COPY_MAX=${TRAIN_COPY_MAX:-3}
  INDEX_SUP=${TRAIN_INDEX_SUP:-1.0}
  if [ "$RECIPE" = 5 ]; then COPY_OUT=${TRAIN_COPY_OUT:-1.0}; else COPY_OUT=${TRAIN_COPY_OUT:-0}; fi
else
  COPY_SUP=${TRAIN_COPY_SUP:-0}; PREV_SUP=${TRAIN_PREV_SUP:-0}
  EMBED_COMMON=${TRAIN_EMBED_COMMON:-0}; COPY_MAX=${TRAIN_COPY_MAX:-0}
  INDEX_SUP=${TRAIN_INDEX_SUP:-0}
  COPY_OUT=${TRAIN_COPY_OUT:-0}
fi
LR=${TRAIN_LR:-3e-3}
if [ "$RECIPE" = 5 ]; then WINDOW=${TRAIN_WINDOW:-2048}; else WINDOW=${TRAIN_WINDOW:-256}; fi
case "$WINDOW" in ''|0|*[!0-9]*) echo "run.sh: TRAIN_WINDOW: expected a positive integer, found '$WINDOW'" >&2; exit 2;; esac
# architecture overrides: TRAIN_CONFIG (a JSON object of config.json keys) + TRAIN_WINDOW
if [ "$RECIPE" = 5 ]; then
  # DeepSeek-V4-Flash's first five layers: two window-only layers before the compressed ones,
  # so a window-only layer (exact positions, no 4:1 entries to copy from) holds a copy head
  ARCH=${TRAIN_CONFIG-'{"num_hidden_layers": 5, "compress_ratios": [0, 0, 4, 128, 4, 0]}'}
  COPY_HEADS=${TRAIN_COPY_HEADS:-1:0,2:0,4:0}
else
  ARCH=${TRAIN_CONFIG:-}
  COPY_HEADS=${TRAIN_COPY_HEADS:-1:0,3:0}
fi
WFIRST=${TRAIN_WINDOW_FIRST:-0}
if [ "$RECIPE" = 5 ]; then CTX=${TRAIN_COPY_CONTEXT:-3}; CREP=${TRAIN_COPY_REP:-1}
else CTX=${TRAIN_COPY_CONTEXT:-0}; CREP=${TRAIN_COPY_REP:-0}; fi
case "$CTX" in ''|*[!0-9]*) echo "run.sh: TRAIN_COPY_CONTEXT: expected a depth >= 0, found '$CTX'" >&2; exit 2;; esac
case "$CREP" in 0) COPY_KINDS=copy_random,copy_kv;; 1) COPY_KINDS=copy_random,copy_kv,copy_rep;;
  *) echo "run.sh: TRAIN_COPY_REP: expected 0 or 1, found '$CREP'" >&2; exit 2;; esac
[ "$DATA" = 3 ] || [ "$CREP" = 0 ] || { echo "run.sh: TRAIN_COPY_REP: needs the copy tasks (recipe 3, 4 or 5)" >&2; exit 2; }
case "$WFIRST" in 0) WFIRST_ARGS=();; 1) WFIRST_ARGS=(--copy-window-first);;
  *) echo "run.sh: TRAIN_WINDOW_FIRST: expected 0 or 1, found '$WFIRST'" >&2; exit 2;; esac
if [ "$RECIPE" = 5 ]; then CANON=${TRAIN_COPY_CANON:-all}; else CANON=${TRAIN_COPY_CANON:-0}; fi
# 1 = all (the spelling in the shipped model's training.json)
case "$CANON" in 0) CANON_ARGS=();; all|1) CANON=all; CANON_ARGS=(--copy-canon "$TOK");;
  tool) CANON_ARGS=(--copy-canon "$TOK" --copy-canon-tasks tool);;
  *) echo "run.sh: TRAIN_COPY_CANON: expected 0, tool or all, found '$CANON'" >&2; exit 2;; esac
# the map and the context matching act on the copy loss only: without it (recipes 2 and 3,
# TRAIN_COPY_SUP=0) they are off, and asking for either is an error
if ! "$PY" -c 'import sys; sys.exit(not float(sys.argv[1]) > 0)' "$COPY_SUP" 2>/dev/null; then
  COPY_ON=0
  [ -z "${TRAIN_COPY_CANON:-}" ] || [ "$CANON" = 0 ] || { echo "run.sh: TRAIN_COPY_CANON: needs the copy loss (recipe 4 or 5, TRAIN_COPY_SUP > 0)" >&2; exit 2; }
  CANON=0; CANON_ARGS=()
  [ -z "${TRAIN_COPY_CONTEXT:-}" ] || [ "$CTX" = 0 ] || { echo "run.sh: TRAIN_COPY_CONTEXT: needs the copy loss (recipe 4 or 5, TRAIN_COPY_SUP > 0)" >&2; exit 2; }
  CTX=0
  [ -z "${TRAIN_COPY_SKIP:-}" ] || { echo "run.sh: TRAIN_COPY_SKIP: needs the copy loss (recipe 4 or 5, TRAIN_COPY_SUP > 0)" >&2; exit 2; }
  [ -z "${TRAIN_TUNE_SKIP:-}" ] || { echo "run.sh: TRAIN_TUNE_SKIP: needs the copy loss (TRAIN_COPY_SUP > 0)" >&2; exit 2; }
else
  COPY_ON=1
fi
# recipe 5 (r25 on): no copy loss on the arithmetic; TRAIN_COPY_SKIP= (empty) = none, r24's
if [ "$RECIPE" = 5 ] && [ "$COPY_ON" = 1 ]; then SKIP=${TRAIN_COPY_SKIP-arith}; else SKIP=${TRAIN_COPY_SKIP:-}; fi
case "$SKIP" in *[!a-z0-9_,]*) echo "run.sh: TRAIN_COPY_SKIP: expected comma-separated task-name prefixes (a-z, 0-9, _), found '$SKIP'" >&2; exit 2;; esac
SKIP_ARGS=(); [ -z "$SKIP" ] || SKIP_ARGS=(--copy-skip-tasks "$SKIP")
# the tunes after the curriculum (recipe 5): comma lists, one entry per tune; TRAIN_TUNE_MATH,
# TRAIN_TUNE_TOOL and TRAIN_TUNE_LR give one value for every tune or one per tune, unset = the
# shipped schedule's first values (0.8,0.25,0.5,0.25; stage,stage,0.8,stage; 1e-3,5e-4; the
# last value for the tunes beyond a list)
if [ "$RECIPE" = 5 ] && [ "${TRAIN_SMOKE:-0}" = 1 ]; then TUNE=${TRAIN_TUNE_TOKENS:-6000,3000,3000,3000}
elif [ "$RECIPE" = 5 ]; then TUNE=${TRAIN_TUNE_TOKENS:-2000000,600000,600000,600000}
else TUNE=${TRAIN_TUNE_TOKENS:-0}; fi
[ "$RECIPE" = 5 ] || [ "$TUNE" = 0 ] || { echo "run.sh: TRAIN_TUNE_TOKENS: the tune is recipe 5's (TRAIN_RECIPE=$RECIPE)" >&2; exit 2; }
# one list per setting, N_TUNES entries each; one error naming the variable on a bad entry
TUNE_PLAN=$("$PY" - "$TUNE" "${TRAIN_TUNE_MATH:-}" "${TRAIN_TUNE_LR:-}" "${TRAIN_TUNE_TOOL:-}" <<'PYEOF'
import sys
tok, math, lr, tool = sys.argv[1:5]
def fail(name, want, found):
    sys.exit(f"run.sh: {name}: expected {want}, found '{found}'")
toks = [] if tok == "0" else tok.split(",")
if not all(t.isdigit() and not t.startswith("0") for t in toks):
    fail("TRAIN_TUNE_TOKENS", "0 (no tune) or comma-separated token counts > 0, one per tune", tok)
n = len(toks)
def spread(name, val, default, ok, want):
    v = val.split(",") if val else default
    if val and len(v) not in (1, n):
        fail(name, f"one value or {n} (one per tune of TRAIN_TUNE_TOKENS={tok})", val)
    v = v * n if val and len(v) == 1 else (v + v[-1:] * n)[:n]
    for x in v:
        if not ok(x):
            fail(name, want, val or x)
    return v
def in_unit(x, closed):         # x a number in (0, 1], or (0, 1) when not closed
    try:
        f = float(x)
    except ValueError:
        return False
    return 0 < f <= 1 if closed else 0 < f < 1
maths = spread("TRAIN_TUNE_MATH", math, ["0.8", "0.25", "0.5", "0.25"],
               lambda x: in_unit(x, True), "file weights in (0, 1]")
lrs = spread("TRAIN_TUNE_LR", lr, ["1e-3", "5e-4"], lambda x: in_unit(x, False),
             "learning rates in (0, 1)")
tools = spread("TRAIN_TUNE_TOOL", tool, ["stage", "stage", "0.8", "stage"],
               lambda x: x == "stage" or in_unit(x, True),
               "file weights in (0, 1] or stage (the last stage's)")
print(" ".join(toks)); print(" ".join(maths)); print(" ".join(lrs)); print(" ".join(tools))
PYEOF
) || exit 2
{ read -ra TUNE_TOK; read -ra TUNE_MATH; read -ra TUNE_LR; read -ra TUNE_TOOL; } <<< "$TUNE_PLAN" || true  # no tune: empty lines
N_TUNES=${#TUNE_TOK[@]}
TUNE_WARMUP=20                 # steps of the tune's learning-rate warm-up
if [ "$COPY_ON" = 1 ]; then TUNE_SKIP=${TRAIN_TUNE_SKIP-arith}; else TUNE_SKIP=""; fi
case "$TUNE_SKIP" in *[!a-z0-9_,]*) echo "run.sh: TRAIN_TUNE_SKIP: expected comma-separated task-name prefixes (a-z, 0-9, _), found '$TUNE_SKIP'" >&2; exit 2;; esac
TUNE_SKIP_ARGS=(); [ -z "$TUNE_SKIP" ] || TUNE_SKIP_ARGS=(--copy-skip-tasks "$TUNE_SKIP")
INIT=${TRAIN_INIT:-}
if [ -n "$INIT" ]; then
  [ "$N_TUNES" -gt 0 ] || { echo "run.sh: TRAIN_INIT: needs a tune (TRAIN_TUNE_TOKENS > 0), found TRAIN_TUNE_TOKENS=$TUNE" >&2; exit 2; }
  for f in config.json model.safetensors; do
    [ -f "$INIT/$f" ] || { echo "run.sh: TRAIN_INIT: $INIT/$f: expected an exported model directory (config.json, model.safetensors), file missing" >&2; exit 2; }
  done
fi
SHARES=${TRAIN_TASK_SHARES:-0.12,0.07,0.34}
IFS=, read -r SH_MATH SH_CODE SH_TOOL SH_EXTRA <<< "$SHARES"
$PY -c '
import sys
try:
    v = [float(x) for x in sys.argv[1:4]]
except ValueError:
    v = None
if v is None or sys.argv[4] or min(v) < 0 or not 0.0 < sum(v) < 1.0:
    sys.exit("run.sh: TRAIN_TASK_SHARES: expected three non-negative numbers (math,code,toolcall) "
             "with a sum in (0, 1), found %r" % ",".join(a for a in sys.argv[1:] if a))
' "$SH_MATH" "$SH_CODE" "$SH_TOOL" "${SH_EXTRA:-}" || exit 2
[ "$RECIPE" = 5 ] || [ -z "${TRAIN_TASK_SHARES:-}" ] || { echo "run.sh: TRAIN_TASK_SHARES: recipe 5 only" >&2; exit 2; }
if [ "$RECIPE" = 5 ]; then WMATH=${TRAIN_WARMUP_MATH:-0.3}; else WMATH=${TRAIN_WARMUP_MATH:-0}; fi
[ "$RECIPE" = 5 ] || [ "$WMATH" = 0 ] || { echo "run.sh: TRAIN_WARMUP_MATH: recipe 5 only" >&2; exit 2; }
$PY -c '
import sys
try:
    f = float(sys.argv[1])
except ValueError:
    f = -1.0
if not 0.0 <= f < 1.0:
    sys.exit("run.sh: TRAIN_WARMUP_MATH: expected a share in [0, 1), found %r" % sys.argv[1])
' "$WMATH" || exit 2
if [ "$RECIPE" = 5 ]; then IRREL=${TRAIN_TOOL_IRREL:-0.08}; else IRREL=${TRAIN_TOOL_IRREL:-natural}; fi
[ "$RECIPE" = 5 ] || [ "$IRREL" = natural ] || { echo "run.sh: TRAIN_TOOL_IRREL: recipe 5 only" >&2; exit 2; }
if [ "$IRREL" != natural ]; then
  # the two files' shares of the stage: toolcall.jsonl (simple, multiple, parallel,
  # parallel_multiple) and toolcall_irrel.jsonl, splitting SH_TOOL
  read -r SH_TOOL4 SH_IRREL < <($PY -c '
import sys
try:
    f = float(sys.argv[1])
except ValueError:
    f = -1.0
if not 0.0 < f < 1.0:
    sys.exit("run.sh: TRAIN_TOOL_IRREL: expected natural or a share in (0, 1), found %r" % sys.argv[1])
t = float(sys.argv[2])
if t <= 0.0:
    sys.exit("run.sh: TRAIN_TOOL_IRREL: needs a tool-call share above 0 in TRAIN_TASK_SHARES")
print("%.6g %.6g" % (t * (1.0 - f), t * f))
' "$IRREL" "$SH_TOOL") && [ -n "${SH_IRREL:-}" ] || exit 2
fi
# the TRAIN_CONFIG check below imports v4train.py, which needs numpy: install first
if ! "$PY" -c "import torch, numpy" 2>/dev/null; then
  echo "run.sh: installing Debian's python3-torch and python3-numpy (scripts/install-deps --reference)"
  scripts/install-deps --reference
fi
"$PY" -c "import torch, numpy" || { echo "run.sh: $PY cannot import torch/numpy" >&2; exit 2; }
CFG_ARGS=()
if [ "$WINDOW" != 256 ] || [ -n "$ARCH" ]; then
  mkdir -p "$OUT"
  # prints the window the override sets (TRAIN_CONFIG's own sliding_window unless TRAIN_WINDOW
  # is given; the two must agree when both are)
  WINDOW=$(/usr/bin/python3 - "$OUT/config_override.json" "$WINDOW" "${TRAIN_WINDOW:+1}" "$ARCH" <<'PYEOF'
import json, sys
out, window, explicit, arch = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
try:
    o = json.loads(arch) if arch else {}
except ValueError as e:
    sys.exit(f"run.sh: TRAIN_CONFIG: expected a JSON object of config.json keys, found {arch!r} ({e})")
sys.path.insert(0, "scripts/train")
from v4train import config_overrides_error
err = config_overrides_error(o)
if err:
    sys.exit(f"run.sh: TRAIN_CONFIG: {err}")
sw = o.get("sliding_window")
if sw is not None and explicit and sw != window:
    sys.exit(f"run.sh: TRAIN_WINDOW={window} and TRAIN_CONFIG's sliding_window {sw} disagree")
if sw is None or explicit:
    o["sliding_window"] = window
json.dump(o, open(out, "w"))
print(o["sliding_window"])
PYEOF
  ) || exit 2
  CFG_ARGS=(--config "$OUT/config_override.json")
fi
PROMPT_W=${TRAIN_PROMPT_WEIGHT:-0}
case "$PROCS" in ''|0|*[!0-9]*) echo "run.sh: TRAIN_PROCS: expected a positive integer, found '$PROCS'" >&2; exit 2;; esac
case "$BATCH" in ''|0|*[!0-9]*) echo "run.sh: TRAIN_BATCH: expected a positive integer, found '$BATCH'" >&2; exit 2;; esac
PBATCH=$((BATCH / PROCS))      # tokens per process and step
[ "$PBATCH" -ge 64 ] || { echo "run.sh: TRAIN_BATCH / TRAIN_PROCS: expected at least 64 tokens per process, found $PBATCH" >&2; exit 2; }
if [ "$RECIPE" = 5 ]; then HEAD_INIT=${TRAIN_HEAD_INIT_EMBED:-1}; else HEAD_INIT=${TRAIN_HEAD_INIT_EMBED:-0}; fi
case "$HEAD_INIT" in 0) HEAD_INIT_ARGS=();; 1) HEAD_INIT_ARGS=(--head-init-embed);;
  *) echo "run.sh: TRAIN_HEAD_INIT_EMBED: expected 0 or 1, found '$HEAD_INIT'" >&2; exit 2;; esac
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS OMP_WAIT_POLICY=PASSIVE
D=$OUT/data
mkdir -p "$D"
[ -x "$V4" ] || { echo "run.sh: $V4 missing (make bin/v4eval)" >&2; exit 2; }

NIAH="--task niah_single_1 --task niah_single_2 --task niah_single_3 --task niah_multikey_1
      --task niah_multikey_2 --task niah_multikey_3 --task niah_multivalue --task niah_multiquery"
NIAH1="--task niah_single_1 --task niah_single_2 --task niah_single_3"
RULER_OTHER="--task vt --task cwe --task fwe"

t0=$(date +%s)
echo "== 0/4 selftest of the trainable model (v4ref, streaming compressor, gradients, determinism)"
$PY scripts/train/selftest.py
echo "== 1/4 training data (train seed space) -> $D"
if [ "$RECIPE" = 5 ]; then
  # the one-step tasks (GPT-3's 2D+ 2D- 3D+ 3D- 2Dx, column working) and the word problems
  MATH_TASKS=(--task arith_2da --task arith_2ds --task arith_3da --task arith_3ds --task arith_2dm
              --task wordprob)
else
  MATH_TASKS=()
fi
# recipe 5 (r24 on): 5000 per math task, its 12 % of every stage then repeats each sample
# about once instead of three times
[ "$RECIPE" = 5 ] && [ "${TRAIN_SMOKE:-0}" != 1 ] && N_MATH=5000
$V4 gen-train --suite math "${MATH_TASKS[@]}" --n $N_MATH --tokenizer $TOK --out $D/math.jsonl
$V4 gen-train --suite code --n $N_CODE --tokenizer $TOK --out $D/code.jsonl
if [ "$IRREL" = natural ]; then
  $V4 gen-train --suite toolcall --n $N_TOOL --tokenizer $TOK --out $D/toolcall.jsonl
else
  $V4 gen-train --suite toolcall --task tool_simple --task tool_multiple --task tool_parallel \
    --task tool_parallel_multiple --n $N_TOOL --tokenizer $TOK --out $D/toolcall.jsonl
  $V4 gen-train --suite toolcall --task tool_irrelevance --n $N_TOOL --tokenizer $TOK \
    --out $D/toolcall_irrel.jsonl
fi
# short haystacks: the single-needle tasks from 384 tokens, every niah task at 512 (the smallest
# length whose prompt fits them all)
# shellcheck disable=SC2086
{ $V4 gen-train --suite longctx $NIAH1 --n $N_LCS --lengths 384 --tokenizer $TOK --out - &&
  $V4 gen-train --suite longctx $NIAH --n $N_LCS --lengths 512 --tokenizer $TOK --out -; } > $D/lc_512.jsonl
# shellcheck disable=SC2086
$V4 gen-train --suite longctx $NIAH --n $N_LC1 --lengths 768 --tokenizer $TOK --out $D/lc_768.jsonl
# shellcheck disable=SC2086
$V4 gen-train --suite longctx $NIAH $RULER_OTHER --n $N_LC2 --lengths 1024 --tokenizer $TOK --out $D/lc_1024.jsonl
# shellcheck disable=SC2086
$V4 gen-train --suite longctx $NIAH $RULER_OTHER --n $N_LC3 --lengths 2048 --tokenizer $TOK --out $D/lc_2048.jsonl
if [ "$DATA" = 3 ]; then
  # synthetic copy tasks (random-token spans, key-value lists and, with TRAIN_COPY_REP,
  # spans that repeat the tokens of a small pool): a copy target on every
  # completion token, for the copy circuit the suites' answers need (copy_data.py says why)
  $PY scripts/train/copy_data.py --tokenizer $TOK --n $N_COPY --min-len 8 --max-len 240 \
    --kinds $COPY_KINDS --seed $((SEED + 1)) --out $D/copy.jsonl
  $PY scripts/train/copy_data.py --tokenizer $TOK --n $((N_COPY / 4)) --kinds copy_kv \
    --min-len 300 --max-len 1000 --seed $((SEED + 2)) --out $D/copy_long.jsonl
fi
t1=$(date +%s)

# Curriculum: three stages by maximum sample length; FILE@SHARE = the share of the stage's
# tokens that FILE gets (its samples repeated or subsampled to fit). Long-context samples carry
# a few loss tokens on hundreds of prompt tokens, so retrieval starts on short haystacks
# (384-768 tokens: the needle is inside the 256-token window or just beyond it) and moves out.
if [ "$DATA" = 3 ]; then
  # the copy tasks start at 15 % and fall to 11 %, the long key-value lists (beyond the
  # window: CSA's compressed entries and the indexer) from stage 1 on
  if [ "$RECIPE" = 5 ]; then
    # after the warm-up the copy tasks keep 15-10 % of every stage (recipe 4: 15 % falling
    # to 5 %), taken from the tool calls and the long haystacks
    TOOLS="$D/toolcall.jsonl@$SH_TOOL"
    [ "$IRREL" = natural ] || TOOLS="$D/toolcall.jsonl@$SH_TOOL4,$D/toolcall_irrel.jsonl@$SH_IRREL"
    SH="$D/math.jsonl@$SH_MATH,$D/code.jsonl@$SH_CODE,$TOOLS"
    ST0="1200:$SH,$D/copy.jsonl@0.15,$D/lc_512.jsonl@0.27,$D/lc_768.jsonl@0.12"
    ST1="1200:$SH,$D/copy.jsonl@0.12,$D/copy_long.jsonl@0.06,$D/lc_512.jsonl@0.1,$D/lc_768.jsonl@0.08,$D/lc_1024.jsonl@0.18"
    ST2="2100:$SH,$D/copy.jsonl@0.10,$D/copy_long.jsonl@0.06,$D/lc_512.jsonl@0.06,$D/lc_768.jsonl@0.06,$D/lc_1024.jsonl@0.10,$D/lc_2048.jsonl@0.16"
  else
    SH="$D/math.jsonl@0.10,$D/code.jsonl@0.12,$D/toolcall.jsonl@0.26"
    ST0="1200:$SH,$D/copy.jsonl@0.15,$D/lc_512.jsonl@0.25,$D/lc_768.jsonl@0.12"
    ST1="1200:$SH,$D/copy.jsonl@0.08,$D/copy_long.jsonl@0.06,$D/lc_512.jsonl@0.1,$D/lc_768.jsonl@0.1,$D/lc_1024.jsonl@0.18"
    ST2="2100:$SH,$D/copy.jsonl@0.05,$D/copy_long.jsonl@0.06,$D/lc_512.jsonl@0.05,$D/lc_768.jsonl@0.06,$D/lc_1024.jsonl@0.12,$D/lc_2048.jsonl@0.18"
  fi
else
  SH="$D/math.jsonl@0.12,$D/code.jsonl@0.12,$D/toolcall.jsonl@0.34"
  ST0="1200:$SH,$D/lc_512.jsonl@0.27,$D/lc_768.jsonl@0.15"
  ST1="1200:$SH,$D/lc_512.jsonl@0.1,$D/lc_768.jsonl@0.12,$D/lc_1024.jsonl@0.2"
  ST2="2100:$SH,$D/lc_512.jsonl@0.05,$D/lc_768.jsonl@0.07,$D/lc_1024.jsonl@0.13,$D/lc_2048.jsonl@0.17"
fi
STAGES="$ST0;$ST1;$ST2"
FRAC=3,4,3
WARM=0
if [ "$RECIPE" = 5 ]; then
  # copy-only warm-up (3/10 of the tokens: 2.4 M of the default 8 M, ~1250 steps): the copy
  # circuit forms after 200-400 steps of copy targets and is exact by ~800 (README "Fifth
  # recipe"); the mixed stages, with copy tasks at 5-15 % of their tokens, never form it
  if [ "${TRAIN_SMOKE:-0}" = 1 ]; then WARM=${TRAIN_WARMUP_TOKENS:-$((TOKENS * 3 / 10))}
  else WARM=${TRAIN_WARMUP_TOKENS:-2400000}; fi
  case "$WARM" in ''|0|*[!0-9]*) echo "run.sh: TRAIN_WARMUP_TOKENS: expected a positive integer, found '$WARM'" >&2; exit 2;; esac
  [ "$WARM" -lt "$TOKENS" ] || { echo "run.sh: TRAIN_WARMUP_TOKENS ($WARM) must be below TRAIN_TOKENS ($TOKENS)" >&2; exit 2; }
  # with TRAIN_WARMUP_MATH the warm-up also carries the math data: its column working is
  # digit copying plus one-digit facts, learnt from the first steps on
  if $PY -c 'import sys; sys.exit(not float(sys.argv[1]) > 0)' "$WMATH"; then
    WCOPY=$($PY -c 'import sys; print("%.6g" % (1.0 - float(sys.argv[1])))' "$WMATH")
    STAGES="512:$D/copy.jsonl@$WCOPY,$D/math.jsonl@$WMATH;$STAGES"
  else
    STAGES="512:$D/copy.jsonl;$STAGES"
  fi
  REST=$((TOKENS - WARM))
  FRAC="$WARM,$((REST * 3 / 10)),$((REST * 4 / 10)),$((REST - REST * 3 / 10 - REST * 4 / 10))"
fi
# what the curriculum and the tune share: losses, supervision, architecture, seed, processes
SUP_ARGS=(--mtp-weight 0.3 --prompt-weight "$PROMPT_W" --kv-norm-init "$KV_INIT"
  --copy-sup "$COPY_SUP" --copy-heads "$COPY_HEADS" --copy-max-copies "$COPY_MAX" --index-sup "$INDEX_SUP"
  --copy-context "$CTX" --copy-out "$COPY_OUT" "${WFIRST_ARGS[@]}" "${CANON_ARGS[@]}"
  --prev-sup "$PREV_SUP" --prev-heads 0:0 "${CFG_ARGS[@]}" --seed "$SEED" --threads "$THREADS" --procs "$PROCS")
CKPT=$OUT/model.pt
if [ -n "$INIT" ]; then
  echo "== 2/4 training: none, the tune starts from $INIT (TRAIN_INIT)"
else
echo "== 2/4 training ($TOKENS tokens, $THREADS threads x $PROCS processes, seed $SEED)"
$PY scripts/train/v4train.py --stages "$STAGES" \
  --stage-frac "$FRAC" --tokens "$TOKENS" --batch-tokens "$PBATCH" --lr "$LR" --warmup 50 \
  --dense-warmup-frac 0.1 "${SUP_ARGS[@]}" "${SKIP_ARGS[@]}" "${HEAD_INIT_ARGS[@]}" \
  --embed-common "$EMBED_COMMON" --out "$OUT"
fi
t2=$(date +%s)
# the tunes: the last stage's files, math.jsonl's weight set to the tune's, no copy loss on
# TRAIN_TUNE_SKIP, a fresh learning-rate schedule from the curriculum's (or TRAIN_INIT's) model,
# then from the tune before
TUNE_STAGES=(); TUNE_SECS=()
PREV=${INIT:-$OUT/model.pt}
LAST=${STAGES##*;}
for ((i = 0; i < N_TUNES; i++)); do
  st=$(printf '%s' "$LAST" | sed "s#/math\.jsonl@[0-9.]*#/math.jsonl@${TUNE_MATH[$i]}#")
  case "$st" in *"/math.jsonl@${TUNE_MATH[$i]}"*) ;;
    *) echo "run.sh: TRAIN_TUNE_TOKENS: the last stage has no weighted math.jsonl: $LAST" >&2; exit 2;; esac
  if [ "${TUNE_TOOL[$i]}" != stage ]; then
    st=$(printf '%s' "$st" | sed "s#/toolcall\.jsonl@[0-9.]*#/toolcall.jsonl@${TUNE_TOOL[$i]}#")
    case "$st" in *"/toolcall.jsonl@${TUNE_TOOL[$i]}"*) ;;
      *) echo "run.sh: TRAIN_TUNE_TOOL: the last stage has no weighted toolcall.jsonl: $LAST" >&2; exit 2;; esac
  fi
  TUNE_STAGES+=("$st")
  tout=$OUT/tune; [ "$N_TUNES" = 1 ] || tout=$OUT/tune$((i + 1))
  echo "== 2b/4 tune $((i + 1))/$N_TUNES (${TUNE_TOK[$i]} tokens, math weight ${TUNE_MATH[$i]}, tool-call weight ${TUNE_TOOL[$i]}, lr ${TUNE_LR[$i]}, no copy loss on '${TUNE_SKIP}') from $PREV"
  ts=$(date +%s)
  $PY scripts/train/v4train.py --stages "$st" --stage-frac 1 --tokens "${TUNE_TOK[$i]}" \
    --batch-tokens "$PBATCH" --lr "${TUNE_LR[$i]}" --warmup "$TUNE_WARMUP" --dense-warmup-frac 0 \
    "${SUP_ARGS[@]}" "${TUNE_SKIP_ARGS[@]}" --init "$PREV" --out "$tout"
  TUNE_SECS+=($(( $(date +%s) - ts )))
  PREV=$tout/model.pt
  CKPT=$PREV
  # one loss history: the curriculum's (TRAIN_INIT's own loss.csv), then each tune's rows
  base=""; [ "$i" != 0 ] || base=${INIT:+$INIT/loss.csv}
  $PY - "$base" "$OUT/loss.csv" "$tout/loss.csv" <<'PYEOF'
import csv, os, sys
init_csv, out_csv, tune_csv = sys.argv[1:4]
base = init_csv or out_csv
rows = list(csv.DictReader(open(base))) if os.path.exists(base) else []
tune = list(csv.DictReader(open(tune_csv)))
last = rows[-1] if rows else {"step": 0, "stage": -1, "tokens": 0, "seconds": 0}
for r in tune:
    r["step"] = int(r["step"]) + int(last["step"])
    r["stage"] = int(r["stage"]) + int(last["stage"]) + 1
    r["tokens"] = int(r["tokens"]) + int(last["tokens"])
    r["seconds"] = "%.1f" % (float(r["seconds"]) + float(last["seconds"]))
with open(out_csv, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(tune[0].keys()))
    w.writeheader()
    w.writerows(rows + tune)
PYEOF
done
t2b=$(date +%s)

echo "== 3/4 export + engine verification -> $MODEL_DIR, $MODEL_DIR-fp8"
$PY scripts/train/export.py --ckpt "$CKPT" --tokenizer $TOK --out "$MODEL_DIR" \
  --fp8-out "$MODEL_DIR-fp8" --verify --verify-data $D/lc_2048.jsonl --verify-len $VERIFY_LEN \
  --engine $V4 --threads "$THREADS" --exactness --greedy-n $GREEDY_N --greedy-tokens $GREEDY_T \
  --greedy-data $D/math.jsonl,$D/code.jsonl,$D/toolcall.jsonl,$D/lc_512.jsonl,$D/lc_1024.jsonl

echo "== 4/4 loss plot"
$PY scripts/train/plot_loss.py "$OUT/loss.csv" "$OUT/loss.png"
cp "$OUT/loss.csv" "$OUT/loss.png" "$MODEL_DIR/"
t3=$(date +%s)
ARCH_JSON=${ARCH:-"{}"}
cat > "$MODEL_DIR/training.json" <<EOF
{"recipe": $RECIPE, "tokens_budget": $TOKENS, "batch_tokens": $BATCH, "lr": $LR, "threads": $THREADS, "procs": $PROCS, "seed": $SEED, "smoke": ${TRAIN_SMOKE:-0},
 "kv_norm_init": $KV_INIT, "sliding_window": $WINDOW, "copy_sup": $COPY_SUP, "copy_heads": "$COPY_HEADS", "copy_window_first": $WFIRST, "copy_canon": "$CANON", "copy_context": $CTX, "copy_skip": "$SKIP", "copy_rep": $CREP, "task_shares": "$SHARES", "tool_irrel": "$IRREL", "warmup_math": $WMATH, "prev_sup": $PREV_SUP, "prev_heads": "0:0",
 "config_overrides": $ARCH_JSON,
 "copy_max_copies": $COPY_MAX, "index_sup": $INDEX_SUP, "embed_common": $EMBED_COMMON, "copy_out": $COPY_OUT, "head_init_embed": $HEAD_INIT, "warmup_tokens": $WARM,
 "prompt_weight": $PROMPT_W, "stage_frac": "$FRAC", "stages": "$STAGES",
 "seconds": {"data": $((t1 - t0)), "train": $((t2 - t1)), "tune": $((t2b - t2)), "export_plot": $((t3 - t2b))}}
EOF
# the tunes' records ("tune" the last, "earlier_tunes" those before it, in order); with
# TRAIN_INIT the curriculum's record is the init directory's own training.json (this run
# trained no curriculum, its tunes are appended to the init model's), and this run's seconds
# replace only the tune's
TUNE_JSON=$($PY -c '
import json, re, sys
n = int(sys.argv[1]); a = sys.argv[2:]
def tool_weight(stage):        # the weight of toolcall.jsonl in the stage (TRAIN_TUNE_TOOL)
    m = re.search(r"/toolcall\.jsonl@([0-9.]+)", stage)
    return float(m.group(1)) if m else None
print(json.dumps([{"tokens": int(a[i]), "math_weight": float(a[n + i]), "lr": float(a[2 * n + i]),
                   "tool_weight": tool_weight(a[3 * n + i]),
                   "stage": a[3 * n + i], "seconds": int(a[4 * n + i])} for i in range(n)]))
' "$N_TUNES" "${TUNE_TOK[@]}" "${TUNE_MATH[@]}" "${TUNE_LR[@]}" "${TUNE_STAGES[@]}" "${TUNE_SECS[@]}")
$PY - "$MODEL_DIR/training.json" "$TUNE_JSON" "$TUNE_SKIP" "$INIT" "$TUNE_WARMUP" <<'PYEOF'
import json, os, sys
path, tunes, skip, init, warmup = sys.argv[1:6]
tunes = json.loads(tunes)
t = json.load(open(path))
if init:
    ij = os.path.join(init, "training.json")
    base = json.load(open(ij)) if os.path.exists(ij) else {"recipe": t["recipe"], "curriculum": "unknown (no training.json in the init directory)"}
    sec = base.setdefault("seconds", {})
    # the model's tune time: its earlier tunes' (an init model that was itself tuned) and this run's
    sec["tune"] = (sec.get("tune", 0) if "tune" in base else 0) + t["seconds"]["tune"]
    sec["export_plot"] = t["seconds"]["export_plot"]
    base["init"] = init
    if "tune" in base:          # the init model was itself tuned: its tune stays on record
        base.setdefault("earlier_tunes", []).append(base.pop("tune"))
    t = base
for i, r in enumerate(tunes):
    if "tune" in t:
        t.setdefault("earlier_tunes", []).append(t.pop("tune"))
    t["tune"] = {"tokens": r["tokens"], "math_weight": r["math_weight"],
                 "tool_weight": r["tool_weight"], "lr": r["lr"],
                 "warmup_steps": int(warmup), "copy_skip": skip, "stage": r["stage"],
                 "from": (init or "the curriculum's model.pt") if i == 0
                         else "tune %d of this run" % i,
                 "seconds": r["seconds"]}
json.dump(t, open(path, "w"), indent=1)
open(path, "a").write("\n")
PYEOF
echo "run.sh: done in $((t3 - t0)) s (data $((t1 - t0)) s, training $((t2 - t1)) s, tune $((t2b - t2)) s); model in $MODEL_DIR"
