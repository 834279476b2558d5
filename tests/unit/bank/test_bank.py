"""Tests for assessments/bank/domain: the loader's validation, the shipped bank, target bands."""

import copy
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.bank.domain.bank import BANDS, PHASES, BankError, band_for_users, critical_at
from assessments.bank.domain.loader import BANK_DIR, load_bank, load_bank_from_directory
from assessments.bank.domain.validator import parse_bank

# --- A minimal valid bank, written as TOML into a directory ----------------------------------


def area_document(area: str) -> dict:
    return {
        "area": {"id": area, "title": area.title(), "description": f"The {area} area."},
        "question": [
            {
                "id": f"{area}.first",
                "topic": f"{area.title()} readiness",
                "text": "How ready is it?",
                "help": "Because it matters at scale.",
                "weight": 2,
                "critical": False,
                "checks": ["cdn"],
                "required": {"1k": 0, "10k": 1, "100k": 1, "1m": 2, "gt1m": 2},
                "find_out": ["Ask the team that runs it.", "Look at its configuration."],
                "option": [
                    {"level": level, "label": f"Level {level}", "description": f"At {level}."}
                    for level in (0, 1, 2)
                ],
                "recommendation": [
                    {
                        "id": f"{area}.start",
                        "levels": [0],
                        "title": "Start",
                        "why": "Nothing is in place.",
                        "how": ["Do one thing.", "Do another."],
                        "effort": "S",
                        "impact": 2,
                        "phase": 1,
                        "depends_on": [],
                    },
                    {
                        "id": f"{area}.finish",
                        "levels": [1],
                        "title": "Finish",
                        "why": "Half of it is in place.",
                        "how": ["Do a third thing.", "Do a fourth."],
                        "effort": "M",
                        "impact": 3,
                        "phase": 4,
                        "depends_on": [f"{area}.start"],
                    },
                ],
            }
        ],
    }


def valid_bank() -> dict[str, dict]:
    return {
        "manifest.toml": {"version": "2026.1.0", "areas": ["alpha", "beta"]},
        "alpha.toml": area_document("alpha"),
        "beta.toml": area_document("beta"),
    }


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


