"""The API's pure parts: token secrets and roles, pagination, rate windows, problems."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.api.domain.findings import finding_id
from assessments.api.domain.pages import (
    MAX_PAGE_SIZE,
    PageInvalid,
    page_count,
    page_request,
)
from assessments.api.domain.problems import Problem
from assessments.api.domain.rate import RateLimit
from assessments.api.domain.tokens import (
    ROLE_ORDER,
    looks_like_token,
    lower_role,
    new_token_secret,
    shown_prefix,
    token_hash,
)


def test_a_new_secret_is_recognisable_and_its_hash_and_prefix_do_not_reveal_it():
    secret = new_token_secret()
    assert looks_like_token(secret)
    assert secret != new_token_secret()
    assert len(token_hash(secret)) == 64
    assert secret[len(shown_prefix(secret)) :] not in token_hash(secret)
    assert len(shown_prefix(secret)) < 12


@pytest.mark.parametrize("text", ["", "Bearer", "srk_", "ghp_" + "x" * 40, "srk_" + "x" * 200])
def test_what_is_not_a_token_is_never_looked_up(text):
    assert not looks_like_token(text)


@given(st.sampled_from(ROLE_ORDER), st.sampled_from(ROLE_ORDER))
def test_a_token_never_acts_above_either_role(first, second):
    lowered = lower_role(first, second)
    assert ROLE_ORDER.index(lowered) == min(ROLE_ORDER.index(first), ROLE_ORDER.index(second))


@pytest.mark.parametrize(
    ("page", "size", "offset"), [(None, None, 0), (1, 10, 0), (3, 10, 20), (2, MAX_PAGE_SIZE, 200)]
)
def test_page_requests(page, size, offset):
    assert page_request(page, size).offset == offset


@pytest.mark.parametrize(("page", "size"), [(0, 10), (-1, 10), (1, 0), (1, MAX_PAGE_SIZE + 1)])
def test_out_of_range_pages_are_refused(page, size):
    with pytest.raises(PageInvalid):
        page_request(page, size)


@given(st.integers(0, 10_000), st.integers(1, MAX_PAGE_SIZE))
def test_page_count_covers_every_row_and_no_empty_page_beyond_the_first(total, size):
    pages = page_count(total, size)
    assert pages * size >= total
    assert pages == 1 or (pages - 1) * size < total


@given(st.floats(0, 10**9), st.integers(1, 3600))
def test_retry_after_ends_the_window(now, seconds):
    limit = RateLimit(10, seconds)
    wait = limit.retry_after(now)
    assert 1 <= wait <= seconds + 1
    assert limit.window(now + wait) == limit.window(now) + 1 or wait == 1


def test_a_problem_has_the_rfc_9457_members():
    body = Problem(409, "Someone saved it first.", "answer-conflict", {"current": None}).as_dict(
        instance="/api/v1/x"
    )
    assert body == {
        "type": "/api/v1/docs#problem-answer-conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "Someone saved it first.",
        "instance": "/api/v1/x",
        "current": None,
    }


def test_finding_ids_name_the_system_and_the_recommendation_only():
    assert finding_id(7, "db.backups.restore") == "scaleready:7:db.backups.restore"
