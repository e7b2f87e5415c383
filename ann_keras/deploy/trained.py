"""A trained model found from what a user names: a run folder, or a `.keras` file (with its run beside it).

What `predict` and `export` need besides the weights comes from the run's
results.json: the class names in training's order, the kind of input the
model's family reads, and, for sequences, how training standardised and
padded them (data.sequences.prepare). A `.keras` file alone (no run around
it) still classifies images and digits, whose preparation is inside the
model; its classes are then named by number.

Neither file is trusted beyond what can be checked. A `.keras` file is a
zip archive: before Keras opens it, its directory is read and every
member's declared size (the bytes it inflates to), the total and each
member's compression ratio are held to caps, and the arrays its weights
file declares to the size of that file, so a small file cannot inflate to
gigabytes (Keras's own guards start at 4 GiB). Keras builds the model from
config.json, every variable at its full size, before it reads a weight; so
the model is first built once without values (`config_weights`) and its
variables held to what the weights file stores. results.json is checked
against the model it describes (`Trained.reads`): as many class names as
the model has outputs, the input its model family reads, and a scaling that
fits the model's steps and channels, before any of them sizes an array.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .. import results
from ..errors import AnnKerasError, shorten

FINAL_DIR, MODEL_FILE = "final", "model.keras"   # as search.runner writes them (runner imports TensorFlow)

# The largest model file loaded: a saved model here is tens of MB at most.
MAX_MODEL_BYTES = 2 << 30
# What a .keras archive may declare, checked before Keras opens it. Its JSON members (config.json, the
# architecture; metadata.json) are kilobytes to a few MB; Keras reads each whole and parses it.
MAX_JSON_MEMBER_BYTES = 16 << 20
MAX_INFLATED_BYTES = MAX_MODEL_BYTES    # all members together, inflated
MAX_RATIO = 100                         # inflated / stored, for a member over RATIO_FLOOR_BYTES (weights: ~1)
RATIO_FLOOR_BYTES = 1 << 20
MAX_DIRECTORY_BYTES = 1 << 20           # the zip's central directory: thousands of members, not millions
WEIGHTS_MEMBER = "model.weights.h5"
CONFIG_MEMBER = "config.json"
# Keras objects (layers, initialisers, policies: whatever names a class_name) in one config. ann-keras's largest
# model has about a hundred; each costs Keras kilobytes in memory where it costs the config a few hundred bytes.
MAX_CONFIG_OBJECTS = 10_000


class ModelError(AnnKerasError):
    """The model a command was given cannot be found or read."""


@dataclass(frozen=True)
class Trained:
    """A model file and what is known about how it was trained."""

    model_file: Path
    run_dir: Path | None              # the run folder holding results.json, when there is one
    result: results.RunResult | None

    def load_model(self):
        """Return the keras.Model, loaded in Keras's safe mode (no code from the file runs)."""
        import keras
        declared, stored = config_weights(self.model_file)   # which registers ann-keras's own objects first
        if declared > stored:
            raise ModelError(f"{self.model_file}: its {CONFIG_MEMBER} declares layers of {_size(declared)} of "
                             f"weights, more than its {WEIGHTS_MEMBER} holds ({_size(stored)}), which Keras would "
                             f"allocate before reading a weight; valid: a {MODEL_FILE} written by `ann-keras tune` "
                             "or `train`")
        try:
            return keras.saving.load_model(self.model_file, compile=False, safe_mode=True)
        except Exception as error:   # Keras raises many types for a broken or foreign file
            raise _unloadable(self.model_file, error) from None

    @property
    def scaling(self) -> dict | None:
        return self.result.dataset.get("scaling") if self.result is not None else None

    @property
    def class_names(self) -> tuple[str, ...] | None:
        return tuple(self.result.dataset["class_names"]) if self.result is not None else None

    @property
    def kind(self) -> str | None:
        """"images", "sequences" or "vectors", as the run's model family reads; None: read from the model's input."""
        if self.result is None:
            return None
        from ..models import FAMILIES
        return getattr(FAMILIES.get(self.result.spec.get("model")), "INPUT", None)

    def reads(self, model) -> tuple[str, tuple]:
        """Return the kind of input `model` reads and its shape, once results.json is found to describe `model`.

        ModelError, naming both files, when results.json is another model's:
        class names not one per output, a model family that reads another
        kind of input, a dataset.input_shape or a scaling (mean, std, steps)
        that does not fit the model's input.
        """
        from ..data import KINDS, sequences
        input_shape, output_shape = model.input_shape, model.output_shape
        if not (isinstance(input_shape, tuple) and isinstance(output_shape, tuple) and len(output_shape) == 2):
            raise ModelError(f"{self.model_file}: takes {shorten(str(input_shape))} and gives "
                             f"{shorten(str(output_shape))}; valid: one input and one vector of class scores")
        input_shape = tuple(input_shape[1:])
        by_rank = next((kind for kind, (rank, _) in KINDS.items() if rank == len(input_shape)), None)
        if self.kind is not None and self.kind != by_rank:
            raise ModelError(f"{self.run_dir / results.RESULTS_FILE}: its model family "
                             f"{self.result.spec.get('model')!r} reads {KINDS[self.kind][1]}, but {self.model_file} "
                             f"reads inputs of shape {shorten(str(input_shape))}; valid: the results.json of the run "
                             "that trained this model")
        kind = self.kind or by_rank
        if None in input_shape or kind is None:
            raise ModelError(f"{self.model_file}: its input {shorten(str(input_shape))} is none of the kinds "
                             f"ann-keras prepares; valid: {', '.join(f'{k} ({m})' for k, (_, m) in KINDS.items())}")
        if self.result is None:
            return kind, input_shape
        where = self.run_dir / results.RESULTS_FILE
        names = self.result.dataset["class_names"]
        if len(names) != output_shape[1]:
            raise ModelError(f"{where}: names {len(names)} classes, but {self.model_file} gives {output_shape[1]} "
                             "class scores; valid: the results.json of the run that trained this model")
        declared = self.result.dataset.get("input_shape")
        if declared is not None and tuple(declared) != input_shape:
            raise ModelError(f"{where}: dataset.input_shape is {shorten(str(tuple(declared)))}, but "
                             f"{self.model_file} reads {input_shape}; valid: the results.json of the run that "
                             "trained this model")
        if kind == "sequences":
            if self.scaling is None:
                raise ModelError(f"{where}: holds no dataset.scaling, but {self.model_file} reads sequences "
                                 f"{input_shape}, which are standardised as in training; valid: the results.json "
                                 "of the run that trained this model")
            problem = sequences.check_scaling(self.scaling, *input_shape)
            if problem:
                raise ModelError(f"{where}: dataset.scaling {problem}; valid: the scaling training wrote for "
                                 f"{self.model_file}")
        return kind, input_shape


