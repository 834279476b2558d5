import pytest
from playwright.sync_api import expect

from assessments.bank.models import Question
from assessments.questionnaire.models import Answer
from tests.browser.test_signup_flow import watch_console
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Systems", exact=True)).to_be_visible()


def test_answer_a_whole_area_with_keyboard_and_mouse_then_reload(page, assessment, owner, tmp_path):
    problems = watch_console(page)
    log_in(page, owner.user)
    questions = list(Question.objects.filter(bank_version=assessment.bank_version, area="caching"))
    page.goto(f"/assessments/{assessment.pk}/areas/caching/")

    chosen = {}
    for index, question in enumerate(questions):
        card = page.locator(f"#{question.dom_id}")
        levels = [o["level"] for o in question.options]
        level = levels[index % len(levels)]
        radio = card.locator(f"input[name=choice][value='{level}']")
        if index % 2:
            # Keyboard: focus the first option, arrow to the wanted one (arrows select radios).
            card.locator("input[name=choice]").first.focus()
            for _ in range(levels.index(level)):
                page.keyboard.press("ArrowDown")
            if levels.index(level) == 0:
                page.keyboard.press("Space")
        else:
            card.get_by_text(question.option_label(level), exact=True).click()
        expect(radio).to_be_checked()
        expect(card.locator(".save-status")).to_contain_text("Saved")
        chosen[question.key] = level

    # N/A without a reason is refused with a message, and the choice stays on screen.
    last = questions[-1]
    card = page.locator(f"#{last.dom_id}")
    card.get_by_text("Not applicable", exact=True).click()
    expect(card.locator(".save-status")).to_contain_text("Say why this question does not apply")
    expect(card.locator("input[value=na]")).to_be_checked()
    card.get_by_label("Why does it not apply?").fill("We serve no static assets")
    card.get_by_label("Why does it not apply?").press("Tab")
    expect(card.locator(".save-status")).to_contain_text("Saved")
    chosen[last.key] = "na"

    page.reload()
    for question in questions:
        value = chosen[question.key]
        expect(
            page.locator(f"#{question.dom_id} input[name=choice][value='{value}']")
        ).to_be_checked()
    expect(page.locator(f"#{last.dom_id} input[name=na_reason]")).to_have_value(
        "We serve no static assets"
    )

    saved = {
        a.question.key: (a.level if a.state == "level" else a.state)
        for a in Answer.objects.select_related("question")
    }
    assert saved == chosen
    # Back from another page shows the server's current answers, not a stale snapshot
    # (a cached snapshot would also carry old answer versions into the next save).
    page.get_by_role("link", name="All areas").click()
    expect(page.get_by_role("heading", name="Progress", exact=True)).to_be_visible()
    page.go_back()
    expect(page.locator(f"#{last.dom_id} input[value=na]")).to_be_checked()
    page.screenshot(path=tmp_path / "area.png", full_page=True)
    assert problems == []


def test_number_keys_answer_and_the_counters_follow_without_a_reload(page, assessment, owner):
    problems = watch_console(page)
    log_in(page, owner.user)
    questions = list(Question.objects.filter(bank_version=assessment.bank_version, area="caching"))
    total = len(questions)
    page.goto(f"/assessments/{assessment.pk}/areas/caching/")
    expect(page.locator("#area-answered")).to_have_text("0")
    card = page.locator(f"#{questions[0].dom_id}")
    card.locator("input[name=choice]").first.focus()
    level = sorted(o["level"] for o in questions[0].options)[-1]
    page.keyboard.press(str(level))
    expect(card.locator(f"input[name=choice][value='{level}']")).to_be_checked()
    expect(card.locator(".save-status")).to_contain_text("Saved")
    # The header and the sidebar count the new answer, out of band, with no reload.
    expect(page.locator("#area-answered")).to_have_text("1")
    expect(page.locator("#side-count-caching")).to_have_text(f"1/{total}")
    saved = Answer.objects.get(assessment=assessment, question=questions[0])
    assert (saved.state, saved.level) == ("level", level)
    # Typing a digit into the notes is typing, not choosing a level.
    card.get_by_text("Notes and evidence links").click()
    card.get_by_label("Notes").fill("")
    card.get_by_label("Notes").press("1")
    expect(card.locator(f"input[name=choice][value='{level}']")).to_be_checked()
    assert not problems
