"""The append-only, hash-chained access log (loggkontroll)."""
