"""The participant portal (Deltagarportalen): the participant's own pages and API, behind a session
of its own (signed in with the identity provider or a one-time link), apart from the staff side."""
