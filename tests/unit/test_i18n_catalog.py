from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural

from bot.i18n.catalog import (
    LOCALE_DIR,
    TRANSLATED_LANGUAGES,
    CatalogError,
    catalog_problems,
    load_catalogs,
    read_catalog,
)
from bot.knowledge.coverage import catalog_html_problems, translation_problems
from bot.knowledge.problems import ERROR

ROOT = Path(__file__).resolve().parents[2]

HEADER = """msgid ""
msgstr ""
"Language: {lang}\\n"
"Plural-Forms: {plural}\\n"
"Content-Type: text/plain; charset=utf-8\\n"

"""

GERMAN = """
msgid "Your checklist"
msgstr "Deine Checkliste"

msgid "{count} reminder"
msgid_plural "{count} reminders"
msgstr[0] "{count} Erinnerung"
msgstr[1] "{count} Erinnerungen"

msgctxt "button"
msgid "Done"
msgstr "Erledigt"

msgid "Done"
msgstr "Fertig"

#, fuzzy
msgid "Later"
msgstr "Spaeter vielleicht"

msgid "Not for me"
msgstr ""

msgid "Deadline: {date}"
msgstr "Frist: {datum}"

msgid "<b>Sources</b>"
msgstr "<b>Quellen"
"""

POLISH = """
msgid "{count} day"
msgid_plural "{count} days"
msgstr[0] "{count} dzień"
msgstr[1] "{count} dni"
msgstr[2] "{count} dni"

msgid "one reminder"
msgid_plural "{count} reminders"
msgstr[0] "jedno przypomnienie"
msgstr[1] "{count} przypomnienia"
msgstr[2] "{count} przypomnień"
"""


def write_catalogs(root: Path, **bodies: str) -> Path:
    """Every translated language's catalogue under root; the given ones with entries."""
    for lang in TRANSLATED_LANGUAGES:
        path = root / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True)
        plural = f"nplurals={get_plural(lang).num_plurals}; plural={get_plural(lang).plural_expr};"
        path.write_text(HEADER.format(lang=lang, plural=plural) + bodies.get(lang, ""), "utf-8")
    return root


def test_the_shipped_catalogues_all_load_with_their_languages_plural_rules():
    catalogs = load_catalogs()
    for lang in TRANSLATED_LANGUAGES:
        catalog = read_catalog(lang)
        assert str(catalog.locale).split("_")[0] == lang
        assert catalog.num_plurals == get_plural(lang).num_plurals
        assert catalogs.get(lang).language == lang
    assert catalogs.get("en").gettext("Your checklist") == "Your checklist"


def test_gettext_ngettext_and_context(tmp_path):
    de = load_catalogs(write_catalogs(tmp_path, de=GERMAN)).get("de")
    assert de.gettext("Your checklist") == "Deine Checkliste"
    assert de.ngettext("{count} reminder", "{count} reminders", 1) == "{count} Erinnerung"
    assert de.ngettext("{count} reminder", "{count} reminders", 3) == "{count} Erinnerungen"
    assert de.pgettext("button", "Done") == "Erledigt"
    assert de.gettext("Done") == "Fertig"


def test_missing_empty_and_fuzzy_entries_read_in_english(tmp_path):
    de = load_catalogs(write_catalogs(tmp_path, de=GERMAN)).get("de")
    assert de.gettext("Later") == "Later"
    assert de.gettext("Not for me") == "Not for me"
    assert de.gettext("Never wrapped") == "Never wrapped"
    assert de.ngettext("{n} chat", "{n} chats", 1) == "{n} chat"
    assert de.ngettext("{n} chat", "{n} chats", 2) == "{n} chats"
    assert de.npgettext("button", "{n} app", "{n} apps", 2) == "{n} apps"


def test_polish_uses_its_three_plural_forms(tmp_path):
    pl = load_catalogs(write_catalogs(tmp_path, pl=POLISH)).get("pl")
    forms = [pl.ngettext("{count} day", "{count} days", n) for n in (1, 3, 5, 22, 25)]
    assert forms == ["{count} dzień", "{count} dni", "{count} dni", "{count} dni", "{count} dni"]
    reminders = [pl.ngettext("one reminder", "{count} reminders", n) for n in (1, 2, 5, 12)]
    assert reminders == [
        "jedno przypomnienie",
        "{count} przypomnienia",
        "{count} przypomnień",
        "{count} przypomnień",
    ]


def test_unknown_or_missing_language_reads_english(tmp_path):
    catalogs = load_catalogs(write_catalogs(tmp_path, de=GERMAN))
    assert catalogs.get("ru").gettext("Your checklist") == "Your checklist"
    assert catalogs.get(None).language == "en"


def test_a_missing_catalogue_stops_start_up_with_its_path(tmp_path):
    write_catalogs(tmp_path)
    (tmp_path / "nl" / "LC_MESSAGES" / "messages.po").unlink()
    with pytest.raises(CatalogError, match=r"nl/LC_MESSAGES/messages.po: missing"):
        load_catalogs(tmp_path)


