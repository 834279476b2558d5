"""Answers, findings and the roadmap as tables (pandas), and as CSV, XLSX, JSON and Markdown.

The frame builders take what the report shows (``Results``, answer rows, the edited roadmap)
and return DataFrames with readable column names; the writers only serialise them.
"""

from __future__ import annotations

import json
import re

import pandas as pd
from django.utils import timezone

from assessments.bank.domain.bank import PHASES
from assessments.downloads import to_csv, to_xlsx
from assessments.reports.domain.content import answer_label
from assessments.results.domain.edited_roadmap import EditedRoadmap, apply_edits
from assessments.results.domain.results import Results
from assessments.workspaces.models import Assessment

EXPORTS = (
    ("answers.csv", "Answers (CSV)"),
    ("findings.csv", "Findings (CSV)"),
    ("roadmap.csv", "Roadmap (CSV)"),
    ("all.xlsx", "Everything (XLSX)"),
    ("all.json", "Everything (JSON)"),
    ("roadmap.md", "Roadmap (Markdown)"),
)
SHEETS = {"answers": "Answers", "findings": "Findings", "roadmap": "Roadmap"}
LINK_SEPARATOR = "\n"  # one link a line in a spreadsheet cell; a list in JSON
KIND_LABELS = {"fix": "Fix", "find_out": "Find out", "custom": "Custom"}


