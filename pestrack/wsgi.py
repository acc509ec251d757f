"""WSGI entry point for production servers (e.g. ``gunicorn pestrack.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")
application = get_wsgi_application()

# Import the URL configuration, and with it every view module, while the server starts: otherwise
# each server process's first visitor waits for those imports (seconds on a busy machine).
from django.urls import get_resolver  # noqa: E402

_url_patterns = get_resolver().url_patterns
