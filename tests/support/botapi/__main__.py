"""``python -m tests.support.botapi --port 0``: the stand-in as its own process."""

from tests.support.botapi.server import main

main()
