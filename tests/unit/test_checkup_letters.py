"""Objection letters: the shipped texts, the choice of law and notes, and the file's checks."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import yaml

import bot.checkup.letters as letters_module
from bot.checkup.letters import (
    LETTERS_FILE,
    LetterError,
    UnknownTarget,
    letter_text,
    load_letters,
    render_letter,
)
from bot.knowledge.model import KnowledgeBase
from tests.conftest import kb  # noqa: F401 - fixture

BOOK = load_letters()
FACTS = Path("/work/shared/facts/meta-ai-optout.md")


def test_the_shipped_file_loads_and_names_no_unknown_target(kb: KnowledgeBase) -> None:
    assert set(BOOK.laws) == {"eu", "uk", "ch", "br"}
    assert BOOK.problems_with(kb) == []


@pytest.mark.parametrize(
    ("region", "law"),
    [
        ("eu", "Article 21 of the General Data Protection Regulation (GDPR)"),
        ("uk", "Article 21 of the UK GDPR"),
        ("br", "Article 18, § 2 of the Brazilian General Data Protection Law (LGPD)"),
        ("ch", "Swiss Federal Act on Data Protection"),
    ],
)
def test_an_objection_cites_the_regions_law(kb: KnowledgeBase, region: str, law: str) -> None:
    letter = render_letter(BOOK, kb, "instagram", region)
    assert letter.is_objection and law in letter.body
    assert "Instagram" in letter.body and "Meta" in letter.body
    assert letter.user_parts == (
        "[your account e-mail]",
        "[your username or profile link]",
        "[your name]",
    )
    assert letter.form_url == kb.platforms["instagram"].route_for(region)[1].form_url  # type: ignore[index]
    assert "{" not in letter.body and "}" not in letter.body


def test_no_reason_note_only_where_the_facts_say_so(kb: KnowledgeBase) -> None:
    no_reason = "No reason is required"
    for region in ("eu", "uk", "ch"):
        assert any(no_reason in n for n in render_letter(BOOK, kb, "facebook", region).notes)
    # Brazil's form has a reason box and no source says it may stay empty.
    assert not any(no_reason in n for n in render_letter(BOOK, kb, "facebook", "br").notes)
    assert not any(no_reason in n for n in render_letter(BOOK, kb, "linkedin", "eu").notes)


def test_where_to_send_it(kb: KnowledgeBase) -> None:
    facebook = render_letter(BOOK, kb, "fb", "eu")  # aliases work
    assert facebook.target_id == "facebook"
    assert any("optional text field" in n and facebook.form_url in n for n in facebook.notes)  # type: ignore[operator]
    linkedin = render_letter(BOOK, kb, "linkedin", "eu")
    assert any("/optout linkedin" in n for n in linkedin.notes) and linkedin.form_url is None
    whatsapp = render_letter(BOOK, kb, "whatsapp", "eu")
    assert any("no switch" in n for n in whatsapp.notes)
    third_party = render_letter(BOOK, kb, "meta-third-party", "eu")
    assert third_party.form_url == "https://www.facebook.com/help/contact/510058597920541"
    assert any("not confirmed" in n for n in third_party.notes)


def test_an_address_only_where_the_facts_give_one(kb: KnowledgeBase) -> None:
    facts = FACTS.read_text(encoding="utf-8") if FACTS.exists() else ""
    addresses = set()
    for target in BOOK.targets.values():
        if target.address:
            addresses.add(target.address)
            if facts:
                assert target.address in facts and target.subject in facts  # type: ignore[operator]
        if target.form_url and facts:
            assert target.form_url in facts
    assert addresses == {"feedback@slack.com"}
    for platform_id in kb.platforms:  # Slack is in faq/ too: its address is the facts'
        target = BOOK.targets.get(platform_id)
        expected = target.address if target is not None else None
        assert render_letter(BOOK, kb, platform_id, "eu").address == expected
    slack = render_letter(BOOK, kb, "slack", "other")
    assert slack.address == "feedback@slack.com"
    assert slack.subject == "Slack Global model opt-out request"
    assert any("owner" in n for n in slack.notes) and "[your workspace URL]" in slack.body
    letter_emails = set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", LETTERS_FILE.read_text()))
    assert letter_emails == addresses


def test_regions_without_a_right_get_a_request(kb: KnowledgeBase) -> None:
    for region in ("other", "us", "ca"):
        letter = render_letter(BOOK, kb, "x", region)
        assert not letter.is_objection and "GDPR" not in letter.body
        assert any("request, not a legal objection" in n for n in letter.notes)
    unknown = render_letter(BOOK, kb, "x", None)
    assert any("/region" in n for n in unknown.notes)


def test_the_general_text_for_any_company(kb: KnowledgeBase) -> None:
    letter = render_letter(BOOK, kb, None, "eu")
    assert letter.target_id is None and letter.is_objection
    assert "[company name]" in letter.body and "GDPR" in letter.body
    assert letter.user_parts[0] == "[company name]"
    assert any("data protection officer" in n for n in letter.notes)
    html = letter_text(letter)
    assert html.count("<pre>") == 1 and "[company name]" in html


def test_an_unknown_name_is_refused_and_nothing_typed_is_kept(kb: KnowledgeBase) -> None:
    with pytest.raises(UnknownTarget):
        render_letter(BOOK, kb, "<b>my secret e-mail me@example.org</b>", "eu")
    # Nothing the user types reaches a letter: it is built from ids, the region and the file.
    parameters = inspect.signature(render_letter).parameters
    assert list(parameters) == ["book", "kb", "target", "region", "language"]
    assert "bot.store" not in inspect.getsource(letters_module)


def test_every_platform_gets_a_letter_in_every_region(kb: KnowledgeBase) -> None:
    for platform_id in [*kb.platforms, *BOOK.targets]:
        for region in ("eu", "uk", "ch", "br", "other", None):
            letter = render_letter(BOOK, kb, platform_id, region)
            assert letter.body and letter.notes[-1].startswith("Replace the parts")


def test_a_translation_falls_back_to_english_when_missing(kb: KnowledgeBase) -> None:
    assert render_letter(BOOK, kb, "facebook", "eu", "xx") == render_letter(
        BOOK, kb, "facebook", "eu"
    )


@pytest.mark.parametrize(
    ("language", "law", "right"),
    [
        ("de", "gemäß Art. 21 der Datenschutz-Grundverordnung (DSGVO)", "widerspreche ich"),
        ("fr", "En application de l'article 21 du règlement général", "je m'oppose"),
        ("es", "De acuerdo con el artículo 21 del Reglamento General", "me opongo"),
        ("it", "ai sensi dell'articolo 21 del Regolamento generale", "mi oppongo"),
        ("nl", "Op grond van artikel 21 van de Algemene verordening", "maak ik bezwaar"),
        ("pl", "Na podstawie art. 21 ogólnego rozporządzenia", "wnoszę sprzeciw"),
        ("pt", "Com base no artigo 21 do Regulamento Geral", "manifesto minha oposição"),
    ],
)
def test_every_language_has_its_own_letter_citing_the_law_in_its_words(
    kb: KnowledgeBase, language: str, law: str, right: str
) -> None:
    english = render_letter(BOOK, kb, "instagram", "eu")
    letter = render_letter(BOOK, kb, "instagram", "eu", language)
    assert law in letter.body and right in letter.body and "Instagram" in letter.body
    assert "Article 21" not in letter.body and "I object" not in letter.body
    assert letter.subject != english.subject
    # The same facts: the form, the same number of [parts] to fill in, the same notes.
    assert letter.form_url == english.form_url and len(letter.notes) == len(english.notes)
    assert len(letter.user_parts) == len(english.user_parts) == 3
    assert not any(n.startswith("Replace the parts") for n in letter.notes)


def test_brazil_and_switzerland_cite_their_own_law_in_the_readers_language(
    kb: KnowledgeBase,
) -> None:
    assert "LGPD" in render_letter(BOOK, kb, "facebook", "br", "pt").body
    assert "no art. 18, § 2º" in render_letter(BOOK, kb, "facebook", "br", "pt").body
    swiss = render_letter(BOOK, kb, "facebook", "ch", "fr").body
    assert "loi fédérale sur la protection des données (LPD)" in swiss
    assert (
        "Bundesgesetzes über den Datenschutz (DSG)"
        in render_letter(BOOK, kb, "facebook", "ch", "de").body
    )


def test_a_language_without_a_name_for_a_law_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LetterError, match=r"laws.eu: no text for de"):
        load_letters(_write(tmp_path, lambda d: d["laws"]["eu"].pop("de")))


# -- the file's checks ----------------------------------------------------------------------


def _write(tmp_path: Path, change: object) -> Path:
    data = yaml.safe_load(LETTERS_FILE.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path = tmp_path / "letters.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _german(data: dict) -> None:  # type: ignore[type-arg]
    german = yaml.safe_load(yaml.safe_dump(data["texts"]["en"]))
    german["subject"] = "Widerspruch gegen die Nutzung meiner Daten für KI-Training"
    german["body"] = german["body"].replace("{company}", "{firma}")
    german["notes"]["placeholders"] = "Ersetze die Teile in eckigen Klammern."
    data["texts"]["de"] = german


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["texts"]["en"].update(body="Hi {name}"), "unknown placeholder {name}"),
        (lambda d: d["texts"]["en"].update(subject="Hi {"), "bad braces"),
        (lambda d: d["texts"].pop("en"), "must have a 'en' block"),
        (lambda d: d["texts"]["en"]["notes"].pop("no_reason"), "notes.no_reason: must be"),
        (lambda d: d["laws"].update(xx={"law": "X"}), "laws.xx: unknown region"),
        (lambda d: d["targets"]["slack"].update(address="not-an-address"), "e-mail address"),
        (lambda d: d["targets"]["slack"].pop("subject"), "needs the subject line"),
        (
            lambda d: d["targets"]["meta-third-party"].update(form_url="http://x.test"),
            "https://",
        ),
        (lambda d: d["targets"]["facebook"].update(no_reason_regions=["mars"]), "mars"),
        (lambda d: d["targets"]["facebook"].update(email="x@y.z"), "unknown key"),
        (_german, "texts.de.body: placeholders differ from English"),
        (_german, "texts.de.notes.placeholders: 0 [parts to fill in], English has 1"),
    ],
)
def test_a_broken_file_is_refused_with_every_problem(
    tmp_path: Path, change: object, message: str
) -> None:
    with pytest.raises(LetterError) as caught:
        load_letters(_write(tmp_path, change))
    assert message in str(caught.value)


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "letters.yaml"
    path.write_text("laws: [", encoding="utf-8")
    with pytest.raises(LetterError, match="cannot be read"):
        load_letters(path)
    with pytest.raises(LetterError, match="cannot be read"):
        load_letters(tmp_path / "missing.yaml")
