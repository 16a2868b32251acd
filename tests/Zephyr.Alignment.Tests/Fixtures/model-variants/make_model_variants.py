#!/usr/bin/python3
"""Deterministic generator for the tiny Llama-variant reference fixtures (RoPE scaling, Qwen2, Qwen3, SmolLM3).

    /usr/bin/python3 make_model_variants.py FIXTURES_ROOT [SEED]

Writes, under FIXTURES_ROOT (tests/Zephyr.Alignment.Tests/Fixtures):
  model-variants/rope_cases.json  inverse frequencies, attention factor and cos/sin of every supported RoPE type
  tiny-llama3-rope/               LlamaForCausalLM, rope_scaling type llama3 (Llama 3.1 layout, small original context)
  tiny-llama-yarn/                LlamaForCausalLM, rope_parameters type yarn (transformers 5 layout, attention factor)
  tiny-qwen2/                     Qwen2ForCausalLM: q/k/v biases, no o_proj bias, sliding window on layers >= max_window_layers
  tiny-qwen3/                     Qwen3ForCausalLM: per-head q_norm/k_norm before RoPE, explicit head_dim != hidden/heads, tied
  tiny-smollm3/                   SmolLM3ForCausalLM: a NoPE layer (no_rope_layers), tied by the model type's default

Every model folder gets config.json, model.safetensors (F32) and expected.json, with the same expected.json layout as
the shared fixtures' make_models.py (single / padded_batch / left_padded_batch / completion_logps / greedy), computed by
the independent PyTorch reference forward below (float32 on CPU, no KV cache, cross-checked in float64), plus a
`sanity_wrong_variants` section: each deliberately wrong variant is asserted to move the logits by more than 1e-2.

The reference mirrors transformers' eager code path: models/llama/modeling_llama.py, models/qwen2/modular_qwen2.py,
models/qwen3/modular_qwen3.py, models/smollm3/modeling_smollm3.py and configuration_*.py, modeling_rope_utils.py
(transformers 5: standardize_rope_params, _compute_*_parameters, dynamic_rope_update), masking_utils.py.
transformers itself is NOT used (not installable here). No network access; needs torch (Debian python3-torch 1.13)
and numpy only. The token ids are drawn from a seeded numpy RandomState (no tokenizer is involved).
"""

import hashlib
import json
import math
import os
import shutil
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

VOCAB_SIZE = 256
BOS_ID, EOS_ID, PAD_ID = 1, 2, 0
MAT_STD = 0.15            # projection matrices and untied lm_head (as the shared fixtures)
EMBED_STD_UNTIED = 0.002  # small: the first input_layernorm is then sensitive to eps placement
EMBED_STD_TIED = 0.15     # tied embeddings double as the LM head
NORM_STD = 0.1            # norm weights = 1 + NORM_STD * N(0,1) (also q_norm / k_norm)
BIAS_STD = 0.3            # Qwen2 q/k/v biases
GREEDY_MIN_MARGIN = 0.01
FORMAT_VERSION = "4.48.0"  # value of "transformers_version" only; this script wrote the files


# ------------------------------------------------------------------------------------------------
# deterministic randomness, JSON and safetensors helpers (same conventions as the shared make_models.py)
# ------------------------------------------------------------------------------------------------

def derive_seed(seed, name):
    return int(hashlib.sha256(f"{seed}:{name}".encode("utf-8")).hexdigest()[:8], 16)


def rstate(seed, name):
    return np.random.RandomState(derive_seed(seed, name))


def r8(x):
    return float(f"{float(x):.8g}")


def r8list(t):
    if isinstance(t, torch.Tensor):
        t = t.tolist()
    if isinstance(t, list):
        return [r8list(v) for v in t]
    return r8(t)


def maxdiff(a, b):
    return float((a.double() - b.double()).abs().max())


def dump_compact(o, ind=0):
    pad, pad2 = " " * ind, " " * (ind + 2)
    if isinstance(o, dict):
        if not o:
            return "{}"
        items = [f"{pad2}{json.dumps(k, ensure_ascii=False)}: {dump_compact(v, ind + 2)}" for k, v in o.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(o, list):
        if all(not isinstance(v, (list, dict)) for v in o):
            return "[" + ",".join(json.dumps(v, ensure_ascii=False) for v in o) + "]"
        return "[\n" + ",\n".join(pad2 + dump_compact(v, ind + 2) for v in o) + "\n" + pad + "]"
    return json.dumps(o, ensure_ascii=False)


def write_json(path, obj, compact=False):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write((dump_compact(obj) if compact else json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False)) + "\n")


