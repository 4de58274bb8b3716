"""Tapestry's people under load: who comes to the site, what they do, and how long they pause.

Five kinds of people, in the proportions of a working day (the `weight`s), each pausing between
actions as a person reads (`wait_time`):

- Visitors (60%): the home page, the member directory (a name or a place, in English or Spanish;
  near a ZIP code within a radius), a member's page, the Data Browser (concept searches, a
  concept, the survey questions), the resources and the event finder. Half of them read the
  site in Spanish (the `django_language` cookie that the language switcher sets).
- Liaisons (20%): sign in (password), look at their dashboard, take a course (enrol, open
  lessons, take its quiz once) and file activity reports as drafts (each with a new title).
- Engagement specialists (6%): sign in (password and authenticator code), work the queues
  (membership applications, engagement requests, reports to review) and answer a request.
- Researchers (6%): sign in, open the workbench and count cohorts in the cohort builder.
- Program staff (8%): sign in, open the dashboards (outreach, the diversity figures, learning
  compliance and its reports).

Every request is named by its page type (`name=`), so the statistics group by page, not URL.
Accounts come from benchmarks/load/accounts.py (one per signed-in person; researchers share the
demo's researcher). Each simulated person sends its own X-Forwarded-For address, as people
behind the production proxy do, so per-address sign-in limits see 200 people, not one.

    locust -f benchmarks/load/locustfile.py --host http://127.0.0.1:8000
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import itertools
import random
import re
import struct
import time
import uuid
from html.parser import HTMLParser
from typing import Any

import gevent.lock
from locust import HttpUser, between, task
from locust.exception import StopUser

PASSWORD = "tapestry-load-2026"  # noqa: S105 - load test accounts (accounts.py)
DEMO_PASSWORD = "tapestry-demo-2026"  # noqa: S105 - the demo personas (seed_demo)
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - demo only (personas.py)
DOMAIN = "load.tapestry.example"
RESEARCHER = "researcher@tapestry.example"

NAME_WORDS = (
    "library",
    "health",
    "public library",
    "community",
    "university",
    "medical center",
    "family",
    "chicago",
    "biblioteca",
    "salud",
    "clínica",
    "comunidad",
    "centro de salud",
    "san",
    "santa fe",
    "el paso",
)
PLACES = ("35203", "60608", "48209", "64106", "10001", "99301", "87501", "78701", "94110", "33101")
RADII = (10, 25, 50, 100, 250)
CONCEPT_WORDS = (
    "diabetes",
    "hypertension",
    "asthma",
    "metformin",
    "glucose",
    "depression",
    "presión arterial",
    "hemoglobin",
    "insulina",
    "E11",
)
RESOURCE_WORDS = ("diabetes", "vaccine", "salud", "medicine", "nutrición", "blood pressure", "")
HREF = re.compile(r'href="(/[^"#]*)"')


# --- pages -----------------------------------------------------------------------------------


def links(body: str, pattern: str) -> list[str]:
    """The site's own links in a page that match `pattern` (a regular expression)."""
    wanted = re.compile(pattern)
    return sorted({html.unescape(href) for href in HREF.findall(body) if wanted.search(href)})


