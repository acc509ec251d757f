"""Enrolment.last_activity, the caseload's sort key, stored (issue 5): filled for every enrolment
with one UPDATE, then indexed for the caseload (replacing the partial indexes on the unit alone)."""
from django.conf import settings
from django.db import migrations, models

from pestrack.records.casework.activity import last_activity


def fill(apps, schema_editor):
    apps.get_model("casework", "Enrolment").objects.update(last_activity=last_activity(apps))


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0002_caseload_indexes'),
        ('codes', '0001_initial'),
        ('org', '0001_initial'),
        ('people', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='enrolment',
            name='enrolment_open_by_unit',
        ),
        migrations.RemoveIndex(
            model_name='enrolment',
            name='enrolment_open_by_referrer',
        ),
        migrations.AddField(
            model_name='enrolment',
            name='last_activity',
            field=models.DateField(blank=True, editable=False, help_text='Latest of the start, the decision and the dates of assessments, plans and measures; kept by casework.activity (NULL only between a bulk insert and its refresh)', null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='enrolment',
            index=models.Index(condition=models.Q(('end_date__isnull', True)), fields=['org_unit', 'last_activity', 'id'], name='open_unit_last_activity'),
        ),
        migrations.AddIndex(
            model_name='enrolment',
            index=models.Index(condition=models.Q(('end_date__isnull', True)), fields=['referring_unit', 'last_activity', 'id'], name='open_referrer_last_activity'),
        ),
    ]
