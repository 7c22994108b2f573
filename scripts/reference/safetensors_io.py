"""safetensors_io.py - a small, self-contained safetensors reader/writer plus the number formats
of the DeepSeek-V4 checkpoints (BF16, F8_E4M3 with F8_E8M0 block scales, packed FP4 E2M1).

Written for the v4eval reference (scripts/reference/); it shares no code with the C engine.

File layout: 8-byte little-endian header length N, N bytes of JSON header
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}, then the
raw little-endian tensor bytes; offsets are relative to the first byte after the header.

Invariants kept by the writer: tensors are stored in name order, contiguous, without gaps or
overlaps, each begin offset aligned to 8 bytes (padding is counted in no tensor), the header is
padded with spaces to a multiple of 8 bytes.

Format codecs (spec §3.4, §13.5):
- BF16: upper 16 bits of an IEEE float32, encoding rounds to nearest even.
- F8_E4M3 (E4M3FN): 1 sign, 4 exponent bits (bias 7), 3 mantissa bits; exponent 0 = subnormal
  m/8 * 2^-6; S.1111.111 = NaN; no infinities; max 448.
- F8_E8M0: unsigned exponent byte, value 2^(b-127); 0xFF = NaN; byte 0 = 2^-127 (not zero).
- FP4 E2M1: code c, sign = bit 3, magnitude {0,0.5,1,1.5,2,3,4,6}[c & 7]; two codes per byte,
  low nibble = even column.
"""

import json
import struct

import numpy as np

DTYPE_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
               "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1}
_NUMPY = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
          "I8": "i1", "U8": "u1", "BOOL": "u1", "BF16": "<u2", "F8_E4M3": "u1", "F8_E5M2": "u1",
          "F8_E8M0": "u1"}

FP4_GRID = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])


class SafetensorsError(Exception):
    """Malformed file or wrong tensor; the message names file, tensor, expected and found."""


# ------------------------------------------------------------------------------------------------
# reading / writing

def read_safetensors(path):
    """Reads a whole safetensors file. Returns (tensors, metadata) where tensors maps a name to
    (dtype string, numpy array of the raw storage type with the stored shape). BF16/F8 arrays are
    returned as raw integer codes; decode them with the helpers below."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise SafetensorsError(f"{path}: file shorter than the 8-byte header length")
    (hlen,) = struct.unpack("<Q", blob[:8])
    if 8 + hlen > len(blob):
        raise SafetensorsError(f"{path}: header length {hlen} exceeds file size {len(blob)}")
    header = json.loads(blob[8:8 + hlen].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    data = memoryview(blob)[8 + hlen:]
    out = {}
    for name, info in header.items():
        dt, shape, (b, e) = info["dtype"], info["shape"], info["data_offsets"]
        if dt not in _NUMPY:
            raise SafetensorsError(f"{path}: {name}: unsupported dtype {dt}")
        n = 1
        for s in shape:
            n *= s
        if e - b != n * DTYPE_SIZES[dt] or e > len(data) or b < 0:
            raise SafetensorsError(f"{path}: {name}: byte span [{b},{e}) does not match "
                                   f"{dt}{shape} or the data size {len(data)}")
        arr = np.frombuffer(data[b:e], dtype=_NUMPY[dt]).reshape(shape).copy()
        out[name] = (dt, arr)
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    """Writes tensors {name: (dtype string, numpy array)} to path. The array must already hold
    the storage representation (e.g. uint16 codes for BF16, uint8 codes for F8/packed FP4)."""
    header = {}
    chunks = []
    off = 0
    for name in sorted(tensors):
        dt, arr = tensors[name]
        arr = np.ascontiguousarray(arr).astype(_NUMPY[dt], copy=False)
        raw = arr.tobytes()
        pad = (-off) % 8
        if pad:
            chunks.append(b"\0" * pad)
            off += pad
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for c in chunks:
            f.write(c)


# ------------------------------------------------------------------------------------------------
# BF16

def f32_to_bf16_bits(x):
    """float array -> uint16 BF16 codes, round to nearest even (NaN kept as a quiet NaN)."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    nan = np.isnan(np.asarray(x, dtype=np.float32))
    rounded = np.where(nan, (u >> 16) | 0x40, rounded)
    return rounded.astype(np.uint16)


def bf16_bits_to_f64(b):
    """uint16 BF16 codes -> float64 values (exact)."""
    u = np.asarray(b, dtype=np.uint16).astype(np.uint32) << 16
    return u.view(np.float32).astype(np.float64)


def round_bf16(x):
    """Rounds values to the nearest BF16 value (returned as float64)."""
    return bf16_bits_to_f64(f32_to_bf16_bits(x))


# ------------------------------------------------------------------------------------------------
# FP8 E4M3FN

def _e4m3_table():
    t = np.zeros(256)
    for b in range(256):
        s = -1.0 if b & 0x80 else 1.0
        e = (b >> 3) & 0xF
        m = b & 7
        if e == 0xF and m == 7:
            t[b] = np.nan
        elif e == 0:
            t[b] = s * (m / 8.0) * 2.0 ** -6
        else:
            t[b] = s * (1 + m / 8.0) * 2.0 ** (e - 7)
    return t


E4M3_VALUES = _e4m3_table()


