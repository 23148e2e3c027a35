"""Retrieval: exact article references, dense + lexical search, fusion into calibrated scores."""
