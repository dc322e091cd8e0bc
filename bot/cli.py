"""`python -m bot <command>`: run, chat, ask, check, eval, calendar, alerts, feedback.

Start-up problems end the process with one clear line and a non-zero exit code,
never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import PROJECT_ROOT, Config, ConfigError, load_config, load_dotenv_file
from bot.i18n.languages import LANGUAGES
from bot.knowledge.loader import KnowledgeBaseError, load_knowledge_base
from bot.knowledge.model import REGIONS, KnowledgeBase
from bot.knowledge.problems import Problem

if TYPE_CHECKING:
    from bot.store.repository import Store


class StartupError(Exception):
    """Printed as one line, exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="optout-bot",
        description="Helps people keep their social-media content out of AI training.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser(
        "run", help="serve Telegram (long polling, or a webhook with --webhook); needs BOT_TOKEN"
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="serve a webhook on LISTEN:PORT (default 0.0.0.0:8080) instead of long polling; "
        "needs WEBHOOK_URL and WEBHOOK_SECRET (also the mode when WEBHOOK_URL is set)",
    )
    sub.add_parser("chat", help="talk to the bot in this terminal")
    ask = sub.add_parser("ask", help="answer one question (or one per line from stdin)")
    ask.add_argument("question", nargs="?", help="the question; omit to read stdin")
    ask.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per question: the match, the language (--lang, else the one the "
        "question was read in) and the first reply's text",
    )
    ask.add_argument(
        "--region",
        choices=REGIONS,
        help="answer as for a chat in this region (default: none chosen, or DEFAULT_REGION)",
    )
    ask.add_argument(
        "--lang", choices=LANGUAGES, default=None, help="answer in this language (default: en)"
    )
    check = sub.add_parser("check", help="validate the knowledge base in faq/")
    check.add_argument(
        "--max-age",
        type=int,
        metavar="DAYS",
        help="warn about entries whose 'verified' date is more than DAYS days old",
    )
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument(
        "--lang",
        action="append",
        choices=("de", "fr", "es", "it", "nl", "pl", "pt"),
        help="report the translation into this language (repeatable; default: every "
        "language once faq/i18n/ exists)",
    )
    links = sub.add_parser("links", help="check that every URL in faq/ still works")
    links.add_argument("--timeout", type=float, default=15.0, metavar="S", help="per request")
    links.add_argument("--concurrency", type=int, default=8, metavar="N", help="requests at once")
    sub.add_parser("unmatched", help="questions the bot could not answer (LOG_UNMATCHED), grouped")
    ev = sub.add_parser("eval", help="matcher accuracy on labelled YAML files")
    ev.add_argument("file", type=Path, nargs="+")
    ev.add_argument("--quiet", action="store_true", help="summary only, no list of misses")
    cal = sub.add_parser("calendar", help="the .ics calendar of a region's dates, to stdout")
    cal.add_argument("--region", help="eu, uk, ch, br or other (default: every region)")
    cal.add_argument("--lang", default="en", help="language of the texts (default en)")
    alerts = sub.add_parser("alerts", help="the alerts that entries changed in faq/ call for")
    alerts.add_argument(
        "--dry-run",
        action="store_true",
        help="count, per change, the chats that would get it (never which); sends nothing",
    )
    sub.add_parser("feedback", help="topics by share of 👎, and the questions not answered")
    return parser


def _knowledge(config: Config) -> KnowledgeBase:
    try:
        return load_knowledge_base(config.faq_dir)
    except KnowledgeBaseError as exc:
        first = exc.problems[0]
        more = (
            f" (and {len(exc.problems) - 1} more; run `python -m bot check`)"
            if len(exc.problems) > 1
            else ""
        )
        raise StartupError(
            f"the knowledge base in {config.faq_dir} is invalid: {first}{more}"
        ) from None


def cmd_check(
    config: Config,
    max_age: int | None = None,
    strict: bool = False,
    languages: list[str] | None = None,
) -> int:
    from bot.clock import SystemClock
    from bot.knowledge.audit import run_check

    if max_age is not None and max_age < 0:
        raise StartupError(f"--max-age must be a number of days (0 or more), got {max_age}")
    report = run_check(
        config.faq_dir, SystemClock().now(), max_age=max_age, strict=strict, languages=languages
    )
    # letters.yaml names platforms of the shipped faq/; another FAQ_DIR may well lack them.
    shipped = config.faq_dir.resolve() == (PROJECT_ROOT / "faq").resolve()
    report.problems += letter_problems(report.kb if shipped else None)
    print("\n".join(report.lines(config.faq_dir)))
    return report.exit_code


