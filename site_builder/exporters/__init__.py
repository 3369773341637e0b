"""`jamdat export`: the archive as Dribdat data packages, a zip, a SQLite database or CSV."""
