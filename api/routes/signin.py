"""/signin: getting back in without a password, with GitHub or GitLab (OAuth 2.0 with
PKCE) or with a single-use sign-in link from an organiser; new people sign up with OAuth
only through an invite.

Server-rendered pages that work without JavaScript. Every attempt is rate limited per
client address; problems (a wrong, replayed or expired state, a provider refusing) get a
page saying what happened and what to do. Sessions open through `api.signin.sign_in`.
"""

from __future__ import annotations

import math
import secrets
import time
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import Parameter, PathParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_201_CREATED, HTTP_429_TOO_MANY_REQUESTS

from site_builder.access.db import now_utc
from site_builder.access.join import Profile, join
from site_builder.access.links import REFUSED
from site_builder.access.oauth import Identity, OAuthError, Provider, fetch_identity
from site_builder.services.editor import Editor
from site_builder.services.errors import Conflict, EditError, Invalid

from ..auth import current_editor, require_organiser
from ..context import Ctx
from ..docs import CREATE, EDITORS
from ..errors import edit_error
from ..signin import secure, sign_in
from .join import NO_STORE, _templates

FLOW_COOKIE = "jamdat_oauth"
"""Binds a sign-in on its way to the provider (then a pending sign-up) to this browser."""
ProviderName = Annotated[
    str, PathParameter(pattern=r"^[a-z]{1,20}$", description="github or gitlab")
]
LinkCode = Annotated[str, PathParameter(min_length=1, max_length=100, description="Link code.")]
Query = Annotated[str | None, Parameter(max_length=500)]


def _page(
    status: int, title: str, cookies: list[Cookie] | None = None, **values: Any
) -> Response[str]:
    values.setdefault("form", {"username": "", "fullname": ""})
    values.setdefault("errors", {})
    html = _templates.get_template("signin.html").render(title=title, **values)
    return Response(
        html, status_code=status, media_type=MediaType.HTML, headers=NO_STORE, cookies=cookies
    )


def safe_next(value: str | None) -> str:
    """A same-origin path to go to after signing in, or "" (open redirects refused)."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith("//"):
        return ""
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return ""
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else ""


def _flow_cookie(request: Request[Any, Any, Any], value: str, max_age: int) -> Cookie:
    return Cookie(
        key=FLOW_COOKIE,
        value=value,
        max_age=max_age,
        path="/signin",
        httponly=True,
        samesite="lax",
        secure=secure(request),
    )


def _limited(ctx: Ctx, request: Request[Any, Any, Any]) -> Response[str] | None:
    """A 429 page past the sign-in limit of the client's address."""
    client = request.client.host if request.client else "-"
    wait = ctx.signin_limit.take(client, time.monotonic())
    if not wait:
        return None
    seconds = str(math.ceil(wait))
    page = _page(
        HTTP_429_TOO_MANY_REQUESTS,
        "Slow down",
        message=f"Too many sign-in attempts: wait {seconds} s.",
    )
    page.headers["Retry-After"] = seconds
    return page


def _provider(ctx: Ctx, name: str) -> Provider | None:
    return ctx.settings.oauth.get(name)


def _api_base(ctx: Ctx, request: Request[Any, Any, Any]) -> str:
    return (ctx.site().config.api_url or str(request.base_url)).rstrip("/")


def _welcome(
    ctx: Ctx, request: Request[Any, Any, Any], editor: Editor, next_path: str, status: int = 200
) -> Response[Any]:
    """Open the session; then go on to `next`, or say who is signed in."""
    cookie, _, _ = sign_in(request, editor)
    done = [cookie, _flow_cookie(request, "", 0)]
    if next_path:
        return Redirect(next_path, status_code=303, cookies=done, headers=NO_STORE)
    return _page(
        status,
        "Signed in",
        cookies=done,
        done=True,
        username=editor.user,
        role=editor.role,
        site_url=ctx.site().config.site_url,
    )


async def _sign_up(
    ctx: Ctx,
    request: Request[Any, Any, Any],
    identity: Identity,
    invite: str,
    profile: Profile,
    next_path: str,
    token: str | None,
) -> Response[Any]:
    """Join with the invite as `profile` and link the identity; the username form again
    (the sign-up held server-side) when the name is taken or not valid."""
    try:
        editor = await join(ctx.invites, ctx.site(), ctx.apply, invite, profile)
    except (Invalid, Conflict) as exc:
        errors = (
            {p.field: p.message for p in exc.problems if p.field}
            if isinstance(exc, Invalid)
            else {"username": str(exc)}
        )
        token = token or ctx.oauth.hold(identity, invite, next_path)
        return _page(
            409 if isinstance(exc, Conflict) else 422,
            "Choose your username",
            cookies=[_flow_cookie(request, token, 900)],
            finish=True,
            message="Please choose how you appear on the site.",
            errors=errors,
            form={"username": profile.username, "fullname": profile.fullname},
        )
    except EditError as exc:
        status = edit_error(request, exc).status_code or 400
        return _page(status, "Cannot join", message=str(exc))
    ctx.oauth.link(identity, editor.user)
    if token:
        ctx.oauth.drop(token)
    return _welcome(ctx, request, editor, next_path, HTTP_201_CREATED)


