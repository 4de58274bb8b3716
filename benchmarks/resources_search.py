"""Full-text search of published health resources at 20,000 resources (issue 13).

Builds a throwaway database (PostgreSQL with `--database-url`, whose name must contain
`bench`; else SQLite `var/bench/resources_search.sqlite3`), then, from a fixed seed and with
bulk inserts: `--resources` published resources, each with an English text and 60% of them
also with a Spanish one, written in plain-language health vocabulary (a main topic in the
title and the summary, two or three other topics in a body of 15 to 25 sentences, some with a
video transcript), spread over the five focus areas and two years of publication. Then it
indexes them all (`search.texts_reindex`, as after any bulk load) and times
`search.texts_find(query=…, language=…)[:20]`, evaluated (the first page the search page
shows), for a dozen queries people type in each language:

- **cold**: a new database connection before each query (the first query after connecting);
- **warm**: the same connection again.

Prints one JSON document on stdout (progress on stderr): median and p95 per language and
overall, the matches per query, the plan of one search (EXPLAIN), the database, the scale and
the commit measured. Target (issue 13): median at most 100 ms on PostgreSQL and on SQLite.

    .venv/bin/python benchmarks/resources_search.py
    .venv/bin/python benchmarks/resources_search.py --database-url postgres://postgres@127.0.0.1:5432/tapestry_bench_resources
"""

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, ROOT, analyze, django_setup, log, machine, migrate, summary_ms

TARGET_MEDIAN_MS = 100.0
PAGE = 20
SPANISH_SHARE = 0.6
FOCUS_AREAS = [
    "diversity-in-research",
    "digital-literacy",
    "health-literacy",
    "precision-medicine",
    "community-science",
]
AUDIENCES = ["public", "families", "library-staff", "health-educators", "researchers"]

# Topic: (English, Spanish), each as the words a plain-language page uses for it.
TOPICS = [
    ("diabetes", "la diabetes"),
    ("high blood pressure", "la presión arterial alta"),
    ("heart health", "la salud del corazón"),
    ("cancer screening", "las pruebas de detección del cáncer"),
    ("flu shots", "las vacunas contra la gripe"),
    ("vaccines for children", "las vacunas para niños"),
    ("asthma", "el asma"),
    ("sleep", "el sueño"),
    ("healthy eating", "la alimentación sana"),
    ("physical activity", "la actividad física"),
    ("depression", "la depresión"),
    ("stress", "el estrés"),
    ("pregnancy", "el embarazo"),
    ("quitting smoking", "dejar de fumar"),
    ("your medicines", "sus medicamentos"),
    ("clinical trials", "los estudios clínicos"),
    ("genetic testing", "las pruebas genéticas"),
    ("family health history", "los antecedentes médicos familiares"),
    ("telehealth visits", "las consultas por video"),
    ("the patient portal", "el portal del paciente"),
    ("kidney disease", "la enfermedad renal"),
    ("dental care", "el cuidado dental"),
    ("healthy weight", "el peso saludable"),
    ("memory loss", "la pérdida de memoria"),
    ("health insurance", "el seguro médico"),
    ("joining a research study", "participar en un estudio de investigación"),
    ("finding trusted health information online", "buscar información de salud confiable"),
    ("talking with your doctor", "hablar con su médico"),
]
TITLES = {
    "en": [
        "{Topic}: what to know",
        "How to manage {topic}",
        "Questions to ask about {topic}",
        "A guide to {topic} for families",
        "{Topic} in plain words",
        "Myths and facts about {topic}",
    ],
    "es": [
        "Lo que debe saber sobre {topic}",
        "Cómo cuidarse: {topic}",
        "Preguntas sobre {topic}",
        "Guía para la familia: {topic}",
        "{Topic} en palabras sencillas",
        "Mitos y verdades sobre {topic}",
    ],
}
SUMMARIES = {
    "en": [
        "Simple steps to take care of {topic} at home and at the clinic.",
        "What {topic} means for you and your family, and where to get help.",
        "Learn the signs, the tests and the questions to ask about {topic}.",
    ],
    "es": [
        "Pasos sencillos para cuidar {topic} en casa y en la clínica.",
        "Qué significa {topic} para usted y su familia, y dónde pedir ayuda.",
        "Conozca las señales, las pruebas y las preguntas sobre {topic}.",
    ],
}
SENTENCES = {
    "en": [
        "Talk with your doctor or nurse about {topic}.",
        "Many people live well with {topic} when they get care early.",
        "Write down your questions about {topic} before your visit.",
        "Your local library can help you find trusted facts about {topic}.",
        "Ask a family member to come with you when you talk about {topic}.",
        "Small changes each day can make a big difference for {topic}.",
        "It is normal to feel worried about {topic}; you are not alone.",
        "Free classes on {topic} are offered at community centers near you.",
        "Keep a list of your medicines and bring it to every visit.",
        "Drink water, eat fruits and vegetables, and walk a little every day.",
        "If you feel chest pain or cannot breathe, call 911 right away.",
        "Check your blood sugar and blood pressure as your care team tells you.",
        "A health educator can explain your test results in plain words.",
        "You have the right to an interpreter at no cost.",
        "Researchers study {topic} to find better ways to help everyone.",
        "Signs can be hard to notice at first, so regular checkups matter.",
        "Use the patient portal to see your results and message your clinic.",
        "Get enough sleep: most adults need seven to nine hours each night.",
    ],
    "es": [
        "Hable con su médico o enfermera sobre {topic}.",
        "Muchas personas viven bien con {topic} cuando reciben atención a tiempo.",
        "Escriba sus preguntas sobre {topic} antes de la consulta.",
        "Su biblioteca puede ayudarle a encontrar información confiable sobre {topic}.",
        "Pida a un familiar que le acompañe cuando hable de {topic}.",
        "Pequeños cambios cada día ayudan mucho con {topic}.",
        "Es normal sentir preocupación por {topic}; usted no está solo.",
        "Hay clases gratuitas sobre {topic} en los centros comunitarios.",
        "Tenga una lista de sus medicamentos y llévela a cada consulta.",
        "Tome agua, coma frutas y verduras, y camine un poco cada día.",
        "Si siente dolor en el pecho o no puede respirar, llame al 911 de inmediato.",
        "Revise su azúcar en la sangre y su presión como le indique su equipo médico.",
        "Un educador de salud puede explicarle sus resultados con palabras sencillas.",
        "Usted tiene derecho a un intérprete sin costo.",
        "Los investigadores estudian {topic} para encontrar mejores formas de ayudar.",
        "Las señales pueden ser difíciles de notar, por eso los chequeos son importantes.",
        "Use el portal del paciente para ver sus resultados y escribir a su clínica.",
        "Duerma lo suficiente: la mayoría de los adultos necesita de siete a nueve horas.",
    ],
}
QUERIES = {
    "en": [
        "diabetes",
        "high blood pressure",
        "flu shot",
        "screenings",
        "heart",
        "healthy eating",
        "depression",
        "clinical trials",
        "genetic test",
        "sleep",
        "quit smoking",
        "pregnancy",
    ],
    "es": [
        "diabetes",
        "diabético",
        "presión alta",
        "vacuna gripe",
        "corazon",
        "comer sano",
        "depresión",
        "estudios clínicos",
        "pruebas genéticas",
        "sueño",
        "dejar de fumar",
        "embarazada",
    ],
}


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


