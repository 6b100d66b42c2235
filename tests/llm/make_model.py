#!/usr/bin/env python3
"""Writes a tiny llama-architecture GGUF model with seeded random weights.

    make_model.py OUT.gguf [--seed N]

The model is for tests, not for text: 2 layers, embedding 64, 4 heads, feed-forward 128,
context 512, f32 (~95 K parameters, ~380 KB). Its vocabulary is character level so that
text and tokens map one to one, which makes a text continuation (prompt + the text already
generated) feed the server exactly the tokens an uninterrupted run had:

- tokenizer model `gpt2` (byte-level BPE): ids 0 and 1 are the BOS and EOS control tokens,
  spelled with non-ASCII characters so no text can produce them; then `\\n` and printable
  ASCII 0x20-0x7E, each one token, spelled the way byte-level BPE spells bytes.
- one merge, which can never fire (llama.cpp refuses a `gpt2` vocabulary without merges).
- the BOS and EOS output rows are each the mean of two other rows, so neither logit is ever
  the largest: greedy decoding never stops early, never emits BOS (a control token, empty
  text) and `max_tokens` sets the length.

Same seed and same gguf/numpy versions give a byte-identical file.
"""

import argparse
import os
import sys

import gguf
import numpy as np

N_LAYERS = 2
N_EMBD = 64
N_HEADS = 4
N_FF = 128
N_CTX = 512
BOS = "«bos»"
EOS = "«eos»"
# A chat template so /v1/chat/completions works too: one "role: content" line per message.
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}"
)


def byte_level_spelling():
    """GPT-2's byte -> unicode character table (printable bytes map to themselves)."""
    kept = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table = {b: chr(b) for b in kept}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def vocabulary():
    """Token strings and their types: BOS, EOS (control), then one token per character."""
    spell = byte_level_spelling()
    chars = [ord("\n")] + list(range(0x20, 0x7F))
    tokens = [BOS, EOS] + [spell[c] for c in chars]
    types = [gguf.TokenType.CONTROL] * 2 + [gguf.TokenType.NORMAL] * len(chars)
    return tokens, types


def weights(rng, n_vocab):
    """Every tensor by its llama.cpp name (with the `.weight` suffix llama.cpp looks up)."""

    def matrix(n_out, n_in):  # numpy (rows, cols) = ggml [n_in, n_out]
        return (rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32)

    tensors = {"token_embd.weight": rng.standard_normal((n_vocab, N_EMBD)).astype(np.float32)}
    for layer in range(N_LAYERS):
        blk = f"blk.{layer}."
        tensors[blk + "attn_norm.weight"] = np.ones(N_EMBD, dtype=np.float32)
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            tensors[blk + name + ".weight"] = matrix(N_EMBD, N_EMBD)
        tensors[blk + "ffn_norm.weight"] = np.ones(N_EMBD, dtype=np.float32)
        tensors[blk + "ffn_gate.weight"] = matrix(N_FF, N_EMBD)
        tensors[blk + "ffn_up.weight"] = matrix(N_FF, N_EMBD)
        tensors[blk + "ffn_down.weight"] = matrix(N_EMBD, N_FF)
    tensors["output_norm.weight"] = np.ones(N_EMBD, dtype=np.float32)
    output = matrix(n_vocab, N_EMBD)
    # BOS's and EOS's logits are each the mean of two others' logits, never above both: they
    # are never the argmax. EOS so that greedy decoding never stops early; BOS because it is
    # a control token that streams as empty text, so a continuation prompt made of the text
    # delivered so far would lack it and the model would diverge.
    output[0] = (output[4] + output[5]) / 2
    output[1] = (output[2] + output[3]) / 2
    tensors["output.weight"] = output
    return tensors


def write(path, seed):
    """Writes the model to path (atomically: a temporary file renamed)."""
    tokens, types = vocabulary()
    writer = gguf.GGUFWriter(path + ".tmp", gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    writer.add_name(f"connswap-tiny-seed{seed}")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYERS)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEADS)
    writer.add_head_count_kv(N_HEADS)
    writer.add_rope_dimension_count(N_EMBD // N_HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(tokens))
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges([f"{BOS} {EOS}"])  # never fires: no text spells these
    writer.add_bos_token_id(0)
    writer.add_eos_token_id(1)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)
    rng = np.random.default_rng(seed)
    for name, tensor in weights(rng, len(tokens)).items():
        writer.add_tensor(name, tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the .gguf file to write")
    parser.add_argument("--seed", type=int, default=1234, help="weights' seed (default 1234)")
    args = parser.parse_args()
    write(args.out, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
