#!/usr/bin/python3
"""train_bpe.py - trains a small byte-level BPE tokenizer and writes it as a Hugging Face
tokenizer.json in the form of DeepSeek-V3/V4's (spec §14.1).

Usage: /usr/bin/python3 scripts/reference/train_bpe.py --out models/tokenizer/tokenizer.json
       [--vocab 4096] [--seed 1] [--corpus-chars 1500000] [--corpus FILE ...]
       [--digit-group 2]

Output layout (ids):
  0 <｜begin▁of▁sentence｜> (BOS), 1 <｜end▁of▁sentence｜> (EOS), 2 <｜▁pad▁｜>,
  3 .. 258   the 256 byte tokens (GPT-2 byte<->unicode alphabet, 'Ġ' = space),
  259 ..     merged tokens in merge order,
  last ids   DeepSeek's other special tokens (<｜User｜>, <｜Assistant｜>, <think>, </think>,
             ｜DSML｜, <｜System｜>, <｜latest_reminder｜>, …) in DeepSeek's id order.
Total = --vocab (4096). The pre-tokenizer is DeepSeek's: Sequence of three Split (Isolated)
steps with the regexes of spec §14.1, then ByteLevel (add_prefix_space false, use_regex false);
decoder ByteLevel; model BPE, byte_fallback false, merges as "LEFT RIGHT" strings.

Training: the corpus (generated here, deterministic: English-like sentences from a word list,
numbers and arithmetic, Python snippets, JSON, DSML tool calls in the V4 chat format, German,
French, Spanish, Russian, Chinese and Japanese text; or --corpus files) is cut at special tokens,
pre-tokenized, mapped to bytes; merges are learned greedily by pair frequency (ties: the pair
whose token strings sort first), counted incrementally.

Pre-tokenization without the `regex` module: Python's `re` has no \\p{..} classes and Debian's
python3-regex is not installed here, so the three patterns are matched by a small hand-written
matcher (PreTokenizer below) that follows the regex semantics (leftmost match, alternatives in
order, greedy with the needed backtracking) and uses unicodedata categories for \\p{L} \\p{M}
\\p{N} \\p{P} \\p{S}, str.isspace for \\s. It only decides what the merges are learned from; the
engine tokenizes with PCRE2 and the real patterns written to tokenizer.json.
"""

import argparse
import heapq
import json
import os
import random
import sys
import unicodedata
from collections import Counter, defaultdict

# ------------------------------------------------------------------------------------------------
# DeepSeek's pre-tokenizer patterns (spec §14.1), written verbatim into tokenizer.json