def locate(target: Path) -> Trained:
    """Return the trained model `target` names: a run folder (its final model) or a `.keras` file."""
    target = Path(target)
    if target.is_dir():
        if not (target / results.RESULTS_FILE).is_file():
            raise ModelError(f"{target}: no results.json here; valid: a run folder (runs/EXPERIMENT/RUN) or a "
                             f"{MODEL_FILE} file")
        run_dir = target
        result = results.load(target)
        model_file = target / (result.final.get("model_file") or f"{FINAL_DIR}/{MODEL_FILE}")
        if not result.final or not model_file.resolve().is_relative_to(target.resolve()):
            raise ModelError(f"{target}: this run has no final model; valid: a run that finished "
                             "(`ann-keras tune` or `train` ran to the end)")
    elif target.is_file():
        if target.suffix != ".keras":
            raise ModelError(f"{target}: not a .keras file; valid: a run folder or a {MODEL_FILE} file")
        model_file, run_dir = target, _run_around(target)
        result = results.load(run_dir) if run_dir is not None else None
    else:
        raise ModelError(f"{target}: no such file or folder; valid: a run folder or a {MODEL_FILE} file")
    if not model_file.is_file():
        raise ModelError(f"{model_file}: the run's model file is missing; valid: a run folder with {FINAL_DIR}/"
                         f"{MODEL_FILE}")
    if model_file.stat().st_size > MAX_MODEL_BYTES:
        raise ModelError(f"{model_file}: {model_file.stat().st_size / 2**30:.1f} GiB, larger than any model "
                         f"ann-keras writes (at most {MAX_MODEL_BYTES >> 30} GiB read)")
    check_archive(model_file)
    return Trained(model_file, run_dir, result)