def letter_problems(kb: KnowledgeBase | None, path: Path | None = None) -> list[Problem]:
    """letters.yaml (the /letter texts): its own problems, and with `kb` the targets that
    name no platform of it."""
    from bot.checkup.letters import LETTERS_FILE, LetterError, load_letters

    path = path or LETTERS_FILE
    where = f"bot/checkup/{path.name}" if path == LETTERS_FILE else str(path)
    try:
        book = load_letters(path)
    except LetterError as exc:
        lines = str(exc).splitlines()
        return [Problem(where, None, line.removeprefix("- ")) for line in lines[1:] or lines]
    if kb is None:
        return []
    return [Problem(where, None, p.split(": ", 1)[-1]) for p in book.problems_with(kb)]


def cmd_calendar(config: Config, region: str | None, language: str) -> int:
    """The .ics of `/calendar` for a website: the region's dated events, no re-check."""
    from bot.checkup.calendar import build_calendar, dated_deadlines
    from bot.clock import SystemClock
    from bot.knowledge.model import LANGUAGES, REGIONS

    wanted = (region or "").strip().lower() or None
    if wanted is not None and wanted not in REGIONS:
        raise StartupError(f"--region must be one of {', '.join(REGIONS)}, got {region!r}")
    if language not in LANGUAGES:
        raise StartupError(f"--lang must be one of {', '.join(LANGUAGES)}, got {language!r}")
    kb = _knowledge(config)
    english = [d.id for d in dated_deadlines(kb, wanted) if not d.has_text(language)]
    if english:  # the entry's own words; the calendar's words come from the catalogues
        print(
            f"optout-bot: no {language} text for {', '.join(english)}; written in English",
            file=sys.stderr,
        )
    content = build_calendar(kb, region=wanted, now=SystemClock().now(), language=language)
    sys.stdout.buffer.write(content)
    sys.stdout.flush()
    return 0


def cmd_alerts(config: Config) -> int:
    """`alerts --dry-run`: per change not yet fully sent, how many chats would get it."""
    from bot.checkup.alerts import dry_run_summary
    from bot.checkup.service import alerts_dry_run

    kb = _knowledge(config)

    async def count() -> str:
        store = await open_store(config)
        try:
            return dry_run_summary(await alerts_dry_run(store, kb))
        finally:
            await store.close()

    print(asyncio.run(count()))
    return 0


def cmd_feedback(config: Config) -> int:
    from bot.features.feedback import feedback_summary

    async def report() -> str:
        store = await open_store(config)
        try:
            return await feedback_summary(store, limit=50)
        finally:
            await store.close()

    print(asyncio.run(report()))
    return 0


def cmd_links(config: Config, timeout: float, concurrency: int) -> int:
    from bot.knowledge.links import run_links

    if timeout <= 0 or concurrency < 1:
        raise StartupError("--timeout must be above 0 seconds and --concurrency at least 1")
    report = run_links(config.faq_dir, timeout=timeout, concurrency=concurrency)
    print("\n".join(report.lines()))
    return report.exit_code


def cmd_ask(
    config: Config,
    question: str | None,
    as_json: bool,
    region: str | None = None,
    language: str | None = None,
) -> int:
    """Answer as the bot would in a chat with nothing stored (an in-memory database)."""
    from bot.app import MEMORY_DATABASE, build_services
    from bot.console import plain_replies, to_plain
    from bot.core.responder import MAX_QUESTION
    from bot.store.repository import Store

    kb = _knowledge(config)
    questions = [question] if question is not None else (line.rstrip("\n") for line in sys.stdin)

    async def answer_all() -> None:
        services = build_services(config, kb, await Store.open(MEMORY_DATABASE))
        try:
            for q in questions:
                ctx = await services.chat_context(None, text=q)  # the reply language per q
                ctx.region = region or ctx.region
                ctx.language = language or ctx.language
                # exactly what Telegram and the console would say
                turn = await services.responder.message(q, ctx)
                if as_json:  # the matcher's view of the question, its language, the first reply
                    matcher = services.knowledge.current.matcher
                    match = turn.match or matcher.match(q[:MAX_QUESTION], ctx.question_language)
                    row = match.as_dict(q)
                    first = to_plain(turn.replies[0].text) if turn.replies else ""
                    row.update(language=ctx.language, reply=first)
                    print(json.dumps(row, ensure_ascii=False), flush=True)
                else:
                    text = plain_replies(turn.replies).text
                    print(text if question is not None else " ".join(text.split()), flush=True)
        finally:
            await services.close()

    asyncio.run(answer_all())
    return 0


