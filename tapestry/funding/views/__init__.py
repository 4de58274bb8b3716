"""The funding pages, one module per persona: applicants (calls and drafts), program staff
(screening, assignment, decisions, dashboards), reviewers (scoring) and awardees (awards,
invoices, reports). Each module lists its own `urlpatterns`; `tapestry/funding/urls.py` joins
them."""