def is_array_of_tables(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def dump_toml(table: dict, path: tuple[str, ...] = ()) -> str:
    """Enough of a TOML writer for bank documents: top-level tables, arrays of tables."""
    lines = []
    for key, value in table.items():
        if not is_array_of_tables(value) and not (not path and isinstance(value, dict)):
            lines.append(f"{key} = {toml_value(value)}")
    for key, value in table.items():
        if not path and isinstance(value, dict):
            lines += [f"[{key}]", dump_toml(value, (key,))]
        elif is_array_of_tables(value):
            for item in value:
                lines += [f"[[{'.'.join((*path, key))}]]", dump_toml(item, (*path, key))]
    return "\n".join(lines)


def write_bank(directory: Path, bank: dict[str, dict]) -> Path:
    for name, document in bank.items():
        (directory / name).write_text(dump_toml(document) + "\n", encoding="utf-8")
    return directory


def problems_of(directory: Path) -> tuple[str, ...]:
    with pytest.raises(BankError) as info:
        load_bank(directory)
    return info.value.problems


def assert_reported(problems, prefix: str, words: str) -> None:
    """Some line starts by naming file, question and field, and says what is wrong."""
    assert any(line.startswith(prefix) and words in line for line in problems), "\n".join(problems)


def question(bank, area="alpha", index=0) -> dict:
    return bank[f"{area}.toml"]["question"][index]


def option(bank, index=0) -> dict:
    return question(bank)["option"][index]


def rec(bank, index=0, area="alpha") -> dict:
    return question(bank, area)["recommendation"][index]


def extra_question(bank) -> None:
    twin = copy.deepcopy(question(bank))
    for index, recommendation in enumerate(twin["recommendation"]):
        recommendation["id"] = f"alpha.twin_{index}"
        recommendation["depends_on"] = []
    bank["alpha.toml"]["question"].append(twin)


# --- The minimal bank is valid ----------------------------------------------------------------


def test_minimal_bank_loads_with_its_questions_and_recommendations(tmp_path):
    bank = load_bank(write_bank(tmp_path, valid_bank()))

    assert bank.version == "2026.1.0"
    assert [(a.id, a.order) for a in bank.areas] == [("alpha", 1), ("beta", 2)]
    assert [q.id for q in bank.questions] == ["alpha.first", "beta.first"]
    assert [q.id for q in bank.questions_in_area("beta")] == ["beta.first"]
    first = bank.question("alpha.first")
    assert first.required == {"1k": 0, "10k": 1, "100k": 1, "1m": 2, "gt1m": 2}
    assert bank.max_required_level(first) == bank.max_required_level("alpha.first") == 2
    assert [o.level for o in first.options] == [0, 1, 2]
    assert first.checks == ("cdn",)
    assert [r.id for r in first.recommendations_for(1)] == ["alpha.finish"]
    assert bank.recommendation("alpha.finish").depends_on == ("alpha.start",)
    assert bank.recommendation("alpha.finish").question_id == "alpha.first"
    assert bank.recommendation("alpha.finish").phase_title == "Scale horizontally"
    assert len(bank.recommendations) == 4


def test_optional_keys_take_their_defaults(tmp_path):
    bank = valid_bank()
    for key in ("critical", "checks", "find_out"):
        del question(bank)[key]
    del rec(bank)["depends_on"]

    loaded = load_bank(write_bank(tmp_path, bank))

    first = loaded.question("alpha.first")
    assert first.critical is False
    assert first.critical_from is None
    assert first.checks == ()
    assert first.find_out == ()
    assert first.check_caps == {}
    assert loaded.recommendation("alpha.start").depends_on == ()
    assert loaded.recommendation("alpha.start").foundation is False


def test_new_question_fields_are_loaded(tmp_path):
    bank = valid_bank()
    question(bank).update(
        critical="100k",
        check_caps={"cdn": {"warn": 1, "fail": 0}},
        find_out=["  Ask the team that runs it. ", "Look at its configuration."],
    )
    rec(bank)["foundation"] = True

    loaded = load_bank(write_bank(tmp_path, bank))

    first = loaded.question("alpha.first")
    assert first.topic == "Alpha readiness"
    assert first.find_out == ("Ask the team that runs it.", "Look at its configuration.")
    assert first.critical_from == "100k"
    assert first.critical is True
    assert first.check_caps == {"cdn": {"warn": 1, "fail": 0}}
    assert loaded.recommendation("alpha.start").foundation is True
    assert loaded.recommendation("alpha.finish").foundation is False
    assert hash(first) == hash(loaded.question("alpha.first"))  # still a hashable value


@pytest.mark.parametrize(
    ("critical", "critical_from"),
    [(True, "1k"), (False, None), ("1k", "1k"), ("10k", "10k"), ("gt1m", "gt1m")],
)
def test_critical_is_a_band_from_which_it_applies(tmp_path, critical, critical_from):
    bank = valid_bank()
    question(bank)["critical"] = critical

    loaded = load_bank(write_bank(tmp_path, bank)).question("alpha.first")

    assert loaded.critical_from == critical_from
    assert loaded.critical is (critical_from is not None)
    expected = [
        critical_from is not None and BANDS.index(b) >= BANDS.index(critical_from) for b in BANDS
    ]
    assert [loaded.is_critical_at(band) for band in BANDS] == expected


@pytest.mark.parametrize(
    ("critical_from", "band", "critical"),
    [
        (None, "1k", False),
        (None, "gt1m", False),
        ("1k", "1k", True),
        ("1k", "gt1m", True),
        ("100k", "10k", False),
        ("100k", "100k", True),
        ("100k", "1m", True),
        ("gt1m", "1m", False),
        ("gt1m", "gt1m", True),
    ],
)
def test_critical_at_applies_from_its_band_up(critical_from, band, critical):
    assert critical_at(critical_from, band) is critical


def test_options_are_sorted_by_level_whatever_the_file_order(tmp_path):
    bank = valid_bank()
    question(bank)["option"].reverse()

    loaded = load_bank(write_bank(tmp_path, bank))

    assert [o.level for o in loaded.question("alpha.first").options] == [0, 1, 2]


# --- Every validation error names file, question and field -----------------------------------

Q = "alpha.toml: question alpha.first"
R = f"{Q}: recommendation[alpha.start]"
CASES = [
    # unknown keys, everywhere
    pytest.param(
        lambda b: b["manifest.toml"].update(owner="x"),
        "manifest.toml: owner",
        "unknown key",
        id="unknown manifest key",
    ),
    pytest.param(
        lambda b: b["alpha.toml"].update(owner="x"),
        "alpha.toml: owner",
        "unknown key",
        id="unknown document key",
    ),
    pytest.param(
        lambda b: b["alpha.toml"]["area"].update(icon="x"),
        "alpha.toml: area.icon",
        "unknown key",
        id="unknown area key",
    ),
    pytest.param(
        lambda b: question(b).update(hint="x"),
        f"{Q}: hint",
        "unknown key",
        id="unknown question key",
    ),
    pytest.param(
        lambda b: option(b).update(score=1),
        f"{Q}: option[0].score",
        "unknown key",
        id="unknown option key",
    ),
    pytest.param(
        lambda b: rec(b).update(owner="x"),
        f"{R}.owner",
        "unknown key",
        id="unknown recommendation key",
    ),
    # missing required keys
    pytest.param(
        lambda b: b["manifest.toml"].pop("version"),
        "manifest.toml: version",
        "missing required key",
        id="missing manifest version",
    ),
    pytest.param(
        lambda b: b["alpha.toml"].pop("area"),
        "alpha.toml: area",
        "missing required key",
        id="missing area table",
    ),
    pytest.param(
        lambda b: b["alpha.toml"]["area"].pop("title"),
        "alpha.toml: area.title",
        "missing required key",
        id="missing area title",
    ),
    pytest.param(
        lambda b: question(b).pop("text"),
        f"{Q}: text",
        "missing required key",
        id="missing question text",
    ),
    pytest.param(
        lambda b: question(b).pop("id"),
        "alpha.toml: question #1 (no id): id",
        "missing required key",
        id="missing question id",
    ),
    pytest.param(
        lambda b: option(b).pop("label"),
        f"{Q}: option[0].label",
        "missing required key",
        id="missing option label",
    ),
    pytest.param(
        lambda b: rec(b).pop("why"),
        f"{R}.why",
        "missing required key",
        id="missing recommendation why",
    ),
    # wrong types
    pytest.param(
        lambda b: b["manifest.toml"].update(areas="alpha"),
        "manifest.toml: areas",
        "must be an array of strings",
        id="manifest areas not a list",
    ),
    pytest.param(
        lambda b: question(b).update(weight="2"),
        f"{Q}: weight",
        "must be an integer, got a string",
        id="weight as a string",
    ),
    pytest.param(
        lambda b: question(b).update(weight=True),
        f"{Q}: weight",
        "must be an integer, got a boolean",
        id="weight as a boolean",
    ),
    pytest.param(
        lambda b: question(b).update(critical="yes"),
        f"{Q}: critical",
        "unknown band 'yes' (bands: 1k, 10k, 100k, 1m, gt1m)",
        id="critical as an unknown band",
    ),
    pytest.param(
        lambda b: question(b).update(critical=1),
        f"{Q}: critical",
        "must be true, false or a band id (1k, 10k, 100k, 1m, gt1m), got an integer",
        id="critical as an integer",
    ),
    pytest.param(
        lambda b: question(b).update(checks="cdn"),
        f"{Q}: checks",
        "must be an array of strings",
        id="checks as a string",
    ),
    pytest.param(
        lambda b: option(b).update(level="0"),
        f"{Q}: option[0].level",
        "must be an integer",
        id="option level as a string",
    ),
    pytest.param(
        lambda b: rec(b).update(levels=["0"]),
        f"{R}.levels",
        "must be an array of integers",
        id="recommendation levels of strings",
    ),
    pytest.param(
        lambda b: rec(b).update(how="Do it."),
        f"{R}.how",
        "must be an array of strings",
        id="how as a string",
    ),
    pytest.param(
        lambda b: question(b)["required"].update({"1m": "2"}),
        f"{Q}: required",
        "'1m' must be an integer",
        id="required band as a string",
    ),
    # area identity
    pytest.param(
        lambda b: b["alpha.toml"]["area"].update(id="alfa"),
        "alpha.toml: area.id",
        "file name stem 'alpha'",
        id="area id differs from file stem",
    ),
    pytest.param(
        lambda b: b.pop("beta.toml"),
        "manifest.toml: areas",
        "'beta' but beta.toml is missing",
        id="area listed without a file",
    ),
    pytest.param(
        lambda b: b.update({"gamma.toml": area_document("gamma")}),
        "gamma.toml: file",
        "not listed",
        id="file not listed in the manifest",
    ),
    pytest.param(
        lambda b: b["manifest.toml"]["areas"].append("alpha"),
        "manifest.toml: areas",
        "listed twice",
        id="area listed twice",
    ),
    # question ids
    pytest.param(
        extra_question, f"{Q}: id", "duplicate question id", id="duplicate question id in one file"
    ),
    pytest.param(
        lambda b: question(b).update(id="beta.other"),
        "alpha.toml: question beta.other: id",
        "prefixed by its area",
        id="question id not prefixed by its area",
    ),
    pytest.param(
        lambda b: question(b).update(id="alpha.First-One"),
        "alpha.toml: question alpha.First-One: id",
        "<snake_case>",
        id="question id not snake case",
    ),
    # question fields
    pytest.param(
        lambda b: question(b).update(weight=4),
        f"{Q}: weight",
        "between 1 and 3, got 4",
        id="weight above 3",
    ),
    pytest.param(
        lambda b: question(b).update(weight=0),
        f"{Q}: weight",
        "between 1 and 3, got 0",
        id="weight below 1",
    ),
    pytest.param(
        lambda b: question(b).update(checks=["cdn", "telepathy"]),
        f"{Q}: checks",
        "unknown check id 'telepathy'",
        id="unknown check id",
    ),
    pytest.param(
        lambda b: question(b).update(checks=["cdn", "cdn"]),
        f"{Q}: checks",
        "'cdn' is listed twice",
        id="check listed twice",
    ),
    pytest.param(
        lambda b: question(b).update(text="  "), f"{Q}: text", "must not be empty", id="empty text"
    ),
    # topic: the practice in a few words
    pytest.param(
        lambda b: question(b).pop("topic"),
        f"{Q}: topic",
        "missing required key",
        id="missing topic",
    ),
    pytest.param(
        lambda b: question(b).update(topic=3),
        f"{Q}: topic",
        "must be a string, got an integer",
        id="topic as an integer",
    ),
    pytest.param(
        lambda b: question(b).update(topic="DB"),
        f"{Q}: topic",
        "must be 3 to 60 characters, got 2",
        id="topic too short",
    ),
    pytest.param(
        lambda b: question(b).update(topic="Backups " * 8),
        f"{Q}: topic",
        "must be 3 to 60 characters, got 63",
        id="topic too long",
    ),
    pytest.param(
        lambda b: question(b).update(topic="Tested database restores."),
        f"{Q}: topic",
        "must not end with a period",
        id="topic ends with a period",
    ),
    pytest.param(
        lambda b: question(b).update(topic="tested database restores"),
        f"{Q}: topic",
        "must be in sentence case",
        id="topic starts lower case",
    ),
    pytest.param(
        lambda b: question(b).update(topic="Tested Database Restores"),
        f"{Q}: topic",
        "must be in sentence case (a capital first letter, then capitals only for names and "
        "acronyms), got 'Tested Database Restores'",
        id="topic in title case",
    ),
    # find_out: steps to learn the true answer
    pytest.param(
        lambda b: question(b).update(find_out="Ask someone."),
        f"{Q}: find_out",
        "must be an array of strings",
        id="find_out as a string",
    ),
    pytest.param(
        lambda b: question(b).update(find_out=["Ask someone."]),
        f"{Q}: find_out",
        "must have 2 to 4 steps, got 1",
        id="a single find_out step",
    ),
    pytest.param(
        lambda b: question(b).update(find_out=[f"Step {n}." for n in range(5)]),
        f"{Q}: find_out",
        "must have 2 to 4 steps, got 5",
        id="five find_out steps",
    ),
    pytest.param(
        lambda b: question(b).update(find_out=["Ask someone.", "  "]),
        f"{Q}: find_out",
        "a step must not be empty",
        id="empty find_out step",
    ),
    pytest.param(
        lambda b: question(b).update(critical=True, find_out=[]),
        f"{Q}: find_out",
        "is required for a question that is critical or has weight 3",
        id="find_out missing on a critical question",
    ),
    pytest.param(
        lambda b: question(b).update(critical="gt1m") or question(b).pop("find_out"),
        f"{Q}: find_out",
        "write 2 to 4 steps saying whom to ask or what to look at",
        id="find_out missing on a question critical at the top band only",
    ),
    pytest.param(
        lambda b: question(b).update(weight=3) or question(b).pop("find_out"),
        f"{Q}: find_out",
        "is required for a question that is critical or has weight 3",
        id="find_out missing on a weight-3 question",
    ),
    # check_caps: this question's own evidence rules
    pytest.param(
        lambda b: question(b).update(check_caps={"hsts": {"fail": 1}}),
        f"{Q}: check_caps",
        "'hsts' is not among this question's checks; list it in checks first",
        id="cap on a check the question does not list",
    ),
    pytest.param(
        lambda b: question(b).update(check_caps={"cdn": 1}),
        f"{Q}: check_caps.cdn",
        "must be a table of status = highest level",
        id="cap that is not a table",
    ),
    pytest.param(
        lambda b: question(b).update(check_caps={"cdn": {"error": 1}}),
        f"{Q}: check_caps.cdn",
        "unknown status 'error' (statuses: pass, warn, fail)",
        id="cap on a status that is not evidence",
    ),
    pytest.param(
        lambda b: question(b).update(check_caps={"cdn": {"warn": 3}}),
        f"{Q}: check_caps.cdn.warn",
        "must be one of this question's levels 0..2, got 3",
        id="cap above the highest option",
    ),
    pytest.param(
        lambda b: question(b).update(check_caps={"cdn": {"warn": -1}}),
        f"{Q}: check_caps.cdn.warn",
        "must be one of this question's levels 0..2, got -1",
        id="cap below zero",
    ),
    pytest.param(
        lambda b: question(b).update(check_caps={"cdn": {"warn": "1"}}),
        f"{Q}: check_caps.cdn.warn",
        "got '1'",
        id="cap level as a string",
    ),
    pytest.param(
        lambda b: question(b).update(check_caps=[]),
        f"{Q}: check_caps",
        "must be a table",
        id="check_caps as an array",
    ),
    # options
    pytest.param(
        lambda b: question(b)["option"].pop(),
        f"{Q}: option",
        "3 to 5 options, got 2",
        id="two options",
    ),
    pytest.param(
        lambda b: question(b)["option"].extend(
            [{"level": 3, "label": "x", "description": "x"}] * 3
        ),
        f"{Q}: option",
        "3 to 5 options, got 6",
        id="six options",
    ),
    pytest.param(
        lambda b: option(b, 2).update(level=1),
        f"{Q}: option[2].level",
        "duplicate level 1",
        id="duplicate option level",
    ),
    pytest.param(
        lambda b: option(b, 2).update(level=5),
        f"{Q}: option[2].level",
        "between 0 and 4, got 5",
        id="option level above 4",
    ),
    pytest.param(
        lambda b: option(b, 2).update(level=-1),
        f"{Q}: option[2].level",
        "between 0 and 4, got -1",
        id="option level below 0",
    ),
    pytest.param(
        lambda b: option(b, 0).update(level=3), f"{Q}: option", "level 0", id="no level-0 option"
    ),
    pytest.param(
        lambda b: option(b).update(description=""),
        f"{Q}: option[0].description",
        "must not be empty",
        id="empty option description",
    ),
    # required levels
    pytest.param(
        lambda b: question(b)["required"].pop("1m"),
        f"{Q}: required",
        "missing band '1m'",
        id="required misses a band",
    ),
    pytest.param(
        lambda b: question(b)["required"].update({"10m": 2}),
        f"{Q}: required",
        "unknown band '10m'",
        id="required names an unknown band",
    ),
    pytest.param(
        lambda b: question(b)["required"].update({"gt1m": 5}),
        f"{Q}: required",
        "'gt1m' must be an integer 0..4, got 5",
        id="required level above 4",
    ),
    pytest.param(
        lambda b: question(b)["required"].update({"1k": -1}),
        f"{Q}: required",
        "'1k' must be an integer 0..4, got -1",
        id="required level below 0",
    ),
    pytest.param(
        lambda b: question(b)["required"].update({"100k": 0}),
        f"{Q}: required",
        "must not decrease across bands: '10k' = 1 but '100k' = 0",
        id="required decreases",
    ),
    pytest.param(
        lambda b: question(b)["required"].update({"gt1m": 3}),
        f"{Q}: required",
        "level 3 for 'gt1m' is above the highest option level 2",
        id="required above the highest option",
    ),
    # recommendations
    pytest.param(
        lambda b: rec(b, 1).update(id="beta.start"),
        "beta.toml: question beta.first: recommendation[beta.start].id",
        "duplicate recommendation id",
        id="duplicate recommendation id",
    ),
    pytest.param(
        lambda b: rec(b).update(id="start"),
        f"{Q}: recommendation[start].id",
        "'<area>.<snake_case>'",
        id="recommendation id not dotted",
    ),
    pytest.param(
        lambda b: rec(b).update(levels=[0, 5]),
        f"{R}.levels",
        "between 0 and 4, got 5",
        id="recommendation level above 4",
    ),
    pytest.param(
        lambda b: rec(b).update(levels=[-1, 0]),
        f"{R}.levels",
        "between 0 and 4, got -1",
        id="recommendation level below 0",
    ),
    pytest.param(
        lambda b: rec(b).update(levels=[]),
        f"{R}.levels",
        "at least one",
        id="recommendation with no levels",
    ),
    pytest.param(
        lambda b: rec(b, 1).update(levels=[0]),
        f"{Q}: recommendation.levels",
        "achieved level(s) 1",
        id="levels below the bar not covered",
    ),
    pytest.param(
        lambda b: rec(b).update(foundation="yes"),
        f"{R}.foundation",
        "must be true or false, got a string",
        id="foundation as a string",
    ),
    pytest.param(
        lambda b: rec(b).update(effort="XL"),
        f"{R}.effort",
        "one of S, M, L, got 'XL'",
        id="effort not S/M/L",
    ),
    pytest.param(
        lambda b: rec(b).update(impact=4),
        f"{R}.impact",
        "between 1 and 3, got 4",
        id="impact above 3",
    ),
    pytest.param(
        lambda b: rec(b).update(impact=0),
        f"{R}.impact",
        "between 1 and 3, got 0",
        id="impact below 1",
    ),
    pytest.param(
        lambda b: rec(b).update(phase=7), f"{R}.phase", "between 1 and 6, got 7", id="phase above 6"
    ),
    pytest.param(
        lambda b: rec(b).update(phase=0), f"{R}.phase", "between 1 and 6, got 0", id="phase below 1"
    ),
    pytest.param(
        lambda b: rec(b).update(depends_on=["alpha.nowhere"]),
        f"{R}.depends_on",
        "unknown recommendation 'alpha.nowhere'",
        id="unknown dependency",
    ),
    pytest.param(
        lambda b: rec(b).update(title=""), f"{R}.title", "must not be empty", id="empty title"
    ),
    pytest.param(lambda b: rec(b).update(how=[]), f"{R}.how", "must not be empty", id="empty how"),
    pytest.param(
        lambda b: rec(b).update(how=["Do it.", " "]),
        f"{R}.how",
        "a step must not be empty",
        id="empty how step",
    ),
    pytest.param(
        lambda b: rec(b).update(how=["Do it."]),
        f"{R}.how",
        "2 to 5 steps, got 1",
        id="a single how step",
    ),
]


@pytest.mark.parametrize(("mutate", "prefix", "words"), CASES)
def test_a_broken_bank_names_file_question_and_field(tmp_path, mutate, prefix, words):
    bank = valid_bank()
    mutate(bank)

    assert_reported(problems_of(write_bank(tmp_path, bank)), prefix, words)


def test_a_question_id_used_in_two_files_is_reported_with_the_first_file(tmp_path):
    bank = valid_bank()
    question(bank, "beta")["id"] = "alpha.first"

    assert_reported(
        problems_of(write_bank(tmp_path, bank)),
        "beta.toml: question alpha.first: id",
        "duplicate question id (first defined in alpha.toml)",
    )


def test_a_dependency_cycle_is_reported_as_its_path(tmp_path):
    bank = valid_bank()
    rec(bank, 0)["depends_on"] = ["alpha.finish"]

    assert_reported(
        problems_of(write_bank(tmp_path, bank)),
        f"{Q}: recommendation[alpha.finish].depends_on",
        "dependency cycle: alpha.finish -> alpha.start -> alpha.finish",
    )


def test_a_dependency_cycle_across_files_is_reported_once(tmp_path):
    bank = valid_bank()
    rec(bank, 0, "alpha")["depends_on"] = ["beta.finish"]
    rec(bank, 0, "beta")["depends_on"] = ["alpha.finish"]

    problems = problems_of(write_bank(tmp_path, bank))

    assert [p for p in problems if "cycle" in p] == [
        f"{Q}: recommendation[alpha.finish].depends_on: dependency cycle: "
        "alpha.finish -> alpha.start -> beta.finish -> beta.start -> alpha.finish"
    ]


def test_a_recommendation_depending_on_itself_is_a_cycle(tmp_path):
    bank = valid_bank()
    rec(bank, 0)["depends_on"] = ["alpha.start"]

    assert_reported(
        problems_of(write_bank(tmp_path, bank)),
        f"{Q}: recommendation[alpha.start].depends_on",
        "dependency cycle: alpha.start -> alpha.start",
    )


def test_a_toml_syntax_error_names_the_file_and_line(tmp_path):
    write_bank(tmp_path, valid_bank())
    path = tmp_path / "beta.toml"
    path.write_text(path.read_text() + "weight = = 3\n")

    problems = problems_of(tmp_path)

    line_number = len(path.read_text().splitlines())
    assert_reported(problems, "beta.toml: toml: syntax error", f"line {line_number}")


def test_a_missing_manifest_is_reported(tmp_path):
    bank = valid_bank()
    del bank["manifest.toml"]

    assert_reported(problems_of(write_bank(tmp_path, bank)), "manifest.toml: file", "missing")


def test_every_problem_is_reported_together_one_per_line(tmp_path):
    bank = valid_bank()
    question(bank)["weight"] = 9
    rec(bank, 0, "beta")["effort"] = "XXL"
    bank["manifest.toml"]["colour"] = "blue"

    with pytest.raises(BankError) as info:
        load_bank(write_bank(tmp_path, bank))

    assert len(info.value.problems) == 3
    assert str(info.value) == "\n".join(info.value.problems)
    assert str(info.value).splitlines() == list(info.value.problems)


# --- Properties of the validator ---------------------------------------------------------------


def as_documents(bank: dict[str, dict]) -> tuple[dict, dict]:
    bank = copy.deepcopy(bank)
    return bank.pop("manifest.toml"), bank


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=5, max_size=5))
def test_required_levels_are_accepted_exactly_when_non_decreasing_and_answerable(levels):
    bank = valid_bank()
    question(bank)["required"] = dict(zip(BANDS, levels, strict=True))
    answerable = max(levels) <= 2  # the highest option level of the minimal bank

    try:
        parse_bank(*as_documents(bank))
    except BankError:
        accepted = False
    else:
        accepted = True

    assert accepted == (levels == sorted(levels) and answerable)


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(0, 2)), st.sets(st.integers(0, 2)))
def test_recommendation_levels_are_accepted_exactly_when_they_cover_the_levels_below_the_bar(
    first, second
):
    bank = valid_bank()
    rec(bank, 0)["levels"] = sorted(first) or [2]
    rec(bank, 1)["levels"] = sorted(second) or [2]
    covered = set(rec(bank, 0)["levels"]) | set(rec(bank, 1)["levels"])

    try:
        parse_bank(*as_documents(bank))
    except BankError:
        accepted = False
    else:
        accepted = True

    assert accepted == ({0, 1} <= covered)


