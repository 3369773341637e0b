"""Optional HTML minification (`minify_html: true` in site.yaml), with minify-html.

Only whitespace, comments and redundant quotes go: closing tags and the `<html>` and
`<head>` tags stay, scripts and styles are left as written (they are files of their own
and the CSP allows no inline code), and `<pre>` keeps its whitespace.
"""

from __future__ import annotations


def minify(html: str) -> str:
    """A smaller page that parses to the same document."""
    import minify_html  # here: most sites do not minify (7 ms of every build's start)

    return minify_html.minify(
        html,
        keep_closing_tags=True,
        keep_html_and_head_opening_tags=True,
    )
