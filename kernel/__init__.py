"""The ground floor: what every app of the portal stands on, standing on none of them.

It imports no app of the portal (import-linter checks it); today it holds the calendar.
"""
