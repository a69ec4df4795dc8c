"""The offline indexer: fits the models and writes complete, checked, versioned index folders."""
