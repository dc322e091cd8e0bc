"""faq/i18n/<language>/: read into the model, checked against English with file and line, and
reported by `check` (missing languages and entries, texts left in English)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.knowledge.audit import run_check
from bot.knowledge.coverage import english_left
from bot.knowledge.loader import load_knowledge_base, read_knowledge_base
from bot.knowledge.model import PLACEHOLDER_RE
from bot.lang.detect import default_detector
from tests.conftest import ROOT
from tests.support.i18n_factory import (
    FORM_URL,
    LOCAL_SOURCE,
    multilingual_data,
    write_language,
    write_multilingual,
)
from tests.support.kb_factory import line_containing, write_faq

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def problems(faq: Path) -> list[str]:
    return [str(p) for p in read_knowledge_base(faq)[1]]


def german_file(faq: Path, name: str = "topics") -> Path:
    return faq / "i18n" / "de" / f"{name}.yaml"


def test_translations_are_read_into_the_model(tmp_path: Path):
    faq = write_multilingual(tmp_path)
    assert problems(faq) == []
    kb = load_knowledge_base(faq)
    topic = kb.topics["opt-out-instagram"]
    german = topic.text("de")
    assert german.title == "Widerspruch bei Instagram"
    assert len(german.alternates) == 8 and german.details is not None
    assert german.file == "faq/i18n/de/topics.yaml" and german.line > 0
    assert topic.text("fr") is topic.text("en")  # no French: English
    assert topic.has_text("de") and topic.has_text("pt") and not topic.has_text("fr")
    training = kb.topics["what-is-training"]
    disputed = training.disputed_in("de")
    assert disputed is not None and disputed.summary.startswith("Ob ein späterer Widerspruch")
    english = training.disputed_in("en")
    assert english is not None
    assert [p.sources for p in disputed.positions] == [p.sources for p in english.positions]
    assert disputed.positions[0].claim.startswith("Meta sagt")
    assert training.disputed_in("pt") == english  # not translated into Portuguese
    local = training.sources_in("de")
    assert local[: len(training.sources)] == training.sources
    assert local[-1].url == LOCAL_SOURCE["url"] and local[-1].date is not None
    assert training.sources_in("pt") == training.sources

    instagram = kb.platforms["instagram"]
    steps = instagram.for_language("de").routes["eu"]
    assert steps.steps[0].startswith("Öffne Instagram")
    assert steps.form_url == FORM_URL  # facts stay English's
    assert instagram.for_language("de").expect.startswith("Eine E-Mail")
    assert instagram.for_language("fr") is instagram
    assert not instagram.for_language("de").routes["other"].available
    # Aliases from every translation work in every language.
    assert {"instagramm", "insta-app"} <= set(instagram.aliases)
    assert kb.platform_by_name("instagramm") is instagram

    deadline = kb.deadlines["object-by"]
    assert deadline.for_language("pt").title == "Último dia para se opor"
    assert deadline.for_language("pt").at == deadline.at
    assert deadline.for_language("it") is deadline
    assert hash(deadline)  # still usable as a key (reminder rounds)
    assert len(kb.out_of_scope_translations["de"]) >= 20
    assert "pt" not in kb.out_of_scope_translations


def test_the_matcher_indexes_translated_phrasings_and_off_topic_ones(tmp_path: Path):
    from bot.matching.matcher import Matcher

    kb = load_knowledge_base(write_multilingual(tmp_path))
    matcher = Matcher(kb, embedder=None)
    assert "de" in matcher.languages_indexed and "pt" in matcher.languages_indexed
    found = matcher.match("Wie kann ich bei Instagram der KI widersprechen?", "de")
    assert (found.outcome, found.topic) == ("answer", "opt-out-instagram")
    held = matcher.match("ich habe mein instagram passwort vergessen", "de")
    assert held.outcome != "answer"


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (
            lambda d: d["de"]["topics"].update({"no-such-topic": {"title": "x"}}),
            "topics.yaml:{line}: unknown topic id 'no-such-topic'",
        ),
        (
            lambda d: d["de"]["topics"]["opt-out-instagram"].pop("answer"),
            "topics.yaml:{line}: topic 'opt-out-instagram' (de): missing 'answer' (English has it)",
        ),
        (
            lambda d: d["de"]["topics"]["opt-out-instagram"].update(
                answer="Schick das Formular ab, bis {{deadline:object-by:date}}."
            ),
            "placeholders differ from English (missing: object-by:; not in English: "
            "object-by:date)",
        ),
        (
            lambda d: d["de"]["topics"]["what-is-training"].update(
                answer='Lies <a href="https://other.example.org/">den Hinweis</a>.'
            ),
            "links differ from English (missing: https://regulator.example.org/notice; "
            "extra: https://other.example.org/)",
        ),
        (
            lambda d: d["de"]["topics"]["what-is-training"].update(
                answer=d["de"]["topics"]["what-is-training"]["answer"] + " <b>offen"
            ),
            "'answer': <b> is never closed",
        ),
        (
            lambda d: d["de"]["topics"]["opt-out-instagram"].update(title="A & B"),
            "plain text cannot contain '&'",
        ),
        (
            lambda d: d["de"]["platforms"]["instagram"]["routes"]["eu"]["steps"].pop(),
            "platforms.yaml:{line}: platform 'instagram' (de) route 'eu' has 2 steps; "
            "English has 3",
        ),
        (
            lambda d: d["de"]["platforms"]["instagram"]["routes"].pop("other"),
            "route 'other': missing, or not a mapping with steps (English has it)",
        ),
        (
            lambda d: d["de"]["platforms"]["instagram"]["routes"].update(uk={"steps": ["x"]}),
            "platform 'instagram' (de): route 'uk' is not in English",
        ),
        (
            lambda d: d["de"]["topics"]["what-is-training"].update(details="Mehr dazu."),
            "topic 'what-is-training' (de): 'details' is not in English; remove it",
        ),
        (
            lambda d: d["de"]["topics"]["what-is-training"]["disputed"]["positions"].pop(),
            "'disputed' has 1 positions; English has 2",
        ),
        (
            lambda d: d["de"]["topics"]["opt-out-instagram"].update(regions={"uk": "Im UK."}),
            "topic 'opt-out-instagram' (de): region 'uk' is not in English; remove it",
        ),
        (
            lambda d: d["de"]["deadlines"]["object-by"].update(before="Bis 10.12.2026."),
            "deadline 'object-by' (de): 'before' cannot hold a placeholder or a written date",
        ),
        (
            lambda d: d["de"]["deadlines"]["object-by"].pop("after"),
            "deadline 'object-by' (de): missing 'after' (English has it)",
        ),
    ],
)
def test_a_broken_translation_is_an_error_with_file_and_line(tmp_path: Path, break_it, expected):
    data = multilingual_data()
    break_it(data)
    faq = write_multilingual(tmp_path, data)
    found = problems(faq)
    path = german_file(faq, "platforms" if "platforms.yaml" in expected else "topics")
    if "{line}" in expected:
        needle = "no-such-topic:" if "unknown topic" in expected else "opt-out-instagram:"
        if "platforms.yaml" in expected:
            needle = "- Öffne Instagram"
        expected = expected.format(line=line_containing(path, needle))
    assert any(expected in p for p in found), found
    assert all(p.startswith("faq/i18n/de/") for p in found if "(de)" in p), found
    # The bot does not start on it, and says where.
    with pytest.raises(Exception, match="problem"):
        load_knowledge_base(faq)


def test_an_alias_colliding_with_another_platform_is_reported(tmp_path: Path):
    data = multilingual_data()
    data["en"]["platforms"].append(
        {**data["en"]["platforms"][0], "id": "facebook", "name": "Facebook", "aliases": ["fb"]}
    )
    data["de"]["platforms"]["instagram"]["aliases"] = ["fb"]
    found = problems(write_multilingual(tmp_path, data))
    assert any("alias 'fb' of 'instagram' (de) is also used by 'facebook'" in p for p in found)


def test_language_folder_and_language_key_must_agree(tmp_path: Path):
    faq = write_multilingual(tmp_path)
    (faq / "i18n" / "xx").mkdir()
    path = german_file(faq)
    path.write_text(path.read_text(encoding="utf-8").replace("language: de", "language: pt"))
    found = problems(faq)
    assert (
        "faq/i18n/xx: unknown language folder 'xx' (expected one of de, fr, es, it, nl, pl, pt)"
        in (found)
    )
    assert any(p.startswith("faq/i18n/de/topics.yaml:1: 'language: pt'") for p in found), found


def test_a_faq_without_translations_reports_nothing_about_them(tmp_path: Path):
    faq = write_faq(tmp_path, multilingual_data()["en"])
    report = run_check(faq, NOW)
    assert report.problems == [] and report.notes == []
    assert report.exit_code == 0


def test_check_reports_what_is_missing_as_warnings(tmp_path: Path):
    faq = write_multilingual(tmp_path)
    report = run_check(faq, NOW)
    lines = [str(p) for p in report.problems]
    assert report.errors == [] and report.exit_code == 0
    assert run_check(faq, NOW, strict=True).exit_code == 1
    assert (
        "faq/i18n/fr: warning: Français is not translated yet: 3 topics, 1 platform and "
        "1 deadline are shown in English"
    ) in lines
    assert any(
        line.startswith("faq/i18n/de/topics.yaml:")
        and "topic 'bot-privacy' is not translated yet" in line
        for line in lines
    )
    assert "faq/i18n/pt/out-of-scope.yaml: warning: no out-of-scope.yaml" in " ".join(lines)
    assert "de (Deutsch): 2/3 topics, 1/1 platforms, 1/1 deadlines translated" in report.notes
    assert "fr (Français): not translated yet" in report.notes


def test_check_lang_limits_the_report_to_one_language(tmp_path: Path):
    faq = write_multilingual(tmp_path)
    report = run_check(faq, NOW, languages=["pt"])
    assert report.notes == ["pt (Português): 1/3 topics, 1/1 platforms, 1/1 deadlines translated"]
    assert all("/pt" in p.file for p in report.problems), report.problems
    # Named explicitly, a language is reported even where faq/i18n/ does not exist.
    bare = write_faq(tmp_path / "bare", multilingual_data()["en"])
    (warning,) = run_check(bare, NOW, languages=["nl"]).problems
    assert str(warning).startswith("faq/i18n/nl: warning: Nederlands is not translated yet")


def test_untranslated_and_english_texts_and_few_alternates_are_reported(tmp_path: Path):
    data = multilingual_data()
    german = data["de"]["topics"]["opt-out-instagram"]
    english = data["en"]["topics"][0]
    german["question"] = english["question"]
    german["details"] = (
        "Er gilt ab dem Tag, an dem du ihn abschickst. This also covers the comments you "
        "wrote under other people's posts."
    )
    german["alternates"] = german["alternates"][:5]
    data["de"]["deadlines"]["object-by"]["after"] = (
        "The day has passed, but you can still object at any time."
    )
    faq = write_multilingual(tmp_path, data)
    lines = [str(p) for p in run_check(faq, NOW, languages=["de"]).problems]
    path = german_file(faq)
    question = line_containing(path, "question: How do I stop")
    assert (
        f"faq/i18n/de/topics.yaml:{question}: warning: topic 'opt-out-instagram' (de) 'question' "
        "is the English text"
    ) in lines
    assert any(
        "topic 'opt-out-instagram' (de) 'details' has English left in it: “This also covers" in line
        for line in lines
    ), lines
    assert any("topic 'opt-out-instagram' (de) has 5 alternates; at least 8" in x for x in lines)
    assert any(
        line.startswith("faq/i18n/de/deadlines.yaml:") and "'after' has English left" in line
        for line in lines
    ), lines
    assert not any("'answer'" in line for line in lines)  # the German answer is German


def test_english_left_ignores_names_quoted_labels_and_placeholders():
    detector = default_detector()
    assert (
        english_left(detector, "Tippe auf „Settings and privacy“ und dann auf Instagram.") is None
    )
    assert english_left(detector, 'Öffne <b>Accounts Centre</b> und tippe auf "Privacy".') is None
    text = "Widersprich bis {{deadline:object-by}}. You can still object at any time anyway."
    assert PLACEHOLDER_RE.search(text)
    assert english_left(detector, text) == "You can still object at any time anyway."
    assert english_left(detector, "Open Instagram and go to your settings page now.") is not None


def test_first_message_budget_applies_to_each_language(tmp_path: Path):
    data = multilingual_data()
    data["de"]["topics"]["opt-out-instagram"]["answer"] = (
        "Schick das Formular bis {{deadline:object-by}} ab. " + "Das ist wichtig. " * 50
    )
    data["de"]["platforms"]["instagram"]["routes"]["eu"]["steps"][0] = "Öffne Instagram. " * 40
    faq = write_multilingual(tmp_path, data)
    lines = [str(p) for p in run_check(faq, NOW).problems]
    assert any(
        line.startswith("faq/i18n/de/topics.yaml:")
        and "the first message (every region, de) is" in line
        for line in lines
    ), lines
    assert any(
        line.startswith("faq/i18n/de/platforms.yaml:") and "steps for 'eu' (de) are" in line
        for line in lines
    ), lines


def test_missing_files_are_gaps_not_errors(tmp_path: Path):
    data = multilingual_data()
    faq = write_multilingual(tmp_path, {"en": data["en"]})
    write_language(faq, "de", {"topics": data["de"]["topics"]})
    assert problems(faq) == []
    lines = [str(p) for p in run_check(faq, NOW, languages=["de"]).problems]
    assert (
        "faq/i18n/de/platforms.yaml: warning: no platforms.yaml: 1 platform shown in English"
        in (lines)
    )
    assert any("no deadlines.yaml: 1 deadline shown in English" in line for line in lines)


def test_cli_check_lang(tmp_path: Path):
    faq = write_multilingual(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "check", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={"FAQ_DIR": str(faq), "PATH": "/usr/bin:/bin"},
            timeout=120,
        )

    result = run("--lang", "pt")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pt (Português): 1/3 topics" in result.stdout
    assert "topic 'what-is-training' is not translated yet" in result.stdout
    assert "Deutsch" not in result.stdout
    assert run("--lang", "pt", "--strict").returncode == 1
    bad = run("--lang", "xx")
    assert bad.returncode == 2 and "invalid choice: 'xx'" in bad.stderr