def write_safetensors(path, tensors):
    """u64 LE header length, JSON header (__metadata__ first, tensors sorted by name), space padding to 8, F32 data."""
    names = sorted(tensors)
    header = {"__metadata__": {"format": "pt"}}
    blobs, off = [], 0
    for n in names:
        b = tensors[n].to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[n] = {"dtype": "F32", "shape": list(tensors[n].shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    hb = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    header.pop("__metadata__")
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").copy()).reshape(info["shape"])
    return out


# ------------------------------------------------------------------------------------------------
# configuration resolution (transformers' configuration_*.py + RotaryEmbeddingConfigMixin.standardize_rope_params)
# ------------------------------------------------------------------------------------------------

DEFAULT_THETA = {"llama": 10000.0, "mistral": 10000.0, "qwen2": 10000.0, "qwen3": 10000.0, "smollm3": 2000000.0}


def head_dim_of(cfg):
    if cfg.get("head_dim"):
        return cfg["head_dim"]
    return 128 if cfg["model_type"] == "qwen3" else cfg["hidden_size"] // cfg["num_attention_heads"]


def tied(cfg):
    return cfg.get("tie_word_embeddings", cfg["model_type"] == "smollm3")


def rope_parameters(cfg):
    """convert_rope_params_to_dict + standardize_rope_params: rope_scaling wins; theta and original length filled in."""
    params = dict(cfg.get("rope_scaling") or cfg.get("rope_parameters") or {})
    params.setdefault("rope_theta", cfg.get("rope_theta", DEFAULT_THETA[cfg["model_type"]]))
    params.setdefault("rope_type", params.get("type", "default"))
    if params["rope_type"] in ("llama3", "yarn", "longrope"):
        if "original_max_position_embeddings" in cfg:
            params["original_max_position_embeddings"] = cfg["original_max_position_embeddings"]
        else:
            params.setdefault("original_max_position_embeddings", cfg["max_position_embeddings"])
    return params


def uses_qkv_bias(cfg):
    return cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)


def uses_o_bias(cfg):
    return cfg["model_type"] != "qwen2" and cfg.get("attention_bias", False)


def layer_uses_rope(cfg, layer):
    if cfg["model_type"] != "smollm3":
        return True
    flags = cfg.get("no_rope_layers")
    if flags is None:  # SmolLM3Config.__post_init__
        flags = [int((i + 1) % cfg.get("no_rope_layer_interval", 4) != 0) for i in range(cfg["num_hidden_layers"])]
    return bool(flags[layer])


def layer_window(cfg, layer):
    """Per-layer sliding window, as Qwen2Attention / Qwen3Attention / SmolLM3Attention / MistralAttention resolve it."""
    mt = cfg["model_type"]
    if mt == "mistral":
        return cfg.get("sliding_window")
    if mt not in ("qwen2", "qwen3", "smollm3"):
        return None
    use = cfg.get("use_sliding_window", False)
    window = cfg.get("sliding_window") if use else None
    types = cfg.get("layer_types")
    if types is None:
        if mt == "smollm3":
            types = ["sliding_attention" if use and cfg.get("sliding_window") is not None and not layer_uses_rope(cfg, i)
                     else "full_attention" for i in range(cfg["num_hidden_layers"])]
        else:
            types = ["sliding_attention" if window is not None and i >= cfg.get("max_window_layers", 28)
                     else "full_attention" for i in range(cfg["num_hidden_layers"])]
    return window if types[layer] == "sliding_attention" else None


# ------------------------------------------------------------------------------------------------
# RoPE parameters (modeling_rope_utils.py, transformers 5), same expressions and dtypes
# ------------------------------------------------------------------------------------------------

def rope_default(p, dim):
    base = p["rope_theta"]
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float) / dim)), 1.0


def rope_linear(p, dim):
    inv_freq, att = rope_default(p, dim)
    inv_freq /= p["factor"]
    return inv_freq, att


def rope_dynamic(p, dim, max_pos, seq_len=None):
    base = p["rope_theta"]
    factor = p["factor"]
    if seq_len is None:
        seq_len = max_pos
    elif isinstance(seq_len, torch.Tensor):
        seq_len = torch.maximum(seq_len, torch.tensor(max_pos, dtype=seq_len.dtype, device=seq_len.device))
    else:
        seq_len = max(seq_len, max_pos)
    base = base * ((factor * seq_len / max_pos) - (factor - 1)) ** (dim / (dim - 2))
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float) / dim)), 1.0


