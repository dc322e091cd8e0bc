from hypothesis import given
from hypothesis import strategies as st

from bot.lang.normalize import normalize
from bot.matching.synonyms import SynonymMap, build_synonyms


def test_case_accents_punctuation_and_space():
    assert normalize("  Wie  WIDERSPRÉCHE ich?!  ") == "wie widerspreche ich"


def test_contractions_with_and_without_apostrophe():
    assert normalize("I don’t want it") == "i do not want it"
    assert normalize("i dont want it") == "i do not want it"
    assert normalize("can't") == "cannot"


def test_zero_width_rtl_and_control_characters_vanish():
    assert normalize("in\u200bsta\u202e\x00gram") == "instagram"


def test_nfkc_folds_fullwidth_and_ligatures():
    assert normalize("ＦＢ ﬁle") == "fb file"


def test_repeated_letters_are_squeezed():
    assert normalize("pleeeeease") == "pleease"


def test_synonyms_map_phrases_before_words():
    syn = SynonymMap({"opt out": ["opt-out", "object"], "private messages": ["dms"]})
    assert syn.apply(normalize("how to opt-out of dms")) == "how to opt out of private messages"
    assert syn.apply("object") == "opt out"


def test_platform_aliases_become_platform_ids():
    syn = build_synonyms(
        {"opt out": ["stop"]}, {"instagram": ["insta", "ig"], "facebook": ["fb", "face book"]}
    )
    assert syn.apply("stop insta and face book") == "opt out instagram and facebook"


@given(st.text(max_size=300))
def test_normalize_is_idempotent_and_total(text):
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.strip()
    assert "  " not in once


def test_rewrite_tags_the_words_a_replacement_put_in():
    syn = SynonymMap({"opt out": ["object"], "children": ["kids"]})
    tagged = syn.rewrite([("object", False), ("kinder", False), ("kids", False)])
    assert tagged == [("opt", True), ("out", True), ("kinder", False), ("children", True)]


def test_an_alias_never_rewrites_a_canonical_form_or_a_reserved_phrase():
    from bot.matching.synonyms import english_reserved

    aliases = {"meta-ai-app": ["meta.ai"], "whatsapp": ["whats"], "facebook": ["face", "fb"]}
    syn = build_synonyms({"meta ai": ["metaai"]}, aliases)
    # "meta.ai" normalises to "meta ai", which the synonyms table owns: the assistant.
    assert syn.apply("is metaai the same as meta ai") == "is meta ai the same as meta ai"
    assert syn.apply("what is in my face feed") == "whatsapp in my facebook feed"
    english = build_synonyms({}, aliases, english_reserved(frozenset({"what", "is"})))
    # In English "whats" is "what is" and a face is a face; "fb" stays Facebook.
    assert english.apply("what is in my face feed on fb") == "what is in my face feed on facebook"
