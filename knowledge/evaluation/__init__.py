"""Evaluation of the knowledge base (retrieval recall, latency)."""
