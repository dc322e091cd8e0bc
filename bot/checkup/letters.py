"""Objection letters: a short text to paste into a form or send by e-mail. Pure.

The words are in `letters.yaml` beside this module (one block per language), the law per
region (its English name under `law`, and how each language names it, written to fit that
language's sentence) and what the facts say per platform too, so a translation or a new fact
is an edit of that file, not of code. A letter is built from the knowledge base and that
file only: the parts the user must fill in stay marked (`[your account e-mail]`); the bot
never asks for them, sends nothing and stores nothing.

Which letter:
- a region with a right to object (`laws`): an objection citing that law;
- any other region: a request, with a note that no legal right to object was found there;
- no region yet: the request, with a note to choose the region first;
- a platform whose facts give an e-mail address (Slack's workspace owner): that text, the
  address and the subject line, whatever the region;
- no platform: the general text for any company.
The notes say where to send it: the platform's objection form, its setting (quicker), or the
company's data protection contact; "no reason is required" only where the facts say so.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.checkup.checklist import Action, action_for
from bot.checkup.regions import REGION_FALLBACK
from bot.knowledge.model import DEFAULT_LANGUAGE, LANGUAGES, REGIONS, KnowledgeBase

__all__ = [
    "LETTERS_FILE",
    "Letter",
    "LetterBook",
    "LetterError",
    "UnknownTarget",
    "letter_text",
    "load_letters",
    "render_letter",
]

LETTERS_FILE = Path(__file__).with_name("letters.yaml")
KNOWN_REGIONS = frozenset(REGIONS) | frozenset(REGION_FALLBACK)
_USER_PART = re.compile(r"\[[^\[\]]+\]")

# Which {placeholders} each text may use: the bot fills exactly these.
_TEXT_FIELDS: dict[str, frozenset[str]] = {
    "subject": frozenset(),
    "body": frozenset({"company", "law", "service"}),
    "request_body": frozenset({"company", "service"}),
    "owner_body": frozenset(),
    "any_company": frozenset(),
    "any_service": frozenset(),
}
_NOTE_FIELDS: dict[str, frozenset[str]] = {
    "placeholders": frozenset(),
    "form": frozenset({"form_url"}),
    "route_form": frozenset({"platform_id", "form_url"}),
    "setting": frozenset({"service", "platform_id"}),
    "no_switch": frozenset({"service"}),
    "no_reason": frozenset(),
    "address": frozenset({"address", "subject"}),
    "owner": frozenset(),
    "reported": frozenset(),
    "any_company": frozenset(),
    "no_right": frozenset(),
    "choose_region": frozenset(),
}
_TARGET_KEYS = frozenset(
    {"no_reason_regions", "address", "subject", "sender", "form_url", "reported", "name", "company"}
)


class LetterError(ValueError):
    """letters.yaml is malformed; the message lists every problem."""


class UnknownTarget(LookupError):
    """No platform or letter target by that name."""


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    no_reason_regions: tuple[str, ...] = ()
    address: str | None = None
    subject: str | None = None
    sender: str | None = None  # "owner": only a workspace owner can send it
    form_url: str | None = None
    reported: bool = False
    name: str | None = None
    company: str | None = None


@dataclass(frozen=True, slots=True)
class LetterBook:
    laws: dict[str, dict[str, str]]  # region -> language -> the law as the body cites it
    targets: dict[str, Target]
    texts: dict[str, dict[str, Any]]  # language -> {text key: str, "notes": {note key: str}}

    def words(self, language: str) -> dict[str, Any]:
        return self.texts.get(language) or self.texts[DEFAULT_LANGUAGE]

    def problems_with(self, kb: KnowledgeBase) -> list[str]:
        """Targets that neither the knowledge base nor the file names (for `bot check`)."""
        return [
            f"letters.yaml: target '{t.id}' is not a platform in faq/ and has no name and company"
            for t in self.targets.values()
            if t.id not in kb.platforms and not (t.name and t.company)
        ]


@dataclass(frozen=True, slots=True)
class Letter:
    body: str
    subject: str
    notes: tuple[str, ...] = ()
    target_id: str | None = None  # None: the general text for any company
    is_objection: bool = False  # cites a law (False: a request)
    address: str | None = None  # where to e-mail it, when the facts give one
    form_url: str | None = None
    user_parts: tuple[str, ...] = field(default=())  # the [marked] parts the user fills in


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise LetterError(f"bad braces in {text[:40]!r}: {exc}") from None


def _check_text(where: str, text: Any, allowed: frozenset[str], problems: list[str]) -> None:
    if not isinstance(text, str) or not text.strip():
        problems.append(f"{where}: must be a non-empty text")
        return
    try:
        unknown = _fields(text) - allowed
    except LetterError as exc:
        problems.append(f"{where}: {exc}")
        return
    if unknown:
        shown = ", ".join("{" + name + "}" for name in sorted(unknown))
        allowed_text = ", ".join("{" + n + "}" for n in sorted(allowed)) or "none"
        problems.append(f"{where}: unknown placeholder {shown} (allowed: {allowed_text})")


def _shape(words: Mapping[str, Any]) -> tuple[dict[str, set[str]], dict[str, int]]:
    """Placeholders and number of [user parts] per text key, for comparing translations."""
    fields: dict[str, set[str]] = {}
    parts: dict[str, int] = {}
    items = [(k, v) for k, v in words.items() if k != "notes"]
    items += [(f"notes.{k}", v) for k, v in (words.get("notes") or {}).items()]
    for key, value in items:
        if isinstance(value, str):
            try:
                fields[key] = _fields(value)
            except LetterError:
                fields[key] = set()
            parts[key] = len(_USER_PART.findall(value))
    return fields, parts


def _parse_targets(raw: Any, problems: list[str]) -> dict[str, Target]:
    targets: dict[str, Target] = {}
    if not isinstance(raw, Mapping):
        problems.append("targets: must map platform ids to what the facts say")
        return targets
    for tid, spec in raw.items():
        where = f"targets.{tid}"
        spec = spec or {}
        if not isinstance(spec, Mapping):
            problems.append(f"{where}: must be a mapping")
            continue
        unknown = set(spec) - _TARGET_KEYS
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        regions = tuple(spec.get("no_reason_regions") or ())
        bad = [r for r in regions if r not in KNOWN_REGIONS]
        if bad:
            problems.append(f"{where}: unknown region(s) {', '.join(bad)}")
        address = spec.get("address")
        if address is not None and (not isinstance(address, str) or "@" not in address):
            problems.append(f"{where}: address must be an e-mail address")
        if address and not spec.get("subject"):
            problems.append(f"{where}: an address needs the subject line the facts give")
        form_url = spec.get("form_url")
        if form_url is not None and not str(form_url).startswith("https://"):
            problems.append(f"{where}: form_url must be an https:// link")
        if spec.get("sender") not in (None, "owner"):
            problems.append(f"{where}: sender must be 'owner' or absent")
        targets[str(tid)] = Target(
            str(tid),
            regions,
            address,
            spec.get("subject"),
            spec.get("sender"),
            form_url,
            bool(spec.get("reported", False)),
            spec.get("name"),
            spec.get("company"),
        )
    return targets


def _parse_texts(raw: Any, problems: list[str]) -> dict[str, dict[str, Any]]:
    if not isinstance(raw, Mapping) or DEFAULT_LANGUAGE not in raw:
        problems.append(f"texts: must have a '{DEFAULT_LANGUAGE}' block")
        return {}
    texts: dict[str, dict[str, Any]] = {}
    for language, words in raw.items():
        where = f"texts.{language}"
        if not isinstance(words, Mapping):
            problems.append(f"{where}: must be a mapping")
            continue
        for key, allowed in _TEXT_FIELDS.items():
            _check_text(f"{where}.{key}", words.get(key), allowed, problems)
        notes = words.get("notes")
        if not isinstance(notes, Mapping):
            problems.append(f"{where}.notes: must be a mapping")
            notes = {}
        for key, allowed in _NOTE_FIELDS.items():
            _check_text(f"{where}.notes.{key}", notes.get(key), allowed, problems)
        extra = (set(words) - set(_TEXT_FIELDS) - {"notes"}) | (set(notes) - set(_NOTE_FIELDS))
        if extra:
            problems.append(f"{where}: unknown key(s) {', '.join(sorted(map(str, extra)))}")
        texts[str(language)] = dict(words)
    english = texts.get(DEFAULT_LANGUAGE)
    if english is not None:
        en_fields, en_parts = _shape(english)
        for language, words in texts.items():
            fields, parts = _shape(words)
            for key, names in en_fields.items():
                if key in fields and fields[key] != names:
                    problems.append(
                        f"texts.{language}.{key}: placeholders differ from English "
                        f"({sorted(fields[key])} vs {sorted(names)})"
                    )
                if key in parts and parts[key] != en_parts[key]:
                    problems.append(
                        f"texts.{language}.{key}: {parts[key]} [parts to fill in], "
                        f"English has {en_parts[key]}"
                    )
    return texts


def _parse_laws(
    raw: Mapping[str, Any], languages: set[str], problems: list[str]
) -> dict[str, dict[str, str]]:
    """`law` (English) and one key per other language; every language with a text block
    must name every law, or its letters would cite the law in English."""
    laws: dict[str, dict[str, str]] = {}
    for region, spec in raw.items():
        if region not in KNOWN_REGIONS:
            problems.append(f"laws.{region}: unknown region")
            continue
        spec = spec if isinstance(spec, Mapping) else {}
        law = spec.get("law")
        if not isinstance(law, str) or not law.strip():
            problems.append(f"laws.{region}: needs a 'law' text")
            continue
        names = {DEFAULT_LANGUAGE: law.strip()}
        for key, value in spec.items():
            if key == "law":
                continue
            if key not in LANGUAGES:
                problems.append(f"laws.{region}.{key}: not 'law' or a language code")
            elif not isinstance(value, str) or not value.strip():
                problems.append(f"laws.{region}.{key}: must be a non-empty text")
            else:
                names[str(key)] = value.strip()
        missing = sorted(languages - set(names))
        if missing:
            problems.append(f"laws.{region}: no text for {', '.join(missing)} (texts has them)")
        laws[region] = names
    return laws


def load_letters(path: Path = LETTERS_FILE) -> LetterBook:
    """Read and check letters.yaml; a LetterError lists every problem found."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LetterError(f"{path.name}: cannot be read: {exc}") from None
    if not isinstance(raw, Mapping):
        raise LetterError(f"{path.name}: expected a mapping with laws, targets and texts")
    problems: list[str] = []
    targets = _parse_targets(raw.get("targets"), problems)
    texts = _parse_texts(raw.get("texts"), problems)
    laws = _parse_laws(raw.get("laws") or {}, set(texts), problems)
    if problems:
        raise LetterError(f"{path.name}:\n" + "\n".join(f"- {p}" for p in problems))
    return LetterBook(laws, targets, texts)


