"""Outreach contacts (counted without identifying anyone) and participants' survey answers."""
