"""The ops console at ``/console``: server-rendered pages (Jinja2, a little plain JavaScript,
no build step, nothing loaded from the internet) over the same use cases as the API.

Signed in with an API key kept in an HTTP-only, same-site cookie; every page and action
checks the key's scopes exactly as the API does (``api.auth.check_scope``).
"""
