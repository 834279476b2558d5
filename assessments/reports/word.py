"""The report as an editable Word document (DOCX, python-docx): the content of the PDF with
real heading styles, tables and the charts as images, for consultants who edit a
deliverable before they send it.

It reads the same ``report_context`` as the page and the PDF, so the three say the same.
"""

from __future__ import annotations

import io

from django.utils.dateformat import format as date_format
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.shared import Cm, Pt, RGBColor

from assessments.reports.domain.chart_images import bars_png, radar_png
from assessments.reports.selectors import report_context
from assessments.results.domain.results import Results
from assessments.workspaces.models import Assessment

TEXT_WIDTH_CM = 16.0  # A4 with 2.5 cm margins
TABLE_STYLE = "Light List Accent 1"
MUTED = RGBColor(0x47, 0x54, 0x67)


def report_docx(
    assessment: Assessment, results: Results, *, consultant_notes: bool = False
) -> bytes:
    context = report_context(assessment, results, consultant_notes=consultant_notes)
    document = Document()
    setup(document, context)
    cover(document, context)
    if context["consultant_summary"]:
        document.add_heading("Consultant summary", level=1)
        for paragraph in context["consultant_summary"].split("\n\n"):
            document.add_paragraph(paragraph.strip())
    executive_summary(document, context)
    scores(document, context)
    find_out(document, context)
    contradictions(document, context)
    roadmap(document, context)
    exceptions(document, context)
    findings(document, context)
    notes(document, context)
    methodology(document, context)
    appendix(document, context)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def setup(document, context: dict) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(10)
    properties = document.core_properties
    properties.title = f"Scalability readiness report: {context['system'].name}"
    properties.author = context["assessor"] or context["workspace"].name
    properties.subject = context["assessment"].title
    footer = section.footer.paragraphs[0]
    branding = context["branding"]
    footer.text = (branding.footer_text if branding else "") or "Prepared with ScaleReady"


def muted(paragraph, text: str):
    run = paragraph.add_run(text)
    run.font.color.rgb = MUTED
    run.font.size = Pt(9)
    return run


def table(document, headers: list[str], rows: list[list[str]], widths: list[float]):
    """A table with a header row and fixed column widths (in shares of the text width)."""
    grid = document.add_table(rows=1, cols=len(headers))
    grid.style = TABLE_STYLE
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    grid.autofit = False
    for cell, header in zip(grid.rows[0].cells, headers, strict=True):
        cell.text = header
    for values in rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
    for row in grid.rows:
        for cell, share in zip(row.cells, widths, strict=True):
            cell.width = Cm(TEXT_WIDTH_CM * share)
    return grid


def cover(document, context: dict) -> None:
    score, system, coverage = context["score"], context["system"], context["coverage"]
    if context["logo"]:
        logo = context["branding"].logo
        with logo.open("rb") as image:
            document.add_picture(io.BytesIO(image.read()), height=Cm(2))
    document.add_paragraph(context["workspace"].name)
    document.add_heading(f"Scalability readiness report: {system.name}", level=0)
    if context["client"]:
        document.add_paragraph(f"Prepared for {context['client'].name}")
    verdict = document.add_paragraph()
    verdict.add_run(score.verdict_label).bold = True
    if score.provisional:
        verdict.add_run(" (provisional)")
    verdict.add_run(f" for {score.band_title}")
    if score.overall is not None:
        verdict.add_run(f": {score.overall:.0f}/100 maturity of what is known")
    rests_on = (
        f"Rests on {coverage.known} of {coverage.applicable} applicable questions with a known "
        f"level ({coverage.percent}%)"
    )
    if coverage.critical:
        rests_on += f", {coverage.critical_known} of {coverage.critical} critical ones"
    muted(document.add_paragraph(), rests_on + ".")
    facts = [
        ["System", system.name],
        ["Assessment", context["assessment"].title],
        ["Target scale", f"{score.band_title} ({system.target_users} users)"],
        ["Date", date_format(context["generated_on"], "j F Y")],
    ]
    if context["client"]:
        facts.insert(1, ["Client", context["client"].name])
    if context["assessor"]:
        facts.append(["Assessor", context["assessor"]])
    table(document, ["", ""], facts, [0.3, 0.7])
    document.add_page_break()


