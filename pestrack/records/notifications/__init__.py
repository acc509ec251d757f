"""Reminders to participants (meetings, plan reviews) by e-mail and SMS, what was sent, and each
participant's choice of channels; sent by ``pestrack notify run`` (docs/notifications.md)."""
