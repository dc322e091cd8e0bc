"""What `check` says about translations: what is missing, what was left in English.

All of it is a warning: the bot answers in English, with a note, wherever a translation is
missing, so nothing here stops it; `check --strict` fails on it. Reported for every language
once `faq/i18n/` exists (a language with no folder there is "not translated yet"), and for
the languages named with `--lang` in any case. The interface catalogues (gettext .po files)
are reported under the same rule, except HTML that Telegram would refuse in a translated
interface string: that is an error, since the message would not be sent at all.

English left in a translation is found with the language detector (bot/lang/detect.py) on
each text without its tags, placeholders, code and quoted labels (Meta's English menu labels
are quoted on purpose): a text, or a sentence of five words or more, that reads clearly as
English is reported.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.i18n.catalog import LOCALE_DIR, CatalogError, catalog_problems, po_path, read_catalog
from bot.i18n.languages import native_name
from bot.knowledge.fields import PROJECT_ROOT
from bot.knowledge.model import PLACEHOLDER_RE, KnowledgeBase
from bot.knowledge.problems import ERROR, WARNING, Problem
from bot.knowledge.telegram_html import check_html
from bot.knowledge.translations import (
    I18N_FOLDER,
    KINDS,
    TRANSLATED_LANGUAGES,
    Coverage,
    TranslatedText,
)
from bot.lang.detect import Detector

__all__ = ["catalog_html_problems", "coverage_line", "english_left", "translation_problems"]

MIN_SENTENCE_WORDS = 5
_QUOTED = re.compile(r"“[^”]*”|„[^“”]*[“”]|«[^»]*»|\"[^\"]*\"|<code>.*?</code>", re.S)
_TAG = re.compile(r"<[^>]+>")
_SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\n+")
_CATALOG_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<message>.*)$", re.S)


def readable(text: str) -> str:
    """The words of a text a reader reads as prose: no tags, placeholders, code or quotes."""
    text = PLACEHOLDER_RE.sub(" ", text)
    text = _QUOTED.sub(" ", text)
    return _TAG.sub(" ", text).replace("&amp;", "&")


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def english_left(detector: Detector, text: str) -> str | None:
    """The English in a translated text: all of it, or its first English sentence, else None."""
    prose = readable(text)
    for sentence in _SENTENCE.split(prose):
        guess = detector.guess(sentence)
        if (
            guess is not None
            and guess.clear
            and guess.language == "en"
            and guess.words >= MIN_SENTENCE_WORDS
        ):
            return " ".join(sentence.split())
    guess = detector.guess(prose)
    if guess is not None and guess.clear and guess.language == "en":
        return " ".join(prose.split())
    return None


def counted(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_problems(texts: Iterable[TranslatedText], detector: Detector) -> list[Problem]:
    found = []
    for item in texts:
        if _same(item.text, item.english):
            if len(item.text.split()) > 1:
                found.append(
                    Problem(item.file, item.line, f"{item.where} is the English text", WARNING)
                )
            continue
        left = english_left(detector, item.text)
        if left:
            found.append(
                Problem(
                    item.file,
                    item.line,
                    f"{item.where} has English left in it: “{_short(left)}”",
                    WARNING,
                )
            )
    return found


def _catalog_problem(entry: str) -> Problem:
    """A line of `catalog_problems` ('/abs/messages.po:12: untranslated: ...') as a Problem."""
    match = _CATALOG_LINE.match(entry)
    if match is None:
        return Problem("", None, entry, WARNING)
    return Problem(_relative(Path(match["file"])), int(match["line"]), match["message"], WARNING)


def _relative(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def catalog_html_problems(language: str, locale_dir: Path = LOCALE_DIR) -> list[Problem]:
    """Errors for translated interface strings that Telegram would refuse as HTML.

    Interface strings are sent with parse_mode=HTML, so a translation with a bare '&', a tag
    closed out of order or a tag Telegram does not know makes the whole message fail ("can't
    parse entities"); `catalog_problems` only compares which tags and placeholders are used.
    A problem the English source has too (a `{url}` placeholder as href) is not reported.
    """
    try:
        catalog = read_catalog(language, locale_dir)
    except CatalogError:
        return []  # catalog_problems reports it
    file = _relative(po_path(language, locale_dir))
    found = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        known = Counter(issue.message for source in ids for issue in check_html(source))
        label = ids[0] if len(ids[0]) <= 60 else ids[0][:57] + "..."
        for text in strings:
            for issue in check_html(text or ""):
                if known[issue.message] > 0:
                    known[issue.message] -= 1
                    continue
                found.append(
                    Problem(
                        file,
                        message.lineno,
                        f"{issue.message} in the translation of {label!r}",
                        ERROR,
                    )
                )
    return found


def coverage_line(kb: KnowledgeBase, coverage: Coverage) -> str:
    """'de (Deutsch): 37/40 topics, 8/8 platforms, 10/10 deadlines translated'."""
    name = f"{coverage.language} ({native_name(coverage.language)})"
    if not coverage.exists:
        return f"{name}: not translated yet"
    totals = {"topics": len(kb.topics), "platforms": len(kb.platforms)}
    totals["deadlines"] = len(kb.deadlines)
    parts = [f"{coverage.translated[k]}/{totals[k]} {k}" for k in KINDS]
    return f"{name}: {', '.join(parts)} translated"


def translation_problems(
    kb: KnowledgeBase,
    coverage: dict[str, Coverage],
    faq_dir: Path,
    languages: Sequence[str] | None = None,
    *,
    locale_dir: Path | None = None,
    detector: Detector | None = None,
) -> tuple[list[Problem], list[str]]:
    """Warnings for each reported language, and one line each saying how far it is.

    `languages`: those named with `--lang`; None reports every language when `faq/i18n/`
    exists and none otherwise.
    """
    if languages is None:
        if not (faq_dir / I18N_FOLDER).is_dir():
            return [], []
        languages = TRANSLATED_LANGUAGES
    problems: list[Problem] = []
    lines: list[str] = []
    for lang in languages:
        cov = coverage.get(lang) or Coverage(lang, f"{faq_dir.name}/{I18N_FOLDER}/{lang}")
        lines.append(coverage_line(kb, cov))
        if not cov.exists:
            problems.append(
                Problem(
                    cov.folder,
                    None,
                    f"{native_name(lang)} is not translated yet: "
                    f"{counted(len(kb.topics), 'topic')}, "
                    f"{counted(len(kb.platforms), 'platform')} and "
                    f"{counted(len(kb.deadlines), 'deadline')} are shown in English",
                    WARNING,
                )
            )
        problems.extend(cov.gaps)
        if cov.texts:
            if detector is None:  # app names and one-word aliases are no evidence
                names = {n for p in kb.platforms.values() for n in (p.name, *p.aliases)}
                detector = Detector(extra_noise_words=[n for n in names if " " not in n.strip()])
            problems.extend(_text_problems(cov.texts, detector))
        found = catalog_problems(lang, locale_dir) if locale_dir else catalog_problems(lang)
        problems.extend(_catalog_problem(entry) for entry in found)
        problems.extend(catalog_html_problems(lang, locale_dir or LOCALE_DIR))
    return problems, lines
