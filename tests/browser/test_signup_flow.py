import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from assessments.workspaces.models import System

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# Answers the app gives on purpose (refusal, conflict, invalid input); Chromium logs them.
DELIBERATE_STATUSES = ("status of 403", "status of 409", "status of 422")


def watch_console(page) -> list[str]:
    """Collect console errors: a CSP violation, a JS error or a failed asset shows up here."""
    problems: list[str] = []

    def on_console(message):
        deliberate = any(status in message.text for status in DELIBERATE_STATUSES)
        if message.type == "error" and not deliberate:
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def test_sign_up_create_a_system_and_see_it_listed(page, tmp_path):
    problems = watch_console(page)
    page.goto("/accounts/signup/")
    page.get_by_label("Your name").fill("Grace")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill("lantern-orbit-47-quiet")
    page.get_by_role("button", name="Create account").click()

    # The address is confirmed by the e-mailed link before the account exists for real.
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    (message,) = mail.outbox
    link = re.search(r"http://[^/\s]+(/accounts/signup/confirm/\S+)", message.body)[1]
    page.goto(link)
    page.get_by_role("button", name="Confirm and log in").click()

    expect(page.get_by_role("heading", name="Grace's workspace")).to_be_visible()
    expect(page.get_by_text("No systems yet")).to_be_visible()
    page.get_by_role("link", name="Add your first system").click()

    page.get_by_label("Name").fill("Checkout API")
    page.get_by_label("Users today").fill("1500")
    page.get_by_label("Users you are aiming for").fill("250000")
    page.get_by_label("Base URLs").fill("ftp://checkout.example.com")
    page.get_by_role("button", name="Add system").click()

    # The error names the line and what to fix; everything typed is still there.
    expect(page.get_by_text("scheme 'ftp' is not allowed")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Checkout API")
    expect(page.get_by_label("Users you are aiming for")).to_have_value("250000")

    page.get_by_label("Base URLs").fill("https://checkout.example.com")
    page.get_by_role("button", name="Add system").click()
    expect(page.get_by_role("heading", name="Checkout API")).to_be_visible()
    expect(page.get_by_text("https://checkout.example.com/").first).to_be_visible()

    page.get_by_role("link", name="Systems").click()
    row = page.get_by_role("row", name="Checkout API")
    expect(row).to_contain_text("250,000")

    screenshot = tmp_path / "workspace.png"
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 10_000
    assert System.objects.get().targets.get().url == "https://checkout.example.com/"
    assert problems == []
