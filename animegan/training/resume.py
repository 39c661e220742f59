"""The rules of ``--resume``: which saved run it continues, and what may differ from it.

A resumed run is the saved RUN_DIR/config.json with the options given on the command line compared to
it, field by field (``given``: config field -> value; ``RunConfig`` subclasses name their fields):

- ``RESUMABLE`` fields (the run's length, where its files are) take the new value;
- ``TUNABLE`` fields (learning rates, gradient clipping: the NaN and loss-explosion advice) take it too,
  and each change is kept in the config's ``changes`` with the first epoch trained with it;
- any other difference is refused in one line naming every one, since it would make another model.
"""

from __future__ import annotations

from pathlib import Path

from animegan.errors import AnimeGANError
from animegan.training.run_config import SettingChange


def run_kind(saved: dict) -> str | None:
    """What a saved config.json holds: an AnimeGAN run's architecture, else its family."""
    if saved.get("family") == "animegan":
        return (saved.get("config") or {}).get("arch")
    return saved.get("family")


def saved_settings(run_dir: str | Path, kind: str) -> dict:
    """RUN_DIR/config.json, which must hold a ``kind`` run (see ``run_kind``)."""
    from animegan.training.fit import load_run_config

    saved = load_run_config(Path(run_dir))
    found = run_kind(saved)
    if found != kind:
        raise AnimeGANError(f"{run_dir} holds a {found} run, not {kind}")
    return saved


def saved_config(run_dir: str | Path, kind: str, config_cls):
    """The ``config_cls`` of the ``kind`` run saved in ``run_dir``."""
    return config_cls.from_dict(saved_settings(run_dir, kind)["config"])


def resume_epoch(run_dir: str | Path) -> int:
    """The epochs of the checkpoint a resume continues from (the newest intact one)."""
    from animegan.training.checkpoints import CheckpointManager

    return CheckpointManager(run_dir).newest_intact()[0].epoch


def setting_changes(run_dir: str | Path, before: dict, after: dict) -> tuple[SettingChange, ...]:
    """A ``SettingChange`` for each name whose value differs, effective at the epoch after the checkpoint."""
    changed = [name for name in after if after[name] != before.get(name)]
    if not changed:
        return ()
    epoch = resume_epoch(run_dir) + 1
    return tuple(SettingChange(epoch, name, float(before[name]), float(after[name])) for name in changed)


def resumed_config(config, given: dict, run_dir: str | Path, report=None):
    """``config`` with the allowed values of ``given`` applied; a one-line error for any other difference.

    ``report`` gets one line per setting changed (see ``change_lines``).
    """
    cls = type(config)
    conflicts = [
        f"{config.label_of(name)}={value!r} (the run has {config.value_of(name)!r})"
        for name, value in given.items()
        if name not in cls.RESUMABLE and name not in cls.TUNABLE and value != config.value_of(name)
    ]
    if conflicts:
        raise AnimeGANError("--resume continues the saved run, which differs in " + "; ".join(conflicts))
    tuned = {name: value for name, value in given.items() if name in cls.TUNABLE}
    changes = setting_changes(run_dir, {name: config.value_of(name) for name in tuned}, tuned)
    moved = {name: value for name, value in given.items() if name in cls.RESUMABLE}
    for line in change_lines(changes) if report else ():
        report(f"animegan: --resume changes {line}")
    return config.with_values(**moved, **tuned, changes=config.changes + changes)


def change_lines(changes: tuple[SettingChange, ...]) -> list[str]:
    """One line per change, for the run's start-up report."""
    return [f"from epoch {c.epoch}: {c.name} {c.before:g} -> {c.after:g}" for c in changes]
