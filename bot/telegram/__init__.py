"""The Telegram adapter: PTB handlers, start-up and shutdown, webhook and health check."""
