"""Which of the eight languages a message is in, and which language to answer it in.

Identification is py3langid (a naive Bayes model over byte n-grams that ships inside its
wheel, so nothing is downloaded at run time) restricted to the eight languages, with its
probabilities normalised over them. Chat messages are short, and on one or two words any
model guesses, so the guess is graded before it is used:

- words that say nothing about the language (app names, "ok", "lol", "kkkk", links,
  numbers, emoji) are removed before the model sees the text;
- greetings and thanks ("merci", "danke", "thanks") stay for the model but are not counted
  as evidence, and with fewer than `MIN_LETTERS` letters of evidence the model is not
  asked: the greetings and chat words of one language alone ("merci", "moin", "holaa") make
  a "likely" guess, anything else none;
- a guess is *clear* with at least `CLEAR_MIN_WORDS` words, `CLEAR_MIN_LETTERS` letters and
  probability `CLEAR_PROBABILITY`; only a clear guess outweighs the chat's stored language
  or Telegram's `language_code`;
- a guess below that but at least `LIKELY_PROBABILITY` is used only when nothing else is
  known about the chat;
- a guess that is not clear yields to the message's *cue words* when they point to one
  language: function words and the subject's everyday words of one of the seven languages
  that no other language (English included) spells the same way ("mis", "donnees",
  "widerspruch", "zdjecia"), and the chat shorthand and slang of `_CHAT_WORDS` ("tb", "q",
  "mdr", "spoko"), where a word k languages write counts 1/k for each and the model's
  ranking breaks ties. Keyword-style and phone-typed messages ("meta ki widerspruch",
  "los dms tb??") are where the model is weakest: few words, half of them English loans,
  which is why the subject's loanwords (`_LOANWORDS`: "dms", "post", "settings") are no
  evidence for English either. A likely guess with no cue of its own yields to English
  function words ("grok opt out"). Cue words only ever make a guess "likely", never clear.

A wrong switch (an English reader suddenly answered in Dutch) costs more than a missed
one (the reader keeps the chat's language and can say /language), so the bar for clear is
high. The thresholds were set from that reasoning and short messages written for the tests,
not from the held-out sets that benchmarks/bench_language.py reports on.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, Literal

from bot.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES, normalize_language
from bot.lang.lexicon import LEXICONS
from bot.lang.normalize import normalize
from bot.lang.profiles import PROFILES

MIN_LETTERS: Final = 3
CLEAR_MIN_WORDS: Final = 2
CLEAR_MIN_LETTERS: Final = 10
CLEAR_PROBABILITY: Final = 0.90
LIKELY_PROBABILITY: Final = 0.50

# Lower-case words that are no evidence of a language: app and company names with their
# usual short forms, and the chat words every language borrows from English.
_NOISE = """
    meta facebook fb instagram insta ig whatsapp whatsap messenger threads oculus quest
    rayban llama zuck zuckerberg google gemini chatgpt openai tiktok youtube twitter
    linkedin app apps ai ki ia gdpr dsgvo rgpd avg rodo lgpd anpd cnpd cnil aepd uodo olg ok
    okay okey oki kk lol xd haha hahaha pls
    plz thx ty
"""
# Greetings and thanks: evidence inside a sentence, but people write "merci" or "ciao" in
# whatever language they speak, so they alone never make a message clear.
_COURTESY = """
    thanks thank merci danke dank gracias grazie obrigado obrigada bedankt dzięki dzieki
    hi hello hallo hey ciao salut hola olá ola
"""
NOISE_WORDS: Final[frozenset[str]] = frozenset(_NOISE.split())
COURTESY_WORDS: Final[frozenset[str]] = frozenset(_COURTESY.split())

# Common English words, and words of the other languages that are English words too
# ("die", "hat", "come", "son", "pro", "no"): never a cue for another language.
_ENGLISH_WORDS = """
    a about after again all also am an and any are as at back be been before being both but
    by can cannot come could data day did die do does doing done door down each even ever
    every fast few for from get go got had has hat have he her here him his how i if in into
    is it its just know last like made make man many may me might more most much must my
    need never new no nor not now of off on once one only or other our out over own per pro
    put said same see she should since so some still such take than that the their them then
    there these they this those through to too under until up us use used using very want
    war was way we well were what when where which while who why will with without would
    yes yet you your also art bin fast hut mist rat rot see sin son ten tot via
    halt tag fur accord aller avis bon canada collective date
    image images justice justification plus pour pub pubs protection publications reception
    ton genre informations encore infos passe favor sea hay pal mexico argentina class idea
    dove fare due non apart bent doe hen hoe mag met nut wet dan ale dane mam sad
    okej ate com nova pros judicial saber action conversation conversations discussion
    discussions message messages