@pytest.mark.parametrize(
    "tail",
    [b'msgid "Later"\nthis line is no po syntax\n', b'msgid "A"\n', b'msgid "A"\nmsgstr "\xff"\n'],
)
def test_a_broken_catalogue_stops_start_up_with_its_path(tmp_path, tail):
    write_catalogs(tmp_path)
    broken = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    broken.write_bytes(broken.read_bytes() + tail)
    with pytest.raises(CatalogError, match=r"fr/LC_MESSAGES/messages.po: "):
        load_catalogs(tmp_path)


def test_problems_name_untranslated_entries_and_changed_placeholders_or_tags(tmp_path):
    write_catalogs(tmp_path, de=GERMAN, pl=POLISH)
    problems = catalog_problems("de", tmp_path)
    assert any("untranslated: 'Later'" in p for p in problems)
    assert any("untranslated: 'Not for me'" in p for p in problems)
    assert any("placeholders or tags differ: 'Deadline: {date}'" in p for p in problems)
    assert any("placeholders or tags differ: '<b>Sources</b>'" in p for p in problems)
    assert len(problems) == 4
    assert all(
        p.startswith(str(tmp_path / "de" / "LC_MESSAGES" / "messages.po:")) for p in problems
    )
    assert catalog_problems("pl", tmp_path) == []


def test_a_plural_form_may_not_add_a_placeholder(tmp_path):
    body = 'msgid "{n} day"\nmsgid_plural "{n} days"\nmsgstr[0] "{n} Tag"\nmsgstr[1] "{x} Tage"\n'
    write_catalogs(tmp_path, de=body)
    assert len(catalog_problems("de", tmp_path)) == 1


def test_the_shipped_catalogues_have_no_problems():
    for lang in TRANSLATED_LANGUAGES:
        assert catalog_problems(lang) == []
        assert catalog_html_problems(lang) == []


# Same tags and placeholders as the source, so `catalog_problems` passes them, but HTML that
# Telegram refuses ("can't parse entities"): the message would not be sent at all.
BAD_HTML = """
msgid "<b>Your checklist</b>"
msgstr "Deine </b>Checkliste<b>"

msgid "Privacy and settings"
msgstr "Datenschutz & Einstellungen"

msgid "<b>Time to <i>check</i></b>"
msgstr "<b>Zeit zum <i>Prüfen</b></i>"

msgid "{count} day"
msgid_plural "{count} days"
msgstr[0] "{count} Tag"
msgstr[1] "{count} Tage <3"

msgid "🔗 <a href=\"{url}\">Form</a>"
msgstr "🔗 <a href=\"{url}\">Formular</a>"

msgid "Fine &amp; well"
msgstr "Gut &amp; schön"
"""


def test_html_telegram_refuses_in_a_translation_is_an_error_with_its_line(tmp_path, kb):
    root = write_catalogs(tmp_path, de=BAD_HTML)
    assert catalog_problems("de", root) == []  # the tags and placeholders are the same
    found = catalog_html_problems("de", root)
    po = root / "de" / "LC_MESSAGES" / "messages.po"
    lines = po.read_text("utf-8").splitlines()

    def at(msgid: str) -> int:
        return lines.index(f"msgid {msgid}") + 1

    assert {(p.line, p.message.split(" in the translation")[0]) for p in found} == {
        (at('"<b>Your checklist</b>"'), "</b> closes nothing"),
        (at('"<b>Your checklist</b>"'), "<b> is never closed"),
        (at('"Privacy and settings"'), "bare '&': write &amp; (or 'and')"),
        (at('"<b>Time to <i>check</i></b>"'), "</b> closes <i>: tags overlap"),
        (at('"<b>Time to <i>check</i></b>"'), "</i> closes nothing"),
        (at('"{count} day"'), "bare '<': write &lt; or close the tag"),
    }
    assert all(p.file == str(po) and p.severity == ERROR for p in found)
    # `check` reports them as errors (it fails), next to the catalogue's warnings.
    problems, _ = translation_problems(kb, {}, ROOT / "faq", ["de"], locale_dir=root)
    assert [p for p in problems if p.severity == ERROR] == found


def test_babel_cfg_extracts_marked_strings_from_python_files(tmp_path):
    (tmp_path / "handlers.py").write_text(
        "def reply(_, ngettext):\n"
        "    # Translators: the greeting after /start\n"
        '    return _("Hello"), ngettext("{n} app", "{n} apps", 2)\n',
        "utf-8",
    )
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = list(
        extract_from_dir(str(tmp_path), method_map, options_map, comment_tags=("Translators:",))
    )
    messages = [entry[2] for entry in found]
    assert messages == ["Hello", ("{n} app", "{n} apps")]
    assert found[0][3] == ["Translators: the greeting after /start"]


def test_the_locale_folder_holds_the_template_and_one_catalogue_per_language():
    assert (LOCALE_DIR / "messages.pot").is_file()
    assert sorted(
        p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po")
    ) == sorted(TRANSLATED_LANGUAGES)
