"""The citizen web chat: the page at ``/``, a frameable variant at ``/embed`` and their static files.

Everything the page needs is served from here (no CDN). The pages carry a strict
Content-Security-Policy: scripts and styles only from this origin, no inline code, network calls
only to this origin. ``/`` may not be framed; ``/embed`` is meant for an iframe on other sites
(``embed.js`` adds a button that opens it), so its ``frame-ancestors`` is configurable.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent.parent
STATIC_DIR = HERE / "static" / "chat"
STATIC_PATH = "/static/chat"
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
TITLE = "Bürgerservice-Bot Jena"

#: Who may show ``/embed`` in a frame: ``*`` = any http(s) site; a deployment can name its sites,
#: e.g. ``make_router(embed_frame_ancestors="https://www.jena.de https://rathaus.jena.de")``.
EMBED_FRAME_ANCESTORS = "*"


def content_security_policy(frame_ancestors: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def _versions() -> dict[str, str]:
    """Short content hashes for the asset URLs, so a new release is not hidden by a browser cache."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:10] for p in STATIC_DIR.iterdir() if p.is_file()}


def make_router(*, embed_frame_ancestors: str = EMBED_FRAME_ANCESTORS) -> APIRouter:
    """``/`` and ``/embed``; the static files are mounted by the app (``routes.MOUNTS``)."""
    router = APIRouter(include_in_schema=False)
    versions = _versions()
    page_csp = content_security_policy("'none'")
    embed_csp = content_security_policy(embed_frame_ancestors)

    def page(request: Request, embed: bool) -> HTMLResponse:
        response = TEMPLATES.TemplateResponse(
            request,
            "chat/index.html",
            {"title": TITLE, "embed": embed, "v": versions, "phone": request.app.state.gateway.city_phone},
        )
        response.headers["Content-Security-Policy"] = embed_csp if embed else page_csp
        response.headers["Cache-Control"] = "no-cache"
        return response

    @router.get("/", response_class=HTMLResponse)
    def chat_page(request: Request) -> HTMLResponse:
        return page(request, embed=False)

    @router.get("/embed", response_class=HTMLResponse)
    def chat_embed(request: Request) -> HTMLResponse:
        return page(request, embed=True)

    return router


router = make_router()


def static_files() -> StaticFiles:
    return StaticFiles(directory=str(STATIC_DIR))