class _Forms(HTMLParser):
    """The forms of a page: action, method and the values a browser would send as they are."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "action": values.get("action", ""),
                    "method": values.get("method", "get").lower(),
                    "id": values.get("id", ""),
                    "fields": [],
                    "options": {},
                    "buttons": [],
                }
            )
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = values.get("name")
        if tag == "input" and name:
            kind = values.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                form["options"].setdefault(name, []).append(values.get("value", "on"))
                if "checked" in values:
                    form["fields"].append((name, values.get("value", "on")))
            elif kind == "submit":
                form["buttons"].append((name, values.get("value", "")))
            elif kind != "file":
                form["fields"].append((name, values.get("value", "")))
        elif tag == "button" and name:
            form["buttons"].append((name, values.get("value", "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            form["options"].setdefault(self._select, []).append(values.get("value", ""))
            if "selected" in values:
                form["fields"].append((self._select, values.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            form["fields"].append((name, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            fields = self.forms[-1]["fields"]
            name, value = fields[-1]
            fields[-1] = (name, value + data)


def forms(body: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(body)
    return parser.forms


def form_with(body: str, field: str) -> dict[str, Any] | None:
    """The first POST form of a page that has `field` (an input, select or button name)."""
    for form in forms(body):
        names = {name for name, _value in form["fields"]} | set(form["options"])
        names |= {name for name, _value in form["buttons"]}
        if form["method"] == "post" and field in names:
            return form
    return None


def form_to(body: str, pattern: str) -> dict[str, Any] | None:
    """The first POST form of a page whose action matches `pattern` (a regular expression)."""
    wanted = re.compile(pattern)
    for form in forms(body):
        if form["method"] == "post" and wanted.search(form["action"]):
            return form
    return None


def filled(form: dict[str, Any], **values: Any) -> dict[str, Any]:
    """The form's values as a browser would send them, with `values` typed over them; a
    select left without a choice takes its first non-empty option."""
    data: dict[str, Any] = {}
    for name, value in form["fields"]:
        data.setdefault(name, value)
    for name, options in form["options"].items():
        if name not in data:
            choices = [option for option in options if option]
            if choices and len(set(options)) > 1 and name not in ("event_id",):
                data[name] = choices[0]
    data.update(values)
    return data


# --- signing in ------------------------------------------------------------------------------


def totp_code(secret: str) -> str:
    """The current six-digit code of an authenticator app (RFC 6238, as allauth checks it)."""
    counter = int(time.time()) // 30
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def problem(response: Any, path: str) -> str:
    """What went wrong, for Locust's failure table: the status, or the connection's error."""
    if response.status_code == 0:
        return f"no response at {path}: {response.error!r}"
    return f"{response.status_code} at {path}"


_addresses = itertools.count(1)


class Person(HttpUser):
    """Someone with a browser: a fresh cookie jar, their own address, pauses while reading."""

    abstract = True
    wait_time = between(4, 15)

    def on_start(self) -> None:
        number = next(_addresses)
        self.client.headers["X-Forwarded-For"] = (
            f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
        )
        self.client.headers["Accept-Language"] = "en-US,en;q=0.8"

    def get(self, path: str, name: str, **kwargs: Any) -> str:
        with self.client.get(path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != 200:
                response.failure(problem(response, path))
                return ""
            return response.text

    def post(
        self,
        path: str,
        data: dict[str, Any],
        name: str,
        ok: tuple[int, ...] = (200,),
        away_from: str = "",
    ) -> Any:
        """POST as the page's form does (its CSRF token is among the form's fields); the
        redirect after a successful POST is followed, so the result is the page it leads to
        (a failure if it is still `away_from`: the form was refused)."""
        with self.client.post(
            path,
            data=data,
            name=name,
            catch_response=True,
            headers={"Referer": f"{self.host}{path}"},
        ) as response:
            if response.status_code not in ok:
                response.failure(problem(response, path))
            elif away_from and away_from in response.url:
                response.failure(f"refused at {path}: still at {response.url}")
            return response

    def sign_in(self, email: str, password: str, *, second_factor: bool) -> None:
        body = self.get("/accounts/login/", name="sign in: form")
        form = form_with(body, "password")
        if form is None:
            raise StopUser
        response = self.post(
            "/accounts/login/",
            filled(form, login=email, password=password),
            name="sign in: password",
            away_from="/accounts/login",
        )
        if second_factor:
            if "/2fa/authenticate" not in response.url:
                response.failure(f"no second-factor step for {email}: {response.url}")
                raise StopUser
            step = response.url.split(self.host, 1)[-1]
            for _attempt in range(2):
                form = form_with(response.text, "code")
                if form is None:
                    raise StopUser
                # allauth accepts only the current 30-second code: one typed just before the
                # code changes and checked after it is refused, and the person types the new
                # one. (A busy server makes that likelier; it is not the site failing.)
                with self.client.post(
                    step,
                    data=filled(form, code=totp_code(DEMO_TOTP_SECRET)),
                    name="sign in: authenticator code",
                    catch_response=True,
                ) as response:
                    if response.status_code != 200:
                        response.failure(problem(response, step))
                    elif "/2fa/" in response.url:
                        if _attempt == 0:
                            response.success()
                            continue
                        response.failure(f"{email}: the authenticator code was refused twice")
                break
        if "/accounts/login" in response.url or "/2fa/" in response.url:
            response.failure(f"{email} is not signed in: {response.url}")
            raise StopUser


# --- visitors --------------------------------------------------------------------------------


class Visitor(Person):
    """Someone who came to find a library, a health fact, a resource or an event."""

    weight = 60
    wait_time = between(3, 12)

    def on_start(self) -> None:
        super().on_start()
        if random.random() < 0.5:
            self.client.cookies.set("django_language", "es")
            self.client.headers["Accept-Language"] = "es-US,es;q=0.9"

    @task(2)
    def home(self) -> None:
        self.get("/", name="home")

    @task(3)
    def directory_by_name(self) -> None:
        body = self.get(
            "/network/",
            name="directory: search by name",
            params={"q": random.choice(NAME_WORDS)},
        )
        members = links(body, r"^/network/organizations/\d+/$")
        if members and random.random() < 0.6:
            self.get(random.choice(members), name="directory: member page")

    @task(3)
    def directory_near(self) -> None:
        body = self.get(
            "/network/",
            name="directory: near a ZIP code",
            params={"near": random.choice(PLACES), "radius_miles": random.choice(RADII)},
        )
        members = links(body, r"^/network/organizations/\d+/$")
        if members and random.random() < 0.5:
            self.get(random.choice(members), name="directory: member page")

    @task(1)
    def directory_browse(self) -> None:
        self.get("/network/", name="directory: browse", params={"page": random.randint(1, 8)})

    @task(3)
    def data_browser(self) -> None:
        if random.random() < 0.3:
            self.get("/data/", name="data browser: home")
        body = self.get(
            "/data/concepts/",
            name="data browser: concept search",
            params={"q": random.choice(CONCEPT_WORDS)},
        )
        concepts = links(body, r"^/data/concepts/\d+/")
        if concepts:
            self.get(random.choice(concepts[:10]), name="data browser: concept")

    @task(1)
    def data_browser_surveys(self) -> None:
        body = self.get("/data/surveys/", name="data browser: surveys")
        questions = links(body, r"^/data/surveys/[\w-]+/$")
        if questions:
            self.get(random.choice(questions), name="data browser: survey question")

    @task(2)
    def resources(self) -> None:
        body = self.get(
            "/resources/", name="resources: search", params={"q": random.choice(RESOURCE_WORDS)}
        )
        found = links(body, r"^/resources/\d+/$")
        if found and random.random() < 0.6:
            self.get(random.choice(found), name="resources: resource")

    @task(2)
    def events(self) -> None:
        body = self.get(
            "/engagement/events/",
            name="events: finder",
            params={
                "near": random.choice(PLACES),
                "radius_miles": random.choice((25, 50, 100, 250)),
            },
        )
        found = links(body, r"^/engagement/events/\d+/$")
        if found and random.random() < 0.5:
            self.get(random.choice(found), name="events: event")


# --- liaisons --------------------------------------------------------------------------------

_liaisons = itertools.count(1)


class Liaison(Person):
    """A member library's liaison: training on the learning center, and activity reports."""

    weight = 20
    wait_time = between(5, 20)

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(f"load-liaison-{next(_liaisons):03d}@{DOMAIN}", PASSWORD, second_factor=False)
        self.course: str | None = None
        self.quiz_done = False

    @task(1)
    def dashboard(self) -> None:
        self.get("/me/", name="dashboard")

    @task(4)
    def take_course(self) -> None:
        if self.course is None:
            body = self.get("/learning/", name="learning: catalog")
            courses = [
                course
                for course in links(body, r"^/learning/courses/[\w-]+/$")
                if "research" not in course and "controlled" not in course
            ]
            if not courses:
                return
            self.course = random.choice(courses)
        body = self.get(self.course, name="learning: course")
        enroll = form_to(body, r"/enroll/$")
        if enroll is not None:
            body = self.post(enroll["action"], filled(enroll), name="learning: enrol").text
        lessons = links(body, r"^/learning/courses/[\w-]+/lessons/\d+/$")
        quizzes = links(body, r"^/learning/courses/[\w-]+/quizzes/\d+/$")
        if lessons and (self.quiz_done or not quizzes or random.random() < 0.7):
            self.get(random.choice(lessons), name="learning: lesson")
        elif quizzes and not self.quiz_done:
            self.take_quiz(random.choice(quizzes))

    def take_quiz(self, path: str) -> None:
        with self.client.get(path, name="learning: quiz", catch_response=True) as response:
            # A quiz already passed, or out of attempts, is a page that says so (4xx): what a
            # person who took it sees, not an error of the site.
            if response.status_code in (403, 409):
                response.success()
                self.quiz_done = True
                return
            if response.status_code != 200:
                response.failure(problem(response, path))
                return
            body = response.text
        form = form_to(body, r"/quizzes/\d+/$")
        if form is None:
            self.quiz_done = True
            return
        answers = {name: random.choice(options) for name, options in form["options"].items()}
        response = self.post(path, filled(form, **answers), name="learning: quiz answers")
        self.quiz_done = response.ok

    @task(3)
    def file_report(self) -> None:
        self.get("/engagement/reports/", name="reports: mine")
        body = self.get("/engagement/reports/new/", name="reports: new form")
        form = form_with(body, "title")
        if form is None:
            return
        data = filled(
            form,
            title=f"Load test workshop {uuid.uuid4().hex[:12]}",
            activity_date=time.strftime("%Y-%m-%d"),
        )
        for name in list(data):
            if name.endswith("-participants"):
                data[name] = str(random.randint(3, 40))
            elif name.endswith("-zip_code"):
                data[name] = random.choice(PLACES)
        data.pop("send_for_review", None)
        self.post("/engagement/reports/new/", data, name="reports: save draft")


