"""Old Dribdat links keep working: `/event/<id>` and `/project/<id>` of every server the
content came from (its `legacy_url`s and their `legacy_aliases`) lead to the new pages.

Two outputs, for two kinds of host: a Netlify `_redirects` file (301s, per origin host and,
where no two servers share the path, for any host pointed at the site), and small HTML
pages at `event/<id>/` and `project/<id>/` (meta refresh, canonical link and a link, in
the site's style) for hosts that cannot redirect. When two servers used the same path,
that page lists both instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from ..model import Site
from . import pages, urls
from .i18n import _
from .index import SiteIndex
from .outputs import Output, RenderContext
from .urls import Urls

PATH = "_redirects"
"""Where the rules go in the built site (Netlify's name; `jamdat serve` follows them too)."""

_OLD_PATH = re.compile(r"^((?:/[^/]+)*)/(project|event)/(\d+)$")


@dataclass(frozen=True, slots=True, order=True)
class Redirect:
    """One old address and the page that replaces it."""

    host: str
    """The old server, `host[:port]`."""
    path: str
    """Its path there: `/project/12` (or `/prefix/project/12` on a server in a folder)."""
    target: str
    """The new page, a site path like `glamhack-2023/map-app/`."""
    title: str


def _old(url: str) -> tuple[str, str] | None:
    """(host, path) of a Dribdat event or project URL, else None."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    if parts.scheme not in ("http", "https") or not parts.netloc or not _OLD_PATH.match(path):
        return None
    return parts.netloc.lower(), path


def _olds(legacy_url: str, aliases: str) -> list[tuple[str, str]]:
    """(host, path) of a record's old Dribdat address and of its mirrors' addresses."""
    return [old for url in (legacy_url, *aliases.split()) if (old := _old(url))]


def collect(site: Site, index: SiteIndex) -> list[Redirect]:
    """Every old address with a page to go to; hidden projects lead to their event."""
    found: list[Redirect] = []
    for e in index.events:
        for old in _olds(e.legacy_url, e.legacy_aliases):
            found.append(Redirect(*old, urls.event_dir(e.slug), e.name))
    for p in site.projects.values():
        if p.event not in site.events:
            continue
        for old in _olds(p.legacy_url, p.legacy_aliases):
            if index.visible(p.event, p.slug):
                found.append(Redirect(*old, urls.project_dir(p.event, p.slug), p.name))
            else:
                event = site.events[p.event]
                found.append(Redirect(*old, urls.event_dir(p.event), event.name))
    return sorted(set(found))


def _by_path(redirects: list[Redirect]) -> dict[str, list[Redirect]]:
    out: dict[str, list[Redirect]] = {}
    for r in redirects:
        out.setdefault(r.path, []).append(r)
    return out


def netlify(u: Urls, redirects: list[Redirect]) -> str:
    """Netlify `_redirects`: forced 301s (they win over the stub pages), sub-pages too."""
    lines = ["# Old Dribdat addresses -> pages of this archive (made by jamdat build)"]
    for path, group in sorted(_by_path(redirects).items()):
        targets = {r.target for r in group}
        for r in group:
            lines.append(f"https://{r.host}{path} {u.link(r.target)} 301!")
            lines.append(f"https://{r.host}{path}/* {u.link(r.target)} 301!")
        if len(targets) == 1:
            target = u.link(group[0].target)
            lines.append(f"{path} {target} 301!")
            lines.append(f"{path}/* {target} 301!")
    return "\n".join(lines) + "\n"


def stub(ctx: RenderContext, path: str, group: list[Redirect]) -> str:
    """A page in the site's style that sends visitors on: refresh, canonical and a link;
    a list when the old path meant different pages on different servers."""
    u = Urls.of(ctx.site.config)
    targets = [
        {"url": u.link(t), "canonical": u.absolute(t), "title": title, "host": host}
        for t, title, host in sorted({(r.target, r.title, r.host) for r in group})
    ]
    if len({t["url"] for t in targets}) == 1:
        targets = targets[:1]
    title = targets[0]["title"] if len(targets) == 1 else _("This page has moved")
    return pages.render_page(ctx, "redirect.html", path, title=title, targets=targets)


def _netlify_output(ctx: RenderContext, redirects: list[Redirect]) -> str:
    return netlify(Urls.of(ctx.site.config), redirects)


def plan(site: Site, index: SiteIndex, out: list[Output]) -> None:
    """Add `_redirects` and the stub pages of every top-level old path (`/event/<id>`,
    `/project/<id>`: both names are reserved, so no event page is in the way)."""
    redirects = collect(site, index)
    if not redirects:
        return
    out.append(Output(PATH, partial(_netlify_output, redirects=redirects)))
    for path, group in sorted(_by_path(redirects).items()):
        if path.count("/") != 2:
            continue  # a server in a folder: only the host-qualified redirects apply
        page = urls.page_file(path.lstrip("/") + "/")
        out.append(Output(page, partial(stub, path=page, group=group)))


# ---------------------------------------------------------------- reading rules back


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of a `_redirects` file: from, to, status (`!` forces it over a file)."""

    source: str
    target: str
    status: int = 301
    force: bool = False


def parse(text: str) -> list[Rule]:
    """The rules of a `_redirects` file; comments, blank and malformed lines are skipped."""
    rules: list[Rule] = []
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) < 2:
            continue
        status, force = 301, False
        if len(parts) > 2:
            code = parts[2]
            force = code.endswith("!")
            if not code.rstrip("!").isdigit():
                continue
            status = int(code.rstrip("!"))
        rules.append(Rule(parts[0], parts[1], status, force))
    return rules


def match(rules: list[Rule], path: str) -> Rule | None:
    """The first path rule (host-qualified ones are for other hosts) that matches `path`,
    with `:splat` filled in; a trailing slash makes no difference."""
    wanted = path.rstrip("/") or "/"
    for rule in rules:
        if not rule.source.startswith("/"):
            continue
        source = rule.source.rstrip("/") or "/"
        if source.endswith("/*"):
            prefix = source[:-1]
            if path.startswith(prefix) or wanted + "/" == prefix:
                splat = path[len(prefix) :] if path.startswith(prefix) else ""
                target = rule.target.replace(":splat", splat)
                return Rule(rule.source, target, rule.status, rule.force)
        elif source == wanted:
            return rule
    return None