def executive_summary(document, context: dict) -> None:
    score, coverage, verdict = context["score"], context["coverage"], context["verdict"]
    document.add_heading("Executive summary", level=1)
    line = document.add_paragraph()
    line.add_run(score.verdict_label).bold = True
    line.add_run(f"{' (provisional)' if score.provisional else ''} for {score.band_title}")
    document.add_paragraph(verdict["lead"])
    for reason in verdict["rests_on"]:
        document.add_paragraph(reason["text"])
    gaps = ", ".join(f"{count} {severity}" for severity, count in score.gap_counts.items())
    muted(
        document.add_paragraph(),
        f"Coverage: {coverage.known} of {coverage.applicable} applicable questions known, "
        f"{coverage.critical_known} of {coverage.critical} critical. Known gaps: {gaps}.",
    )
    document.add_heading("Top risks", level=2)
    for line in context["risks"]:
        item = document.add_paragraph(style="List Number")
        item.add_run(f"{line.score.topic[:1].upper()}{line.score.topic[1:]}").bold = True
        item.add_run(
            f" ({line.score.severity}): {line.answer_label.lower()}; "
            f"the target needs {line.required_label.lower()}."
        )
    if not context["risks"]:
        document.add_paragraph("No known gaps at this target scale.")
    document.add_heading("Next steps", level=2)
    muted(document.add_paragraph(), "In the order of the team's roadmap.")
    for row in context["next_steps"]:
        item = document.add_paragraph(style="List Number 2")
        item.add_run(row.title).bold = True
        muted(item, f"  phase {row.phase} · effort {row.effort} · impact {row.impact}")
    document.add_heading("Capacity headroom", level=2)
    headroom = context["headroom"]
    if headroom is None:
        document.add_paragraph("No capacity inputs.")
        return
    measured = (
        f"{headroom.measured_rps:.0f} requests per second"
        if headroom.measured_rps is not None
        else "not measured yet"
    )
    document.add_paragraph(
        f"Peak needed: {headroom.needed_peak_rps:.0f} requests per second. Measured: {measured}."
    )
    muted(document.add_paragraph(), headroom.explanation)


def score_text(area: dict) -> str:
    value = area["score"].score
    if value is None:
        return "not answered yet" if area["score"].applicable else "N/A"
    return f"{value:.0f}"


def scores(document, context: dict) -> None:
    document.add_heading("Scores by area", level=1)
    document.add_picture(io.BytesIO(bars_png(context["chart"])), width=Cm(TEXT_WIDTH_CM))
    muted(
        document.add_paragraph(),
        "Score per area, out of 100: how close the known answers come to what the target needs.",
    )
    if context["radar"]:
        document.add_picture(io.BytesIO(radar_png(context["radar"])), width=Cm(12))
        muted(
            document.add_paragraph(),
            "Blue: average level achieved per area. Grey: average level the target requires "
            "(rings: levels 1 to 4).",
        )
    rows = [
        [
            area["title"],
            score_text(area),
            f"{area['score'].known} of {area['score'].applicable}",
            str(area["score"].gaps),
        ]
        for area in context["areas"]
    ]
    table(document, ["Area", "Score", "Known", "Gaps"], rows, [0.46, 0.18, 0.18, 0.18])


def find_out(document, context: dict) -> None:
    if not context["to_find_out"]:
        return
    document.add_heading("Not known yet", level=1)
    document.add_paragraph(
        "Nobody could say how these practices stand. An unknown is not scored as a failure: "
        "it lowers confidence in the verdict, and the roadmap starts with finding out."
    )
    rows = [
        [
            item["topic"][:1].upper()
            + item["topic"][1:]
            + (" (critical)" if item["critical"] else ""),
            item["text"],
            "Don't know" if item["state"] == "unknown" else "Not answered",
        ]
        for item in context["to_find_out"]
    ]
    table(document, ["Practice", "Question", "Answer"], rows, [0.3, 0.52, 0.18])


def contradictions(document, context: dict) -> None:
    document.add_heading("Claims vs evidence", level=1)
    if not context["contradictions"]:
        document.add_paragraph("No answer is contradicted by probe evidence.")
    for item in context["contradictions"]:
        document.add_paragraph().add_run(item["question"].text).bold = True
        document.add_paragraph(
            f"Claimed level {item['c'].claimed_level} (“{item['c'].claimed_label}”), "
            f"counted as level {item['c'].lowered_to}."
        )
        for observed in item["observed"]:
            where = f" on {observed['result'].target_url}" if observed["result"].target_url else ""
            document.add_paragraph(
                f"{observed['title']}{where}: {observed['result'].message}", style="List Bullet"
            )


