"""optout-bot: helps people keep their social-media content out of AI training."""

import os

__version__ = "0.1.0"

# PTB 22 deprecates integer durations (RetryAfter.retry_after and others) in favour of
# timedelta and warns on every 429 until a program opts in; the bot reads both forms.
os.environ.setdefault("PTB_TIMEDELTA", "true")
