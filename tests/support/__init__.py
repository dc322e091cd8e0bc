"""What the tests share that is not a test: the Bot API stand-in, fixtures, factories, doubles."""