def step_kind(row) -> str:
    if row.is_find_out:
        return "find out"
    return "added" if row.is_custom else row.severity


def roadmap(document, context: dict) -> None:
    document.add_heading("Roadmap", level=1)
    muted(document.add_paragraph(), "Six phases, in the order of the team's roadmap.")
    for phase in context["phases"]:
        document.add_heading(f"{phase['number']}. {phase['title']}", level=2)
        if not phase["rows"]:
            muted(document.add_paragraph(), "Nothing in this phase.")
            continue
        rows = []
        for row in phase["rows"]:
            title = row.title
            if row.quick_win:
                title += " (quick win)"
            if row.status != "todo":
                title += " (done)" if row.status == "done" else " (under way)"
            if row.after:
                title += "\nafter: " + "; ".join(row.after)
            entry = row.entry
            due = date_format(entry.target_date, "j M Y") if entry and entry.target_date else ""
            owner = entry.owner if entry else ""
            rows.append([title, step_kind(row), row.effort, str(row.impact), owner, due])
        table(
            document,
            ["Step", "Severity", "Effort", "Impact", "Owner", "Target date"],
            rows,
            [0.41, 0.13, 0.1, 0.1, 0.12, 0.14],
        )


def exceptions(document, context: dict) -> None:
    document.add_heading("Accepted exceptions", level=1)
    if not context["exceptions"]:
        document.add_paragraph("No step was taken off the roadmap.")
        return
    document.add_paragraph(
        "The team took these steps off the roadmap and accepted the risk, for the reasons below."
    )
    rows = [
        [
            item["row"].title,
            item["reason"] or "No reason given.",
            (item["by"] or "—") + (f"\n{date_format(item['on'], 'j M Y')}" if item["on"] else ""),
        ]
        for item in context["exceptions"]
    ]
    table(document, ["Step", "Reason", "Decided by"], rows, [0.38, 0.42, 0.2])


def finding_row(line) -> list[str]:
    question = line.question.text + (" (critical)" if line.score.critical else "")
    answer = line.answer
    if answer is not None and answer.na_reason:
        question += f"\nNot applicable because: {answer.na_reason}"
    if answer is not None and answer.notes:
        question += f"\nTeam's note: {answer.notes}"
    if line.links:
        question += "\nEvidence: " + ", ".join(line.links)
    severity = line.score.severity if line.score.gap > 0 else "met"
    if line.override:
        severity += f" (overridden from {line.override.computed}: {line.override.reason})"
    return [question, line.answer_label, line.required_label, severity]


def findings(document, context: dict) -> None:
    document.add_heading("Findings by area", level=1)
    for area in context["areas"]:
        document.add_heading(f"{area['title']} ({score_text(area)})", level=2)
        lines = area["gaps"] + area["noted"]
        if not lines:
            document.add_paragraph("No gaps in this area.")
            continue
        table(
            document,
            ["Question", "Team's answer", "Target needs", "Severity"],
            [finding_row(line) for line in lines],
            [0.42, 0.24, 0.22, 0.12],
        )


def notes(document, context: dict) -> None:
    if context["consultant_notes"] is None:
        return
    document.add_heading("Consultant notes", level=1)
    for row in context["consultant_notes"]:
        document.add_paragraph().add_run(row["question"].text).bold = True
        if row["answer"]:
            document.add_paragraph(f"On the answer: {row['answer']}")
        if row["finding"]:
            document.add_paragraph(f"On the finding: {row['finding']}")


def methodology(document, context: dict) -> None:
    document.add_heading("Methodology", level=1)
    for section in context["methodology"]:
        document.add_heading(section.title, level=2)
        for paragraph in section.paragraphs:
            document.add_paragraph(paragraph)
    document.add_heading("Glossary", level=1)
    for term, meaning in context["glossary"]:
        item = document.add_paragraph()
        item.add_run(term).bold = True
        item.add_run(f": {meaning}")


def appendix(document, context: dict) -> None:
    if not context["evidence_groups"]:
        return
    document.add_heading("Appendix: probe evidence", level=1)
    for group in context["evidence_groups"]:
        title = document.add_paragraph()
        title.add_run(group.title).bold = True
        muted(title, f"  {group.status_words}")
        for message in group.messages:
            document.add_paragraph(message)
        if group.targets:
            muted(document.add_paragraph(), "Seen on " + ", ".join(group.targets))
        for detail in group.details:
            document.add_paragraph(detail, style="List Bullet")


DOCX_IMAGE_TYPES = ("image/png",)  # what the charts are stored as
