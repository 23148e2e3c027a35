"""Indexing: the text that is indexed for each unit, the manifest, the vector and lexical stores."""
