"""Settings for the test suite and type checking: the real settings with a test-only key.

pytest-django imports the settings before any conftest runs, so the key the settings insist
on is set here. Processes the tests start (a live server, a worker) inherit it.
"""

import os

os.environ.setdefault("TAPESTRY_SECRET_KEY", "test-only-secret-key-" + "t" * 40)
# The API fuzz test sends thousands of requests; the throttle's own test sets a small rate.
os.environ.setdefault("TAPESTRY_API_THROTTLE_ANONYMOUS", "1000000/m")
os.environ.setdefault("TAPESTRY_API_THROTTLE_TOKEN", "1000000/m")

from config.settings import *  # noqa: F403
