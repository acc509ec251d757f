"""What the /api/v1/ modules share (web/api.py and the routers it adds): the error schema and the
access-checked person look-up. Its own module, so that a router never imports web/api.py, which
imports the routers."""

from __future__ import annotations

from ninja import Schema

from pestrack.records import access


class Detail(Schema):
    detail: str


ERRORS = {400: Detail, 401: Detail, 403: Detail, 404: Detail}
MAX_OFFSET = 10**9  # far beyond any register; past it a number is a mistake (or a probe), not a page


def _person(request, person_id: int, *, action: str = "read", what: str = "person"):
    return access.get_person_for(
        request.auth, person_id, action=action, what=what, source=access.client_address(request)
    )