DIGIT_GROUP = 2  # longest run of digits in one pre-token (--digit-group; DeepSeek's is 3, \p{N}{1,3})
PAT_CJK = r"[一-龥぀-ゟ゠-ヿ]+"
PAT_MAIN = (r"""[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?"""
            r"""[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")

BOS, EOS, PAD = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>"
# DeepSeek's remaining special tokens, in their id order (spec §14.1 table)
TAIL_SPECIALS = [
    "<｜System｜>", "<｜fim▁hole｜>", "<｜fim▁begin｜>", "<｜fim▁end｜>", "<｜User｜>",
    "<｜Assistant｜>", "<|EOT|>", "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>",
    "<｜tool▁call▁begin｜>", "<｜tool▁call▁end｜>", "<｜tool▁outputs▁begin｜>",
    "<｜tool▁outputs▁end｜>", "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>", "<｜tool▁sep｜>",
    "<think>", "</think>", "｜DSML｜", "<｜begin▁sys｜>", "<｜end▁sys｜>", "<｜latest_reminder｜>",
    "<｜action｜>", "<｜query｜>", "<｜authority｜>", "<｜domain｜>", "<｜task｜>", "<｜political｜>",
    "<｜entity｜>", "<｜title｜>", "<｜read_url｜>", "<｜image｜>",
]
ALL_SPECIALS = [BOS, EOS, PAD] + TAIL_SPECIALS


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode character table."""
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
          + list(range(ord("®"), ord("ÿ") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE2U = bytes_to_unicode()
U2BYTE = {v: k for k, v in BYTE2U.items()}


# ------------------------------------------------------------------------------------------------
# pre-tokenizer (regex semantics emulated with unicodedata)

def _cat(ch):
    return unicodedata.category(ch)[0]


def _is_l(ch):
    return _cat(ch) == "L"


def _is_lm(ch):
    return _cat(ch) in "LM"


def _is_ps(ch):
    return _cat(ch) in "PS"


def _is_nl(ch):
    return ch in "\r\n"


ASCII_PUNCT = set("""!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~""")


def _is_ascii_letter(ch):
    return ("A" <= ch <= "Z") or ("a" <= ch <= "z")


def _run(s, i, pred):
    j = i
    while j < len(s) and pred(s[j]):
        j += 1
    return j


def _match_main(s, i):
    """End of the match of PAT_MAIN at position i, or -1 (alternatives tried in order)."""
    n = len(s)
    c = s[i]
    # 1: [ascii punct][A-Za-z]+
    if c in ASCII_PUNCT and i + 1 < n and _is_ascii_letter(s[i + 1]):
        return _run(s, i + 1, _is_ascii_letter)
    # 2: [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+  (greedy optional first, then without it)
    if not _is_nl(c) and not _is_l(c) and not _is_ps(c) and i + 1 < n and _is_lm(s[i + 1]):
        return _run(s, i + 1, _is_lm)
    if _is_lm(c):
        return _run(s, i, _is_lm)
    # 3: ' '?[\p{P}\p{S}]+[\r\n]*
    j = i + 1 if c == " " else i
    if j < n and _is_ps(s[j]):
        k = _run(s, j, _is_ps)
        return _run(s, k, _is_nl)
    # 4: \s*[\r\n]+  -> up to the last CR/LF of the whitespace run
    if c.isspace():
        j = _run(s, i, str.isspace)
        last = -1
        for k in range(i, j):
            if _is_nl(s[k]):
                last = k
        if last >= 0:
            return last + 1
        # 5: \s+(?!\S)
        if j == n:
            return j
        if j - i >= 2:
            return j - 1
        # 6: \s+
        return j
    return -1


def _split_isolated(s, matcher):
    """Cuts s into matches and the gaps between them (Split behavior Isolated)."""
    out = []
    gap = 0
    i = 0
    n = len(s)
    while i < n:
        e = matcher(s, i)
        if e > i:
            if gap < i:
                out.append(s[gap:i])
            out.append(s[i:e])
            i = gap = e
        else:
            i += 1
    if gap < n:
        out.append(s[gap:])
    return out


def _match_digits(s, i):
    k = i
    while k < len(s) and k - i < DIGIT_GROUP and _cat(s[k]) == "N":
        k += 1
    return k if k > i else -1


def digit_pattern():
    """The digit split's regex: \\p{N}{1,DIGIT_GROUP} (DeepSeek's \\p{N}{1,3}), \\p{N} for 1."""
    return r"\p{N}" if DIGIT_GROUP == 1 else r"\p{N}{1,%d}" % DIGIT_GROUP


def merges_needed(vocab):
    """Merges a vocabulary of this size holds besides the 256 bytes and the special tokens."""
    return vocab - 3 - 256 - len(TAIL_SPECIALS)


def _is_cjk(ch):
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FA5 or 0x3040 <= o <= 0x309F or 0x30A0 <= o <= 0x30FF


def _match_cjk(s, i):
    e = _run(s, i, _is_cjk)
    return e if e > i else -1


def pretokenize(text):
    """DeepSeek's three Isolated splits applied in sequence (each on every current piece)."""
    pieces = [text]
    for m in (_match_digits, _match_cjk, _match_main):
        nxt = []
        for p in pieces:
            nxt.extend(_split_isolated(p, m))
        pieces = nxt
    return pieces


def split_specials(text):
    """Cuts text at special tokens; returns the plain spans (specials removed)."""
    spans = [text]
    for sp in sorted(ALL_SPECIALS, key=len, reverse=True):
        nxt = []
        for s in spans:
            nxt.extend(x for x in s.split(sp))
        spans = nxt
    return [s for s in spans if s]


def to_byte_level(piece):
    return "".join(BYTE2U[b] for b in piece.encode("utf-8"))


# ------------------------------------------------------------------------------------------------
# corpus generator

WORDS = ("the of and to in is was for on that with as by at from it this be are or an which "
         "not have has had but were they their one all also new more first can time other when "
         "there been many some would into after these two only most such years made over world "
         "people state used between through about where while during city before work well may "
         "under known each both three number called then game because later system around "
         "including however being water since history life school music part day house power "
         "family small large early government found name long high until war area use group "
         "order public set development same another main what data model value function return "
         "list string result error file test token answer question number sum total price order "
         "customer weather city temperature forecast search query user assistant tool call code "
         "program python json key field value record name age email address phone score level "
         "river mountain garden window library market teacher student doctor engine memory "
         "context window sentence paragraph needle haystack secret password magic hidden find "
         "retrieve remember compute add subtract multiply divide equals plus minus times").split()
NAMES = "Alice Bob Carol David Emma Frank Grace Henry Irene Jack Laura Mike Nina Oscar Paula".split()
CITIES = "Tokyo Paris Berlin London Madrid Rome Cairo Lima Oslo Seoul Delhi Sydney Toronto".split()

SYLLABLES = ("ba be bi bo bu ca co cu da de di do ka ke ki ko la le li lo lu ma me mi mo mu na "
             "ne ni no pa pe pi po ra re ri ro ru sa se si so ta te ti to va ve vi tra pre pro con "
             "com ex in un re de dis ment tion ing ed er est ly able ful ness ous ive al ic ist "
             "ster ward berg ton ville shire land").split()
LANG_WORDS = {
    "de": "der die das und ist nicht mit auf für sich dem den ein eine Zeit Jahr Haus Stadt "
          "Straße größer schön über Mädchen Bücher fahren gehen können müssen wir ihr sie".split(),
    "fr": "le la les des une est pas dans pour avec sur être avoir très où été déjà français "
          "château forêt élève garçon naïve leçon après voilà ça nous vous ils elles".split(),
    "es": "el la los las que en por con para una está años niño mañana señor corazón qué "
          "cómo dónde también está muy bien gracias ciudad agua tiempo".split(),
    "ru": "и в не на что он она они мы вы это как так был была время город вода день "
          "человек работа привет спасибо хорошо сегодня завтра".split(),
}
CJK_CHARS = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会"
             "自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手"
             "十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法")
KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのアイウエオカキクケコサシスセソタチツテト"

MULTI = [
    "Der schnelle braune Fuchs springt über den faulen Hund. Grüße aus München, schöne Straße.",
    "Le renard brun rapide saute par-dessus le chien paresseux. Où est la bibliothèque ? Très bien, merci.",
    "El rápido zorro marrón salta sobre el perro perezoso. ¿Dónde está la estación? Mañana será un día soleado.",
    "Быстрая коричневая лиса прыгает через ленивую собаку. Привет, как дела? Сегодня хорошая погода.",
    "今天天气很好，我们去公园散步吧。人工智能正在改变世界。请回答下面的问题。",
    "毕老师说：学习很重要。你好，世界！数学和编程都很有意思。",
    "こんにちは、世界。今日はいい天気ですね。東京へ行きます。カタカナとひらがな。",
    "Ελληνικά γράμματα: αβγδ. Ça va? Naïve café déjà vu — “quotes” and ‘apostrophes’ … 123€ 45£",
]

PY_SNIPPETS = [
    "def {f}({a}, {b}):\n    \"\"\"Return the {w} of {a} and {b}.\"\"\"\n    return {a} {op} {b}\n",
    "def {f}(items):\n    total = 0\n    for x in items:\n        if x > {n}:\n            total += x\n    return total\n",
    "class {C}:\n    def __init__(self, {a}):\n        self.{a} = {a}\n\n    def __repr__(self):\n        return f\"{C}({{self.{a}!r}})\"\n",
    "import json\n\nwith open(\"{w}.json\") as fh:\n    data = json.load(fh)\nprint(len(data[\"{a}\"]))\n",
    "def {f}(s: str) -> str:\n    return ''.join(reversed(s))\n\n\nassert {f}(\"abc\") == \"cba\"\n",
    "for i in range({n}):\n    if i % 3 == 0 and i % 5 == 0:\n        print(\"FizzBuzz\")\n    elif i % 3 == 0:\n        print(\"Fizz\")\n",
    "def {f}(n):\n    if n < 2:\n        return n\n    return {f}(n - 1) + {f}(n - 2)\n",
    "result = [x * x for x in range({n}) if x % 2 == 1]\nprint(sorted(result, reverse=True)[:{m}])\n",
]


def _sentence(r):
    n = r.randint(5, 16)
    ws = [r.choice(WORDS) for _ in range(n)]
    if r.random() < 0.3:
        ws[r.randrange(n)] = r.choice(NAMES)
    if r.random() < 0.2:
        ws[r.randrange(n)] = r.choice(CITIES)
    s = " ".join(ws)
    s = s[0].upper() + s[1:]
    if r.random() < 0.2:
        k = r.randrange(1, n)
        s = " ".join(s.split(" ")[:k]) + ", " + " ".join(s.split(" ")[k:])
    return s + r.choice([".", ".", ".", "?", "!", ":"])


def _pseudo_word(r):
    w = "".join(r.choice(SYLLABLES) for _ in range(r.randint(1, 4)))
    return w.capitalize() if r.random() < 0.15 else w


def _pseudo_text(r):
    n = r.randint(6, 20)
    s = " ".join(_pseudo_word(r) if r.random() < 0.6 else r.choice(WORDS) for _ in range(n))
    return s[0].upper() + s[1:] + r.choice([".", ",", ";", "?", "!"])


def _foreign(r):
    k = r.random()
    if k < 0.5:
        lang = r.choice(sorted(LANG_WORDS))
        s = " ".join(r.choice(LANG_WORDS[lang]) for _ in range(r.randint(5, 14)))
        return s[0].upper() + s[1:] + "."
    if k < 0.8:
        return "".join(r.choice(CJK_CHARS) for _ in range(r.randint(4, 20))) + r.choice("。，！？")
    return "".join(r.choice(KANA) for _ in range(r.randint(3, 12))) + "。"


def _misc(r):
    k = r.random()
    if k < 0.25:
        return f"https://www.{_pseudo_word(r)}.{r.choice(['com', 'org', 'net', 'io'])}/{_pseudo_word(r)}?id={r.randint(1, 9999)}"
    if k < 0.5:
        return f"{r.choice(NAMES).lower()}.{_pseudo_word(r)}@{_pseudo_word(r)}.com"
    if k < 0.75:
        return "0x" + "".join(r.choice("0123456789abcdef") for _ in range(r.choice([4, 8, 16])))
    return "_".join(_pseudo_word(r) for _ in range(r.randint(2, 3))) + f" = {_number(r)}"


def _number(r):
    k = r.random()
    if k < 0.4:
        return str(r.randint(0, 999))
    if k < 0.7:
        return str(r.randint(1000, 10 ** r.randint(4, 9)))
    if k < 0.85:
        return f"{r.uniform(-1000, 1000):.{r.randint(1, 4)}f}"
    return f"{r.randint(1, 12):02d}/{r.randint(1, 28):02d}/{r.randint(1990, 2030)}"


def _arith(r):
    a, b = r.randint(0, 999), r.randint(0, 999)
    op = r.choice(["+", "-", "*"])
    val = a + b if op == "+" else a - b if op == "-" else a * b
    style = r.random()
    if style < 0.5:
        return f"{a} {op} {b} = {val}"
    name = r.choice(NAMES)
    return (f"{name} has {a} apples and buys {b} more. How many apples does {name} have now? "
            f"{name} has {a} + {b} = {a + b} apples.")


def _json(r):
    obj = {
        "name": r.choice(NAMES), "age": r.randint(18, 90), "city": r.choice(CITIES),
        "tags": [r.choice(WORDS) for _ in range(r.randint(0, 4))],
        "score": round(r.uniform(0, 100), 2), "active": r.random() < 0.5, "note": None,
    }
    if r.random() < 0.5:
        obj["nested"] = {"key": r.choice(WORDS), "values": [r.randint(0, 99) for _ in range(3)]}
    return json.dumps(obj, ensure_ascii=False, indent=None if r.random() < 0.5 else 2)


def _python(r):
    t = r.choice(PY_SNIPPETS)
    return t.format(f=r.choice(["compute", "solve", "helper", "process", "reverse_text",
                                "fib", "count_items", "merge"]),
                    a=r.choice(["x", "y", "value", "items", "name", "data"]),
                    b=r.choice(["y", "z", "other", "count"]), w=r.choice(WORDS),
                    op=r.choice(["+", "-", "*", "//", "%"]), n=r.randint(2, 100),
                    m=r.randint(1, 9), C=r.choice(["Point", "Record", "Parser", "Stack"]))


def _dsml(r):
    city = r.choice(CITIES)
    days = r.randint(1, 7)
    tools = json.dumps({"name": "get_weather", "description": "Get weather",
                        "parameters": {"type": "object", "properties": {
                            "city": {"type": "string"}, "days": {"type": "integer"}}}},
                       ensure_ascii=False)
    user = f"Weather in {city} for the next {days} days?"
    call = ("\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"get_weather\">\n"
            f"<｜DSML｜parameter name=\"city\" string=\"true\">{city}</｜DSML｜parameter>\n"
            f"<｜DSML｜parameter name=\"days\" string=\"false\">{days}</｜DSML｜parameter>\n"
            "</｜DSML｜invoke>\n</｜DSML｜tool_calls>")
    result = json.dumps({"forecast": [{"day": d + 1, "temp": r.randint(-5, 35)}
                                      for d in range(min(days, 3))]})
    return (f"{BOS}You are a helpful assistant.\n\n## Tools\n\nYou have access to a set of tools."
            f"\n\n### Available Tool Schemas\n\n{tools}\n\n<｜User｜>{user}<｜Assistant｜><think>"
            f"The user wants a {days}-day forecast for {city}; call get_weather.</think>{call}"
            f"{EOS}<｜User｜><tool_result>{result}</tool_result><｜Assistant｜></think>"
            f"It will be about {r.randint(-5, 35)} degrees in {city}.{EOS}")


def _chat(r):
    q = _sentence(r)
    a = " ".join(_sentence(r) for _ in range(r.randint(1, 3)))
    return f"{BOS}<｜User｜>{q}<｜Assistant｜></think>{a}{EOS}"


def generate_corpus(seed, n_chars):
    """Deterministic mixed corpus of about n_chars characters."""
    r = random.Random(seed)
    kinds = [(_sentence, 22), (_pseudo_text, 14), (_number, 5), (_arith, 9), (_json, 7),
             (_python, 11), (_dsml, 5), (_chat, 7), (_foreign, 10), (_misc, 5),
             (lambda rr: rr.choice(MULTI), 3)]
    total = sum(w for _, w in kinds)
    docs, size = [], 0
    while size < n_chars:
        x = r.uniform(0, total)
        for fn, w in kinds:
            x -= w
            if x <= 0:
                break
        d = fn(r)
        docs.append(d)
        size += len(d) + 1
    return "\n".join(docs)


# ------------------------------------------------------------------------------------------------
# BPE training

def train(words, n_merges):
    """words: Counter of byte-level piece strings. Returns the merge list [(a, b), ...]."""
    seqs = []   # list of token lists
    freqs = []
    for w, f in words.items():
        seqs.append(list(w))
        freqs.append(f)
    pair_count = Counter()
    where = defaultdict(set)  # pair -> word indices containing it
    for wi, s in enumerate(seqs):
        for a, b in zip(s, s[1:]):
            pair_count[(a, b)] += freqs[wi]
            where[(a, b)].add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges = []
    while len(merges) < n_merges and heap:
        negc, pair = heapq.heappop(heap)
        c = pair_count.get(pair, 0)
        if c <= 0:
            continue
        if -negc != c:  # stale entry: re-queue with the current count
            heapq.heappush(heap, (-c, pair))
            continue
        a, b = pair
        ab = a + b
        merges.append(pair)
        changed = Counter()
        for wi in list(where[pair]):
            s = seqs[wi]
            f = freqs[wi]
            for x, y in zip(s, s[1:]):
                changed[(x, y)] -= f
            out = []
            i = 0
            while i < len(s):
                if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                    out.append(ab)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            seqs[wi] = out
            for x, y in zip(out, out[1:]):
                changed[(x, y)] += f
                where[(x, y)].add(wi)
        for p, d in changed.items():
            if d == 0:
                continue
            pair_count[p] += d
            if pair_count[p] > 0 and d > 0:
                heapq.heappush(heap, (-pair_count[p], p))
        pair_count[pair] = 0
        del where[pair]
    return merges


def encode_piece(piece_bl, ranks):
    """BPE-encodes one byte-level piece with merge ranks (lowest rank first)."""
    s = list(piece_bl)
    while len(s) > 1:
        best, bi = None, -1
        for i in range(len(s) - 1):
            rk = ranks.get((s[i], s[i + 1]))
            if rk is not None and (best is None or rk < best):
                best, bi = rk, i
        if best is None:
            break
        s = s[:bi] + [s[bi] + s[bi + 1]] + s[bi + 2:]
    return s


def build_tokenizer_json(merges, vocab_total):
    vocab = {BOS: 0, EOS: 1, PAD: 2}
    for b in range(256):
        vocab[BYTE2U[b]] = 3 + b
    for a, b in merges:
        vocab[a + b] = len(vocab)
    first_tail = vocab_total - len(TAIL_SPECIALS)
    assert len(vocab) == first_tail, (len(vocab), first_tail)
    for i, sp in enumerate(TAIL_SPECIALS):
        vocab[sp] = first_tail + i
    added = []
    for sp in ALL_SPECIALS:
        added.append({"id": vocab[sp], "content": sp, "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": False, "special": True})
    added.sort(key=lambda x: x["id"])
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": digit_pattern()}, "behavior": "Isolated",
                 "invert": False},
                {"type": "Split", "pattern": {"Regex": PAT_CJK}, "behavior": "Isolated",
                 "invert": False},
                {"type": "Split", "pattern": {"Regex": PAT_MAIN}, "behavior": "Isolated",
                 "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                 "use_regex": False},
            ],
        },
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }


