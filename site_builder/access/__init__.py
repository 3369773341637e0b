"""Who may edit: invites, accounts and browser sessions, kept beside the API tokens in
SQLite outside `content/` (see `userstate.tokens_file`); only hashes of secrets are stored."""