def cmd_eval(config: Config, paths: list[Path], quiet: bool) -> int:
    from bot.evaluate import EvalFileError, evaluate_files
    from bot.matching.matcher import Matcher

    matcher = Matcher(_knowledge(config))
    try:
        print(evaluate_files(matcher, paths, quiet))
    except EvalFileError as exc:
        raise StartupError(str(exc)) from None
    return 0


async def open_store(config: Config) -> Store:
    """The configured database, migrated; any failure becomes one clear start-up line."""
    from bot.app import open_store

    try:
        return await open_store(config)
    except Exception as exc:
        raise StartupError(f"cannot open the database: {exc}") from None


def cmd_unmatched(config: Config) -> int:
    from bot.features.operator import group_unmatched
    from bot.store import analytics

    async def read() -> list[str]:
        store = await open_store(config)
        try:
            return await analytics.list_unmatched(store.engine)
        finally:
            await store.close()

    texts = asyncio.run(read())
    if not texts:
        note = "" if config.log_unmatched else " (LOG_UNMATCHED is off, so none are kept)"
        print(f"No unanswered questions stored{note}.")
        return 0
    groups = group_unmatched(texts)
    print(f"{len(texts)} unanswered question(s) in {len(groups)} group(s), most frequent first:")
    for group in groups:
        print(f"{group.count:5d}  {group.example}")
        for variant in group.variants[1:]:
            print(f"       ~ {variant}")
    return 0


def cmd_chat(config: Config) -> int:
    from bot.app import build_services
    from bot.clock import SystemClock
    from bot.console import Console

    kb = _knowledge(config)

    async def session() -> None:
        services = build_services(config, kb, await open_store(config), clock=SystemClock())
        try:
            # Piped input is echoed after the prompt, so the output reads as a conversation.
            tty = sys.stdin.isatty()
            await Console(services).run(prompt=tty, echo=not tty)
        finally:
            await services.close()

    try:
        asyncio.run(session())
    except KeyboardInterrupt:
        print()
    return 0


def cmd_run(config: Config, webhook: bool) -> int:
    """Serve Telegram: a webhook with `--webhook` or when WEBHOOK_URL is set, else polling."""
    if not config.bot_token:
        raise StartupError(
            "BOT_TOKEN is not set: get a token from @BotFather and set BOT_TOKEN=123456:ABC..."
        )
    from bot.telegram.serve import ServeError, serve

    kb = _knowledge(config)
    try:
        return serve(config, kb, webhook=webhook or config.webhook_url is not None)
    except ServeError as exc:
        raise StartupError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        load_dotenv_file()
        config = load_config()
        command = args.command
        if command is None:
            if config.bot_token:
                command = "run"
            else:
                print(
                    "No BOT_TOKEN set: starting the local console. "
                    "Set BOT_TOKEN to serve Telegram (python -m bot run).",
                    file=sys.stderr,
                )
                command = "chat"
        if command == "run":
            return cmd_run(config, getattr(args, "webhook", False))
        if command == "chat":
            return cmd_chat(config)
        if command == "ask":
            return cmd_ask(config, args.question, args.json, args.region, args.lang)
        if command == "check":
            return cmd_check(config, args.max_age, args.strict, args.lang)
        if command == "links":
            return cmd_links(config, args.timeout, args.concurrency)
        if command == "unmatched":
            return cmd_unmatched(config)
        if command == "eval":
            return cmd_eval(config, args.file, args.quiet)
        if command == "calendar":
            return cmd_calendar(config, args.region, args.lang)
        if command == "alerts":
            if not args.dry_run:
                raise StartupError(
                    "the running bot sends alerts (after /reload or a restart); "
                    "`alerts --dry-run` shows who would get what"
                )
            return cmd_alerts(config)
        if command == "feedback":
            return cmd_feedback(config)
    except (ConfigError, StartupError) as exc:
        print(f"optout-bot: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return 2
