"""Per-chat features: each module answers its own commands and buttons through the core."""
