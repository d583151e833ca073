"""Keep the libraries' own output out of ours while models load (their progress bars, printed configs)."""
from __future__ import annotations

import contextlib
import io


def quiet_libraries() -> None:
    """No download/loading progress bars from transformers and diffusers in our output."""
    import diffusers
    import transformers

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    diffusers.utils.logging.disable_progress_bar()
    diffusers.utils.logging.set_verbosity_error()


@contextlib.contextmanager
def quiet_stdout():
    """Silence libraries that `print` while loading (cn_clip prints model configs)."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield
