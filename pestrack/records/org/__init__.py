"""Organisation units (a tree) and staff roles scoped to units."""
