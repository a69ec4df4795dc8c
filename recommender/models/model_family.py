"""Which collaborative model a catalogue gets: the dense Hybrid (EASE, RP3beta, item-kNN: items²
floats each, the best quality on ML-100K) while items² fits comfortably, the ALS FactorHybrid
(items x 64 floats) above `LARGE_CATALOGUE_ITEMS`. 20,000 items is 1.6 GB per dense float32
matrix, and the Hybrid keeps five of them; ML-25M's 62,423 would need 15 GB each."""
from __future__ import annotations

import os

LARGE_CATALOGUE_ITEMS = 20_000
FAMILIES = ("auto", "dense", "factor")
ENV_VAR = "MODEL_FAMILY"  # auto | dense | factor: forces the choice for `flask index rebuild`


def requested(family: str | None = None) -> str:
    """`family` if given, else $MODEL_FAMILY, else "auto"; ValueError for anything else."""
    family = family or os.environ.get(ENV_VAR) or "auto"
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}: use one of {', '.join(FAMILIES)}")
    return family


def choose(n_items: int, family: str | None = None) -> str:
    """"dense" or "factor" for a catalogue of `n_items` movies."""
    family = requested(family)
    if family != "auto":
        return family
    return "factor" if n_items > LARGE_CATALOGUE_ITEMS else "dense"
