"""The hidden seed: secret per installation, so that nobody can tabulate the hidden cases.

``check()`` runs an exercise's cases for the public ``CHECK_SEED``; the grader
runs them for another seed. A seed written in nnlib's source would be public
too (a learner could build a lookup table of the hidden cases' answers), so by
default each installation draws its own with :mod:`secrets` the first time it
grades and keeps it, readable by its owner only (mode 0600), in
``$XDG_CONFIG_HOME/nnlib/hidden-seed`` (``~/.config/nnlib/hidden-seed``).
Instructors who grade on several machines pass the same ``--seed`` everywhere.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from nnlib.exercises import CHECK_SEED


def seed_file() -> Path:
    """Where this installation keeps its hidden seed."""
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(config) / "nnlib" / "hidden-seed"


def installation_seed() -> int:
    """This installation's secret hidden seed, drawn and saved (mode 0600) on first use.

    Raises RuntimeError with the path if the file exists but is not a seed, or is
    readable by others (someone else could have read it).
    """
    path = seed_file()
    for _ in range(2):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            _create(path)
            continue
        except OSError as err:
            raise RuntimeError(f"cannot read the hidden seed {path}: {err.strerror}; pass --seed") from None
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            text = f.read(64).decode("ascii", "replace").strip()
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077:
            mode = stat.S_IMODE(info.st_mode)
            raise RuntimeError(f"the hidden seed {path} is readable by other users (mode {mode:o}): "
                               "delete it to draw a new one, or pass --seed")
        if not text.isdigit() or int(text) == CHECK_SEED:
            raise RuntimeError(f"{path} does not hold a hidden seed (a number): delete it to draw a new one")
        return int(text)
    raise RuntimeError(f"cannot create the hidden seed {path}")


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    seed = CHECK_SEED
    while seed == CHECK_SEED:
        seed = secrets.randbelow(2**63 - 1) + 1
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # another grader drew one at the same moment: use that one
        return
    with os.fdopen(fd, "w") as f:
        f.write(f"{seed}\n")
