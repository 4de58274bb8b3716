"""Concept search over a realistic vocabulary: 100,000 concepts, 300,000+ synonyms, two languages.

Loads a release's concepts and their search terms straight into the database (bulk insert, not
through the warehouse): each concept has an English name of two to five clinical words, its
Spanish name (the same words in Spanish, accents and all), three synonyms (English and Spanish
lay terms and a title), its own code and, for one concept in three, an ICD-10-CM-style source
code. Then times `selectors.concept_search` (page 1, as the Data Browser asks) over a mix of
what people type: a whole name, a word prefix, two words, Spanish with and without accents,
codes, and words nothing has. Prints JSON: median and p95 per kind of query and overall, the
plan of one search (EXPLAIN) and the commit measured.

    .venv/bin/python benchmarks/concept_search.py
    .venv/bin/python benchmarks/concept_search.py --database-url postgres://postgres@127.0.0.1:5432/tapestry_bench
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BENCH_DIR, analyze, django_setup, log, machine, migrate, summary_ms

# English word → Spanish, as a clinical vocabulary uses them.
WORDS = {
    "acute": "agudo",
    "chronic": "crónico",
    "primary": "primario",
    "secondary": "secundario",
    "congenital": "congénito",
    "malignant": "maligno",
    "benign": "benigno",
    "allergic": "alérgico",
    "viral": "viral",
    "bacterial": "bacteriano",
    "diabetes": "diabetes",
    "hypertension": "hipertensión",
    "asthma": "asma",
    "fracture": "fractura",
    "infection": "infección",
    "disorder": "trastorno",
    "syndrome": "síndrome",
    "disease": "enfermedad",
    "pain": "dolor",
    "kidney": "riñón",
    "heart": "corazón",
    "lung": "pulmón",
    "liver": "hígado",
    "blood": "sangre",
    "pressure": "presión",
    "glucose": "glucosa",
    "plasma": "plasma",
    "serum": "suero",
    "insulin": "insulina",
    "metformin": "metformina",
    "tablet": "tableta",
    "oral": "oral",
    "injection": "inyección",
    "cancer": "cáncer",
    "tumor": "tumor",
    "bone": "hueso",
    "skin": "piel",
    "eye": "ojo",
    "nerve": "nervio",
    "muscle": "músculo",
    "joint": "articulación",
    "arthritis": "artritis",
    "anemia": "anemia",
    "deficiency": "deficiencia",
    "vitamin": "vitamina",
    "measurement": "medición",
    "level": "nivel",
    "count": "recuento",
    "cell": "célula",
    "left": "izquierdo",
    "right": "derecho",
    "upper": "superior",
    "lower": "inferior",
    "migraine": "migraña",
    "depression": "depresión",
    "anxiety": "ansiedad",
    "obesity": "obesidad",
    "sleep": "sueño",
    "apnea": "apnea",
    "cholesterol": "colesterol",
    "thyroid": "tiroides",
    "hormone": "hormona",
    "pregnancy": "embarazo",
    "hemoglobin": "hemoglobina",
    "platelet": "plaqueta",
    "sodium": "sodio",
    "potassium": "potasio",
    "calcium": "calcio",
    "stomach": "estómago",
    "ulcer": "úlcera",
    "bleeding": "hemorragia",
    "stroke": "ictus",
    "seizure": "convulsión",
    "cough": "tos",
    "fever": "fiebre",
    "rash": "erupción",
    "swelling": "hinchazón",
    "wound": "herida",
    "burn": "quemadura",
    "surgery": "cirugía",
    "biopsy": "biopsia",
    "scan": "exploración",
    "vaccine": "vacuna",
    "antibody": "anticuerpo",
    "urine": "orina",
    "spine": "columna",
    "hip": "cadera",
    "knee": "rodilla",
    "shoulder": "hombro",
    "child": "niño",
    "adult": "adulto",
    "severe": "grave",
    "mild": "leve",
}
ENGLISH = sorted(WORDS)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def vocabulary(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` concepts, each with names, synonyms and codes drawn from a fixed seed."""
    rng = random.Random(seed)
    concepts = []
    for index in range(count):
        english = rng.sample(ENGLISH, rng.randint(2, 5))
        spanish = [WORDS[word] for word in english]
        lay_en = rng.sample(ENGLISH, rng.randint(1, 3))
        lay_es = [WORDS[word] for word in rng.sample(ENGLISH, rng.randint(1, 3))]
        code = str(10_000_000 + index * 7)
        terms = [
            ("synonym", "en", " ".join(lay_en)),
            ("synonym", "es", " ".join(lay_es)),
            ("synonym", "en", " ".join(english[::-1]).capitalize()),
        ]
        if index % 3 == 0:
            source = f"{rng.choice(LETTERS)}{rng.randint(0, 99):02d}.{rng.randint(0, 9)}"
            terms.append(("source_code", "", source))
        concepts.append(
            {
                "concept_id": 40_000_000 + index,
                "name": " ".join(english).capitalize(),
                "name_es": " ".join(spanish).capitalize(),
                "code": code,
                "participants": int(rng.paretovariate(1.2) * 10),
                "terms": terms,
            }
        )
    return concepts


