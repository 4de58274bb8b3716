"""The surveys pages, one module per activity: answering (respondents), authoring (staff
building instruments), results, and interchange (REDCap files)."""
