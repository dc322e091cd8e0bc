"""Turning what people type into a topic: normalisation, synonyms and fuzzy matching."""
