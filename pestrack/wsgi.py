"""WSGI entry point for production servers (e.g. ``gunicorn pestrack.wsgi``).

What every server process would otherwise build for its first visitors is built here, while the
process starts and before it takes a request: the URL configuration with every view module, and the
bundled ESCO taxonomy's vectors that matched places are scored with (seconds of CPU; a process
building them for a visitor holds up every other request it is serving meanwhile)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pestrack.settings")
application = get_wsgi_application()

from django.urls import get_resolver  # noqa: E402

from pestrack.matching.esco import taxonomy  # noqa: E402

_url_patterns = get_resolver().url_patterns
_taxonomy = taxonomy()
_taxonomy.occupation_vectors, _taxonomy.skill_vectors  # noqa: B018 - built now, kept by the cached properties
