"""Thin route handlers: parse, authorize, call a service, answer."""
