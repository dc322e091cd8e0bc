"""The conversation core: text, commands and button presses in, replies out; no Telegram."""
