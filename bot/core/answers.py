"""Phone-first answers: a short first message with buttons, the rest on request.

The first message of an answer is the topic's own first message (its question, the direct
answer, a recent change, when it was checked) and fits a phone screen. Everything else is a
button away: "More details" (the rest, as a second message), "Sources", the app's steps where
the topic is about an app, related questions, and a link button to the objection form.

Where the answer differs by region and the chat has not chosen one, it asks once ("Where do
you live?"): tapping a region stores it (through `remember_region`) and answers for it. A
region guessed from Telegram's language setting or from a country named in the question is
used for that answer and said so, with a one-tap change; it is never stored.

Every word around the knowledge base's texts (prompts, button labels, region names) is a
gettext message, shown in the reply's language (`ctx.language`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import callbacks
from bot.clock import Clock
from bot.core.context import GUESSED_FROM_TELEGRAM, ChatContext, LiveKnowledge
from bot.i18n.catalog import N_, translator
from bot.i18n.countries import place_name
from bot.knowledge.model import KnowledgeBase, Platform, Topic
from bot.knowledge.regions import REGION_NAMES, REGIONS
from bot.render.platforms import form_link, render_steps, varies_by_region
from bot.render.topics import MAX_RELATED, has_details, render_details, render_first_message
from bot.replies import Button, Keyboard, Reply

# English source strings; replies show them through `translator(ctx.language)`.
REGION_PROMPT = N_(
    "📍 <b>Where do you live?</b> The answer depends on it: tap your region and I'll remember it."
)
STEPS_PROMPT = N_("The steps depend on where you live.")
NO_DETAILS = N_("That is all there is to this answer. The sources have more.")

# Stores the region a reader tapped; False when it could not be stored (the storage is not
# answering), and the answer is then given for the region without remembering it.
RememberRegion = Callable[[str, ChatContext], Awaitable[bool]]
# Rows the features add under an app's steps and under every answer, in the reply's language.
Extras = Callable[[Platform, str], Keyboard]
TopicExtras = Callable[[Topic, str], Keyboard]


def topic_varies(kb: KnowledgeBase, topic: Topic, language: str) -> bool:
    """Whether readers in different regions get a different answer or different steps."""
    text = topic.text(language)
    if text.regions or any(text.region_details.values()):
        return True
    platform = kb.platforms.get(topic.platform or "")
    return platform is not None and varies_by_region(platform)


def _pairs(buttons: list[Button]) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


def region_label(region: str, language: str) -> str:
    """A region's name as the reader reads it ('EU / EEA', 'EU / EWR')."""
    return translator(language).gettext(REGION_NAMES[region])


def region_rows(kind: str, target: str, language: str) -> list[tuple[Button, ...]]:
    """One button per region; pressing it answers `target` (a topic or an app) for it."""
    buttons = [
        Button(region_label(r, language), callbacks.encode(kind, f"{target}:{r}")) for r in REGIONS
    ]
    return _pairs(buttons)


def steps_button(platform: Platform, language: str) -> Button:
    label = translator(language).gettext("📋 Steps for {platform}").format(platform=platform.name)
    return Button(label, callbacks.encode("p", platform.id))


def sources_button(topic: Topic, language: str) -> Button:
    return Button(translator(language).gettext("📚 Sources"), callbacks.encode("s", topic.id))


def change_region_button(kind: str, target: str, language: str) -> Button:
    label = translator(language).gettext("📍 Change region")
    return Button(label, callbacks.encode(kind, target))


def form_button(
    platform: Platform | None, region: str | None, language: str
) -> list[tuple[Button, ...]]:
    url = form_link(platform, region) if platform is not None else None
    if url is None or platform is None:
        return []
    _ = translator(language).gettext
    label = _("🔗 Open the {platform} form").format(platform=platform.name)
    return [(Button(label, url=url),)]


@dataclass(frozen=True, slots=True)
class Reader:
    """The region an answer is for, and why, when it was guessed rather than chosen."""

    region: str | None
    guessed_from: str = ""

    @classmethod
    def of(cls, ctx: ChatContext) -> Reader:
        if ctx.region is not None:
            return cls(ctx.region)
        if ctx.region_guess is not None:
            return cls(ctx.region_guess, ctx.guessed_from)
        return cls(None)

    def note(self, language: str) -> str:
        """Says which region a guessed answer is for; empty when the reader chose it."""
        if not self.guessed_from or self.region is None:
            return ""
        _ = translator(language).gettext
        region = region_label(self.region, language)
        if self.guessed_from == GUESSED_FROM_TELEGRAM:
            text = _("📍 This is the answer for <b>{region}</b> (your Telegram language setting).")
            return text.format(region=region)
        place = place_name(self.guessed_from, language)
        # Translators: {place} is a country's name as a dictionary gives it ("Polska",
        # "Schweiz"); write it after a colon rather than in a phrase that would inflect it.
        text = _("📍 This is the answer for <b>{region}</b> (you mentioned {place}).")
        return text.format(region=region, place=place)


