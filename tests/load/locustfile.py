"""People using ScaleReady at once: answering and autosaving, reading results and the
roadmap, and running probes against a loopback target; consultants reading every team's
pages meanwhile.

Each simulated person signs in with a seeded account (``tests/load/seed.py``) and works on
their own assessment, so saves conflict only when a person's own version is stale. Request
names group URLs by step, so the report shows p50/p95 per step, not per id.
"""

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, events, task

SEED = json.loads(open(os.environ["SCALEREADY_LOAD_SEED"]).read())  # noqa: SIM115
ACCOUNTS = itertools.cycle(SEED["accounts"])
REVIEWERS = itertools.cycle(SEED["reviewers"])
QUESTIONS = SEED["questions"]
HTMX = {"HX-Request": "true"}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in(user: HttpUser, account: dict) -> None:
    page = user.client.get("/accounts/login/", name="log in (form)")
    token = CSRF_INPUT.search(page.text).group(1)
    with user.client.post(
        "/accounts/login/",
        {"username": account["email"], "password": account["password"]},
        headers={"X-CSRFToken": token, "Referer": user.host + "/accounts/login/"},
        name="log in",
        catch_response=True,
    ) as response:
        if "sessionid" not in user.client.cookies:
            response.failure("not signed in")


class Person(HttpUser):
    """Someone answering their team's assessment, reading its results and plan as they go."""

    wait_time = between(0.5, 2.0)

    def on_start(self):
        account = next(ACCOUNTS)
        self.assessment = account["assessment_id"]
        self.system = account["system_id"]
        self.versions = dict(account["versions"])
        sign_in(self, account)

    def csrf(self) -> dict:
        return {
            "X-CSRFToken": self.client.cookies.get("csrftoken", ""),
            "Referer": self.host + "/",
        }

    @task(3)
    def open_an_area(self):
        _key, area = random.choice(QUESTIONS)
        self.client.get(f"/assessments/{self.assessment}/areas/{area}/", name="area page")

    @task(8)
    def autosave_an_answer(self):
        key, _area = random.choice(QUESTIONS)
        base = self.versions.get(key, 0)
        with self.client.post(
            f"/assessments/{self.assessment}/answers/{key}/",
            {"choice": str(random.randint(0, 2)), "base_version": base},
            headers={**HTMX, **self.csrf()},
            name="autosave",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                self.versions[key] = base + 1
            else:
                # Each person is alone on their assessment: a conflict or a refusal is a bug.
                response.failure(f"status {response.status_code}")

    @task(3)
    def read_results(self):
        self.client.get(f"/assessments/{self.assessment}/results/", name="results page")

    @task(2)
    def read_the_roadmap(self):
        self.client.get(f"/assessments/{self.assessment}/roadmap/", name="roadmap page")

    @task(1)
    def run_probes(self):
        with self.client.post(
            f"/systems/{self.system}/probe-runs/new/",
            {},
            headers=self.csrf(),
            name="start probe run",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"status {response.status_code}")
                return
            location = response.headers["Location"]
        if "/probe-runs/" in location:
            self.client.get(location, name="probe run page")


class Reviewer(HttpUser):
    """A consultant reading the results, plans and answers of every team while they work:
    pages whose inputs did not change since the last look are served kept."""

    fixed_count = len(SEED["reviewers"])
    wait_time = between(0.5, 2.0)

    def on_start(self):
        sign_in(self, next(REVIEWERS))

    def assessment(self) -> int:
        return random.choice(SEED["assessments"])

    @task(3)
    def read_results(self):
        self.client.get(f"/assessments/{self.assessment()}/results/", name="review: results")

    @task(2)
    def read_the_roadmap(self):
        self.client.get(f"/assessments/{self.assessment()}/roadmap/", name="review: roadmap")

    @task(2)
    def read_an_area(self):
        _key, area = random.choice(QUESTIONS)
        url = f"/assessments/{self.assessment()}/areas/{area}/"
        self.client.get(url, name="review: area page")


@events.quitting.add_listener
def _fail_on_errors(environment, **_kwargs):
    """A load test with failed requests exits non-zero."""
    if environment.stats.total.num_failures:
        environment.process_exit_code = 1