def check_archive(model_file: Path) -> None:
    """Raise ModelError unless the zip archive `model_file` declares sizes a model could have.

    A zip's central directory declares each member's inflated size, and
    Python's zipfile (which Keras reads with) never yields more than that
    from a member; so checking the declarations bounds what Keras can be
    made to hold. The directory itself is measured first, from the end
    record, since zipfile builds an object per member as it opens a file.
    A file that is not a zip archive at all is left to Keras, whose error
    says so.
    """
    def refuse(what: str) -> ModelError:
        return ModelError(f"{model_file}: {what}; a decompression bomb? valid: a {MODEL_FILE} written by "
                          "`ann-keras tune` or `train`")

    try:
        with open(model_file, "rb") as stream:
            size = stream.seek(0, 2)
            stream.seek(max(0, size - (22 + 65535)))   # the end record, after which a comment of up to 64 KiB
            tail = stream.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return
        members, directory = struct.unpack("<10xHI", tail[at:at + 16])
        if directory > MAX_DIRECTORY_BYTES or members == 0xFFFF:
            raise refuse(f"its zip directory declares {members:,} members in {_size(directory)}; at most "
                         f"{_size(MAX_DIRECTORY_BYTES)} of directory is read")
        with zipfile.ZipFile(model_file) as archive:
            infos = archive.infolist()
    except (OSError, zipfile.BadZipFile, struct.error, ValueError):
        return   # not a readable zip: Keras says so, in one line (Trained.load_model)
    total = 0
    for info in infos:
        cap = MAX_JSON_MEMBER_BYTES if info.filename.endswith(".json") else MAX_INFLATED_BYTES
        name = ascii(info.filename)[1:-1][:80]
        if info.file_size > cap:
            raise refuse(f"member {name} inflates to {_size(info.file_size)}; at most {_size(cap)} is read")
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise refuse(f"member {name} inflates {_size(info.compress_size)} to {_size(info.file_size)}, "
                         f"{info.file_size / max(info.compress_size, 1):,.0f} times; at most {MAX_RATIO} times")
        total += info.file_size
        if total > MAX_INFLATED_BYTES:
            raise refuse(f"its members inflate to more than {_size(MAX_INFLATED_BYTES)} together")
    weights = next((info for info in infos if info.filename == WEIGHTS_MEMBER), None)
    if weights is not None and _declared_weights(model_file, weights) > weights.file_size:
        raise refuse(f"member {WEIGHTS_MEMBER} declares arrays of more than its own {_size(weights.file_size)}, "
                     "where Keras stores every weight in full")


def register_own_objects() -> None:
    """Import what registers ann-keras's own layers, schedules and optimisers, so Keras can build a saved model."""
    from .. import models   # noqa: F401 -- the model families and their layers
    from ..models import conv_branch, front_end, gelu, normalization, whitening  # noqa: F401
    from ..training import optimizers  # noqa: F401 -- SGD and OneCycle


def config_weights(model_file: Path) -> tuple[int, int]:
    """Return the bytes of the variables `model_file`'s config declares, and the bytes its weights file holds.

    The model is built from config.json as Keras's load_model builds it (safe
    mode, no compile), but inside a StatelessScope that leaves every variable
    uninitialised: Keras then records each one's shape and dtype without
    allocating it. Those uninitialised variables are taken off Keras's list
    again, or the next scope to close would allocate them after all. ModelError
    where the config cannot be built or names too many objects to build.
    """
    import keras
    register_own_objects()
    try:
        with zipfile.ZipFile(model_file) as archive:
            config = json.loads(archive.read(CONFIG_MEMBER))   # its size is capped by check_archive
            names = set(archive.namelist())
            stored = archive.getinfo(WEIGHTS_MEMBER).file_size if WEIGHTS_MEMBER in names else 0
    except Exception as error:   # no zip, no config.json, not JSON: one line, as Keras's would be
        raise _unloadable(model_file, error) from None
    objects = _count_objects(config, MAX_CONFIG_OBJECTS)
    if objects > MAX_CONFIG_OBJECTS:
        raise ModelError(f"{model_file}: its {CONFIG_MEMBER} names more than {MAX_CONFIG_OBJECTS:,} Keras objects "
                         f"(layers, initialisers, ...), each built in memory; valid: a {MODEL_FILE} written by "
                         "`ann-keras tune` or `train`")
    if not isinstance(config, dict):
        raise _unloadable(model_file, ValueError(f"{CONFIG_MEMBER} holds no object"))
    config["compile_config"] = None   # as load_model(compile=False): no optimizer is built
    from keras.src.backend.common import global_state
    pending = list(global_state.get_global_attribute("uninitialized_variables", [], set_to_default=True))
    try:
        with keras.StatelessScope(initialize_variables=False):
            model = keras.saving.deserialize_keras_object(config, safe_mode=True)
        declared = sum(math.prod(variable.shape) * _itemsize(variable.dtype)
                       for variable in getattr(model, "variables", ()))
    except Exception as error:   # Keras raises many types for a broken or foreign config
        raise _unloadable(model_file, error) from None
    finally:
        global_state.set_global_attribute("uninitialized_variables", pending)
    return declared, stored


