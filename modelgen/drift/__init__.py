"""The drift engine: the app's models vs production, findings, ignore rules and reports."""
