"""`run` and `chat` with `--server URL` (or $EDIT_EVERYTHING_SERVER): the session lives on an
`edit-everything serve`; the CLI draws the same replies (server/client.py)."""
from __future__ import annotations

import os

from server.client import SERVER_ENV
from tools.errors import BadInputError
from tools.images import load_image
from tools.unicode import clean_text


def server_of(args) -> str | None:
    """The server the command should use: --server, else $EDIT_EVERYTHING_SERVER, else None (embedded)."""
    return getattr(args, "server", None) or os.environ.get(SERVER_ENV) or None


def open_remote_session(args, url: str, *, interactive: bool):
    """A new server-side session over `args.image` or drawn from `--new WORDS`, or `--session ID`
    continued on the server."""
    from server.client import HttpSession

    if args.session:
        return HttpSession(url, args.session)
    if getattr(args, "new", None) is not None:
        return HttpSession.from_words(url, clean_text(args.new), steps=args.steps, guidance=args.guidance,
                                      seed=args.seed, interactive=interactive)
    if args.image is None:
        raise BadInputError("Give the photo to edit, or --session ID to continue a session on the server.",
                            zh="请给出要编辑的照片，或者用 --session ID 继续服务器上的会话。")
    return HttpSession.create(url, load_image(args.image), steps=args.steps, guidance=args.guidance, seed=args.seed,
                              language=getattr(args, "ui_language", "zh"), interactive=interactive)