def _count_objects(config, limit: int) -> int:
    """Return how many dicts in `config` name a class_name, counting no further than just past `limit`."""
    count, stack = 0, [config]
    while stack and count <= limit:
        node = stack.pop()
        if isinstance(node, dict):
            count += "class_name" in node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def _itemsize(dtype) -> int:
    """Bytes per value of a Keras dtype name: "float32" 4, "bfloat16" 2, "float8_e4m3fn" 1, "bool" 1."""
    bits = re.search(r"\d+", str(dtype))
    return max(1, int(bits.group()) // 8) if bits else 1


def _unloadable(model_file: Path, error: Exception) -> ModelError:
    reason = " ".join(str(error).split())[:200] or type(error).__name__
    return ModelError(f"{model_file}: not a Keras model ann-keras can load ({reason}); valid: a {MODEL_FILE} "
                      "written by `ann-keras tune` or `train`")


def _declared_weights(model_file: Path, info: zipfile.ZipInfo) -> int:
    """Return the bytes the arrays in the weights member declare, counted until they pass its size (0: unreadable).

    An HDF5 dataset declares its shape apart from what it stores: a few
    compressed bytes, or none (a fill value), can declare gigabytes, which
    Keras reads in full before it compares the shape with the layer's (its
    own guard starts at 4 GiB). Keras writes every weight uncompressed, so
    a real weights file holds at least the bytes its arrays declare.
    """
    import h5py
    total = 0

    def count(name, node):
        nonlocal total
        if isinstance(node, h5py.Dataset):
            total += math.prod(node.shape or ()) * node.dtype.itemsize
            if total > info.file_size:
                return True   # stops the visit
        return None
    try:
        with zipfile.ZipFile(model_file) as archive, archive.open(info) as stream, h5py.File(stream, "r") as h5:
            h5.visititems(count)
    except Exception:   # not an HDF5 file, or a damaged one: Keras's error says so, in one line
        return 0
    return total


def _size(count: int) -> str:
    """A number of bytes for a message: 1.5 GiB, 16 MiB, 300 bytes."""
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift:
            return f"{count / (1 << shift):.3g} {unit}"
    return f"{count} bytes"


@contextlib.contextmanager
def held(target: Path, needs: str):
    """Yield the trained model of the run `target` names, found again while the run folder's lock is held.

    tune and train hold the lock while they write a run folder; export (which
    rewrites results.json) and evaluate hold it too, so an export never writes
    its results.json over the one a `tune --overwrite` beside it just wrote,
    and evaluate never reads a folder being replaced. Without a run folder,
    ModelError says what the command `needs` it for.
    """
    from ..search import locks

    def run() -> Trained:
        trained = locate(Path(target))
        if trained.run_dir is None or trained.result is None:
            raise ModelError(f"{target}: {needs}")
        return trained
    with locks.hold(run().run_dir):
        yield run()   # read again: results.json as the last holder left it


def _run_around(model_file: Path) -> Path | None:
    """Return the run folder a model file sits in (final/model.keras's parent's parent), if it is one."""
    for folder in (model_file.parent.parent, model_file.parent):
        if (folder / results.RESULTS_FILE).is_file():
            return folder
    return None
