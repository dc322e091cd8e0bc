"""The bot's languages: detection, interface-string catalogues, CLDR formatting.

Framework-free like the rest of the core; nothing here knows Telegram.
"""