"""
# English words every language borrows for the subject ("post", "dms", "reels", "settings"):
# never a cue for another language, and no English evidence either, since "los dms tb??" or
# "foto de perfil, settings?" are not English.
_LOANWORDS = """
    account accounts app apps bot chat chats comment comments content delete deadline email
    facebook fake form legal link mail meta model models official online photo photos post
    posts private profile public reel reels settings story stories training train video
    videos smart teenager opt selfie dm dms feed stories print screenshot login
"""

# Chat shorthand, slang and greetings, by language. Too short or too shared for the matcher's
# profiles, yet the surest sign of a phone-typed message's language ("q", "tb", "mdr",
# "spoko", "blz"). A word listed for k languages counts 1/k for each of them.
_CHAT_WORDS: dict[str, str] = {
    "de": "moin servus gell jo nee jup passt hab habs gibts isses bzw evtl vllt mfg los"
    " danke dankeschön tschüss hallo",
    "fr": "bcp mdr ptdr stp svp slt jsp jpp tkt dsl pk pq pcq ca ça oklm merci salut bjr coucou",
    "es": "q xq pq tb tmb tmbn porfa xfa vale hola holi gracias ke dnd los porfis mi",
    "it": "ciao cmq nn xke xché invece anche grz tvb ke raga boh grazie mi",
    "nl": "mn wss idd ook hoi doei bedankt dankjewel hallo",
    "pl": "nie jak czy spoko siema dzieki dzięki elo pzdr nwm wgl tez też mi",
    "pt": "q pq tb tbm vc vcs zap blz valeu mano oi nao não tao pra cade cadê hj agr"
    " obg flw msm obrigado obrigada olá desativa desativar desligar",
}
# Laughter is a sign of its language ("jajaja" Spanish, "mdr" French); "kkkk" and "haha" are
# written everywhere and are no evidence at all (see `_NOISE_PATTERN`).
_LAUGHTER: dict[str, re.Pattern[str]] = {
    "es": re.compile(r"j+a+j+[aj]*"),
    "fr": re.compile(r"(?:pt)?mdr+"),
}
_NOISE_PATTERN = re.compile(r"k{3,}|(?:ha){2,}h?|a?h(?:ah)+|e?h(?:eh)+|r+s+")


@cache
def _cue_words() -> dict[str, frozenset[str]]:
    """Per language, the accent-folded words that only it spells that way ("en" too).

    Drawn from the matcher's language profiles (function words, negations, "only") and
    its bridge lexicon (the subject's everyday words); a word two languages share, or an
    English word, is no cue.
    """

    loans = set(_LOANWORDS.split())
    english = set(_ENGLISH_WORDS.split()) | NOISE_WORDS | COURTESY_WORDS | _ENGLISH_CUES | loans
    prof = PROFILES[DEFAULT_LANGUAGE]
    english |= prof.negations | prof.only | prof.fillers | prof.conjunctions
    words: dict[str, set[str]] = {}
    for lang, table in LEXICONS.items():
        found = words.setdefault(lang, set())
        for target, variants in table.items():
            english.update(normalize(target).split())
            for variant in variants:
                found.update(normalize(variant).split())
        prof = PROFILES[lang]
        found |= prof.stopwords | prof.negations | prof.only | prof.conjunctions
    seen: dict[str, int] = {}
    for found in words.values():
        for word in found:
            seen[word] = seen.get(word, 0) + 1
    cues = {
        lang: frozenset(w for w in found if seen[w] == 1 and w not in english and len(w) > 2)
        for lang, found in words.items()
    }
    # English evidence: the common English words no other language also writes ("me",
    # "no", "do", "come" are Spanish, Portuguese, Italian words too).
    # "out" is in the other lexicons only as the loan "opt-out", and stays English evidence.
    cues[DEFAULT_LANGUAGE] = frozenset(_ENGLISH_WORDS.split()) - (seen.keys() - {"out"}) - loans
    return cues


@cache
def _chat_weights() -> dict[str, dict[str, float]]:
    """Per accent-folded chat word, its weight for each language that writes it."""

    english = set(_ENGLISH_WORDS.split()) | set(_LOANWORDS.split())
    langs: dict[str, set[str]] = {}
    for lang, text in _CHAT_WORDS.items():
        for word in text.split():
            if normalize(word) not in english:  # an English word is never another's cue
                langs.setdefault(normalize(word), set()).add(lang)
    return {w: {lang: 1 / len(ls) for lang in ls} for w, ls in langs.items()}


def _fold_repeats(word: str) -> str:
    """ "holaa", "ciaooo", "oii" -> "hola", "ciao", "oi": stretched letters at the end."""
    while len(word) > 2 and word[-1] == word[-2]:
        word = word[:-1]
    return word


def cue_scores(words: Iterable[str]) -> dict[str, float]:
    """Per language, the weight of `words` that are its cue or chat words ("en": English)."""

    cues = _cue_words()
    chat = _chat_weights()
    scores = dict.fromkeys(cues, 0.0)
    for raw in words:
        word = normalize(raw)
        for lang, found in cues.items():
            if word in found:
                scores[lang] += 1
        weights = chat.get(word) or chat.get(_fold_repeats(word))
        if weights:
            for lang, weight in weights.items():
                scores[lang] += weight
        else:
            for lang, pattern in _LAUGHTER.items():
                if pattern.fullmatch(word):
                    scores[lang] += 1
    return scores


def cue_counts(words: Iterable[str]) -> dict[str, int]:
    """Per language, how many of `words` are its cue words ("en": common English words)."""

    folded = [normalize(w) for w in words]
    return {lang: sum(w in found for w in folded) for lang, found in _cue_words().items()}


def cue_language(
    words: Iterable[str], model_language: str, weak: bool, ranked: dict[str, float] | None = None
) -> str | None:
    """The language the cue words point to when they outweigh the model's guess.

    A cue language needs more cue weight than any other language and than the model's own
    language; a weak guess must also outweigh the English words. Languages tied on cue weight
    ("tb", "q": Spanish and Portuguese alike) are told apart by the model's probabilities.
    """
    scores = cue_scores(words)
    english = scores.pop(DEFAULT_LANGUAGE)
    prob = ranked or {}
    best = max(scores, key=lambda lang: (scores[lang], prob.get(lang, 0.0)))
    rest = max((c for lang, c in scores.items() if lang != best), default=0.0)
    rival = english if weak or model_language == DEFAULT_LANGUAGE else scores[model_language]
    if best == model_language:
        rival = english if weak else 0.0
    tied = ranked is not None and scores[best] == rest
    if scores[best] > 0 and (scores[best] > rest or tied) and scores[best] > rival:
        return best
    return None


_STRIP = re.compile(
    r"(?:https?://|www\.)\S+"  # links
    r"|[\w.+-]+@[\w-]+\.[\w.]+"  # e-mail addresses
    r"|(?<!\w)[@/#]\w+"  # @mentions, /commands, #tags
)
# Letters with apostrophes inside ("l'ia", "don't", "dell'app"); digits and "_" are no letters.
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")

Kind = Literal["clear", "likely", "weak"]
Source = Literal["message", "stored", "telegram", "default"]


@dataclass(frozen=True, slots=True)
class Guess:
    """The detector's best language for a text, graded by how far to trust it."""

    language: str
    probability: float
    kind: Kind
    words: int
    letters: int

    @property
    def clear(self) -> bool:
        return self.kind == "clear"


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    """The language to reply in, why, and whether to offer "Answer in X from now on".

    `offer_switch` is true when the chat has a stored language and the message is clearly in
    another of the eight: the reply is in the message's language, the stored one is kept.
    """

    language: str
    source: Source
    offer_switch: bool
    guess: Guess | None


class Detector:
    """py3langid restricted to the eight languages; build once.

    The model (about a second to load) is read on the first text with evidence, or by
    `load()`, so a bot can load it in a thread at start-up while "ok" and commands are
    already answered without it.
    """

    def __init__(self, extra_noise_words: Iterable[str] = ()) -> None:
        """`extra_noise_words`: more names that are no evidence, e.g. the platforms' aliases."""
        self._identifier: Any = None
        self._lock = threading.Lock()
        self._noise = NOISE_WORDS | {w.casefold() for w in extra_noise_words}

    def load(self) -> Detector:
        """Read the model now (thread-safe; once)."""
        if self._identifier is None:
            with self._lock:
                if self._identifier is None:
                    from py3langid.langid import MODEL_FILE, LanguageIdentifier

                    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                    identifier.set_languages(list(LANGUAGES))
                    self._identifier = identifier
        return self

    def classify_raw(self, text: str) -> tuple[str, float]:
        """py3langid's own answer on the unchanged text (the benchmark's baseline)."""
        language, probability = self.load()._identifier.classify(text)
        return language, float(probability)

    def words(self, text: str) -> list[str]:
        """The words of `text` the model reads: no links, mentions, numbers, app names or
        laughter everyone writes ("kkkk", "haha")."""
        words = _WORD.findall(_STRIP.sub(" ", text))
        return [
            w
            for w in words
            if w.casefold() not in self._noise and not _NOISE_PATTERN.fullmatch(w.casefold())
        ]

    def guess(self, text: str) -> Guess | None:
        """The most probable of the eight languages, or None when the text has no evidence.

        A greeting or thanks of one language alone ("merci", "moin", "holaa") is a "likely"
        guess: never enough to switch a chat, enough for a first message in a chat with
        nothing else to go on."""
        words = self.words(text)
        evidence = [w for w in words if w.casefold() not in COURTESY_WORDS]
        letters = sum(len(w) for w in evidence)
        if letters < MIN_LETTERS:
            return self._greeting(words, letters)
        joined = " ".join(words)
        language, probability = self.classify_raw(joined)
        kind: Kind
        if (
            probability >= CLEAR_PROBABILITY
            and len(evidence) >= CLEAR_MIN_WORDS
            and letters >= CLEAR_MIN_LETTERS
        ):
            kind = "clear"
        elif probability >= LIKELY_PROBABILITY:
            kind = "likely"
        else:
            kind = "weak"
        if kind != "clear":
            ranked = dict(self.load()._identifier.rank(joined))
            cue = cue_language(words, language, kind == "weak", ranked)
            if cue is not None and (cue != language or kind == "weak"):
                language, probability, kind = cue, float(ranked.get(cue, 0.0)), "likely"
            elif cue is None and kind == "likely" and language != DEFAULT_LANGUAGE:
                # "grok opt out": the model's likely Dutch rests on letters alone, while
                # "out" is an English word; English evidence and no cue for the guess.
                scores = cue_scores(words)
                if scores[DEFAULT_LANGUAGE] >= 1 and scores[language] == 0:
                    language = DEFAULT_LANGUAGE
                    probability = float(ranked.get(language, 0.0))
        return Guess(language, probability, kind, len(evidence), letters)

    def _greeting(self, words: list[str], letters: int) -> Guess | None:
        """A "likely" guess from greetings and chat words of one language alone, else None."""
        if not words:
            return None
        scores = cue_scores(words)
        scores.pop(DEFAULT_LANGUAGE)
        best = max(scores, key=scores.__getitem__)
        if scores[best] > 0 and all(c < scores[best] for lang, c in scores.items() if lang != best):
            return Guess(best, 0.0, "likely", 0, letters)
        return None

    def choose(
        self,
        text: str,
        stored: str | None = None,
        telegram_code: str | None = None,
        default: str = DEFAULT_LANGUAGE,
    ) -> LanguageChoice:
        """The reply language for `text` in a chat; see `choose_language`.

        A short English question with its app name taken out ("how do i object on") is
        only "likely" Polish to the model; two or more English function words outweigh a
        guess that is not clear."""
        guess = self.guess(text)
        if (
            guess is not None
            and not guess.clear
            and guess.language != DEFAULT_LANGUAGE
            and len(_ENGLISH_CUES.intersection(text.lower().split())) >= 2
        ):
            guess = None
        return choose_language(guess, stored, telegram_code, default)


def choose_language(
    guess: Guess | None,
    stored: str | None,
    telegram_code: str | None,
    default: str = DEFAULT_LANGUAGE,
) -> LanguageChoice:
    """Apply the rules: clear message > stored language > Telegram's > likely guess > the
    operator's default (DEFAULT_LANGUAGE, English unless set).

    A message that is not clearly in a language never changes anything, so "ok", "ig?",
    "thanks", "👍" or a bare app name keep the chat's language. A stored language outside the
    eight (an old row, a hand-edited one) counts as none.
    """
    stored_language = normalize_language(stored)
    clear = guess.language if guess is not None and guess.clear else None
    if stored_language is not None:
        if clear is not None and clear != stored_language:
            return LanguageChoice(clear, "message", True, guess)
        return LanguageChoice(stored_language, "stored", False, guess)
    if clear is not None:
        return LanguageChoice(clear, "message", False, guess)
    telegram_language = normalize_language(telegram_code)
    if telegram_language is not None:
        return LanguageChoice(telegram_language, "telegram", False, guess)
    if guess is not None and guess.kind == "likely":
        return LanguageChoice(guess.language, "message", False, guess)
    return LanguageChoice(default, "default", False, guess)


# Words that are English and no function word of the other seven ("do", "i", "on", "to",
# "my", "is" are, in Polish, Italian, French or Dutch).
_ENGLISH_CUES = frozenset(
    {
        "how",
        "the",
        "what",
        "does",
        "can",
        "with",
        "and",
        "you",
        "your",
        "should",
        "will",
        "from",
        "using",
        "about",
        "object",
        "stop",
        "where",
        "when",
        "why",
        "which",
    }
)


@cache
def default_detector() -> Detector:
    """The process-wide detector; `default_detector().load()` at start-up pays the load then."""
    return Detector()


def reply_language(
    text: str, stored: str | None = None, telegram_code: str | None = None
) -> LanguageChoice:
    """The reply language for `text` with the default detector."""
    return default_detector().choose(text, stored, telegram_code)
