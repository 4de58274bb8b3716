"""The API fuzz tests' hypothesis settings."""

from hypothesis import HealthCheck, settings


def fuzz_settings(max_examples: int) -> settings:
    """No example database: every run replays the same seeded examples, not past failures."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
