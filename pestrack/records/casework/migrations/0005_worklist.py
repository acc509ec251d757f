"""The work list (issue 15): a plan's review date, a measure's planned end, and the partial indexes
of the work list's queries (records.casework.due)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0004_corrections'),
    ]

    operations = [
        migrations.AddField(
            model_name='participation',
            name='planned_end_date',
            field=models.DateField(blank=True, help_text='When the measure is planned to end', null=True),
        ),
        migrations.AddField(
            model_name='plan',
            name='review_date',
            field=models.DateField(blank=True, help_text='When the plan is to be reviewed (the work list)', null=True),
        ),
        migrations.AddIndex(
            model_name='enrolment',
            index=models.Index(condition=models.Q(('end_date__isnull', True)), fields=['caseworker', 'last_activity'], name='open_caseworker_last_activity'),
        ),
        migrations.AddIndex(
            model_name='enrolment',
            index=models.Index(condition=models.Q(('end_date__isnull', False)), fields=['caseworker', 'end_date'], name='ended_caseworker_end_date'),
        ),
        migrations.AddIndex(
            model_name='participation',
            index=models.Index(condition=models.Q(('end_date__isnull', True), ('planned_end_date__isnull', False)), fields=['enrolment', 'planned_end_date'], name='participation_planned_end'),
        ),
        migrations.AddIndex(
            model_name='plan',
            index=models.Index(condition=models.Q(('review_date__isnull', False)), fields=['enrolment', 'review_date'], name='plan_review_due'),
        ),
    ]
