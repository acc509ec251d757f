"""What a caseworker records: enrolments, assessments, plans, participations, exits, follow-ups."""