def rope_yarn(p, dim, max_pos):
    base = p["rope_theta"]
    factor = p["factor"]
    attention_factor = p.get("attention_factor")
    mscale = p.get("mscale")
    mscale_all_dim = p.get("mscale_all_dim")
    original = p["original_max_position_embeddings"]
    if factor is None:
        factor = max_pos / original

    def get_mscale(scale, m=1):
        if scale <= 1:
            return 1.0
        return 0.1 * m * math.log(scale) + 1.0

    if attention_factor is None:
        if mscale and mscale_all_dim:
            attention_factor = float(get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim))
        else:
            attention_factor = get_mscale(factor)
    beta_fast = p.get("beta_fast") or 32
    beta_slow = p.get("beta_slow") or 1

    def find_correction_dim(num_rotations):
        return (dim * math.log(original / (num_rotations * 2 * math.pi))) / (2 * math.log(base))

    truncate = p.get("truncate", True)
    low, high = find_correction_dim(beta_fast), find_correction_dim(beta_slow)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)

    pos_freqs = base ** (torch.arange(0, dim, 2).to(dtype=torch.float) / dim)
    inv_freq_extrapolation = 1.0 / pos_freqs
    inv_freq_interpolation = 1.0 / (factor * pos_freqs)
    extrapolation_factor = 1 - ramp.float()
    inv_freq = inv_freq_interpolation * (1 - extrapolation_factor) + inv_freq_extrapolation * extrapolation_factor
    return inv_freq, attention_factor


def rope_llama3(p, dim, wrong=()):
    inv_freq, att = rope_default(p, dim)
    factor, low, high = p["factor"], p["low_freq_factor"], p["high_freq_factor"]
    old_context_len = p["original_max_position_embeddings"]
    low_freq_wavelen = old_context_len / low
    high_freq_wavelen = old_context_len / high
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    if "llama3_no_smoothing" in wrong:  # WRONG: hard cut at low_freq_wavelen, the medium band left unscaled
        return inv_freq_llama, att
    smooth_factor = (old_context_len / wavelen - low) / (high - low)
    smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama), att


def rope_frequencies(cfg, seq_len=None, wrong=()):
    """(inv_freq [d/2] float32, attention_scaling) for a forward whose max position id is seq_len - 1.
    `dynamic` follows dynamic_rope_update on a freshly built model: above max_position_embeddings it recomputes with
    the tensor seq_len = max(position_ids) + 1, otherwise it keeps the frequencies computed at init."""
    p = rope_parameters(cfg)
    dim = head_dim_of(cfg)
    if p.get("partial_rotary_factor", 1.0) != 1.0:
        raise SystemExit("partial_rotary_factor is not supported")
    t = p["rope_type"]
    if "rope_default" in wrong:
        t = "default"
    if "rope_linear" in wrong:
        t = "linear"
    if t == "default":
        return rope_default(p, dim)
    if t == "linear":
        return rope_linear(p, dim)
    if t == "dynamic":
        max_pos = cfg["max_position_embeddings"]
        if seq_len is not None and int(seq_len) > max_pos:
            return rope_dynamic(p, dim, max_pos, seq_len=torch.tensor(int(seq_len)))
        return rope_dynamic(p, dim, max_pos)
    if t == "yarn":
        inv_freq, att = rope_yarn(p, dim, cfg["max_position_embeddings"])
        return inv_freq, (1.0 if "yarn_no_attention_factor" in wrong else att)
    if t == "llama3":
        return rope_llama3(p, dim, wrong)
    raise SystemExit(f"unsupported rope type {t}")


def cos_sin(inv_freq, att, pos, dtype):
    """LlamaRotaryEmbedding.forward: float32 matmul, cat, cos/sin times attention_scaling, then the activation dtype."""
    B = pos.shape[0]
    freqs = (inv_freq[None, :, None].float().expand(B, -1, 1) @ pos[:, None, :].float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return (emb.cos() * att).to(dtype), (emb.sin() * att).to(dtype)


# ------------------------------------------------------------------------------------------------
# reference forward (eager path, no KV cache)
# ------------------------------------------------------------------------------------------------

def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n_rep):
    b, nkv, t, d = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, nkv, n_rep, t, d).reshape(b, nkv * n_rep, t, d)