class SigninController(Controller):
    path = "/signin"
    include_in_schema = False
    opt = {"csrf": False}  # noqa: RUF012 - these routes authenticate nobody yet

    @get("/", sync_to_thread=False)
    def choose(self, ctx: Ctx, next: Query = None) -> Response[str]:
        """The ways to sign in that this site offers."""
        providers = [(p.name, p.label) for p in ctx.settings.oauth.values()]
        return _page(200, "Sign in", providers=providers, next=safe_next(next))

    @get("/{provider:str}", sync_to_thread=False)
    def start(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        provider: ProviderName,
        invite: Query = None,
        next: Query = None,
    ) -> Response[Any]:
        """Off to the provider, with a fresh state and PKCE challenge."""
        limited = _limited(ctx, request)
        if limited:
            return limited
        app = _provider(ctx, provider)
        if app is None:
            return _page(
                404, "Sign in", message=f"This site does not offer sign-in with {provider!r}."
            )
        if invite:
            found = ctx.invites.find(invite)
            status = found.status(now_utc()) if found else "not valid"
            if status != "open":
                return _page(
                    410,
                    "Cannot join",
                    message=f"This invite link is {status}: ask an organiser for a new one.",
                )
        state, browser, verifier = ctx.oauth.begin(app.name, invite or None, safe_next(next))
        redirect_uri = f"{_api_base(ctx, request)}/signin/{app.name}/callback"
        return Redirect(
            app.authorize(redirect_uri, state, verifier),
            status_code=302,
            cookies=[_flow_cookie(request, browser, 600)],
            headers={**NO_STORE, "Referrer-Policy": "no-referrer"},
        )

    @get("/{provider:str}/callback")
    async def callback(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        provider: ProviderName,
    ) -> Response[Any]:
        """Back from the provider: check the state, read the profile, then sign in
        (a linked identity) or sign up (through the invite the sign-in started from)."""
        query = request.query_params  # `state` is a name Litestar keeps for itself
        code, state, error = (str(query.get(k) or "")[:500] for k in ("code", "state", "error"))
        limited = _limited(ctx, request)
        if limited:
            return limited
        app = _provider(ctx, provider)
        if app is None:
            return _page(
                404, "Sign in", message=f"This site does not offer sign-in with {provider!r}."
            )
        try:
            started = ctx.oauth.take(app.name, state or "", request.cookies.get(FLOW_COOKIE, ""))
        except OAuthError as exc:
            return _page(400, "Sign-in failed", message=f"{exc}.")
        if error or not code:
            reason = (error or "no code")[:60]
            return _page(
                400, "Sign-in failed", message=f"{app.label} did not sign you in ({reason})."
            )
        redirect_uri = f"{_api_base(ctx, request)}/signin/{app.name}/callback"
        try:
            identity = await fetch_identity(app, code, started.verifier, redirect_uri)
        except OAuthError as exc:
            return _page(502, "Sign-in failed", message=f"{exc}.")
        editor = ctx.oauth.linked(identity)
        if editor is not None:
            return _welcome(ctx, request, editor, started.next)
        if started.invite is None:
            return _page(
                403,
                "Not signed in",
                message=(
                    f"No account here is linked to the {app.label} account {identity.login!r}. "
                    f"New? Open your invite link and choose “Join with {app.label}”. Joined "
                    "another way? Ask an organiser for a sign-in link."
                ),
            )
        profile = Profile(
            identity.login, identity.fullname, identity.webpage_url, identity.avatar_url
        )
        return await _sign_up(ctx, request, identity, started.invite, profile, started.next, None)

    @get("/{provider:str}/finish", sync_to_thread=False)
    def finish_form(
        self, ctx: Ctx, request: Request[Any, Any, Any], provider: ProviderName
    ) -> Response[str]:
        """The username form of a sign-up held for this browser."""
        pending = ctx.oauth.pending(provider, request.cookies.get(FLOW_COOKIE, ""))
        if pending is None:
            return _page(400, "Sign-in failed", message=_EXPIRED)
        i = pending.identity
        return _page(
            200,
            "Choose your username",
            finish=True,
            form={"username": i.login, "fullname": i.fullname},
        )

    @post("/{provider:str}/finish")
    async def finish(
        self, ctx: Ctx, request: Request[Any, Any, Any], provider: ProviderName
    ) -> Response[Any]:
        """Join with the chosen username; the rest of the profile is the provider's."""
        limited = _limited(ctx, request)
        if limited:
            return limited
        token = request.cookies.get(FLOW_COOKIE, "")
        pending = ctx.oauth.pending(provider, token)
        if pending is None:
            return _page(400, "Sign-in failed", message=_EXPIRED)
        form = await request.form()
        username, fullname = (form.get(f) for f in ("username", "fullname"))
        i = pending.identity
        editor = ctx.oauth.linked(i)
        if editor is not None:
            ctx.oauth.drop(token)
            return _welcome(ctx, request, editor, pending.next)
        profile = Profile(
            username if isinstance(username, str) else "",
            fullname if isinstance(fullname, str) else "",
            i.webpage_url,
            i.avatar_url,
        )
        return await _sign_up(ctx, request, i, pending.invite, profile, pending.next, token)

    @get("/link/{code:str}", sync_to_thread=False)
    def link_form(self, ctx: Ctx, request: Request[Any, Any, Any], code: LinkCode) -> Response[str]:
        """A button that spends the link: opening it (a chat preview, a mail scanner)
        does not."""
        limited = _limited(ctx, request)
        if limited:
            return limited
        unusable = _unusable_link(ctx, code)
        if unusable:
            return unusable
        link = ctx.links.find(code)
        assert link is not None
        nonce = secrets.token_urlsafe(16)
        return _page(
            200,
            "Sign in",
            cookies=[_flow_cookie(request, nonce, 600)],
            link_user=link.user,
            nonce=nonce,
        )

    @post("/link/{code:str}")
    async def use_link(
        self, ctx: Ctx, request: Request[Any, Any, Any], code: LinkCode
    ) -> Response[Any]:
        """Spend the link and open a session. The form must come from the link's own
        page in this browser (its cookie is SameSite): another site cannot sign a
        visitor in as someone else."""
        limited = _limited(ctx, request)
        if limited:
            return limited
        unusable = _unusable_link(ctx, code)
        if unusable:
            return unusable
        nonce = (await request.form()).get("nonce")
        cookie = request.cookies.get(FLOW_COOKIE, "")
        if not cookie or not isinstance(nonce, str) or not secrets.compare_digest(cookie, nonce):
            return _page(
                400, "Sign in", message="Open the sign-in link itself, then press “Sign in”."
            )
        try:
            editor = ctx.links.redeem(code)
        except EditError as exc:
            status = edit_error(request, exc).status_code or 400
            return _page(status, "Sign in", message=_sentence(str(exc)))
        return _welcome(ctx, request, editor, "")


