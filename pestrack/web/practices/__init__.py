"""The practice catalogue's pages: browse and filter it, a practice with the unit's self-assessment."""
