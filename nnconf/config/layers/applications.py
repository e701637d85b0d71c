"""Pretrained backbones: a ``keras.applications`` model (ResNet50, MobileNetV2, EfficientNetB0, ...) as
one layer of an nnconf model, with or without its ImageNet weights, frozen or fine-tuned.

Its shapes and parameter counts come from backbones_table.json, measured from Keras by
``python -m nnconf.engine.backbones_table``, so checking a config needs no TensorFlow.
"""

from typing import Any, ClassVar, Literal, Optional, Union

from pydantic import model_validator

from nnconf.config.base import PositiveFloat, PositiveInt, StrictModel
from nnconf.config.functions import Activation as ActivationFunction
from nnconf.config.layers.backbones_table import spatial_size, table
from nnconf.config.layers.base import Layer, Shape, ShapeError, format_shape, require_rank

APPLICATIONS = tuple(table())
WEIGHT_SUFFIXES = (".h5", ".hdf5", ".keras")


class FineTune(StrictModel):
    """Training a frozen backbone's last layers too, once the new layers after it have learned.

    Args:
        after_epoch: epochs trained with the backbone frozen; from the next one on, its last
            ``unfreeze`` layers train too.
        unfreeze: how many of the backbone's last layers to make trainable, or ``all``. Its
            BatchNormalization layers stay frozen (in inference mode), as Keras's transfer-learning
            guide advises: updating their statistics on a few batches would undo what was learned.
        learning_rate: the learning rate from then on, for a fresh optimizer of the config's kind
            (small, so that the pretrained weights change little); null keeps the config's.
    """

    after_epoch: PositiveInt
    unfreeze: Union[PositiveInt, Literal["all"]] = "all"
    learning_rate: Optional[PositiveFloat] = None


