"""Helpers shared by the learners' command lines: usage errors, devices, run directories,
progress bars and the wrapper that turns errors and Ctrl-C into one line and an exit code.

Nothing here imports torch or tqdm at module level, so a CLI can build its help text without them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "UnsafeModelFileError",
    "UsageError",
    "resolve_device",
    "prepare_run_dir",
    "progress",
    "Progress",
    "run_cli",
]


class UnsafeModelFileError(ValueError):
    """A file offered as a model needs full unpickling (which can run any code) to load.

    Every learner's model loader raises it (HAPPO's ``best.pt``, PPO's weights and normaliser,
    RLlib's checkpoints) unless the caller passes ``trusted=True`` for a file they made.
    """


class UsageError(Exception):
    """A mistake on the command line (or in a config): :func:`run_cli` prints its message as
    one line and exits with status 2, without a traceback."""


def resolve_device(name: str) -> str:
    """The torch device for ``name``: ``"auto"`` (CUDA when available, else CPU), ``"cpu"``,
    ``"cuda"`` or ``"cuda:N"``.

    Raises:
        UsageError: ``name`` is another word, or asks for CUDA on a machine without it.
    """
    if name == "cpu":
        return "cpu"
    if name != "auto" and name != "cuda" and not (name.startswith("cuda:") and name[5:].isdigit()):
        raise UsageError(f"--device must be 'auto', 'cpu' or 'cuda' (or 'cuda:N'); got {name!r}")
    import torch

    available = torch.cuda.is_available()
    if name == "auto":
        return "cuda" if available else "cpu"
    if not available:
        raise UsageError(f"--device {name}: CUDA is not available on this machine (use --device cpu or auto)")
    return name


def prepare_run_dir(out: str | Path | None, *, default_name: str, overwrite: bool) -> Path:
    """The run directory: ``out``, or ``runs/{default_name}`` when ``out`` is None; created.

    A directory that exists and is not empty belongs to another run: it is refused unless
    ``overwrite`` is true (then the new run's files replace the old ones of the same name;
    nothing is deleted).

    Raises:
        UsageError: the directory holds files and ``overwrite`` is false, or ``out`` is a file.
    """
    path = Path(out) if out is not None else Path("runs") / default_name
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path}: is a file, not a directory")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise UsageError(
            f"--out {path}: the directory holds another run; pass --overwrite to replace its files, "
            "--resume to continue it, or choose another --out"
        )
    path.mkdir(parents=True, exist_ok=True)
    return path


class Progress:
    """A progress bar over ``total`` units that never goes past ``total``.

    ``update(n)`` adds ``n`` units, clipped at ``total`` (a learner that counts whole rollouts
    may step past its budget; the bar still ends at exactly ``total``). ``set(n)`` moves to
    ``n``. Without a terminal on stderr (or without tqdm) the bar draws nothing, so piped logs
    stay clean. Use as a context manager or call :meth:`close`.
    """

    def __init__(
        self, total: int, desc: str = "", *, initial: int = 0, enabled: bool | None = None, **kw: Any
    ):
        self.total = int(total)
        self.n = min(int(initial), self.total)
        if enabled is None:
            enabled = sys.stderr.isatty()
        self._bar = None
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # tqdm comes with the `train` extra
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=self.total, initial=self.n, desc=desc, dynamic_ncols=True, **kw)

    @property
    def enabled(self) -> bool:
        """Whether a bar is drawn."""
        return self._bar is not None

    def update(self, n: int) -> None:
        """Advance by ``n`` units (clipped at ``total``)."""
        self.set(self.n + int(n))

    def set(self, n: int) -> None:
        """Move to ``n`` units done (clipped to ``[current, total]``)."""
        n = min(max(int(n), self.n), self.total)
        if self._bar is not None and n > self.n:
            self._bar.update(n - self.n)
        self.n = n

    def postfix(self, text: str) -> None:
        """Show ``text`` after the bar."""
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def progress(total: int, desc: str = "", *, initial: int = 0, enabled: bool | None = None) -> Progress:
    """A :class:`Progress` bar of ``total`` units (drawn only when stderr is a terminal, unless
    ``enabled`` says otherwise)."""
    return Progress(total, desc, initial=initial, enabled=enabled)


def run_cli(fn: Callable[[], int | None]) -> int:
    """Run ``fn`` and return its exit status (0 for None).

    :class:`UsageError` prints ``error: MESSAGE`` on stderr and returns 2. ``KeyboardInterrupt``
    prints one line and returns 130: its first argument when a learner raised it with one (e.g.
    ``"interrupted at 4,096 steps; resume with --resume runs/x"``), else ``"interrupted"``.
    """
    try:
        status = fn()
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print(str(e.args[0]) if e.args else "interrupted", file=sys.stderr)
        return 130
    return 0 if status is None else int(status)
