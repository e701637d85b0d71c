"""Resumable checkpoints: after each epoch, the model with its optimizer state, and beside it
everything else a resumed run needs to go on exactly as an uninterrupted one would.

``checkpoints/epoch-NNNN.keras`` is written first and ``epoch-NNNN.json`` (history, best value,
early-stopping count, random-generator states) after it, each atomically, so a checkpoint whose
JSON exists is complete. ``last.keras`` is a link to the newest. The previous checkpoint is kept
too: if the newest turns out damaged (a disk fault, a copy cut short), resuming falls back to it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import keras

from nnconf.engine.files import save_model
from nnconf.engine.runs import read_json, write_json

KEEP = 2


class NoCheckpoint(Exception):
    """No intact checkpoint is left to resume from."""


def seed_states(model: keras.Model) -> list[list[int]]:
    """The state of every random-number generator in the model (dropout's, noise's). Keras does not
    save these with the model, and a resumed run must draw the same random numbers."""
    return [variable.numpy().tolist() for variable in _seed_variables(model)]


def restore_seed_states(model: keras.Model, states: list[list[int]]) -> None:
    variables = _seed_variables(model)
    if len(variables) != len(states):
        raise NoCheckpoint("the checkpoint's random-generator states do not fit the model")
    for variable, state in zip(variables, states):
        variable.assign(state)


def _seed_variables(model: keras.Model) -> list:
    return [variable for variable in model.variables if variable.path.endswith("seed_generator_state")]


class CheckpointStore:
    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(exist_ok=True)

    def save(self, model: keras.Model, epoch: int, state: dict) -> None:
        stem = f"epoch-{epoch:04d}"
        save_model(model, self.directory / f"{stem}.keras")
        write_json(self.directory / f"{stem}.json", {**state, "epoch": epoch, "seed_states": seed_states(model)})
        self._link_last(self.directory / f"{stem}.keras")
        for old in self._sidecars()[KEEP:]:
            old.unlink(missing_ok=True)
            old.with_suffix(".keras").unlink(missing_ok=True)

    def latest(self, load: Callable[[Path], keras.Model], warn: Callable[[str], None]) -> tuple[keras.Model, dict]:
        """The newest checkpoint that loads whole, with its state; older ones stand in for damaged ones."""
        for sidecar in self._sidecars():
            try:
                state = read_json(sidecar)
                model = load(sidecar.with_suffix(".keras"))
                restore_seed_states(model, state["seed_states"])
                return model, state
            except Exception as problem:  # whatever a damaged file makes Keras raise, the answer is the same
                warn(f"checkpoint {sidecar.stem} is damaged or incomplete ({problem}); trying the one before")
        raise NoCheckpoint(f"no intact checkpoint in {self.directory}")

    def empty(self) -> bool:
        """Whether no checkpoint was ever completed here (the run was stopped before its first one)."""
        return not self._sidecars()

    def _sidecars(self) -> list[Path]:
        return sorted(self.directory.glob("epoch-*.json"), reverse=True)

    def _link_last(self, target: Path) -> None:
        temporary = self.directory / f".last.keras.{secrets.token_hex(8)}.tmp"  # no other writer's name
        os.link(target, temporary)
        os.replace(temporary, self.directory / "last.keras")