def _law_for(book: LetterBook, region: str | None, language: str) -> str | None:
    if region is None:
        return None
    names = book.laws.get(region) or book.laws.get(REGION_FALLBACK.get(region, ""))
    if names is None:
        return None
    return names.get(language) or names[DEFAULT_LANGUAGE]


def render_letter(
    book: LetterBook,
    kb: KnowledgeBase,
    target: str | None,
    region: str | None,
    language: str = DEFAULT_LANGUAGE,
) -> Letter:
    """The letter for a platform (id or alias) or, with `target=None`, for any company.

    Raises UnknownTarget for a name that is neither a platform nor a letter target.
    """
    words = book.words(language)
    notes_words: Mapping[str, str] = words["notes"]
    law = _law_for(book, region, language if language in book.texts else DEFAULT_LANGUAGE)
    notes: list[str] = []

    if target is None:
        company, service = words["any_company"], words["any_service"]
        body = (
            words["body"].format(company=company, law=law, service=service)
            if law
            else words["request_body"].format(company=company, service=service)
        )
        notes.append(notes_words["any_company"])
        return _finish(words, notes, body, region, law, None, None)

    key = target.strip().lower()
    platform = kb.platform_by_name(key)
    spec = book.targets.get(platform.id if platform else key)
    if platform is None and spec is None:
        raise UnknownTarget(target)
    target_id = platform.id if platform else key
    spec = spec or Target(target_id)
    company = platform.company if platform else (spec.company or spec.name or target_id)
    service = platform.name if platform else (spec.name or target_id)

    if spec.address:
        body = words["owner_body"]
        subject = spec.subject or words["subject"]
        notes.append(notes_words["address"].format(address=spec.address, subject=subject))
        if spec.sender == "owner":
            notes.append(notes_words["owner"])
        notes.append(notes_words["placeholders"])
        return Letter(
            body,
            subject,
            tuple(notes),
            target_id,
            False,
            spec.address,
            None,
            tuple(_USER_PART.findall(body)),
        )

    if law:
        body = words["body"].format(company=company, law=law, service=service)
    else:
        body = words["request_body"].format(company=company, service=service)
    form_url = spec.form_url
    if form_url:
        notes.append(notes_words["form"].format(form_url=form_url))
        if spec.reported:
            notes.append(notes_words["reported"])
    elif platform is not None:
        action, route, _ = action_for(platform, region)
        if action == Action.OBJECT and route is not None:
            form_url = route.form_url
            notes.append(notes_words["route_form"].format(platform_id=target_id, form_url=form_url))
        elif action == Action.SWITCH_OFF:
            notes.append(notes_words["setting"].format(service=service, platform_id=target_id))
        elif action == Action.NOTHING_TO_SWITCH:
            notes.append(notes_words["no_switch"].format(service=service))
    if law and region in spec.no_reason_regions:
        notes.append(notes_words["no_reason"])
    return _finish(words, notes, body, region, law, target_id, form_url)


def _finish(
    words: Mapping[str, Any],
    notes: list[str],
    body: str,
    region: str | None,
    law: str | None,
    target_id: str | None,
    form_url: str | None,
) -> Letter:
    """Add the notes every letter ends with: the region's, then the [parts] to fill in."""
    notes_words = words["notes"]
    if region is None:
        notes.append(notes_words["choose_region"])
    elif not law:
        notes.append(notes_words["no_right"])
    notes.append(notes_words["placeholders"])
    return Letter(
        body,
        words["subject"],
        tuple(notes),
        target_id,
        law is not None,
        None,
        form_url,
        tuple(_USER_PART.findall(body)),
    )


def letter_text(letter: Letter) -> str:
    """Telegram HTML: the notes, then the letter in a block that copies with one tap."""
    parts = [html.escape(note, quote=False) for note in letter.notes]
    parts.append(f"<b>{html.escape(letter.subject, quote=False)}</b>")
    parts.append(f"<pre>{html.escape(letter.body, quote=False)}</pre>")
    return "\n\n".join(parts)
