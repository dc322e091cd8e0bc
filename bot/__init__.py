"""optout-bot: helps people keep their social-media content out of AI training."""

__version__ = "0.1.0"
