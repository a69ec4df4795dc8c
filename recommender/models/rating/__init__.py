"""Rating prediction: how many stars a person would give a film (issue 18), numpy only.

Baselines (global mean, item mean, user mean, user + item biases), biased matrix
factorisation by ALS (with the person's genre weights), item kNN on baseline residuals, the
genre neighbours (the person's residuals on films of the same kind), and the served blend,
tuned on a validation split of the training ratings. Every model folds a person's current
ratings in at prediction time (see base.py)."""
from .base import RATING_REGISTRY, RatingModel, load_rating_model
from .baselines import Biases, GlobalMean, ItemMean, UserMean
from .blend import RatingBlend, fit_tuned, tune
from .factors import BiasedMF
from .neighbours import GenreNeighbours, KNNBaseline

__all__ = [
           "RATING_REGISTRY",
           "BiasedMF",
           "Biases",
           "GenreNeighbours",
           "GlobalMean",
           "ItemMean",
           "KNNBaseline",
           "RatingBlend",
           "RatingModel",
           "UserMean",
           "fit_tuned",
           "load_rating_model",
           "tune",
]
