"""Code lists and profile settings: target groups, entry routes, measures, exit reasons, ... as data."""
