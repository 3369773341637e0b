"""Edit services: the one way the API (and scripts) change an archive.

Operations (`events.py`, `projects.py`) check an edit against the current archive and
return the changed records; `writer.py` applies them in order, saves through the store,
appends the audit trail and tells whoever rebuilds the site.
"""