def encode_text(tok, text):
    """Reference encoder for the self-check: specials first, then pre-tokenizer + BPE. The
    hand-written pre-tokenizer follows DIGIT_GROUP, so a tokenizer whose digit split differs is
    refused (ValueError) instead of being encoded with the wrong pieces."""
    pat = tok["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"]
    if pat != digit_pattern():
        raise ValueError(f"encode_text: the tokenizer splits digits with {pat}, this process "
                         f"with {digit_pattern()} (set train_bpe.DIGIT_GROUP to match)")
    vocab = tok["model"]["vocab"]
    ranks = {tuple(m.split(" ")): i for i, m in enumerate(tok["model"]["merges"])}
    specials = sorted((a["content"] for a in tok["added_tokens"]), key=len, reverse=True)
    ids = []
    i = 0
    buf = ""
    while i < len(text):
        hit = next((sp for sp in specials if text.startswith(sp, i)), None)
        if hit:
            if buf:
                for p in pretokenize(buf):
                    ids += [vocab[t] for t in encode_piece(to_byte_level(p), ranks)]
                buf = ""
            ids.append(vocab[hit])
            i += len(hit)
        else:
            buf += text[i]
            i += 1
    if buf:
        for p in pretokenize(buf):
            ids += [vocab[t] for t in encode_piece(to_byte_level(p), ranks)]
    return ids


