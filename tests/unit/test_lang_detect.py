import pytest

from bot.lang.detect import (
    CLEAR_PROBABILITY,
    Detector,
    Guess,
    choose_language,
    default_detector,
)


@pytest.fixture(scope="module")
def detector() -> Detector:
    return default_detector()


def clear(language: str) -> Guess:
    return Guess(language, 0.99, "clear", 6, 30)


def likely(language: str) -> Guess:
    return Guess(language, 0.7, "likely", 2, 9)


# The rules, on hand-made guesses.


def test_a_clear_message_in_another_language_is_answered_in_it_with_an_offer():
    choice = choose_language(clear("de"), "en", "en")
    assert (choice.language, choice.source, choice.offer_switch) == ("de", "message", True)


def test_a_clear_message_in_the_stored_language_offers_nothing():
    choice = choose_language(clear("fr"), "fr", "de")
    assert (choice.language, choice.source, choice.offer_switch) == ("fr", "stored", False)


def test_a_likely_guess_never_overrides_the_stored_language():
    choice = choose_language(likely("nl"), "de", None)
    assert (choice.language, choice.source, choice.offer_switch) == ("de", "stored", False)


def test_telegram_language_outweighs_a_likely_guess_when_nothing_is_stored():
    choice = choose_language(likely("es"), None, "pt-br")
    assert (choice.language, choice.source) == ("pt", "telegram")


def test_a_clear_message_outweighs_telegram_when_nothing_is_stored():
    choice = choose_language(clear("it"), None, "en")
    assert (choice.language, choice.source, choice.offer_switch) == ("it", "message", False)


def test_a_likely_guess_is_used_only_when_nothing_else_is_known():
    assert choose_language(likely("pl"), None, None).language == "pl"
    assert choose_language(likely("pl"), None, "ru").language == "pl"


def test_no_guess_and_no_context_is_english():
    choice = choose_language(None, None, None)
    assert (choice.language, choice.source) == ("en", "default")
    weak = Guess("nl", 0.3, "weak", 1, 4)
    assert choose_language(weak, None, None).language == "en"


def test_a_stored_language_outside_the_eight_counts_as_none():
    assert choose_language(None, "ru", "de").language == "de"
    assert choose_language(None, "pt-BR", None).language == "pt"


# The detector on real text.


@pytest.mark.parametrize(
    "text", ["ok", "ig?", "👍", "instagram", "Instagram!!", "ok thanks", "/start", ""]
)
def test_messages_without_language_evidence_get_no_guess(detector, text):
    assert detector.guess(text) is None


@pytest.mark.parametrize(
    "text",
    ["ok", "ig?", "thanks", "👍", "instagram", "whatsapp", "danke", "merci", "ok thx", "help"],
)
@pytest.mark.parametrize("stored", ["en", "de", "pt"])
def test_short_ambiguous_messages_never_flip_the_chat(detector, text, stored):
    choice = detector.choose(text, stored, "fr")
    assert (choice.language, choice.offer_switch) == (stored, False)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Wie kann ich bei Instagram widersprechen?", "de"),
        ("Comment est-ce que je refuse que Meta utilise mes photos ?", "fr"),
        ("¿Dónde está el formulario para oponerme en Facebook?", "es"),
        ("Dove trovo il modulo per oppormi su Instagram?", "it"),
        ("Waar vind ik het formulier om bezwaar te maken?", "nl"),
        ("Gdzie znajdę formularz sprzeciwu na Facebooku?", "pl"),
        ("Onde fica o formulário para me opor no Instagram?", "pt"),
        ("Where do I find the form to object on Instagram?", "en"),
    ],
)
def test_a_clear_question_is_answered_in_its_language_with_an_offer(detector, text, language):
    guess = detector.guess(text)
    assert guess is not None and guess.clear and guess.language == language
    assert guess.probability >= CLEAR_PROBABILITY
    stored = "en" if language != "en" else "de"
    choice = detector.choose(text, stored, None)
    assert (choice.language, choice.offer_switch) == (language, True)


def test_app_names_links_and_mentions_are_no_evidence(detector):
    assert detector.words("@optout_bot see https://www.facebook.com/help ig insta") == ["see"]
    assert detector.words("l'ia de meta, dell'app") == ["l'ia", "de", "dell'app"]