def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def forward(W, cfg, input_ids, attention_mask=None, position_ids=None, dtype=torch.float32, wrong=()):
    wrong = set(wrong)
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    B, T = ids.shape
    P = {k: v.to(dtype) for k, v in W.items()}
    nh, nkv, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim_of(cfg)
    eps = cfg["rms_norm_eps"]
    x = F.embedding(ids, P["model.embed_tokens.weight"])
    pos = torch.arange(T).unsqueeze(0).expand(B, T) if position_ids is None else torch.as_tensor(position_ids, dtype=torch.long)

    inv_freq, att = rope_frequencies(cfg, seq_len=int(pos.max()) + 1, wrong=wrong)
    cos, sin = cos_sin(inv_freq, att, pos, dtype)
    cos, sin = cos[:, None], sin[:, None]  # [B,1,T,d]

    qi, kj = torch.arange(T).view(T, 1), torch.arange(T).view(1, T)
    masks = {}

    def mask_for(window):
        if window not in masks:
            allowed = kj <= qi
            if window is not None:
                allowed = allowed & (kj > qi - window)
            allowed = allowed.view(1, 1, T, T).expand(B, 1, T, T)
            if attention_mask is not None:
                allowed = allowed & torch.as_tensor(attention_mask, dtype=torch.long).bool().view(B, 1, 1, T)
            masks[window] = torch.zeros(B, 1, T, T, dtype=dtype).masked_fill(~allowed, torch.finfo(dtype).min)
        return masks[window]

    def bias(name):
        return None if "no_qkv_bias" in wrong and not name.endswith("o_proj.bias") else P.get(name)

    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        window = layer_window(cfg, l)
        if "no_sliding_window" in wrong:
            window = None
        if "sliding_window_every_layer" in wrong:
            window = cfg["sliding_window"]
        residual = x
        h = rms_norm(x, P[p + "input_layernorm.weight"], eps)
        q = F.linear(h, P[p + "self_attn.q_proj.weight"], bias(p + "self_attn.q_proj.bias")).view(B, T, nh, d)
        k = F.linear(h, P[p + "self_attn.k_proj.weight"], bias(p + "self_attn.k_proj.bias")).view(B, T, nkv, d)
        v = F.linear(h, P[p + "self_attn.v_proj.weight"], bias(p + "self_attn.v_proj.bias")).view(B, T, nkv, d)
        if p + "self_attn.q_norm.weight" in P and "no_qk_norm" not in wrong:  # Qwen3: per head, before RoPE
            q = rms_norm(q, P[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, P[p + "self_attn.k_norm.weight"], eps)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        if layer_uses_rope(cfg, l) or "rope_every_layer" in wrong:
            q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, nh // nkv), repeat_kv(v, nh // nkv)
        scores = torch.matmul(q, k.transpose(2, 3)) * d ** -0.5 + mask_for(window)
        probs = F.softmax(scores, dim=-1, dtype=torch.float32 if dtype == torch.float32 else dtype).to(dtype)
        o = torch.matmul(probs, v).transpose(1, 2).reshape(B, T, nh * d)
        x = residual + F.linear(o, P[p + "self_attn.o_proj.weight"], P.get(p + "self_attn.o_proj.bias"))
        residual = x
        h = rms_norm(x, P[p + "post_attention_layernorm.weight"], eps)
        x = residual + F.linear(F.silu(F.linear(h, P[p + "mlp.gate_proj.weight"])) * F.linear(h, P[p + "mlp.up_proj.weight"]),
                                P[p + "mlp.down_proj.weight"])
    x = rms_norm(x, P["model.norm.weight"], eps)
    return F.linear(x, P["model.embed_tokens.weight"] if tied(cfg) else P["lm_head.weight"])


# ------------------------------------------------------------------------------------------------
# model configs (key sets after the published config.json files of each family)
# ------------------------------------------------------------------------------------------------

def base_config(model_type, arch, **over):
    cfg = {
        "architectures": [arch],
        "attention_dropout": 0.0,
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "hidden_act": "silu",
        "hidden_size": 64,
        "initializer_range": 0.02,
        "intermediate_size": 128,
        "max_position_embeddings": 256,
        "model_type": model_type,
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06,
        "torch_dtype": "float32",
        "transformers_version": FORMAT_VERSION,
        "use_cache": True,
        "vocab_size": VOCAB_SIZE,
    }
    cfg.update(over)
    return cfg


def variants():
    llama = dict(attention_bias=False, mlp_bias=False, pretraining_tp=1, tie_word_embeddings=False)
    return [
        dict(name="tiny-llama3-rope", embed_std=EMBED_STD_UNTIED,
             wrong=[("llama3_no_smoothing", "llama3 rope with a hard cut at original/low_freq_factor (no smoothed medium band)"),
                    ("rope_default", "rope_scaling ignored (plain rope_theta frequencies)"),
                    ("rope_linear", "linear scaling by the same factor (every frequency divided)")],
             config=base_config("llama", "LlamaForCausalLM", **llama, head_dim=16, max_position_embeddings=128,
                                rope_theta=10000.0,
                                rope_scaling={"factor": 4.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                              "original_max_position_embeddings": 32, "rope_type": "llama3"})),
        dict(name="tiny-llama-yarn", embed_std=EMBED_STD_UNTIED,
             wrong=[("yarn_no_attention_factor", "yarn frequencies without the 0.1*ln(factor)+1 attention factor on cos/sin"),
                    ("rope_linear", "linear scaling by the same factor")],
             config=base_config("llama", "LlamaForCausalLM", **llama, head_dim=16, max_position_embeddings=128,
                                rope_parameters={"factor": 4.0, "original_max_position_embeddings": 32,
                                                 "rope_theta": 10000.0, "rope_type": "yarn"})),
        dict(name="tiny-qwen2", embed_std=EMBED_STD_UNTIED,
             wrong=[("no_qkv_bias", "Qwen2 without its q/k/v biases"),
                    ("no_sliding_window", "use_sliding_window ignored (full attention on every layer)"),
                    ("sliding_window_every_layer", "sliding window on every layer (max_window_layers ignored)")],
             config=base_config("qwen2", "Qwen2ForCausalLM", max_window_layers=1, rope_scaling=None, rope_theta=1000000.0,
                                sliding_window=6, tie_word_embeddings=False, use_sliding_window=True)),
        dict(name="tiny-qwen3", embed_std=EMBED_STD_TIED,
             wrong=[("no_qk_norm", "Qwen3 without its per-head q_norm/k_norm")],
             config=base_config("qwen3", "Qwen3ForCausalLM", attention_bias=False, head_dim=32, max_window_layers=2,
                                rope_scaling=None, rope_theta=1000000.0, sliding_window=None, tie_word_embeddings=True,
                                use_sliding_window=False)),
        dict(name="tiny-smollm3", embed_std=EMBED_STD_TIED,
             wrong=[("rope_every_layer", "RoPE applied on the NoPE layer too")],
             config=base_config("smollm3", "SmolLM3ForCausalLM", attention_bias=False, max_window_layers=4, mlp_bias=False,
                                no_rope_layer_interval=4, no_rope_layers=[1, 1, 1, 0], num_hidden_layers=4, pad_token_id=PAD_ID,
                                pretraining_tp=1, rope_scaling=None, rope_theta=5000000.0, sliding_window=None,
                                use_sliding_window=False)),
    ]


def param_specs(cfg):
    """(name, shape, kind) in HF state-dict order."""
    H, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    nh, nkv, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim_of(cfg)
    specs = [("model.embed_tokens.weight", (V, H), "embed")]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}.self_attn."
        for proj, rows in (("q_proj", nh * d), ("k_proj", nkv * d), ("v_proj", nkv * d)):
            specs.append((p + proj + ".weight", (rows, H), "matrix"))
            if uses_qkv_bias(cfg):
                specs.append((p + proj + ".bias", (rows,), "bias"))
        specs.append((p + "o_proj.weight", (H, nh * d), "matrix"))
        if uses_o_bias(cfg):
            specs.append((p + "o_proj.bias", (H,), "bias"))
        if cfg["model_type"] == "qwen3":
            specs += [(p + "q_norm.weight", (d,), "norm"), (p + "k_norm.weight", (d,), "norm")]
        m = f"model.layers.{l}.mlp."
        specs += [(m + "gate_proj.weight", (I, H), "matrix"), (m + "up_proj.weight", (I, H), "matrix"),
                  (m + "down_proj.weight", (H, I), "matrix"),
                  (f"model.layers.{l}.input_layernorm.weight", (H,), "norm"),
                  (f"model.layers.{l}.post_attention_layernorm.weight", (H,), "norm")]
    specs.append(("model.norm.weight", (H,), "norm"))
    if not tied(cfg):
        specs.append(("lm_head.weight", (V, H), "matrix"))
    return specs


