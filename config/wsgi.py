import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from config.fragments import code_digest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
# Load every URL module (and the views they import) now, when the worker starts, so the
# first request a worker serves is not the one that pays for it.
get_resolver().resolve("/healthz")
code_digest()  # what names kept pages (config/fragments.py): read the sources once, here