class Backbone(Layer):
    """A ``keras.applications`` model as one layer, taking images shaped (height, width, channels).

    Args:
        model: the application: ``ResNet50``, ``MobileNetV2``, ``EfficientNetB0``, ... (any of
            ``keras.applications``).
        weights: ``imagenet`` (downloaded by Keras once, into ~/.keras/models), null (random
            initialization), or the path of a weights file (.h5, .weights.h5 or .keras), relative
            to the config's folder.
        include_top: whether to keep the ImageNet classifier on top (its ``classes`` outputs).
        pooling: without the top, ``avg`` or ``max`` pools the last feature map to one vector per
            image; null keeps the feature map (height, width, channels).
        classes: the classifier's outputs, with the top (1000 with ImageNet weights).
        classifier_activation: the classifier's activation, with the top; null gives logits.
        trainable: false freezes the backbone (its weights stay as loaded).
        fine_tune: with ``trainable: false``, when and how much of the backbone to train later.
    """

    OMIT_WHEN_NONE = frozenset({"inputs"})  # weights: null means random initialization

    type: Literal["Backbone"]
    model: Literal[APPLICATIONS]  # type: ignore[valid-type]
    weights: Optional[str] = "imagenet"
    include_top: bool = True
    pooling: Optional[Literal["avg", "max"]] = None
    classes: PositiveInt = 1000
    classifier_activation: Optional[ActivationFunction] = "softmax"
    fine_tune: Optional[FineTune] = None

    POSITIONAL: ClassVar[tuple[str, ...]] = ("model",)

    @model_validator(mode="after")
    def _consistent(self) -> "Backbone":
        if self.weights not in (None, "imagenet") and not self.weights.endswith(WEIGHT_SUFFIXES):
            raise ValueError(f"weights is 'imagenet', null or the path of a weights file ({', '.join(WEIGHT_SUFFIXES)}"
                             f"), found {self.weights!r}")
        if self.include_top:
            if self.pooling is not None:
                raise ValueError("pooling applies without the top only (include_top: false); the top pools itself")
            if self.weights == "imagenet" and self.classes != 1000:
                raise ValueError(f"the ImageNet top has 1000 classes, found classes: {self.classes}; for other "
                                 "classes use include_top: false and add your own classifier")
            activation = self.classifier_activation
            if self.weights is not None and activation is not None and activation.name not in ("softmax", "linear"):
                raise ValueError("with pretrained weights the top's classifier_activation is softmax or null, "
                                 f"found {activation.name!r}")
        elif self.classes != 1000:
            raise ValueError("classes applies with the top only (include_top: true)")
        if self.fine_tune is not None and self.trainable:
            raise ValueError("fine_tune unfreezes a frozen backbone: set trainable: false, or leave fine_tune "
                             "out to train the whole backbone from the start")
        return self

    @property
    def entry(self) -> dict[str, Any]:
        return table()[self.model]

    def keras_arguments(self) -> dict[str, Any]:
        arguments = {"include_top": self.include_top, "pooling": self.pooling}
        if self.include_top:
            arguments.update(classes=self.classes, classifier_activation=self.classifier_activation)
        return arguments

    def inline_weights(self) -> dict[str, Any]:
        return {}  # weights names pretrained ones here, not inline values

    def output_shape(self, input_shape: Shape) -> Shape:
        height, width = self._feature_size(input_shape)
        if self.include_top:
            return (self.classes,)
        if self.pooling is not None:
            return (self.entry["channels"],)
        return (height, width, self.entry["channels"])

    def _feature_size(self, input_shape: Shape) -> tuple[int | None, int | None]:
        require_rank(input_shape, 3, self.model, " (images: height, width, channels)")
        height, width, channels = input_shape
        entry, shown = self.entry, format_shape(input_shape)
        if channels is None:
            raise ShapeError(f"{self.model} needs a known number of channels, found {shown}")
        if self.weights == "imagenet" and channels != 3:
            raise ShapeError(f"{self.model}'s ImageNet weights take 3 channels (RGB), found {shown}",
                             field="weights", hint="give the model RGB images, or use weights: null")
        self._check_unknown_size(height, width, shown)
        for size in (height, width):
            if size is not None and size < entry["min_size"]:
                raise ShapeError(f"{self.model} takes images of at least {entry['min_size']}x{entry['min_size']}, "
                                 f"found {shown}", hint="resize the images, e.g. with a Resizing layer before it")
        if self.include_top and self.weights == "imagenet" and entry["top_imagenet_sizes"] is not None:
            sizes = entry["top_imagenet_sizes"]
            if height != width or height not in sizes:
                accepted = " or ".join(f"{s}x{s}" for s in sizes)
                raise ShapeError(f"{self.model}'s ImageNet top takes {accepted} images, found {shown}",
                                 field="include_top", hint="use include_top: false (with pooling: avg) and your own "
                                 "classifier, or resize the images")
        feature = tuple(spatial_size(entry["spatial"], size, axis) for axis, size in enumerate((height, width)))
        if any(size is not None and size < 1 for size in feature):
            raise ShapeError(f"{self.model} reduces {shown} to nothing", hint="use larger images")
        return feature

    def _check_unknown_size(self, height: int | None, width: int | None, shown: str) -> None:
        if height is not None and width is not None:
            return
        unknown = self.entry["unknown_size"]
        if self.include_top and not unknown["top"]:
            raise ShapeError(f"{self.model} with its top needs a known image size, found {shown}",
                             field="include_top", hint="give input_shape its height and width")
        if self.weights == "imagenet" and not unknown["no_top_imagenet"] or not unknown["no_top"]:
            raise ShapeError(f"{self.model} needs a known image size, found {shown}",
                             hint="give input_shape its height and width")

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        """The backbone's parameters as two counts: those gradient descent may train, and the rest
        (BatchNormalization's moving statistics, input normalization); its layers' own weights are
        Keras's business. ``trainable: false`` makes all of them non-trainable."""
        height, width = self._feature_size(input_shape)
        channels = input_shape[-1]
        params = self.entry["params"]
        counts = params["rgb"] if channels == 3 and "rgb" in params else \
            [base + per * channels for base, per in zip(params["base"], params["per_channel"])]
        if self.include_top:
            top = self.entry["top"]
            extra_classes = (self.classes - 1000) * (top["features"] + 1)
            positions = height * width if top["per_position"] else 0
            counts = [counts[0] + top["params"][0] + extra_classes + top["per_position"] * positions,
                      counts[1] + top["params"][1]]
        return {"trainable_weights": (counts[0],), "non_trainable_weights": (counts[1],)}

    def trainable_weight(self, name: str) -> bool:
        return self.trainable and name == "trainable_weights"

    def weights_file(self, height: int | None, width: int | None) -> dict[str, str] | None:
        """The file Keras downloads for the ImageNet weights (``file`` name, ``origin``, ``hash``) for
        images of this size: MobileNet has one per square size it was trained at, 224 for the rest."""
        if self.weights != "imagenet":
            return None
        files = self.entry["weights"]["top" if self.include_top else "no_top"]
        if "any" in files:
            return files["any"]
        return files.get(str(height) if height == width else "", files[str(self.entry["default_size"])])