def make_weights(cfg, seed, name, embed_std):
    rs = rstate(seed, "weights:" + name)
    W = {}
    for n, shape, kind in param_specs(cfg):
        z = rs.standard_normal(size=shape)
        a = {"norm": 1.0 + NORM_STD * z, "embed": embed_std * z, "bias": BIAS_STD * z, "matrix": MAT_STD * z}[kind]
        W[n] = torch.from_numpy(a.astype(np.float32))
    return W


# ------------------------------------------------------------------------------------------------
# expected outputs (same layout as the shared fixtures' expected.json)
# ------------------------------------------------------------------------------------------------

def random_ids(rs, n):
    return [int(x) for x in rs.randint(3, VOCAB_SIZE, size=n)]


def logps_for(logits_row, ids, n_prompt):
    lp = torch.log_softmax(logits_row, dim=-1)
    idx = torch.arange(n_prompt, len(ids))
    return lp[idx - 1, torch.as_tensor(ids, dtype=torch.long)[idx]]


def greedy(W, cfg, prompt, n_new, dtype):
    seq, margins = list(prompt), []
    for _ in range(n_new):
        logits = forward(W, cfg, [seq], dtype=dtype)[0, -1]
        top2 = torch.topk(logits, 2)
        margins.append(float(top2.values[0] - top2.values[1]))
        seq.append(int(torch.argmax(logits)))
    return seq[len(prompt):], margins


