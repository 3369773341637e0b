"""Who may edit: invites, accounts and browser sessions, kept beside the API tokens in
SQLite outside `content/` (see `tokens.tokens_file`); only hashes of secrets are stored."""