def answers_frame(assessment: Assessment, results: Results) -> pd.DataFrame:
    answers = {a.question.key: a for a in assessment.answers.select_related("question")}
    rows = []
    for qs in results.score.questions:
        question = results.questions[qs.question_id]
        answer = answers.get(qs.question_id)
        rows.append(
            {
                "Area": results.area_titles.get(qs.area, qs.area),
                "Question ID": qs.question_id,
                "Question": question.text,
                "State": qs.state,
                "Level": answer.level if answer else None,
                "Answer": answer_label(question, answer),
                "Required level": qs.required,
                "Severity": qs.severity,
                "Not applicable because": answer.na_reason if answer else "",
                "Notes": answer.notes if answer else "",
                "Evidence links": LINK_SEPARATOR.join(answer.evidence_links or [])
                if answer
                else "",
                "Answered at": answer.answered_at.isoformat() if answer else "",
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS["answers"]).astype({"Level": "Int64"})


def findings_frame(results: Results) -> pd.DataFrame:
    rows = [
        {
            "Area": results.area_titles.get(qs.area, qs.area),
            "Question ID": qs.question_id,
            "Question": results.questions[qs.question_id].text,
            "Severity": qs.severity,
            "Critical": qs.critical,
            "Achieved level": qs.achieved,
            "Required level": qs.required,
            "Gap": qs.gap,
            "Confidence": qs.confidence,
            # Overrides are shown to clients too (with their reason); consultant notes never.
            "Computed severity": results.overrides[qs.question_id].computed
            if qs.question_id in results.overrides
            else qs.severity,
            "Override reason": results.overrides[qs.question_id].reason
            if qs.question_id in results.overrides
            else "",
        }
        for qs in results.score.gaps
    ]
    return pd.DataFrame(rows, columns=COLUMNS["findings"]).astype({"Achieved level": "Int64"})


def roadmap_frame(edited: EditedRoadmap) -> pd.DataFrame:
    rows = []
    for phase, phase_rows in edited.phases.items():
        for order, row in enumerate(phase_rows, start=1):
            entry = row.entry
            rows.append(
                {
                    "Phase": phase,
                    "Phase title": PHASES[phase],
                    "Order": order,
                    "Key": row.key,
                    "Kind": KIND_LABELS[row.kind],
                    "Title": row.title,
                    "Why": row.why,
                    "Effort": row.effort,
                    "Impact": row.impact,
                    "Severity": row.severity,
                    "Quick win": row.quick_win,
                    "After": "; ".join(row.after),
                    "Owner": entry.owner if entry else "",
                    "Target date": entry.target_date.isoformat()
                    if entry and entry.target_date
                    else "",
                    "Status": row.status,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS["roadmap"])


COLUMNS = {
    "answers": [
        "Area",
        "Question ID",
        "Question",
        "State",
        "Level",
        "Answer",
        "Required level",
        "Severity",
        "Not applicable because",
        "Notes",
        "Evidence links",
        "Answered at",
    ],
    "findings": [
        "Area",
        "Question ID",
        "Question",
        "Severity",
        "Critical",
        "Achieved level",
        "Required level",
        "Gap",
        "Confidence",
        "Computed severity",
        "Override reason",
    ],
    "roadmap": [
        "Phase",
        "Phase title",
        "Order",
        "Key",
        "Kind",
        "Title",
        "Why",
        "Effort",
        "Impact",
        "Severity",
        "Quick win",
        "After",
        "Owner",
        "Target date",
        "Status",
    ],
}


def export_frames(assessment: Assessment, results: Results) -> dict[str, pd.DataFrame]:
    edited = apply_edits(results.roadmap, list(assessment.roadmap_entries.all()), None)
    return {
        "answers": answers_frame(assessment, results),
        "findings": findings_frame(results),
        "roadmap": roadmap_frame(edited),
    }


def to_json(assessment: Assessment, results: Results, frames: dict[str, pd.DataFrame]) -> str:
    def records(frame: pd.DataFrame) -> list[dict]:
        rows = json.loads(frame.to_json(orient="records", date_format="iso"))
        for row in rows:
            if "Evidence links" in row:
                links = row["Evidence links"]
                row["Evidence links"] = links.split(LINK_SEPARATOR) if links else []
        return rows

    document = {
        "format": "scaleready.report",
        "format_version": 1,
        "system": assessment.system.name,
        "assessment": assessment.title,
        "band": results.score.band,
        "overall": results.score.overall,
        "verdict": results.score.verdict,
        "verdict_label": results.score.verdict_label,
        "provisional": results.score.provisional,
        "coverage": results.score.to_dict()["coverage"],
        "reasons": [
            {"theme": r.theme, "text": r.text, "question_ids": list(r.question_ids)}
            for r in results.score.reasons
        ],
        "generated_at": timezone.now().isoformat(),
        **{name: records(frame) for name, frame in frames.items()},
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


# Only what would change the rendering inside a list item: emphasis, code, links, HTML, tables.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
CSV_BOM = "\ufeff"  # so Excel opens the UTF-8 file as UTF-8


def md_escape(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def roadmap_markdown(assessment: Assessment, frame: pd.DataFrame) -> str:
    lines = [
        f"# Roadmap: {md_escape(assessment.system.name)}",
        "",
        f"{md_escape(assessment.title)}, exported {timezone.localdate().isoformat()}.",
    ]
    for phase, title in PHASES.items():
        lines += ["", f"## {phase}. {md_escape(title)}", ""]
        rows = frame[frame["Phase"] == phase]
        if rows.empty:
            lines.append("Nothing in this phase.")
        for data in rows.to_dict("records"):
            facts = [f"effort {data['Effort']}", f"impact {data['Impact']}"]
            if data["Kind"] == KIND_LABELS["fix"]:
                facts.insert(0, f"severity {data['Severity']}")
            if data["Target date"]:
                facts.append(f"due {data['Target date']}")
            if data["Owner"]:
                facts.append(f"owner {md_escape(data['Owner'])}")
            if data["After"]:
                facts.append(f"after {md_escape(data['After'])}")
            facts.append(f"status {data['Status']}")
            check = "x" if data["Status"] == "done" else " "
            lines.append(f"- [{check}] **{md_escape(data['Title'])}** ({', '.join(facts)})")
    return "\n".join(lines) + "\n"


def export_content(assessment: Assessment, results: Results, export: str) -> tuple:
    """(body, content type) for one of ``EXPORTS``."""
    frames = export_frames(assessment, results)
    stem, extension = export.rsplit(".", 1)
    if extension == "csv":
        return CSV_BOM + to_csv(frames[stem]), "text/csv; charset=utf-8"
    if extension == "xlsx":
        return (
            to_xlsx({SHEETS[name]: frame for name, frame in frames.items()}),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    if extension == "json":
        return to_json(assessment, results, frames), "application/json"
    return roadmap_markdown(assessment, frames["roadmap"]), "text/markdown; charset=utf-8"
