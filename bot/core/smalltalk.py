"""Small talk a person expects to work, and questions about the bot itself.

"thanks", "ok", "👍", "bye" get a short friendly word; "who are you", "are you from Meta",
"is this official" get the about-this-bot answer. Both are checked before the matcher and
only when the whole message is that: "thanks, how do I object on Instagram" is a question.
"""

from __future__ import annotations

import re

from bot.i18n.catalog import N_
from bot.lang.normalize import normalize

# The topic that says what this bot is: who runs it, what it stores, where its facts come from.
ABOUT_BOT_TOPIC = "about-this-bot"
_YOU = r"(?:you|u|this bot|the bot|this|this thing)"
_ABOUT_BOT = re.compile(
    rf"(?:who|what) (?:are|r) (?:you|u)"
    rf"|(?:who|what company|which company) (?:made|created|built|wrote|runs|owns|operates|"
    rf"programmed|developed|is behind|are behind|is running|pays for) {_YOU}"
    rf"|(?:are|r) (?:you|u) (?:from|with|part of|run by|made by|owned by|affiliated with|"
    rf"connected to|working for|paid by)? ?(?:meta|facebook|instagram|whatsapp|zuckerberg)"
    rf"|(?:(?:are|r) (?:you|u)|is {_YOU}) (?:an |a )?(?:official|legit|legitimate|scam|"
    rf"fake|trustworthy|real)(?: bot| service| account)?"
)

# What people say to a bot that helped them; each gets a short friendly word, not a "Sorry".
THANKS = frozenset(
    {
        "thanks", "thank you", "thx", "ty", "thanks a lot", "thank you so much", "many thanks",
        "cheers", "great thanks", "ok thanks", "ok thank you", "thanks again", "thank u",
        "danke", "merci", "gracias", "grazie", "obrigado", "obrigada", "dziekuje", "bedankt",
    }
)  # fmt: skip
ACKNOWLEDGEMENTS = frozenset(
    {
        "ok", "okay", "k", "kk", "okey", "cool", "great", "got it", "nice", "perfect", "alright",
        "all right", "sure", "fine", "ok cool", "awesome", "understood", "i see", "ah ok",
    }
)  # fmt: skip
GOODBYES = frozenset({"bye", "goodbye", "bye bye", "see you", "see ya", "ciao", "good night"})
# Emoji replies (without skin tone or variation selector) that mean "thanks" or "ok".
EMOJI_ACKNOWLEDGEMENTS = frozenset("👍👌🙏🙂😊👏✅❤💯🤝🙌😀😃")
# English source strings; the responder shows them in the reply's language (gettext).
SMALL_TALK_REPLIES = {
    "thanks": N_("You're welcome! 🙂 If anything else comes up, just ask."),
    "ok": N_("👍 Anything else? Ask me in your own words, or try /optout or /faq."),
    "bye": N_("Bye! 👋 Come back any time: /optout has the steps when you need them."),
}


def small_talk(text: str) -> str | None:
    """'thanks', 'ok', 'bye' or None: the kind of small talk `text` is, if it is only that."""
    word = normalize(text)
    if word in THANKS:
        return "thanks"
    if word in ACKNOWLEDGEMENTS:
        return "ok"
    if word in GOODBYES:
        return "bye"
    marks = [c for c in text if not c.isspace() and c not in "\ufe0f\u200d!." and not _skin(c)]
    if marks and all(c in EMOJI_ACKNOWLEDGEMENTS for c in marks):
        return "ok"
    return None


def _skin(char: str) -> bool:
    return "\U0001f3fb" <= char <= "\U0001f3ff"


def about_the_bot(text: str) -> bool:
    """Whether `text` is only a question about the bot itself ("are you from Meta?")."""
    return _ABOUT_BOT.fullmatch(normalize(text)) is not None
