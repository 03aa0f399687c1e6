"""``jenabot``: build artefacts, search the catalogue, check it, measure it, run the bot."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot import logs
from bot.roles import ROLES
from bot.settings import Settings, env_table, get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker

    from bot.gateway.models import StaffUser


def _setup_logging(verbose: bool, log_format: str = "text") -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(message)s", stream=sys.stderr)
    logs.configure(log_format, logging.DEBUG if verbose else logging.INFO)
    for noisy in ("sentence_transformers", "transformers", "httpx", "faiss", "bm25s", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from bot.build import build_all

    build_all(settings, only=args.only or (), force=args.force)
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from actions.runtime import load_searcher
    from knowledge.language import search_language

    searcher = load_searcher(settings)
    queries: list[str] = args.query or []
    stream = queries if queries else (line.rstrip("\n") for line in sys.stdin)
    for query in stream:
        if not query.strip():
            continue
        lang = args.lang if args.lang != "auto" else search_language(query, None)
        result = searcher.search(query, top_k=args.top, lang=lang)
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        else:
            mark = "sicher" if result.confident else "unsicher"
            print(f"{query}  [{mark}, Konfidenz {result.confidence:.2f}]")
            for i, hit in enumerate(result.hits, 1):
                service = hit.service
                print(f"  {i}. {service.name} ({service.id}, LeiKa {service.leika or '–'}) {hit.score:.3f}")
    return 0


def cmd_catalog_check(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.loader import main as check_main

    extra = (["--warnings"] if args.warnings else []) + (["--today", args.today] if args.today else [])
    return check_main(["--root", str(args.root or settings.catalog_dir), *extra])


def cmd_bench_search(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluation.search import run_search_bench

    return run_search_bench(settings, benchmark=args.benchmark, misses=args.misses, seed=args.seed, lang=args.lang)


def cmd_bench_dialogue(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluation.dialogue import run_dialogue_bench

    return run_dialogue_bench(settings, suite_path=args.suite, url=args.url, lang=args.lang)


def cmd_bench_scale(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluation.scale import run_scale_bench

    return run_scale_bench(
        settings,
        postgres_url=args.postgres_url or settings.test_postgres_url,
        redis_url=args.redis_url or settings.test_redis_url,
        conversations=args.conversations,
        as_json=args.json,
    )


def cmd_bench_nlu(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluation.nlu import run_nlu_bench

    return run_nlu_bench(settings, folds=args.folds, config=args.config)


def cmd_bench_faults(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.evaluation.faults import TARGETS, FaultConfig, report_json, run

    kills = tuple(args.kill or TARGETS)
    unknown = sorted(set(kills) - set(TARGETS))
    if unknown:
        raise ValueError(f"unbekannte Prozesse {unknown}; möglich: {', '.join(TARGETS)}")
    config = FaultConfig(
        conversations=args.conversations,
        kills=kills,
        settle=args.settle,
        think=args.think,
        database_url="" if args.sqlite else settings.test_postgres_url,
    )
    report = run(settings, config, Path(args.logs) if args.logs else None)
    print(report_json(report) if args.json else "\n".join(report.lines()))
    return 0 if report.lost == 0 and report.duplicated == 0 else 1


def cmd_bench_load(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.evaluation.load import LEVELS, PATHS, LoadConfig, report_json, run, table

    levels = tuple(args.level or LEVELS)
    paths = tuple(args.path or PATHS)
    live = settings.replace(threads=args.threads) if args.threads else settings
    config = LoadConfig(levels=levels, requests=args.requests, paths=paths)
    report = run(live, config, Path(args.logs) if args.logs else None)
    print(report_json(report) if args.json else table(report))
    return 0 if all(level.answered == level.sent for level in report.levels) else 1


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from bot.evaluation.calibrate import calibrate

    return calibrate(settings, write=not args.dry_run)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.serve import run_group
    from bot.supervisor import supervise

    # The build loads torch and TensorFlow (~1.3 GB): in a child, so the long-lived supervisor stays small.
    built = run_group([sys.executable, "-m", "bot.cli", *(["-v"] if args.verbose else []), "build"])
    return built or supervise(settings)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.roles import serve_role

    return serve_role(args.role, settings)


def cmd_env(args: argparse.Namespace, settings: Settings) -> int:
    print(env_table())
    return 0


def _database(settings: Settings) -> sessionmaker:
    """Sessions on the configured database, migrated to the newest schema first."""
    from bot.gateway.db import make_engine, make_session_factory
    from bot.gateway.migrate import upgrade

    upgrade(settings.database_url)
    return make_session_factory(make_engine(settings.database_url))


def _read_new_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Passwort: ")
    if getpass.getpass("Passwort wiederholen: ") != first:
        print("Fehler: Die beiden Passwörter stimmen nicht überein. Es wurde kein Konto angelegt.", file=sys.stderr)
        return None
    return first


def cmd_staff_add(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import IntegrityError

    from bot.gateway.auth import duplicate_message, new_account_problem, username_taken
    from bot.gateway.auth_store import create_staff
    from bot.gateway.db import session_scope
    from bot.gateway.team_store import set_offices

    role = "admin" if args.admin else "editor" if args.editor else "staff"
    problem = new_account_problem(args.username, "x" * 64, role)  # the name first, before asking for a password
    if problem:
        print(f"Fehler: {problem}", file=sys.stderr)
        return 2
    offices = args.office or []
    unknown = _unknown_offices(offices, settings)
    if unknown:
        print(
            f"Fehler: Diese Ämter gibt es nicht: {', '.join(unknown)} (ids der Dateien in offices/).", file=sys.stderr
        )
        return 2
    sessions = _database(settings)
    with session_scope(sessions) as s:
        if username_taken(s, args.username):
            print(f"Fehler: {duplicate_message(args.username)}", file=sys.stderr)
            return 1
    password = _read_new_password(args.password_stdin)
    if password is None:
        return 1
    problem = new_account_problem(args.username, password, role)
    if problem:
        print(f"Fehler: {problem}", file=sys.stderr)
        return 2
    try:
        with session_scope(sessions) as s:
            user = create_staff(s, args.username, password, role)
            set_offices(s, user.id, offices)
            name = user.username
    except IntegrityError:
        print(f"Fehler: {duplicate_message(args.username)}", file=sys.stderr)
        return 1
    kind = {"admin": "Administration", "editor": "Redaktion"}.get(role, "Mitarbeitende")
    print(f"Konto „{name}“ angelegt ({kind}). Anmeldung: {settings.gateway_url}/staff/login")
    return 0


def _unknown_offices(offices: list[str], settings: Settings) -> list[str]:
    from bot.gateway import directory

    known = directory.of(settings)
    return [o for o in offices if not known.is_office(o)]


def _account_state(user: StaffUser, now: datetime) -> str:
    from bot.gateway.auth_store import is_disabled
    from bot.gateway.models import as_utc

    if is_disabled(user):
        return "  deaktiviert"
    return "  gesperrt" if user.locked_until and as_utc(user.locked_until) > now else ""


def cmd_staff_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.gateway import store
    from bot.gateway.db import session_scope
    from bot.gateway.models import utcnow
    from bot.gateway.team_store import offices_by_staff

    with session_scope(_database(settings)) as s:
        offices = offices_by_staff(s)
        accounts = [
            (u.username, u.role, u.created_at, _account_state(u, utcnow()), offices.get(u.id))
            for u in store.list_staff(s)
        ]
    if not accounts:
        print("Noch keine Konten. Legen Sie eines an: jenabot staff add NAME --admin")
        return 0
    width = max(len(a[0]) for a in accounts)
    for name, role, created, locked, of in accounts:
        where = f"  Ämter: {', '.join(of)}" if of else ""
        print(f"{name:<{width}}  {role:<6}  angelegt {created:%Y-%m-%d}{locked}{where}")
    return 0


def cmd_staff_account(args: argparse.Namespace, settings: Settings) -> int:
    """``staff password|unlock|disable NAME``: what an administrator does for a colleague who forgot the
    password, locked the account by mistyping, or left."""
    from bot.gateway import auth_store
    from bot.gateway.db import session_scope

    sessions = _database(settings)
    with session_scope(sessions) as s:
        if auth_store.staff_named(s, args.username) is None:
            print(
                f"Fehler: Ein Konto „{args.username.strip().lower()}“ gibt es nicht (jenabot staff list).",
                file=sys.stderr,
            )
            return 1
    password = _read_new_password(args.password_stdin) if args.staff_command == "password" else ""
    if password is None:
        return 1
    with session_scope(sessions) as s:
        user = auth_store.staff_named(s, args.username)
        assert user is not None
        if args.staff_command == "password":
            if len(password) < auth_store.MIN_PASSWORD_LENGTH:
                print(
                    f"Fehler: Das Passwort ist zu kurz (mindestens {auth_store.MIN_PASSWORD_LENGTH} Zeichen).",
                    file=sys.stderr,
                )
                return 2
            auth_store.set_password(s, user, password)
            done = "hat ein neues Passwort und ist entsperrt"
        elif args.staff_command == "unlock":
            auth_store.unlock(s, user)
            done = "ist entsperrt"
        else:
            auth_store.disable(s, user)
            done = "ist deaktiviert: keine Anmeldung mehr, offene Sitzungen enden (wieder an: jenabot staff password)"
        print(f"Konto „{user.username}“ {done}.")
    return 0


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from bot.clock import make_clock
    from bot.gateway import retention
    from bot.gateway.db import session_scope

    days = settings.retention_days if args.days is None else args.days
    if days < 1:
        print("Fehler: --days muss mindestens 1 sein.", file=sys.stderr)
        return 2
    cutoff = make_clock(settings.fixed_now)() - timedelta(days=days)
    sessions = _database(settings)
    with session_scope(sessions) as s:
        purged = retention.purge(s, older_than=cutoff)
        counts = purged.gateway
        if args.dry_run:
            s.rollback()  # count what would go, keep everything
    print(f"Aufbewahrungsfrist: {days} Tage (Stichtag {cutoff:%d.%m.%Y %H:%M}).")
    print("Probelauf, nichts geändert. Gelöscht würden:" if args.dry_run else "Gelöscht:")
    for label, n in (
        ("Gespräche", counts.conversations),
        ("Nachrichten", counts.messages),
        ("Vorgänge", counts.tickets),
        ("Notizen", counts.notes),
        ("Rückmeldungen", counts.feedback),
        ("Rasa-Ereignisse (Gesprächsverlauf des Bots)", purged.rasa_events),
    ):
        print(f"  {label}: {n}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jenabot", description="Bürgerservice-Bot Jena: bauen, suchen, prüfen, messen, starten."
    )
    p.add_argument("-v", "--verbose", action="store_true", help="ausführliche Protokollausgabe")
    sub = p.add_subparsers(dest="command", required=True, metavar="BEFEHL")

    b = sub.add_parser(
        "build",
        help="alle Artefakte unter models/ bauen (nur was sich geändert hat)",
        description=(
            "Baut Embedding-Modell, spaCy-Pipeline, Suchindex, Lookup-Tabellen und Rasa-Modell. Jeder Schritt läuft "
            "nur, wenn sich seine Eingaben geändert haben."
        ),
    )
    b.add_argument("--force", action="store_true", help="alles neu bauen")
    b.add_argument(
        "--only", action="append", metavar="SCHRITT", help="nur diesen Schritt (mehrfach möglich), z. B. 'Suchindex'"
    )
    b.set_defaults(func=cmd_build)

    s = sub.add_parser(
        "search",
        help="Leistungen suchen",
        description=(
            "Sucht Leistungen. Ohne Argumente liest es Fragen von stdin, eine pro Zeile, und lädt alles nur einmal."
        ),
    )
    s.add_argument("query", nargs="*", help="Fragen (sonst stdin)")
    s.add_argument(
        "--json",
        action="store_true",
        help='eine JSON-Zeile pro Frage: {"query", "confident", "results": [{"id", "leika", "name", "score"}]}',
    )
    s.add_argument("--top", type=int, default=5, help="Anzahl Treffer (Standard: %(default)s)")
    s.add_argument(
        "--lang",
        choices=["auto", "de", "en"],
        default="auto",
        help="Sprache der Fragen; auto erkennt sie wie der Bot, im Zweifel Deutsch (Standard: %(default)s)",
    )
    s.set_defaults(func=cmd_search)

    c = sub.add_parser("catalog", help="Katalog-Befehle")
    csub = c.add_subparsers(dest="catalog_command", required=True, metavar="BEFEHL")
    cc = csub.add_parser(
        "check",
        help="Katalog prüfen",
        description=(
            "Prüft Schema, Verweise, doppelte ids und Schlüssel, Daten und URLs; nennt jeden Fehler mit Datei und "
            "Feld. Danach die redaktionellen Regeln: Fehler brechen ab, Hinweise (veraltete Angaben, fehlendes "
            "Englisch, Quellen) werden gezählt."
        ),
    )
    cc.add_argument("--root", help="Katalogordner (Standard: JENABOT_CATALOG_DIR)")
    cc.add_argument("--warnings", action="store_true", help="jeden redaktionellen Hinweis einzeln ausgeben")
    cc.add_argument("--today", help="Stichtag JJJJ-MM-TT für 'veraltet' (Standard: heute)")
    cc.set_defaults(func=cmd_catalog_check)

    bench = sub.add_parser("bench", help="Messungen")
    bsub = bench.add_subparsers(dest="bench_command", required=True, metavar="BEFEHL")
    bs = bsub.add_parser(
        "search",
        help="Trefferquote und Latenz der Suche",
        description=(
            "hit@1, hit@3, MRR auf dem eigenen Dev-Set und (falls vorhanden) dem Münchner Benchmark, jeweils neben "
            "BM25; dazu Latenz p50/p95."
        ),
    )
    bs.add_argument(
        "--benchmark", help="Pfad zu munich_keywords.jsonl (Standard: ../shared/benchmarks/munich_keywords.jsonl)"
    )
    bs.add_argument(
        "--misses",
        type=int,
        default=0,
        metavar="N",
        help="zusätzlich N zufällige Fehlgriffe auf Platz 1 ausgeben (München, sonst Dev-Set), zum Prüfen von Hand",
    )
    bs.add_argument("--seed", type=int, default=0, help="Zufallsstartwert der Stichprobe (Standard: %(default)s)")
    bs.add_argument(
        "--lang",
        choices=("de", "en"),
        default="de",
        help="de: Dev-Set und München; en: englisches Dev-Set (knowledge/devset_en.yml) (Standard: %(default)s)",
    )
    bs.set_defaults(func=cmd_bench_search)
    bd = bsub.add_parser(
        "dialogue",
        help="Gesprächssuite über den REST-Webhook",
        description=(
            "Spielt tests/conversations.yml über den REST-Webhook durch (startet eigene Server mit fester Uhr, außer "
            "--url) und misst richtige Leistung/Aspekt und Latenz pro Zug neben einer reinen Rasa-Antwort."
        ),
    )
    bd.add_argument("--suite", help="Gesprächssuite (Standard: tests/conversations.yml, siehe --lang)")
    bd.add_argument(
        "--lang",
        choices=("de", "en", "all"),
        default="de",
        help="de: tests/conversations.yml; en: tests/conversations_en.yml; all: beide (Standard: %(default)s)",
    )
    bd.add_argument(
        "--url", help="laufender Rasa-Server statt eigener, z. B. http://localhost:5005 (dann gilt dessen Uhr)"
    )
    bd.set_defaults(func=cmd_bench_dialogue)
    bn = bsub.add_parser(
        "nlu",
        help="Kreuzvalidierung der NLU (rasa test nlu)",
        description=(
            "Kreuzvalidierung von Intents und Entitäten auf data/nlu.yml mit den erzeugten Lookup-Tabellen; druckt "
            "Makro-F1."
        ),
    )
    bn.add_argument("--folds", type=int, default=5, help="Anzahl Folds (Standard: %(default)s)")
    bn.add_argument("--config", help="andere Rasa-Konfiguration zum Vergleich (Standard: config.yml)")
    bn.set_defaults(func=cmd_bench_nlu)
    bsc = bsub.add_parser(
        "scale",
        help="zwei Rasa-Prozesse hinter dem Gateway auf PostgreSQL und Redis (Kontext, socket.io, Abbruch unter Last)",
        description=(
            "Startet Gateway, Action-Server und zwei Rasa-Prozesse auf einer Wegwerf-Datenbank des PostgreSQL-Servers "
            "und dem Redis; prüft den Kontext über beide Prozesse, socket.io über beide Prozesse und beendet einen "
            "Rasa-Prozess mit SIGKILL, während N Gespräche gleichzeitig laufen. Druckt die Zahlen."
        ),
    )
    bsc.add_argument("--postgres-url", help="PostgreSQL-Server, Benutzer mit CREATEDB (Standard: TEST_POSTGRES_URL)")
    bsc.add_argument("--redis-url", help="Redis-Server (Standard: TEST_REDIS_URL)")
    bsc.add_argument("--conversations", type=int, default=10, help="gleichzeitige Gespräche (Standard: %(default)s)")
    bsc.add_argument("--json", action="store_true", help="Zahlen als JSON")
    bsc.set_defaults(func=cmd_bench_scale)

    bf = bsub.add_parser(
        "faults",
        help="Gespräche über das Gateway, während jeder Prozess einmal mit kill -9 beendet wird",
        description=(
            "Startet einen eigenen Bot, führt viele Gespräche gleichzeitig über die Chat-API und beendet dabei "
            "Gateway, Rasa, Action-Server und (mit TEST_POSTGRES_URL) den PostgreSQL-Server nacheinander mit "
            "kill -9; jeder wird neu gestartet. Meldet gesendet, gespeichert, beantwortet, doppelt, verloren, "
            "die Zeit bis zur Erholung und ob Nachfragen beim Thema blieben. Exit-Code 1 bei Verlust oder Doppel."
        ),
    )
    bf.add_argument("--conversations", type=int, default=20, help="gleichzeitige Gespräche (Standard: %(default)s)")
    bf.add_argument(
        "--kill", action="append", metavar="PROZESS", help="gateway, rasa, actions, database (Standard: alle)"
    )
    bf.add_argument(
        "--settle", type=float, default=20.0, help="Sekunden Verkehr nach jedem Neustart (Standard: %(default)s)"
    )
    bf.add_argument(
        "--think", type=float, default=5.0, help="Sekunden zwischen Antwort und nächster Frage (Standard: %(default)s)"
    )
    bf.add_argument("--sqlite", action="store_true", help="SQLite auch dann, wenn TEST_POSTGRES_URL gesetzt ist")
    bf.add_argument("--logs", metavar="ORDNER", help="Protokolle der Prozesse hier ablegen")
    bf.add_argument("--json", action="store_true", help="Ergebnis als JSON")
    bf.set_defaults(func=cmd_bench_faults)

    bl = bsub.add_parser(
        "load",
        help="Antworten pro Sekunde und Latenz bei 1, 4 und 16 gleichzeitigen Gesprächen",
        description=(
            "Startet einen eigenen Bot und stellt Alltagsfragen, jede in einem neuen Gespräch, über den REST-Webhook "
            "und über die Chat-API des Gateways, mit 1, 4 und 16 Gesprächen gleichzeitig. Druckt Antworten/s, p50 "
            "und p95 je Stufe, die Untergrenze (reine Rasa-Antwort plus eine e5-Kodierung, im selben Lauf gemessen) "
            "und den Speicher (RSS) jedes Prozesses. Exit-Code 1, wenn eine Frage unbeantwortet blieb."
        ),
    )
    bl.add_argument(
        "--level", type=int, action="append", metavar="N", help="gleichzeitige Gespräche (mehrfach; Standard: 1, 4, 16)"
    )
    bl.add_argument("--requests", type=int, default=60, help="Fragen je Weg und Stufe (Standard: %(default)s)")
    bl.add_argument("--path", action="append", choices=["rest", "gateway"], help="nur diesen Weg (Standard: beide)")
    bl.add_argument("--threads", type=int, help="JENABOT_THREADS für diesen Lauf (Standard: die Einstellung)")
    bl.add_argument("--logs", metavar="ORDNER", help="Protokolle der Prozesse hier ablegen")
    bl.add_argument("--json", action="store_true", help="Ergebnis als JSON")
    bl.set_defaults(func=cmd_bench_load)

    cal = sub.add_parser(
        "calibrate",
        help="Gewichte und Schwellen der Suche auf dem Dev-Set kalibrieren",
        description=(
            "Passt Fusionsgewichte und Konfidenz auf knowledge/devset.yml an und schreibt knowledge/calibration.json."
        ),
    )
    cal.add_argument("--dry-run", action="store_true", help="nur Ergebnis zeigen, nichts schreiben")
    cal.set_defaults(func=cmd_calibrate)

    r = sub.add_parser(
        "run",
        help=(
            "bauen, dann Gateway (8000: Web-Chat, Konsole, API), Action-Server (5055) und Rasa-Server (5005) "
            "starten und abgestürzte neu starten; Strg-C beendet alle"
        ),
    )
    r.set_defaults(func=cmd_run)

    sv = sub.add_parser(
        "serve",
        help="einen Prozess des Bots im Vordergrund starten (für Container), ohne zu bauen",
        description=(
            "Startet einen Prozess im Vordergrund: gateway (Web-Chat, Konsole, API; für das Netz), rasa "
            "(Rasa-Server mit Token-geschützter HTTP-API) oder actions (Action-Server, nur mit dem gemeinsamen "
            "Geheimnis). Baut nichts; SIGTERM beendet ihn sauber."
        ),
    )
    sv.add_argument("role", choices=ROLES, metavar="ROLLE", help="gateway, rasa oder actions")
    sv.set_defaults(func=cmd_serve)

    st = sub.add_parser(
        "staff",
        help="Konten der Mitarbeiter-Konsole",
        description=(
            "Konten für die Mitarbeiter-Konsole (/staff) anlegen, zeigen, entsperren, mit neuem Passwort versehen, "
            "deaktivieren."
        ),
    )
    stsub = st.add_subparsers(dest="staff_command", required=True, metavar="BEFEHL")
    sa = stsub.add_parser(
        "add",
        help="Konto anlegen (fragt zweimal nach dem Passwort)",
        description=(
            "Legt ein Konto an. Das Passwort wird zweimal abgefragt (mindestens 8 Zeichen) und nur als argon2-Hash "
            "gespeichert."
        ),
    )
    sa.add_argument("username", metavar="BENUTZERNAME", help="Anmeldename (ohne Leerzeichen, wird klein geschrieben)")
    roles = sa.add_mutually_exclusive_group()
    roles.add_argument("--admin", action="store_true", help="Administration: darf zusätzlich Konten anlegen")
    roles.add_argument(
        "--editor",
        action="store_true",
        help="Redaktion: darf zusätzlich den Leistungskatalog bearbeiten (/staff/catalog)",
    )
    sa.add_argument(
        "--password-stdin", action="store_true", help="Passwort aus der ersten Zeile von stdin lesen (für Skripte)"
    )
    sa.add_argument(
        "--office",
        action="append",
        metavar="AMT",
        help="Amt, dessen Warteschlange das Konto bearbeitet (id aus knowledge/catalog/offices, mehrfach möglich; "
        "ohne: alle Warteschlangen)",
    )
    sa.set_defaults(func=cmd_staff_add)
    sl = stsub.add_parser(
        "list", help="alle Konten zeigen", description="Zeigt alle Konten mit Rolle, Datum und Sperre."
    )
    sl.set_defaults(func=cmd_staff_list)
    for name, short, long in (
        (
            "password",
            "neues Passwort setzen (entsperrt auch)",
            "Setzt ein neues Passwort (zweimal abgefragt) und hebt Sperre und Deaktivierung auf.",
        ),
        (
            "unlock",
            "Sperre nach Fehlversuchen aufheben",
            "Hebt die 15-Minuten-Sperre nach zu vielen Fehlversuchen sofort auf.",
        ),
        (
            "disable",
            "Konto deaktivieren (z. B. beim Ausscheiden)",
            "Keine Anmeldung mehr, offene Sitzungen enden; Vorgänge und Verlauf bleiben.",
        ),
    ):
        acc = stsub.add_parser(name, help=short, description=long)
        acc.add_argument("username", metavar="BENUTZERNAME", help="Anmeldename")
        acc.set_defaults(func=cmd_staff_account, password_stdin=False)
        if name == "password":
            acc.add_argument(
                "--password-stdin",
                action="store_true",
                help="Passwort aus der ersten Zeile von stdin lesen (für Skripte)",
            )

    pu = sub.add_parser(
        "purge",
        help="alte Gespräche und Vorgänge löschen",
        description=(
            "Löscht Gespräche, die seit mehr als N Tagen ruhen, mit Nachrichten, Vorgängen, Notizen und "
            "Rückmeldungen (auch offene Vorgänge), dazu Rasas gespeicherten Gesprächsverlauf (Tabelle events). "
            "Staff-Konten bleiben."
        ),
    )
    pu.add_argument(
        "--days", type=int, metavar="N", help="Aufbewahrungsfrist in Tagen (Standard: JENABOT_RETENTION_DAYS)"
    )
    pu.add_argument("--dry-run", action="store_true", help="nur zählen, nichts löschen")
    pu.set_defaults(func=cmd_purge)

    e = sub.add_parser("env", help="Umgebungsvariablen mit Standardwerten zeigen")
    e.set_defaults(func=cmd_env)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, read the settings once, run the command; errors become one German line."""
    args = parser().parse_args(argv)
    try:
        settings = get_settings()
        _setup_logging(args.verbose, settings.log_format)
        return int(args.func(args, settings) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear message instead of a bare traceback; -v shows it
        logging.getLogger("jenabot").debug("Fehler", exc_info=True)
        print(f"Fehler: {exc}\n(Mehr Details mit 'jenabot -v {args.command} ...')", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
