"""Rendering knowledge-base entries as replies (Telegram HTML subset)."""