# --- Target bands ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("users", "band"),
    [
        (0, "1k"),
        (1, "1k"),
        (1_000, "1k"),
        (1_001, "10k"),
        (10_000, "10k"),
        (10_001, "100k"),
        (100_000, "100k"),
        (100_001, "1m"),
        (1_000_000, "1m"),
        (1_000_001, "gt1m"),
        (10**12, "gt1m"),
    ],
)
def test_band_for_users_boundaries_are_inclusive_ceilings(users, band):
    assert band_for_users(users) == band


@given(st.integers(0, 10**10), st.integers(0, 10**10))
def test_more_users_never_means_a_smaller_band(a, b):
    low, high = sorted((a, b))
    assert BANDS.index(band_for_users(low)) <= BANDS.index(band_for_users(high))


@given(st.integers(0, 10**10))
def test_band_for_users_is_the_smallest_band_whose_ceiling_holds_the_users(users):
    ceilings = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
    expected = next((b for b in BANDS[:-1] if users <= ceilings[b]), "gt1m")
    assert band_for_users(users) == expected


def test_band_for_users_refuses_a_negative_count():
    with pytest.raises(ValueError, match="negative"):
        band_for_users(-1)


# --- The shipped bank ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return load_bank()


def test_shipped_bank_is_valid_and_large_enough(shipped):
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", shipped.version)
    assert len(shipped.areas) >= 9
    assert len(shipped.questions) >= 80
    assert all(len(shipped.questions_in_area(a.id)) >= 10 for a in shipped.areas)


