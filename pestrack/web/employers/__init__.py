"""Pages of the employer side: the employer register and contact log (employer-relations staff), a
place's candidates and proposing one (caseworkers, for the persons of their units)."""