def compute_expected(W, cfg, seed, name, wrong):
    f32, f64 = torch.float32, torch.float64
    rs = rstate(seed, "inputs:" + name)
    out = {}

    ids = [BOS_ID] + random_ids(rs, 23)
    l32, l64 = forward(W, cfg, [ids], dtype=f32)[0], forward(W, cfg, [ids], dtype=f64)[0]
    out["single"] = {"input_ids": ids, "logits": r8list(l32), "max_abs_diff_f32_vs_f64": r8(maxdiff(l32, l64)),
                     "logits_std": r8(float(l32.std())), "argmax_per_position": l32.argmax(-1).tolist()}

    seqs = [[BOS_ID] + random_ids(rs, 11), [BOS_ID] + random_ids(rs, 18)]
    lens = [len(s) for s in seqs]
    Tm = max(lens)
    ref32 = [forward(W, cfg, [s], dtype=f32)[0] for s in seqs]

    ids_r = [s + [PAD_ID] * (Tm - len(s)) for s in seqs]
    mask_r = [[1] * len(s) + [0] * (Tm - len(s)) for s in seqs]
    r32 = forward(W, cfg, ids_r, attention_mask=mask_r, dtype=f32)
    r64 = forward(W, cfg, ids_r, attention_mask=mask_r, dtype=f64)
    real_r32 = [r32[b, :lens[b]] for b in range(2)]
    d_unpad = max(maxdiff(real_r32[b], ref32[b]) for b in range(2))
    assert d_unpad < 1e-4, d_unpad
    out["padded_batch"] = {
        "padding_side": "right", "pad_token_id": PAD_ID, "input_ids": ids_r, "attention_mask": mask_r,
        "position_ids": [list(range(Tm)) for _ in range(2)], "position_ids_passed_to_model": False, "lengths": lens,
        "logits_layout": "logits[b] lists only the non-padded positions of row b, i.e. positions 0..lengths[b]-1",
        "logits": [r8list(t) for t in real_r32],
        "max_abs_diff_f32_vs_f64": r8(max(maxdiff(real_r32[b], r64[b, :lens[b]]) for b in range(2))),
        "max_abs_diff_vs_unpadded": r8(d_unpad),
    }

    ids_l = [[PAD_ID] * (Tm - len(s)) + s for s in seqs]
    mask_l = [[0] * (Tm - len(s)) + [1] * len(s) for s in seqs]
    pos_l = torch.clamp(torch.cumsum(torch.tensor(mask_l), dim=1) - 1, min=0).tolist()
    lf32 = forward(W, cfg, ids_l, attention_mask=mask_l, position_ids=pos_l, dtype=f32)
    lf64 = forward(W, cfg, ids_l, attention_mask=mask_l, position_ids=pos_l, dtype=f64)
    real_l32 = [lf32[b, Tm - lens[b]:] for b in range(2)]
    d_left = max(maxdiff(real_l32[b], ref32[b]) for b in range(2))
    assert d_left < 1e-4, d_left
    out["left_padded_batch"] = {
        "padding_side": "left", "pad_token_id": PAD_ID, "input_ids": ids_l, "attention_mask": mask_l,
        "position_ids": pos_l, "lengths": lens,
        "logits_layout": "logits[b] lists only the non-padded positions of row b, i.e. the last lengths[b] positions",
        "logits": [r8list(t) for t in real_l32],
        "max_abs_diff_f32_vs_f64": r8(max(maxdiff(real_l32[b], lf64[b, Tm - lens[b]:]) for b in range(2))),
        "max_abs_diff_vs_unpadded": r8(d_left),
    }

    p0, p1 = [BOS_ID] + random_ids(rs, 7), [BOS_ID] + random_ids(rs, 10)
    pairs = [(p0, random_ids(rs, 9) + [EOS_ID]), (p0, random_ids(rs, 5) + [EOS_ID]), (p1, random_ids(rs, 14) + [EOS_ID])]
    items, d32_64 = [], 0.0
    for pids, cids in pairs:
        full = pids + cids
        t32 = logps_for(forward(W, cfg, [full], dtype=f32)[0], full, len(pids))
        t64 = logps_for(forward(W, cfg, [full], dtype=f64)[0], full, len(pids))
        d32_64 = max(d32_64, maxdiff(t32, t64))
        items.append({"prompt_ids": pids, "completion_ids": cids, "per_token_logps": r8list(t32),
                      "sum_logp": r8(float(t32.sum())), "mean_logp": r8(float(t32.mean())),
                      "num_completion_tokens": len(cids)})
    out["completion_logps"] = {
        "definition": "per_token_logps[k] = log_softmax(logits[t-1])[ids[t]] for t = len(prompt_ids) + k, ids = prompt_ids + "
                      "completion_ids, each sequence run unpadded",
        "items": items, "max_abs_diff_f32_vs_f64": r8(d32_64),
    }

    # Item 0 meets eos before its last step (so stopping at eos is exercised), item 1 never does.
    grs = rstate(seed, "greedy:" + name)
    eos_item, plain, tried = None, None, 0
    while (eos_item is None or plain is None) and tried < 3000:
        tried += 1
        prompt = [BOS_ID] + random_ids(grs, int(grs.randint(4, 12)))
        new32, m32 = greedy(W, cfg, prompt, 16, f32)
        has_eos = EOS_ID in new32[:-1]
        if (has_eos and eos_item is not None) or (not has_eos and plain is not None):
            continue
        if min(m32) < GREEDY_MIN_MARGIN or greedy(W, cfg, prompt, 16, f64)[0] != new32:
            continue
        item = {"prompt_ids": prompt, "new_ids": new32, "eos_appeared": EOS_ID in new32,
                "first_eos_index": new32.index(EOS_ID) if EOS_ID in new32 else None,
                "min_top1_top2_logit_margin": r8(min(m32)), "same_tokens_in_f64": True}
        if has_eos:
            eos_item = item
        else:
            plain = item
    assert eos_item is not None and plain is not None, f"{name}: no greedy prompt meeting eos in {tried} candidates"
    chosen = [eos_item, plain]
    out["greedy"] = {"definition": "16 new tokens, full recomputation each step, argmax of the last position, no eos stop; "
                                   "prompts drawn until top1 - top2 >= %g at every step and float64 agrees; item 0 is the first "
                                   "such prompt whose continuation meets eos (id 2) before its last step, item 1 the first "
                                   "that does not" % GREEDY_MIN_MARGIN,
                     "max_new_tokens": 16, "items": chosen, "prompt_candidates_tried": tried}

    sanity = {}
    for wname, desc in wrong:
        d = maxdiff(forward(W, cfg, [ids], dtype=f32, wrong={wname})[0], l32)
        assert d > 1e-2, f"{name}: wrong variant {wname} only moves logits by {d}"
        sanity[wname] = {"description": desc, "max_abs_logit_diff_on_single": r8(d)}
    out["sanity_wrong_variants"] = sanity
    return out


