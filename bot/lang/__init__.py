"""What the bot knows about the words of its eight languages, below everything that uses it.

Normalising text (`normalize`), each language's function words, negations and stemmer
(`profiles`), the bridge from everyday words to the FAQ's English vocabulary (`lexicon`)
and telling which language a message is in (`detect`). The knowledge base's checks, the
matcher and the reply-language choice all read these; this package imports only
`bot.i18n.languages`, so none of them has to import another to share them.
"""
