import pytest

from tests.unit.checks.catalog_builders import (
    PLAIN,
    artifacts,
    exchange,
    failed_exchange,
    run,
    with_page,
)

NOT_FOUND = "https://example.com/scaleready-404-8f3a"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Server": "nginx"}, "pass"),
        ({"Server": "cloudflare"}, "pass"),
        ({"Server": "ECS (dcb/7F84)"}, "pass"),  # an opaque id, not a version
        ({"X-Powered-By": "Express"}, "pass"),
        ({"Server": "AmazonS3"}, "pass"),
        ({}, "pass"),
        ({"Server": "nginx/1.18.0"}, "warn"),
        ({"Server": "Apache/2.4.41 (Ubuntu)"}, "warn"),
        ({"server": "Microsoft-IIS/10.0"}, "warn"),
        ({"Server": "Jetty(9.4.z-SNAPSHOT)"}, "warn"),
        ({"X-Powered-By": "PHP/8.1.2"}, "warn"),
        ({"X-Generator": "Drupal 10 (https://www.drupal.org)"}, "warn"),
        ({"X-AspNet-Version": "4.0.30319"}, "warn"),
        ({"X-AspNetMvc-Version": "5.2"}, "warn"),
        ({"Server": "gunicorn"}, "pass"),
        ({"Server": "gunicorn/20.1.0"}, "warn"),
    ],
)
def test_version_disclosure(headers, expected):
    assert run("version_disclosure", with_page(headers)).status == expected


def test_version_disclosure_also_reads_the_error_page():
    target = artifacts(
        scheme_https=exchange({"Server": "nginx"}),
        not_found=exchange({"Server": "nginx/1.25.3"}, url=NOT_FOUND, status=404),
    )
    result = run("version_disclosure", target)
    assert result.status == "warn"
    assert result.evidence["disclosed"] == {"server": "nginx/1.25.3"}


def not_found(body, status=404, headers=None):
    return artifacts(not_found=exchange(headers, url=NOT_FOUND, status=status, body=body))


@pytest.mark.parametrize(
    ("body", "signature"),
    [
        ('Traceback (most recent call last):\n  File "/app/x.py", line 3', "Python traceback"),
        (
            "<p>You&#x27;re seeing this error because you have <code>DEBUG = True</code>",
            "Django debug page",
        ),
        (
            "Using the URLconf defined in <code>config.urls</code>, Django tried these URLs",
            "Django URLconf listing",
        ),
        ("<h1>Routing Error</h1><p>No route matches [GET] &quot;/x&quot;", "Rails routing error"),
        ("Rails.root: /srv/app", "Rails debug page"),
        ("app/controllers/users_controller.rb:12:in `show'", "Ruby stack frame"),
        ("#0 vendor/laravel/framework/src/Illuminate/Foundation/App.php", "Laravel/Symfony"),
        ("Symfony\\Component\\HttpKernel\\Exception\\NotFoundHttpException", "Laravel/Symfony"),
        ("<b>Fatal error</b>: Uncaught Error in /var/www/x.php on line <b>12</b>", "PHP error"),
        (
            "Error: x\n    at Layer.handle [as handle_request] (/srv/node_modules/express/lib)",
            "Express",
        ),
        ("java.lang.NullPointerException: boom\n\tat java.base/x", "Java"),
        ('Exception in thread "main" java.lang.RuntimeException', "Java exception"),
        ("<h1>Server Error in '/' Application.</h1>", "ASP.NET error page"),
        ("goroutine 1 [running]:\nmain.main()", "Go panic"),
        ("You have an error in your SQL syntax; check the manual", "SQL error"),
        ("SQLSTATE[42S02]: Base table or view not found", "SQL error"),
        ("ORA-00942: table or view does not exist", "SQL error"),
        ("psycopg2.errors.UndefinedTable: relation does not exist", "SQL error"),
        ("in /home/deploy/app/current/lib/handler.rb", "server file path"),
        ("/usr/local/lib/python3.12/site-packages/django/core/handlers/base.py", "file path"),
    ],
)
def test_error_page_leaks_are_found(body, signature):
    result = run("error_page_leaks", not_found(body))
    assert result.status == "fail"
    assert any(signature in leak["signature"] for leak in result.evidence["leaks"])