# --- specialists -----------------------------------------------------------------------------

_specialists = itertools.count(1)


class Specialist(Person):
    """An engagement specialist working the queues of their regions."""

    weight = 6
    wait_time = between(5, 20)

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(
            f"load-specialist-{next(_specialists):03d}@{DOMAIN}", PASSWORD, second_factor=True
        )

    @task(3)
    def applications(self) -> None:
        body = self.get("/network/specialist/", name="queue: membership applications")
        found = links(body, r"^/network/specialist/applications/\d+/$")
        if found:
            self.get(random.choice(found), name="queue: application")

    @task(3)
    def requests(self) -> None:
        body = self.get("/engagement/requests/", name="queue: engagement requests")
        found = links(body, r"^/engagement/requests/\d+/$")
        if not found:
            return
        path = random.choice(found)
        body = self.get(path, name="queue: engagement request")
        form = form_with(body, "body")
        if form is not None and random.random() < 0.3:
            self.post(
                form["action"] or path,
                filled(form, body=f"Thanks, we are looking at dates (ref {uuid.uuid4().hex[:8]})."),
                name="queue: answer a request",
            )

    @task(2)
    def reports_to_review(self) -> None:
        body = self.get("/engagement/reports/review/", name="queue: reports to review")
        found = links(body, r"^/engagement/reports/\d+/$")
        if found:
            self.get(random.choice(found), name="queue: report")