def decode_ids(tok, ids):
    inv = {v: k for k, v in tok["model"]["vocab"].items()}
    special = {a["id"]: a["content"] for a in tok["added_tokens"]}
    out = bytearray()
    for t in ids:
        if t in special:
            out += special[t].encode("utf-8")
        else:
            out += bytes(U2BYTE[ch] for ch in inv[t])
    return out.decode("utf-8", errors="replace")


def train_tokenizer(corpus, vocab):
    """Learns the merges on corpus (pre-tokenized with the current DIGIT_GROUP) and builds the
    tokenizer.json dict. Returns (tok, distinct pieces, merges found); tok is None when the
    corpus holds fewer distinct pairs than the vocabulary needs merges."""
    n_merges = merges_needed(vocab)
    words = Counter()
    for span in split_specials(corpus):
        for p in pretokenize(span):
            words[to_byte_level(p)] += 1
    merges = train(words, n_merges)
    if len(merges) < n_merges:
        return None, len(words), len(merges)
    return build_tokenizer_json(merges, vocab), len(words), len(merges)


def main():
    ap = argparse.ArgumentParser(description="train a DeepSeek-style byte-level BPE tokenizer")
    ap.add_argument("--out", required=True, help="tokenizer.json to write")
    ap.add_argument("--vocab", type=int, default=4096, help="total vocabulary size (default 4096)")
    ap.add_argument("--seed", type=int, default=1, help="corpus generator seed (default 1)")
    ap.add_argument("--corpus-chars", type=int, default=1_500_000,
                    help="size of the generated corpus in characters")
    ap.add_argument("--corpus", nargs="*", default=[],
                    help="train on these UTF-8 text files instead of the generated corpus")
    ap.add_argument("--digit-group", type=int, default=2,
                    help="longest run of digits kept in one pre-token (default 2: \\p{N}{1,2}, "
                         "the shipped tokenizer's; 3 = DeepSeek's \\p{N}{1,3}; 1 = one digit "
                         "per token)")
    args = ap.parse_args()
    global DIGIT_GROUP
    if not 1 <= args.digit_group <= 3:
        print(f"train_bpe: --digit-group: expected 1, 2 or 3, found {args.digit_group}",
              file=sys.stderr)
        return 2
    DIGIT_GROUP = args.digit_group
    n_merges = merges_needed(args.vocab)
    if n_merges < 0:
        print(f"train_bpe: --vocab {args.vocab} is smaller than the {3 + 256 + len(TAIL_SPECIALS)} "
              "fixed entries", file=sys.stderr)
        return 2
    if args.corpus:
        parts = []
        for p in args.corpus:
            try:
                with open(p, encoding="utf-8") as f:
                    parts.append(f.read())
            except (OSError, UnicodeDecodeError) as e:
                print(f"train_bpe: {p}: {e}", file=sys.stderr)
                return 2
        corpus = "\n".join(parts)
    else:
        corpus = generate_corpus(args.seed, args.corpus_chars)
    tok, n_words, n_found = train_tokenizer(corpus, args.vocab)
    if tok is None:
        print(f"train_bpe: corpus too small: only {n_found} of {n_merges} merges found",
              file=sys.stderr)
        return 2
    # self-check: round trip and special ids on a sample of the corpus
    sample = corpus[:20000] + "\n" + "".join(MULTI) + " \t\n\n  x  1234567 ÿ\u2028end"
    ids = encode_text(tok, sample)
    if decode_ids(tok, ids) != sample:
        print("train_bpe: self-check failed: decode(encode(sample)) != sample", file=sys.stderr)
        return 1
    if encode_text(tok, BOS + "<｜User｜>hi" + EOS)[:2] != [0, tok["model"]["vocab"]["<｜User｜>"]]:
        print("train_bpe: self-check failed: special tokens", file=sys.stderr)
        return 1
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, indent=1)
        f.write("\n")
    n_plain = len(sample.encode("utf-8"))
    print(f"train_bpe: {len(corpus)} chars, {n_words} distinct pieces, {n_merges} merges, "
          f"vocab {args.vocab}; sample {n_plain} bytes -> {len(ids)} tokens "
          f"({n_plain / len(ids):.2f} bytes/token); wrote {args.out} "
          f"({os.path.getsize(args.out) / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
