"""`jamdat serve`: the dev server (preview builds, static HTTP, live reload)."""