# --- researchers -----------------------------------------------------------------------------

_researcher_lock = gevent.lock.Semaphore()
_researcher_cookies: dict[str, str] = {}


class Researcher(Person):
    """A researcher counting cohorts in the workbench's cohort builder. All share the demo's
    researcher, whose access needed the whole workbench demo; one signs in, the others use
    that session (as the same person's browser tabs would)."""

    weight = 6
    wait_time = between(5, 20)

    def on_start(self) -> None:
        super().on_start()
        with _researcher_lock:
            if not _researcher_cookies:
                self.sign_in(RESEARCHER, DEMO_PASSWORD, second_factor=True)
                _researcher_cookies.update(
                    (name, value or "") for name, value in self.client.cookies.get_dict().items()
                )
            else:
                for name, value in _researcher_cookies.items():
                    self.client.cookies.set(name, value)
        self.cohorts: list[str] = []
        self.new_cohort = ""

    def find_cohorts(self) -> None:
        body = self.get("/research/", name="workbench: home")
        workspaces = links(body, r"^/research/workspaces/[0-9a-f-]{36}/$")
        for workspace in workspaces[:2]:
            body = self.get(workspace, name="workbench: workspace")
            self.cohorts += links(body, r"^/research/workspaces/[0-9a-f-]{36}/cohorts/\d+/$")
            news = links(body, r"^/research/workspaces/[0-9a-f-]{36}/cohorts/new/$")
            if news:
                self.new_cohort = news[0]

    @task(3)
    def count_saved_cohort(self) -> None:
        if not self.cohorts:
            self.find_cohorts()
        if self.cohorts:
            self.get(random.choice(self.cohorts), name="cohort builder: saved cohort count")

    @task(4)
    def build_cohort(self) -> None:
        if not self.new_cohort:
            self.find_cohorts()
        if not self.new_cohort:
            return
        body = self.get(self.new_cohort, name="cohort builder: new")
        form = form_with(body, "definition")
        if form is None:
            return
        low = random.randint(18, 60)
        response = self.post(
            self.new_cohort,
            filled(
                form,
                action="add",
                item_kind="age",
                item_group="include:new",
                item_demo_age_min=str(low),
                item_demo_age_max=str(low + random.randint(5, 30)),
            ),
            name="cohort builder: count (age)",
        )
        form = form_with(response.text, "definition")
        if form is None:
            return
        sex = [value for value in form["options"].get("item_values", []) if value] or ["female"]
        data = filled(form, action="add", item_kind="sex", item_group="include:0")
        data["item_values"] = random.choice(sex)
        self.post(self.new_cohort, data, name="cohort builder: count (age and sex)")


# --- staff -----------------------------------------------------------------------------------

_staff = itertools.count(1)


class Staff(Person):
    """Program staff reading the dashboards."""

    weight = 8
    wait_time = between(5, 20)

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(f"load-staff-{next(_staff):03d}@{DOMAIN}", PASSWORD, second_factor=True)

    @task(3)
    def outreach(self) -> None:
        self.get(
            "/engagement/outreach/",
            name="dashboard: outreach",
            params=random.choice(({}, {"group_by": "state"}, {"group_by": "month"})),
        )

    @task(2)
    def diversity(self) -> None:
        self.get("/research/diversity/", name="dashboard: diversity figures")

    @task(2)
    def compliance(self) -> None:
        self.get("/learning/staff/", name="dashboard: learning compliance")

    @task(2)
    def compliance_report(self) -> None:
        self.get("/learning/staff/reports/", name="dashboard: compliance report")

    @task(2)
    def network_figures(self) -> None:
        self.get("/sharing/network/", name="dashboard: sharing network figures")

    @task(1)
    def funding(self) -> None:
        self.get("/funding/staff/dashboard/", name="dashboard: funding")