def e4m3_decode(codes):
    """uint8 E4M3FN codes -> float64 values (NaN for 0x7F/0xFF)."""
    return E4M3_VALUES[np.asarray(codes, dtype=np.uint8)]


def e4m3_round(y):
    """Rounds float values (already clamped to [-448, 448]) to the nearest E4M3FN value,
    ties to even mantissa. Returns float64. Subnormal spacing 2^-9 below 2^-6."""
    y = np.asarray(y, dtype=np.float64)
    a = np.abs(y)
    with np.errstate(divide="ignore"):
        e = np.floor(np.log2(np.where(a > 0, a, 1.0)))
    # guard log2 rounding at exact binade edges
    e = np.where(2.0 ** e > a, e - 1, e)
    e = np.where(2.0 ** (e + 1) <= a, e + 1, e)
    e = np.maximum(e, -6.0)
    quantum = 2.0 ** (e - 3)
    q = np.rint(a / quantum) * quantum
    q = np.minimum(q, 448.0)
    return np.sign(y) * q


def e4m3_encode(v):
    """Exactly representable E4M3FN values -> uint8 codes (raises on a non-representable value)."""
    v = np.asarray(v, dtype=np.float64)
    order = np.argsort(E4M3_VALUES[:127])  # positive codes 0..126
    pos_vals = E4M3_VALUES[:127][order]
    a = np.abs(v)
    idx = np.searchsorted(pos_vals, a)
    idx = np.clip(idx, 0, len(pos_vals) - 1)
    if not np.all(pos_vals[idx] == a):
        raise ValueError("e4m3_encode: value not representable in E4M3FN")
    codes = order[idx].astype(np.uint8)
    codes = np.where((v < 0) | ((v == 0) & np.signbit(v)), codes | 0x80, codes)
    return codes.astype(np.uint8)


# ------------------------------------------------------------------------------------------------
# E8M0 scales

def e8m0_decode(codes):
    """uint8 E8M0 codes -> float64 2^(b-127); 0xFF -> NaN; 0 -> 2^-127."""
    c = np.asarray(codes, dtype=np.uint8).astype(np.float64)
    v = np.ldexp(1.0, (c - 127).astype(np.int64))
    return np.where(c == 255, np.nan, v)


def e8m0_encode_pow2(s):
    """Power-of-two scale values -> E8M0 codes."""
    s = np.asarray(s, dtype=np.float64)
    m, e = np.frexp(s)
    if not np.all(m == 0.5):
        raise ValueError("e8m0_encode_pow2: scale is not a power of two")
    b = e - 1 + 127
    if np.any(b < 0) or np.any(b > 254):
        raise ValueError("e8m0_encode_pow2: exponent out of range")
    return b.astype(np.uint8)


# ------------------------------------------------------------------------------------------------
# FP4 E2M1

FP4_MIDS = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0])


def e2m1_round_index(y):
    """Values in [-6, 6] -> (sign bit array, magnitude index 0..7), round to nearest, ties to
    even (0.25->0, 0.75->1, 1.25->1, 1.75->2, 2.5->2, 3.5->4, 5->4)."""
    y = np.asarray(y, dtype=np.float64)
    a = np.abs(y)
    idx = np.searchsorted(FP4_MIDS, a, side="left")  # a == mid -> lower index
    # at an exact midpoint choose the even code (grid index with bit 0 clear)
    at_mid = np.zeros(a.shape, dtype=bool)
    for k, m in enumerate(FP4_MIDS):
        hit = a == m
        at_mid |= hit
        # lower neighbour index k, upper k+1: pick the even one
        idx = np.where(hit, k if k % 2 == 0 else k + 1, idx)
    sign = (y < 0).astype(np.uint8)
    return sign, idx.astype(np.uint8)


def e2m1_round(y):
    """Rounds values in [-6, 6] to the E2M1 grid (float64)."""
    sign, idx = e2m1_round_index(y)
    return np.where(sign == 1, -1.0, 1.0) * FP4_GRID[idx]


def fp4_decode_packed(packed, scale_codes, block=32):
    """I8/U8 packed FP4 [out, in/2] + E8M0 scales [out, in/block] -> float64 [out, in]."""
    p = np.asarray(packed).view(np.uint8)
    lo = p & 0xF
    hi = p >> 4
    codes = np.empty((p.shape[0], p.shape[1] * 2), dtype=np.uint8)
    codes[:, 0::2] = lo
    codes[:, 1::2] = hi
    vals = FP4_GRID[codes & 7] * np.where(codes & 8, -1.0, 1.0)
    s = e8m0_decode(scale_codes)
    return vals * np.repeat(s, block, axis=1)[:, :vals.shape[1]]


def fp4_encode_packed(sign, idx):
    """Sign bits + magnitude indices [out, in] -> packed uint8 [out, in/2], low nibble = even."""
    codes = (idx.astype(np.uint8) & 7) | (sign.astype(np.uint8) << 3)
    return (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)


def fp8_decode_blocks(codes, scale_codes, block=128):
    """F8_E4M3 [out, in] + E8M0 [ceil(out/128), ceil(in/128)] -> float64 [out, in]."""
    w = e4m3_decode(codes)
    s = e8m0_decode(scale_codes)
    s_full = np.repeat(np.repeat(s, block, axis=0), block, axis=1)[:w.shape[0], :w.shape[1]]
    return w * s_full
