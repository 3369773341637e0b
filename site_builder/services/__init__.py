"""Edit services: the one way the API and the CLI change an archive.

Operations (`events.py`, `projects.py`) check an edit against the current archive and
return the changed records; `writer.py` applies them in order for the API, saves each
batch as one transaction, appends the audit trail and tells whoever rebuilds the site;
`scaffold.py` runs the same operations for `jamdat init` and `jamdat new`.
"""