class Answers:
    """The replies for a topic, its details and an app's steps, for one reader."""

    def __init__(
        self,
        knowledge: LiveKnowledge,
        clock: Clock,
        *,
        platform_extras: Extras | None = None,
        remember_region: RememberRegion | None = None,
        answer_extras: TopicExtras | None = None,
    ) -> None:
        self.live = knowledge
        self.clock = clock
        self.platform_extras = platform_extras
        self.remember_region = remember_region
        self.answer_extras = answer_extras

    @property
    def kb(self) -> KnowledgeBase:
        return self.live.kb

    def _platform(self, topic: Topic) -> Platform | None:
        return self.kb.platforms.get(topic.platform or "")

    # -- a topic ---------------------------------------------------------------------------
    def topic(self, topic: Topic, ctx: ChatContext, lead: str = "") -> Reply:
        """The first message: for the reader's region, or asking for it where that matters."""
        kb, language = self.kb, ctx.language
        _ = translator(language).gettext
        reader = Reader.of(ctx)
        varies = topic_varies(kb, topic, language)
        platform = self._platform(topic)
        first = render_first_message(kb, topic, reader.region, self.clock.now(), language)
        parts = [lead, first.text] if lead else [first.text]
        rows = form_button(platform, reader.region, language)
        more: list[Button] = []
        if has_details(topic, reader.region, language):
            more.append(Button(_("➕ More details"), callbacks.encode("m", topic.id)))
        sources = sources_button(topic, language)
        if reader.region is None and varies:
            parts.append(_(REGION_PROMPT))
            rows += region_rows("w", topic.id, language)
            rows.append((*more, sources))
            rows += self._extras(topic, language)
            return Reply("\n\n".join(parts), tuple(rows))
        if platform is not None:
            more.insert(0, steps_button(platform, language))
        rows += _pairs(more)
        rows.append((sources,))
        related = [kb.topics[r] for r in topic.related if r in kb.topics][:MAX_RELATED]
        titles = [Button(r.text(language).title, callbacks.encode("t", r.id)) for r in related]
        rows += _pairs(titles)
        if varies and (note := reader.note(language)):
            parts.append(note)
            rows.append((change_region_button("w", topic.id, language),))
        rows += self._extras(topic, language)
        return Reply("\n\n".join(parts), tuple(rows))

    def _extras(self, topic: Topic | None, language: str) -> list[tuple[Button, ...]]:
        """Rows under every answer (👍 / 👎), when the app has them."""
        if topic is None or self.answer_extras is None:
            return []
        return list(self.answer_extras(topic, language))

    def details(self, topic: Topic, ctx: ChatContext) -> Reply:
        """ "More details": the rest of the answer, for the same reader, as a second message."""
        language = ctx.language
        _ = translator(language).gettext
        reader = Reader.of(ctx)
        found = render_details(self.kb, topic, reader.region, self.clock.now(), language)
        rows: list[tuple[Button, ...]] = []
        platform = self._platform(topic)
        if platform is not None:
            rows.append((steps_button(platform, language),))
        rows.append(
            (
                sources_button(topic, language),
                Button(_("↩️ Back to the answer"), callbacks.encode("t", topic.id)),
            )
        )
        return Reply(found.text if found is not None else _(NO_DETAILS), tuple(rows))

    # -- an app's steps --------------------------------------------------------------------
    def steps(self, platform: Platform, ctx: ChatContext, lead: str = "") -> Reply:
        """An app's steps for the reader's region, with the checklist and 👍 / 👎 under them;
        or ask the region."""
        language = ctx.language
        _ = translator(language).gettext
        reader = Reader.of(ctx)
        varies = varies_by_region(platform)
        topic = self.kb.topic_for_platform(platform.id)
        if reader.region is None and varies:
            title = _("<b>{platform}: how to object</b>").format(platform=platform.name)
            text = f"{title}\n{_(STEPS_PROMPT)}\n\n{_(REGION_PROMPT)}"
            rows = form_button(platform, None, language) + region_rows("g", platform.id, language)
            return Reply(f"{lead}\n\n{text}" if lead else text, tuple(rows))
        parts = [lead] if lead else []
        parts.append(render_steps(platform, reader.region, language))
        rows = []
        if self.platform_extras is not None and ctx.chat_id is not None:
            rows.extend(self.platform_extras(platform, language))
        if topic is not None:
            rows.append(
                (
                    sources_button(topic, language),
                    Button(_("💬 About this"), callbacks.encode("t", topic.id)),
                )
            )
        if varies and (note := reader.note(language)):
            parts.append(note)
            rows.append((change_region_button("g", platform.id, language),))
        rows += self._extras(topic, language)
        return Reply("\n\n".join(parts), tuple(rows))

    # -- "Where do you live?" ------------------------------------------------------------
    async def where(self, kind: str, arg: str, ctx: ChatContext) -> Reply | None:
        """A press on a region prompt: `w:` for a topic, `g:` for an app's steps.

        Without a region, the prompt itself (from "Change region"); with one, the region is
        remembered and the answer given for it. None when the button names nothing known.
        """
        language = ctx.language
        _ = translator(language).gettext
        target, _sep, region = arg.partition(":")
        item = self.kb.topic(target) if kind == "w" else self.kb.platforms.get(target)
        if item is None or (region and region not in REGIONS):
            return None
        if not region:
            return Reply(_(REGION_PROMPT), tuple(region_rows(kind, target, language)))
        stored = self.remember_region is not None and await self.remember_region(region, ctx)
        ctx.region = region
        name = region_label(region, language)
        if stored:
            lead = _("📍 Region set: <b>{region}</b>. Change it any time with /region.")
        elif ctx.chat_id is not None:
            lead = _(
                "📍 This is the answer for <b>{region}</b>. I can't save your region right now; "
                "tap again later or use /region."
            )
        else:
            lead = ""
        lead = lead.format(region=name)
        if isinstance(item, Topic):
            platform = self._platform(item)
            if platform is not None and item.text(language).variant_key(region) is None:
                # The reader has read this answer already (the one for every region): what
                # the region changes is the steps.
                reply = self.steps(platform, ctx, lead)
            else:
                reply = self.topic(item, ctx, lead)
        else:
            reply = self.steps(item, ctx, lead)
        toast = _("Region: {region}").format(region=name)
        return Reply(reply.text, reply.buttons, toast=toast)