def _text(rng: random.Random, language: str, topics: list[int]) -> dict[str, str]:
    index = 0 if language == "en" else 1
    main = TOPICS[topics[0]][index]
    title = rng.choice(TITLES[language]).format(topic=main, Topic=_capital(main))
    summary = rng.choice(SUMMARIES[language]).format(topic=main)
    paragraphs = []
    for _paragraph in range(rng.randint(4, 6)):
        sentences = [
            rng.choice(SENTENCES[language]).format(topic=TOPICS[rng.choice(topics)][index])
            for _sentence in range(rng.randint(3, 5))
        ]
        paragraphs.append(f"<p>{' '.join(sentences)}</p>")
    transcript = ""
    if rng.random() < 0.15:
        transcript = " ".join(
            rng.choice(SENTENCES[language]).format(topic=main) for _ in range(rng.randint(10, 20))
        )
    return {
        "title": title[:200],
        "summary": summary,
        "body": "".join(paragraphs),
        "transcript": transcript,
    }


def build(*, resources: int, seed: int) -> dict[str, Any]:
    """Replace every resource with `resources` generated, published ones, then index them."""
    from django.db import connection, transaction

    from tapestry.accounts.models import User
    from tapestry.resources import search
    from tapestry.resources.models import FocusArea, Resource, ResourceText

    rng = random.Random(seed)
    author, _created = User.objects.get_or_create(
        email="bench-resources@example.org", defaults={"full_name": "Bench Resources"}
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM resources_textsearch")
        Resource.objects.all().delete()
    areas = {area.slug: area.pk for area in FocusArea.objects.all()}
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    span_minutes = 2 * 365 * 24 * 60
    log(f"creating {resources:,} resources")
    with transaction.atomic():
        created = Resource.objects.bulk_create(
            (
                Resource(kind=rng.choice(["article", "handout", "video"]), created_by=author)
                for _ in range(resources)
            ),
            batch_size=2000,
        )
        through = Resource.focus_areas.through
        through.objects.bulk_create(
            (
                through(resource_id=resource.pk, focusarea_id=areas[slug])
                for resource in created
                for slug in rng.sample(FOCUS_AREAS, rng.randint(1, 2))
            ),
            batch_size=5000,
        )
        texts = []
        for resource in created:
            topics = rng.sample(range(len(TOPICS)), rng.randint(3, 4))
            when = start + datetime.timedelta(minutes=rng.randrange(span_minutes))
            languages = ["en", "es"] if rng.random() < SPANISH_SHARE else ["en"]
            for language in languages:
                words = _text(rng, language, topics)
                texts.append(
                    ResourceText(
                        resource=resource,
                        language=language,
                        status="published",
                        **words,
                        author=author,
                        last_edited_by=author,
                        content_changed_at=when,
                        meets_target=True,
                        slug=f"bench-{resource.pk}",
                        published_title=words["title"],
                        published_summary=words["summary"],
                        published_body=words["body"],
                        published_transcript=words["transcript"],
                        first_published_at=when,
                        published_at=when,
                    )
                )
        log(f"inserting {len(texts):,} published texts")
        ResourceText.objects.bulk_create(texts, batch_size=2000)
    log("indexing")
    started = time.perf_counter()
    with transaction.atomic():
        indexed = search.texts_reindex()
    index_seconds = time.perf_counter() - started
    return {
        "resources": resources,
        "texts": len(texts),
        "texts_en": sum(text.language == "en" for text in texts),
        "texts_es": sum(text.language == "es" for text in texts),
        "indexed": indexed,
        "index_seconds": round(index_seconds, 1),
    }


def short_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def plan(query: str, language: str) -> list[str]:
    """The database's plan for the first page of one search."""
    from django.db import connection

    from tapestry.resources import search

    sql, parameters = search.texts_find(query=query, language=language)[
        :PAGE
    ].query.sql_with_params()
    prefix = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, parameters)
        return [" ".join(str(part) for part in row) for row in cursor.fetchall()]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--resources", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=10, help="Timed runs of each query, each way.")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    database = BENCH_DIR / "resources_search.sqlite3"
    if not args.database_url:
        for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            stale.unlink(missing_ok=True)
    elif "bench" not in args.database_url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing a database whose name does not contain 'bench'")
    os.environ.setdefault("TAPESTRY_SECRET_KEY", "benchmark-only")
    django_setup(args.database_url or f"sqlite:///{database}")
    from django.db import connection

    from tapestry.resources import search

    log("migrating")
    migrate()
    started = time.perf_counter()
    data = build(resources=args.resources, seed=args.seed)
    data["build_seconds"] = round(time.perf_counter() - started, 1)
    analyze()
    where = machine()

    def timed(query: str, language: str, *, cold: bool) -> float:
        if cold:
            connection.close()
            connection.ensure_connection()  # connecting is not the search's time
        begun = time.perf_counter()
        page = list(search.texts_find(query=query, language=language)[:PAGE])
        seconds = time.perf_counter() - begun
        assert page, (query, language)
        return seconds

    matches = {
        language: {
            query: search.texts_find(query=query, language=language).count() for query in queries
        }
        for language, queries in QUERIES.items()
    }
    timings: dict[str, list[float]] = {}
    for language, queries in QUERIES.items():
        timings[f"{language}_cold"] = []
        timings[f"{language}_warm"] = []
        for query in queries:
            timed(query, language, cold=False)  # warm-up: the stemmer, the query plan
            timings[f"{language}_cold"] += [
                timed(query, language, cold=True) for _ in range(args.runs)
            ]
            timings[f"{language}_warm"] += [
                timed(query, language, cold=False) for _ in range(args.runs)
            ]
        log(
            f"{language}: warm median "
            f"{summary_ms(timings[f'{language}_warm'])['median_ms']} ms, cold median "
            f"{summary_ms(timings[f'{language}_cold'])['median_ms']} ms"
        )
    timings["all_cold"] = timings["en_cold"] + timings["es_cold"]
    timings["all_warm"] = timings["en_warm"] + timings["es_warm"]
    summaries = {name: summary_ms(values) for name, values in timings.items()}
    medians = [summaries["all_cold"]["median_ms"], summaries["all_warm"]["median_ms"]]
    print(
        json.dumps(
            {
                "benchmark": "resources_search",
                "commit": short_commit(),
                "database": where["database"],
                "scale": data,
                "machine": where,
                "page": PAGE,
                "runs_per_query": args.runs,
                "matches": matches,
                "timings": summaries,
                "plan": plan("high blood pressure", "en"),
                "load_average_1m_at_end": round(os.getloadavg()[0], 2),
                "target": {
                    "median_ms_at_most": TARGET_MEDIAN_MS,
                    "met": max(medians) <= TARGET_MEDIAN_MS,
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