def write_model(root, var, seed):
    name, cfg = var["name"], var["config"]
    dst = os.path.join(root, name)
    if os.path.isdir(dst):
        for f in ("config.json", "model.safetensors", "expected.json"):
            if os.path.exists(os.path.join(dst, f)):
                os.remove(os.path.join(dst, f))
    os.makedirs(dst, exist_ok=True)
    W = make_weights(cfg, seed, name, var["embed_std"])
    write_json(os.path.join(dst, "config.json"), cfg)
    write_safetensors(os.path.join(dst, "model.safetensors"), W)
    back = read_safetensors(os.path.join(dst, "model.safetensors"))
    assert set(back) == set(W) and all(torch.equal(back[k], W[k]) for k in W)
    p = rope_parameters(cfg)
    inv_freq, att = rope_frequencies(cfg)
    doc = {
        "model": name,
        "architecture": cfg["architectures"][0],
        "generator": "model-variants/make_model_variants.py (independent PyTorch re-implementation of transformers' eager "
                     "forward for this architecture; NOT produced by transformers)",
        "seed": seed,
        "torch_version": torch.__version__,
        "compute": "CPU, float32, no KV cache; every case rerun in float64 (max_abs_diff_f32_vs_f64)",
        "float_rounding": "all floats rounded to 8 significant digits",
        "resolved": {
            "head_dim": head_dim_of(cfg), "tie_word_embeddings": tied(cfg), "rope_parameters": p,
            "inv_freq": r8list(inv_freq), "attention_scaling": r8(att),
            "qkv_bias": uses_qkv_bias(cfg), "o_proj_bias": uses_o_bias(cfg), "qk_norm": cfg["model_type"] == "qwen3",
            "layer_uses_rope": [layer_uses_rope(cfg, l) for l in range(cfg["num_hidden_layers"])],
            "layer_sliding_window": [layer_window(cfg, l) for l in range(cfg["num_hidden_layers"])],
        },
        "weight_init": {"matrices_std": MAT_STD, "embed_tokens_std": var["embed_std"], "bias_std": BIAS_STD,
                        "norm_weights": f"1 + {NORM_STD} * N(0,1) (q_norm/k_norm too)",
                        "rng": "numpy.random.RandomState(derive_seed(seed, 'weights:<model>')) in HF state-dict order"},
    }
    doc.update(compute_expected(W, cfg, seed, name, var["wrong"]))
    write_json(os.path.join(dst, "expected.json"), doc, compact=True)
    return dst


# ------------------------------------------------------------------------------------------------
# RoPE cases: frequencies and attention factor of each type, standalone (real model sizes)
# ------------------------------------------------------------------------------------------------