def test_extra_noise_words_extend_the_built_in_ones():
    custom = Detector(extra_noise_words=["Facebok", "threds"])
    assert custom.words("facebok threds instagram widerspruch") == ["widerspruch"]


def test_greetings_and_thanks_are_read_but_are_no_evidence_alone(detector):
    assert detector.guess("ok thanks") is None
    for text, language in (("merci", "fr"), ("ok danke", "de"), ("holaa", "es"), ("oii", "pt")):
        guess = detector.guess(text)  # a hint for a chat with nothing else to go on
        assert guess is not None and guess.language == language and guess.kind == "likely"
        assert detector.choose(text).language == language
        assert detector.choose(text, None, "nl").language == "nl"
        assert detector.choose(text, "en", None).language == "en"
    thanks = detector.guess("vielen Dank")  # "vielen" alone: one word, never clear
    assert thanks is not None and not thanks.clear
    assert detector.words("hola, cómo me opongo") == ["hola", "cómo", "me", "opongo"]


def test_a_single_word_is_never_clear_however_probable(detector):
    guess = detector.guess("dziękuję")
    assert guess is not None and guess.language == "pl" and not guess.clear


def test_reply_language_uses_the_shared_detector():
    from bot.lang.detect import reply_language

    choice = reply_language("Ik wil bezwaar maken tegen het gebruik van mijn foto's", "en")
    assert (choice.language, choice.offer_switch) == ("nl", True)
    assert default_detector() is default_detector()


def test_a_short_english_question_without_its_app_name_stays_english():
    """ "how do i object on" (the app name is not evidence) was only "likely" Polish to the
    model, and the console and `ask` answered in Polish."""
    from bot.lang.detect import reply_language

    for question in ("how do i object on facebook", "how do i object on instagram"):
        assert reply_language(question).language == "en", question


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("claude usa mis chats para entrenar?", "es"),  # the model: weak Spanish
        ("ce bot revend mes donnees ?", "fr"),  # weak French
        ("meta ki widerspruch formular", "de"),  # keywords only
        ("¿La IA de Meta lee mis chats de WhatsApp?", "es"),  # the model: likely French
        ("como me opor no facebook", "pt"),  # "me", "no": Portuguese too, no English evidence
    ],
)
def test_cue_words_of_one_language_decide_a_guess_that_is_not_clear(detector, text, language):
    guess = detector.guess(text)
    assert guess is not None and guess.language == language and guess.kind == "likely"
    assert detector.choose(text).language == language
    assert detector.choose(text, "en", None).language == "en"  # never a switch


@pytest.mark.parametrize(
    "text", ["eu court of justice meta ai", "anpd brazil meta ai decision", "best pizza near me"]
)
def test_english_words_and_authority_names_are_no_cue_for_another_language(detector, text):
    assert detector.choose(text).language == "en"


def test_a_word_two_languages_share_is_no_cue():
    from bot.lang.detect import cue_counts

    counts = cue_counts(["para", "como", "widerspruch"])
    assert counts["de"] == 1 and counts["es"] == 0 and counts["pt"] == 0


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("los dms tb??", "es"),  # "los": Spanish (and German), "tb": Spanish or Portuguese
        ("foto de perfil tb?", "pt"),  # "tb" shared: the model's ranking decides
        ("merci bcp", "fr"),
        ("ok spoko", "pl"),
        ("kkkk blz", "pt"),
        ("jo passt", "de"),
        ("mn account", "nl"),
    ],
)
def test_chat_shorthand_points_to_its_language_without_switching_a_chat(detector, text, language):
    assert detector.choose(text).language == language
    assert detector.choose(text, "en", None).language == "en"


@pytest.mark.parametrize(
    "text", ["kkkk ok ok", "grok opt out", "pure nonsense", "settings?", "cc", "lg", "eh?"]
)
def test_laughter_loanwords_and_english_words_leave_english_alone(detector, text):
    assert detector.choose(text).language == "en"


def test_loanwords_are_no_english_evidence():
    from bot.lang.detect import cue_scores

    assert cue_scores(["dms", "posts", "settings"])["en"] == 0
    assert cue_scores(["tb"])["es"] == cue_scores(["tb"])["pt"] == 0.5
