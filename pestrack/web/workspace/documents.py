"""Documents on the person page: the list, upload, download and withdrawal.

The rules (type by content, size, storage, withdrawal) are in records.documents.files; who may do
what is records.access (``get_person_for``, ``get_document_for``, ``documents_visible``). Every
upload, download, withdrawal and refusal is written to the access log."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from pestrack.records import access
from pestrack.records.casework.assignment import user_label
from pestrack.records.documents import files
from pestrack.records.documents.models import Document
from pestrack.web.workspace.common import _log, _person_page, _source, _writable_enrolments, enrolment_label


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"), allow_empty_file=True)
    enrolment = forms.TypedChoiceField(label=gettext_lazy("Attach to"), coerce=int, empty_value=None, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("For example: CV, or a certificate from the doctor."),
    )

    def __init__(self, *args, enrolments=(), **kwargs):
        super().__init__(*args, **kwargs)
        limit = files.size_label(settings.PESTRACK_DOCUMENT_MAX_BYTES)
        self.fields["file"].help_text = _("PDF, PNG, JPEG or Word (DOCX), at most %(limit)s.") % {"limit": limit}
        self.fields["file"].widget.attrs["accept"] = ".pdf,.png,.jpg,.jpeg,.docx"
        self.enrolments = {e.pk: e for e in enrolments}
        self.fields["enrolment"].choices = [("", _("The person (no particular enrolment)"))] + [
            (e.pk, enrolment_label(e)) for e in enrolments
        ]

    def clean_enrolment(self):
        pk = self.cleaned_data["enrolment"]
        return None if pk is None else self.enrolments[pk]


def person_documents(user, person, enrolments, writable_enrolments: set[int]) -> dict:
    """What the person page shows of the documents (one query): the list, as ``user`` may see it,
    and the upload form when the user writes the person."""
    see = access.documents_visible(user, person)
    labels = {e.pk: enrolment_label(e) for e in enrolments}
    rows = []
    for d in Document.objects.filter(person=person).select_related("uploaded_by", "withdrawn_by"):
        rows.append(
            {
                "id": d.pk,
                "name": d.name if see else access.MASK,
                "downloadable": see and not d.withdrawn,
                "description": d.description if see else "",
                "type": files.type_label(d.content_type),
                "size": files.size_label(d.size),
                "attached_to": labels.get(d.enrolment_id, ""),
                "uploaded": date_format(timezone.localtime(d.uploaded_at), "SHORT_DATE_FORMAT"),
                "iso": timezone.localtime(d.uploaded_at).date().isoformat(),
                "by": user_label(d.uploaded_by),
                "withdrawn": d.withdrawn,
                "withdrawal_reason": d.withdrawal_reason,
                "withdrawn_on": date_format(timezone.localtime(d.withdrawn_at), "SHORT_DATE_FORMAT")
                if d.withdrawn
                else "",
                "withdrawn_by": user_label(d.withdrawn_by),
            }
        )
    writable = [e for e in enrolments if e.pk in writable_enrolments]
    return {
        "rows": rows,
        "masked": not see,
        "form": UploadForm(auto_id="id_document_%s", enrolments=writable) if writable else None,
    }


class _SizeLimit(FileUploadHandler):
    """Stops reading an upload as soon as the file passes the size limit, so that an oversized file
    is neither held in memory nor written to a temporary file (the rest of the request is read and
    discarded); the view then refuses it."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.PESTRACK_DOCUMENT_MAX_BYTES:
            self.request.document_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (Django's) makes the file


@csrf_exempt  # only so that the size limit is in place before the CSRF check reads the request; checked below
@login_required
@require_http_methods(["GET", "POST"])
def upload(request, person_id):
    """Upload a document to a person of the user's units (or to one of their enrolments). A
    refused file is shown with the reason beside the field; nothing of it is kept."""
    request.upload_handlers.insert(0, _SizeLimit(request))
    return _upload(request, person_id)


@csrf_protect
def _upload(request, person_id):
    person = access.get_person_for(request.user, person_id, write=True, what="document form", source=_source(request))
    posted = request.method == "POST"
    form = UploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        auto_id="id_document_%s",
        enrolments=_writable_enrolments(request.user, person),
    )
    if posted and getattr(request, "document_too_large", False):
        form.is_valid()  # the other fields' problems, if any; the file's is this one
        form.errors.pop("file", None)
        form.add_error("file", files.too_large_message())
    elif posted and form.is_valid():
        try:
            document = files.store(
                form.cleaned_data["file"],
                person=person,
                enrolment=form.cleaned_data["enrolment"],
                description=form.cleaned_data["description"],
                user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            detail = f"upload ({files.type_label(document.content_type)}, {document.size} bytes)"
            _log(request, "create", document, person_id=person.pk, detail=detail)
            messages.success(
                request,
                _("The document %(name)s is saved.")
                % {"name": document.name if access.documents_visible(request.user, person) else access.MASK},
            )
            return redirect(reverse("person-detail", args=[person.pk]) + "#documents")
    return _person_page(
        request, "web/workspace/document_upload.html", person, {"form": form}, status=422 if posted else 200
    )


@login_required
@require_GET
def download(request, document_id):
    """The file, as an attachment with its checked type; withdrawn documents are not served."""
    document = access.get_document_for(request.user, document_id, content=True, source=_source(request))
    try:
        handle = open(files.path_of(document.stored_name), "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError:
        raise Http404(_("The document's file is missing; tell the system administrator.")) from None
    response = FileResponse(handle, as_attachment=True, filename=document.name, content_type=document.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the withdrawal"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "For example: uploaded to the wrong person. The document stays "
            "in the record, marked withdrawn, until the retention period ends."
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request, document_id):
    """Withdraw a document (a caseworker of the person's units): marked, with the reason, not deleted."""
    document = access.get_document_for(request.user, document_id, write=True, source=_source(request))
    person = document.person
    if document.withdrawn:
        messages.error(request, _("The document is already withdrawn."))
        return redirect(reverse("person-detail", args=[person.pk]) + "#documents")
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        files.withdraw(document, user=request.user, reason=form.cleaned_data["reason"])
        _log(request, "update", document, person_id=person.pk, detail="withdrawn")
        messages.success(request, _("The document is withdrawn."))
        return redirect(reverse("person-detail", args=[person.pk]) + "#documents")
    if request.method == "GET":
        _log(request, "read", document, person_id=person.pk, detail="withdrawal form")
    name = document.name if access.documents_visible(request.user, person) else access.MASK
    return _person_page(
        request,
        "web/workspace/form.html",
        person,
        {
            "form": form,
            "title": _("Withdraw the document %(name)s") % {"name": name},
            "intro": _(
                "A withdrawn document is no longer offered for download. It is not deleted: it stays in the "
                "person's record, marked withdrawn with your reason, until the retention period ends."
            ),
        },
        status=422 if request.method == "POST" else 200,
    )