def load(concepts: list[dict[str, Any]]) -> Any:
    """A ready release holding `concepts` and their terms, inserted in bulk."""
    from django.db import transaction
    from django.utils import timezone

    from tapestry.research.models import ConceptSummary, ConceptTerm, Domain, Release
    from tapestry.research.search import normalize

    domains = [choice.value for choice in Domain]
    with transaction.atomic():
        release = Release.objects.create(
            version="bench-search",
            status=Release.Status.READY,
            finished_at=timezone.now(),
            participants=1_000_000,
        )
        rows = ConceptSummary.objects.bulk_create(
            (
                ConceptSummary(
                    release=release,
                    concept_id=concept["concept_id"],
                    name=concept["name"],
                    name_es=concept["name_es"],
                    code=concept["code"],
                    vocabulary="SNOMED",
                    domain=domains[index % len(domains)],
                    participants=concept["participants"],
                )
                for index, concept in enumerate(concepts)
            ),
            batch_size=2000,
        )
        terms = []
        for row, concept in zip(rows, concepts, strict=True):
            own = [("name", "en", row.name), ("name", "es", row.name_es), ("code", "", row.code)]
            for kind, language, text in [*own, *concept["terms"]]:
                terms.append(
                    ConceptTerm(
                        concept=row,
                        kind=kind,
                        language=language,
                        text=text,
                        normalized=normalize(text),
                    )
                )
        ConceptTerm.objects.bulk_create(terms, batch_size=5000)
    return release, len(terms)


def queries(concepts: list[dict[str, Any]], per_kind: int, seed: int) -> dict[str, list[str]]:
    """What people type, `per_kind` of each kind, drawn from the loaded vocabulary."""
    rng = random.Random(seed)
    sample = rng.sample(concepts, per_kind)
    spanish = [word for word in WORDS.values() if word != word.encode("ascii", "ignore").decode()]
    plain = str.maketrans("áéíóúñü", "aeiounu")
    sources = [t[2] for c in concepts[: per_kind * 30] for t in c["terms"] if t[0] == "source_code"]
    return {
        "exact_name": [concept["name"] for concept in sample],
        "prefix": [rng.choice(ENGLISH)[: rng.randint(3, 6)] for _ in range(per_kind)],
        "two_words": [" ".join(rng.sample(ENGLISH, 2)) for _ in range(per_kind)],
        "spanish_accents": [
            f"{rng.choice(spanish)} {WORDS[rng.choice(ENGLISH)]}" for _ in range(per_kind)
        ],
        "spanish_no_accents": [
            f"{rng.choice(spanish)} {WORDS[rng.choice(ENGLISH)]}".translate(plain).upper()
            for _ in range(per_kind)
        ],
        "code": [concept["code"] for concept in sample[: per_kind // 2]]
        + rng.sample(sources, per_kind - per_kind // 2),
        "no_hits": [f"zq{rng.randint(100, 999)}x {rng.choice(ENGLISH)}" for _ in range(per_kind)],
    }


def explain(release: Any, query: str) -> list[str]:
    """The database's plan for one search: it names the full-text index it reads."""
    from django.db import connection

    from tapestry.research.selectors import ranked_search_sql

    statement = ranked_search_sql(release=release, query=query)
    assert statement is not None
    sql, parameters = statement
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, [*parameters, 50, 0])
        return [" ".join(str(part) for part in row) for row in cursor.fetchall()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concepts", type=int, default=100_000)
    parser.add_argument("--per-kind", type=int, default=40, help="Queries of each kind.")
    parser.add_argument("--repeat", type=int, default=3, help="Passes over the queries.")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    database = BENCH_DIR / "concept_search.sqlite3"
    if not args.database_url:
        database.unlink(missing_ok=True)
    elif "bench" not in args.database_url.rsplit("/", 1)[-1]:
        parser.error("the database's name must contain 'bench' (its releases are replaced)")
    os.environ.setdefault("TAPESTRY_SECRET_KEY", "benchmark-only")
    django_setup(args.database_url or f"sqlite:///{database}")
    from tapestry.research import selectors
    from tapestry.research.models import ConceptTerm, Release

    migrate()
    Release.objects.all().delete()
    result: dict[str, Any] = {"benchmark": "concept_search", "machine": machine()}
    log(f"generating {args.concepts:,} concepts")
    concepts = vocabulary(args.concepts, args.seed)
    started = time.perf_counter()
    release, term_count = load(concepts)
    analyze()
    synonyms = ConceptTerm.objects.filter(kind="synonym").count()
    result["data"] = {
        "concepts": args.concepts,
        "terms": term_count,
        "synonyms": synonyms,
        "load_seconds": round(time.perf_counter() - started, 1),
    }
    log(f"loaded {term_count:,} terms ({synonyms:,} synonyms)")
    mix = queries(concepts, args.per_kind, args.seed)
    for query in ("hipertensión", "metfor"):
        selectors.concept_search(release=release, query=query)  # warm up
    timings: dict[str, list[float]] = {kind: [] for kind in mix}
    hits: dict[str, list[int]] = {kind: [] for kind in mix}
    for _ in range(args.repeat):
        for kind, texts in mix.items():
            for text in texts:
                start = time.perf_counter()
                found = selectors.concept_search(release=release, query=text)
                timings[kind].append(time.perf_counter() - start)
                hits[kind].append(found.total)
    result["queries"] = {
        kind: {
            **summary_ms(timings[kind]),
            "median_matches": sorted(hits[kind])[len(hits[kind]) // 2],
            "examples": mix[kind][:3],
        }
        for kind in mix
    }
    result["overall"] = summary_ms([t for kind in timings.values() for t in kind])
    result["plan"] = {
        "query": "hipertension cronica",
        "rows": explain(release, "hipertension cronica"),
    }
    Release.objects.all().delete()
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