def _sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}."


def _unusable_link(ctx: Ctx, code: str) -> Response[str] | None:
    """The page saying why a sign-in link cannot be used, if it cannot."""
    link = ctx.links.find(code)
    if link is None:
        return _page(
            404,
            "Sign in",
            message="This sign-in link is not valid: ask an organiser for a new one.",
        )
    status = link.status(now_utc())
    if status != "open":
        return _page(410, "Sign in", message=_sentence(REFUSED[status]))
    return None


_EXPIRED = (
    "This sign-up has expired or was started in another browser: open your invite link again."
)


class SigninLinkController(Controller):
    """Organisers issue sign-in links for people who already joined."""

    path = "/api/v1/people"
    tags = ("people",)
    guards = [require_organiser]  # noqa: RUF012

    @post(
        "/{user:str}/signin-link",
        sync_to_thread=False,
        status_code=HTTP_201_CREATED,
        security=EDITORS,
        responses=CREATE,
    )
    def issue(
        self,
        ctx: Ctx,
        request: Request[Any, Any, Any],
        user: Annotated[str, PathParameter(min_length=1, max_length=80)],
        minutes: Annotated[int, Parameter(ge=1, le=10_080, description="How long it works.")] = 30,
    ) -> Response[dict[str, object]]:
        """A single-use sign-in link for `user`'s account, shown only now."""
        code, link = ctx.links.issue(current_editor(request), user, timedelta(minutes=minutes))
        body: dict[str, object] = {
            "id": link.id,
            "user": link.user,
            "url": f"{_api_base(ctx, request)}/signin/link/{code}",
            "expires_at": link.expires_at.isoformat(),
        }
        return Response(body, status_code=HTTP_201_CREATED, headers=NO_STORE)