def test_shipped_bank_is_loaded_once_per_process(shipped):
    assert load_bank() is shipped
    assert load_bank_from_directory(BANK_DIR) == shipped


def test_every_shipped_question_has_advice_for_each_level_below_its_highest_bar(shipped):
    missing = [
        f"{q.id} at level {level}"
        for q in shipped.questions
        for level in range(q.max_required_level)
        if not q.recommendations_for(level)
    ]
    assert missing == []


def test_every_shipped_required_level_can_be_reached_by_some_option(shipped):
    for q in shipped.questions:
        assert q.max_required_level <= q.options[-1].level, q.id
        assert [q.required[b] for b in BANDS] == sorted(q.required.values()), q.id


def test_shipped_recommendations_use_known_phases_and_dependencies(shipped):
    ids = {r.id for r in shipped.recommendations}
    for recommendation in shipped.recommendations:
        assert recommendation.phase in PHASES
        assert set(recommendation.depends_on) <= ids


def test_every_shipped_question_names_its_practice_and_how_to_find_out(shipped):
    for q in shipped.questions:
        assert 3 <= len(q.topic) <= 60, q.id
        assert 2 <= len(q.find_out) <= 4, q.id
        assert all(step.endswith(".") for step in q.find_out), q.id


# The safety basics that come before any scaling work, by the question whose lowest levels
# they lift a team out of.
FOUNDATIONS = {
    "database.backups_and_restores": (0, 1),  # restorable, then restore-tested backups
    "observability.alerting": (0, 1),  # alerting that reaches a person
    "security.encryption_in_transit": (0, 1),  # HTTPS with a redirect
    "security.secrets_management": (0,),  # secrets out of code
    "devops.pipeline_credentials": (0,),  # deploy credentials out of repositories
    "security.admin_exposure": (0, 1),  # back-office interfaces not open to the internet
    "devops.ci_automated_tests": (0, 1),  # CI running tests before deploys
}