def rope_case_configs():
    def llama(head_dim, theta, max_pos, **extra):
        c = {"model_type": "llama", "hidden_size": head_dim * 4, "num_attention_heads": 4, "head_dim": head_dim,
             "max_position_embeddings": max_pos}
        if theta is not None:
            c["rope_theta"] = theta
        c.update(extra)
        return c

    return [
        ("default", "no rope_scaling", llama(16, 10000.0, 256, rope_scaling=None), [8]),
        ("default-rope-parameters-theta-wins", "transformers 5 layout: rope_parameters.rope_theta wins over the top-level key",
         llama(64, 10000.0, 256, rope_parameters={"rope_theta": 500000.0, "rope_type": "default"}), [8]),
        ("linear-legacy-type-key", "linear, 4.x layout with the pre-4.43 'type' key",
         llama(64, 10000.0, 4096, rope_scaling={"factor": 2.0, "type": "linear"}), [8]),
        ("dynamic", "dynamic NTK: init frequencies up to max_position_embeddings, recomputed above it",
         llama(64, 10000.0, 64, rope_scaling={"factor": 2.0, "rope_type": "dynamic"}), [10, 64, 65, 100, 300]),
        ("llama3-llama-3.1-8b", "Llama-3.1-8B's rope_scaling", llama(128, 500000.0, 131072, rope_scaling={
            "factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192,
            "rope_type": "llama3"}), [8]),
        ("llama3-llama-3.2-1b-rope-parameters", "Llama-3.2-1B's values in the transformers 5 rope_parameters layout",
         llama(64, None, 131072, rope_parameters={"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                                  "original_max_position_embeddings": 8192, "rope_theta": 500000.0,
                                                  "rope_type": "llama3"}), [8]),
        ("yarn-qwen-legacy", "Qwen2.5's documented yarn block ('type' key, factor 4, original 32768 = max_position_embeddings)",
         llama(128, 1000000.0, 32768, rope_scaling={"factor": 4.0, "original_max_position_embeddings": 32768, "type": "yarn"}), [8]),
        ("yarn-no-truncate", "yarn with truncate false (fractional correction range), original length from max_position_embeddings",
         llama(64, 150000.0, 4096, rope_scaling={"beta_fast": 32.0, "beta_slow": 1.0, "factor": 32.0, "rope_type": "yarn",
                                                 "truncate": False}), [8]),
        ("yarn-mscale", "yarn with DeepSeek-style mscale / mscale_all_dim and custom betas",
         llama(64, 10000.0, 163840, rope_scaling={"beta_fast": 16, "beta_slow": 2, "factor": 40.0, "mscale": 0.707,
                                                  "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096,
                                                  "rope_type": "yarn"}), [8]),
        ("yarn-attention-factor", "yarn with an explicit attention_factor in the rope_parameters layout",
         llama(32, None, 1024, rope_parameters={"attention_factor": 1.5, "factor": 8.0, "original_max_position_embeddings": 128,
                                                "rope_theta": 10000.0, "rope_type": "yarn"}), [8]),
        ("yarn-top-level-original", "a top-level original_max_position_embeddings wins over the object's (transformers 5 standardize)",
         llama(32, 10000.0, 1024, original_max_position_embeddings=64,
               rope_scaling={"factor": 4.0, "original_max_position_embeddings": 256, "rope_type": "yarn"}), [8]),
    ]


def make_rope_cases(root):
    cases = []
    positions = [[0, 1, 5, 31, 63, 100]]
    for name, desc, cfg, seq_lens in rope_case_configs():
        evals = []
        for L in seq_lens:
            inv_freq, att = rope_frequencies(cfg, seq_len=L)
            # The positions of one call; for dynamic its largest position is L - 1, which sets the frequencies.
            call = positions if rope_parameters(cfg)["rope_type"] != "dynamic" else [sorted({p for p in positions[0] if p < L} | {L - 1})]
            cos, sin = cos_sin(inv_freq, att, torch.tensor(call), torch.float32)
            evals.append({"seq_len": L, "inv_freq": [float(v) for v in inv_freq.tolist()], "attention_scaling": float(att),
                          "positions": call[0], "cos": r8list(cos[0]), "sin": r8list(sin[0])})
        cases.append({"name": name, "description": desc, "config": cfg, "resolved_rope_parameters": rope_parameters(cfg),
                      "evaluations": evals})
    out = {
        "description": "RoPE inverse frequencies (float32 values written as exact decimals of the float), attention scaling and "
                       "cos/sin (8 significant digits) computed by make_model_variants.py's mirror of transformers 5's "
                       "modeling_rope_utils.py (standardize_rope_params, _compute_{default,linear,dynamic,yarn,llama3}_parameters, "
                       "dynamic_rope_update on a fresh model). 'config' holds the config.json keys that matter; a test adds the "
                       "remaining required Llama keys. seq_len = max(position_ids) + 1 of the call (only dynamic uses it).",
        "torch_version": torch.__version__,
        "cases": cases,
    }
    os.makedirs(os.path.join(root, "model-variants"), exist_ok=True)
    write_json(os.path.join(root, "model-variants", "rope_cases.json"), out, compact=True)


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    root = os.path.abspath(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) == 3 else 1234
    torch.manual_seed(0)
    torch.set_num_threads(1)
    make_rope_cases(root)
    for var in variants():
        dst = write_model(root, var, seed)
        size = sum(os.path.getsize(os.path.join(dst, f)) for f in os.listdir(dst))
        print(f"{var['name']}: {size} bytes")


if __name__ == "__main__":
    main()