@pytest.mark.parametrize(
    "body",
    [
        "",
        "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>",
        "Cannot GET /scaleready-404-8f3a",  # Express default: no trace
        '<html><script src="/static/app.js"></script><a href="/home/products/">Home</a></html>',
        "<p>Whoops! That page does not exist. Try the search.</p>",
        "<script>window.addEventListener('error', e => console.log(e.DOMException))</script>",
        "<h1>404</h1><p>Error on line 3 of the poem? No, just a missing page.</p>",
    ],
)
def test_clean_error_pages_pass(body):
    assert run("error_page_leaks", not_found(body)).status == "pass"


def test_symfony_profiler_header_is_a_leak():
    result = run("error_page_leaks", not_found("", headers={"X-Debug-Token": "a1b2c3"}))
    assert result.status == "fail"


def test_server_error_for_a_missing_page_warns():
    assert run("error_page_leaks", not_found("<h1>Oops</h1>", status=500)).status == "warn"


def test_error_page_leaks_not_run_or_failed():
    assert run("error_page_leaks", artifacts()).status == "not_applicable"
    assert run("error_page_leaks", artifacts(not_found=failed_exchange())).status == "error"


ROBOTS = "https://example.com/robots.txt"


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [
        (200, {"Content-Type": "text/plain"}, "User-agent: *\nDisallow: /search", "pass"),
        (200, {"Content-Type": "text/plain; charset=utf-8"}, "User-agent: *", "pass"),
        (200, {"content-type": "TEXT/PLAIN"}, "User-agent: *", "pass"),
        (200, {}, "User-agent: *", "pass"),
        (200, {"Content-Type": "text/html"}, "<!doctype html><html>", "warn"),
        (200, {}, "<!DOCTYPE html><html>app shell</html>", "warn"),
        (200, {"Content-Type": "application/json"}, "{}", "warn"),
        (404, {"Content-Type": "text/html"}, "Not found", "warn"),
        (500, {}, "", "warn"),
    ],
)
def test_robots_txt(status, headers, body, expected):
    target = artifacts(robots=exchange(headers, url=ROBOTS, status=status, body=body))
    assert run("robots_txt", target).status == expected


def test_robots_txt_not_run_or_failed():
    assert run("robots_txt", artifacts()).status == "not_applicable"
    assert run("robots_txt", artifacts(robots=failed_exchange(url=ROBOTS))).status == "error"


SECURITY_TXT = "https://example.com/.well-known/security.txt"
TEXT = {"Content-Type": "text/plain"}


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected", "score"),
    [
        (
            200,
            TEXT,
            "Contact: mailto:security@example.com\nExpires: 2030-01-01T00:00:00Z",
            "pass",
            100,
        ),
        (
            200,
            TEXT,
            "contact:https://example.com/report\nexpires: 2030-01-01T00:00:00Z",
            "pass",
            100,
        ),
        (200, TEXT, "Contact: mailto:security@example.com", "pass", 90),
        (
            200,
            TEXT,
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: mailto:s@example.com\n"
            "Expires: 2030-01-01T00:00:00Z\n",
            "pass",
            100,
        ),
        (200, TEXT, "# Contact: nobody\nPolicy: https://example.com/p", "warn", 50),
        (200, TEXT, "Contact:", "warn", 50),
        (200, {"Content-Type": "text/html"}, "<html>Contact: us</html>", "warn", 30),
        (404, TEXT, "", "warn", 30),
    ],
)
def test_security_txt(status, headers, body, expected, score):
    target = artifacts(security_txt=exchange(headers, url=SECURITY_TXT, status=status, body=body))
    result = run("security_txt", target)
    assert (result.status, result.score) == (expected, score)


def test_security_txt_not_run_or_failed():
    assert run("security_txt", artifacts()).status == "not_applicable"
    failed = artifacts(security_txt=failed_exchange(url=SECURITY_TXT))
    assert run("security_txt", failed).status == "error"


def test_version_disclosure_reads_plain_http_too():
    target = artifacts(plain_http=exchange({"Server": "Apache/2.2.3"}, url=PLAIN, status=301))
    assert run("version_disclosure", target).status == "warn"