@pytest.mark.parametrize(("question_id", "levels"), FOUNDATIONS.items())
def test_safety_basics_are_foundation_fixes_scheduled_early(shipped, question_id, levels):
    for level in levels:
        fixes = shipped.question(question_id).recommendations_for(level)
        assert any(r.foundation for r in fixes), f"{question_id} at level {level}"
    for rec in shipped.recommendations:
        if rec.foundation:
            assert rec.phase <= 2, rec.id


def test_only_safety_basics_are_foundation_fixes(shipped):
    owners = {r.question_id for r in shipped.recommendations if r.foundation}
    assert owners == set(FOUNDATIONS)


def test_the_top_band_never_needs_the_top_option_of_a_critical_question(shipped):
    assert [q.id for q in shipped.questions if q.critical and q.required["gt1m"] == 4] == []


def test_secrets_and_admin_exposure_are_critical_at_100k(shipped):
    assert shipped.question("security.secrets_management").critical_from == "100k"
    assert shipped.question("security.admin_exposure").is_critical_at("100k")


def test_claiming_a_cdn_that_the_probe_does_not_see_is_a_contradiction(shipped):
    delivery = shipped.question("infrastructure.static_and_media_delivery")
    cdn_level = next(o.level for o in delivery.options if "CDN" in o.label)
    assert delivery.check_caps["cdn"]["warn"] < cdn_level


@pytest.mark.parametrize(
    "recommendation_id",
    [
        "security.https_everywhere",
        "security.add_baseline_headers",
        "infrastructure.serve_through_cdn",
        "architecture.move_email_out_of_request",
    ],
)
def test_obvious_quick_wins_are_small_high_impact_and_unblocked(shipped, recommendation_id):
    rec = shipped.recommendation(recommendation_id)
    assert (rec.effort, rec.impact, rec.depends_on) == ("S", 3, ())
