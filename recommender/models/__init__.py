"""Recommendation models: one contract (base.Model), numpy arrays in, numpy arrays out."""
from .als import ALS
from .base import REGISTRY, Model, ServingModel, binary, history, load_model
from .content import ContentModel
from .ease import EASE
from .factor_hybrid import FactorHybrid
from .factors import ItemFactors
from .hybrid import Hybrid
from .hybrid_base import SOURCE_CONTENT, SOURCE_CORATING, HybridBase
from .neighbours import ItemKNN, RP3beta
from .popularity import Popularity

__all__ = ["REGISTRY", "Model", "ServingModel", "HybridBase", "binary", "history", "load_model", "ContentModel", "EASE",
           "ItemFactors", "Hybrid", "ALS", "FactorHybrid", "ItemKNN", "RP3beta", "Popularity",
           "SOURCE_CONTENT", "SOURCE_CORATING", "make_model"]


def make_model(kind: str, **params) -> Model:
    """Build an unfitted model by kind name ("ease", "hybrid", ...)."""
    if kind not in REGISTRY:
        raise ValueError(f"unknown model kind {kind!r}; known: {sorted(REGISTRY)}")
    return REGISTRY[kind](**params)
