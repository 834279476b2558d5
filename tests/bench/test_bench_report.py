"""Benchmarks: the PDF report of a full assessment against WeasyPrint alone on the same HTML
(with its default fetcher, reading the same static files from disk), and the Word report
against the PDF, all in one run."""

import statistics
import time

from django.conf import settings
from pypdf import PdfReader
from weasyprint import HTML

from assessments.questionnaire.services import answers_import
from assessments.reports.pdf import pdf_from_html, report_html
from assessments.reports.word import report_docx
from assessments.results.domain.scoring import EvidenceResult
from assessments.results.selectors import assessment_results
from tests.bench.measure import report
from tests.factories import AssessmentFactory
from tests.profiles import PROFILES, TARGET_USERS

ROUNDS = 4
STATUSES = ("pass", "warn", "fail")


def synthetic_evidence(questions) -> list[EvidenceResult]:
    """One result per check the bank knows, as if every probe had run against two targets."""
    check_ids = sorted({check for question in questions.values() for check in question.checks})
    return [
        EvidenceResult(
            check_id=check_id,
            status=STATUSES[index % 3],
            score=(index * 37) % 100,
            message=f"Observed behaviour for {check_id} on the target.",
            evidence={
                "strict-transport-security": "max-age=31536000; includeSubDomains",
                "p95_ms": 180 + index,
                "tls_version": "TLSv1.3",
                "server": "nginx",
            },
            target_url=target,
        )
        for index, check_id in enumerate(check_ids)
        for target in ("https://app.example.com/", "https://api.example.com/v1/health")
    ]


def test_report_pdf_against_weasyprint_alone(owner, bank_version, tmp_path):
    assessment = AssessmentFactory(
        system__workspace=owner.workspace,
        system__target_users=TARGET_USERS["early_startup"],
        bank_version=bank_version,
    )
    answers_import(assessment, PROFILES["early_startup"](), owner.user)
    plain = assessment_results(assessment)
    evidence = synthetic_evidence(plain.questions)

    def app_pdf() -> bytes:
        results = assessment_results(assessment, evidence)
        return pdf_from_html(report_html(assessment, results), assessment.system.workspace_id)

    static_html = report_html(assessment, assessment_results(assessment, evidence))
    # The same stylesheet, addressed as a file so WeasyPrint's default fetcher reads it.
    static_dir = settings.STATICFILES_DIRS[0]
    plain_html = static_html.replace('href="/static/', f'href="file://{static_dir}/')
    assert plain_html != static_html

    def weasyprint_only() -> bytes:
        return HTML(string=plain_html, base_url=f"file://{static_dir}/").write_pdf()

    def app_docx() -> bytes:
        return report_docx(assessment, assessment_results(assessment, evidence))

    pdf = app_pdf()
    assert len(weasyprint_only()) > len(pdf) // 2  # styled alike: a similar document
    app_docx()
    samples = {"app": [], "weasyprint": [], "docx": []}
    actions = [("app", app_pdf), ("weasyprint", weasyprint_only), ("docx", app_docx)]
    for _ in range(ROUNDS):
        actions.reverse()  # alternate which goes first, so drift hits both alike
        for name, action in actions:
            start = time.perf_counter()
            action()
            samples[name].append(time.perf_counter() - start)
    app_s = statistics.median(samples["app"])
    weasy_s = statistics.median(samples["weasyprint"])
    docx_s = statistics.median(samples["docx"])
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    pages = len(PdfReader(path).pages)
    ratio = app_s / weasy_s
    docx_ratio = docx_s / app_s
    report(
        "PDF report",
        [
            ("pages (with evidence appendix)", str(pages)),
            ("evidence results", str(len(evidence))),
            ("WeasyPrint alone, same HTML, default fetcher", f"{weasy_s:.2f} s"),
            ("app: score + context + template + PDF", f"{app_s:.2f} s (goal < 5 s)"),
            ("ratio app / WeasyPrint", f"{ratio:.2f} (goal <= 1.3)"),
            ("app: score + context + DOCX", f"{docx_s:.2f} s"),
            ("ratio DOCX / PDF", f"{docx_ratio:.2f} (goal <= 0.5)"),
        ],
    )
    assert pages >= 20
    assert "Appendix: probe evidence" in static_html
    assert ratio <= 1.3
    assert docx_ratio <= 0.5
