"""The research pages: the public Data Browser and the dashboard (browser.py), researcher
access (access.py), the cohort builder (cohorts.py), datasets (datasets.py)."""
