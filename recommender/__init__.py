"""The recommender library: store, data sources, models, evaluation. No Flask in here."""
