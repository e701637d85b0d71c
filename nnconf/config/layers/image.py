"""Image preprocessing and augmentation layers: resizing and cropping, random transformations, colour
and histogram operations, and the mixing policies (AugMix, CutMix, MixUp, RandAugment).

Each takes a batch of images, (batch, rows, cols, channels) or with ``data_format: channels_first``
(batch, channels, rows, cols). The random layers change images in training only and pass them
unchanged in inference, as Keras does; only Resizing and the crops change the shape.

Keras's Equalization is left out: Keras 3.15 cannot load a saved model holding it (its inferred output
is its input itself, which Keras reads back as a cycle), so runs could not resume or be exported.
"""

from typing import Annotated, Any, ClassVar, Literal, NamedTuple, Optional, Union

from pydantic import Field, ValidationInfo, field_validator, model_validator

from nnconf.config.base import PositiveInt, Seed
from nnconf.config.layers.base import DataFormat, Layer, Shape, ShapeError, format_shape, require_rank

FloatPair = Annotated[list[float], Field(min_length=2, max_length=2)]
# A random factor: one number (a range symmetric about 0, or from 0) or a [lower, upper] pair.
Factor = Union[float, FloatPair]
# The range of the pixel values, [low, high]: [0, 255] or [0, 1] as the images come.
ValueRange = FloatPair
Interpolation = Literal["nearest", "bilinear"]
FillMode = Literal["reflect", "wrap", "constant", "nearest"]


class Bounds(NamedTuple):
    """The range Keras checks a factor against: ``each`` number of a pair, or (as most layers check)
    one number within the range or a pair that reaches into it."""

    low: float
    high: float
    each: bool = False
    low_open: bool = False

    def check(self, value: Any, field: str) -> Any:
        if value is None:
            return value
        if isinstance(value, list) and not self.each:
            if value[0] > self.high or value[1] < self.low:
                raise ValueError(f"{field} {value} lies outside [{self.low:g}, {self.high:g}]; a pair must reach "
                                 "into that range")
            return value
        for number in value if isinstance(value, list) else [value]:
            if not self.low <= number <= self.high or (self.low_open and number == self.low):
                bounds = f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"
                pair = ", each number of a pair too" if self.each else " (or a [lower, upper] pair reaching into it)"
                raise ValueError(f"{field} must be within {bounds}{pair}, found {number:g}")
        return value


class ImageLayer(Layer):
    """A layer over a batch of images.

    Args:
        data_format: ``channels_last`` (images (rows, cols, channels)) or ``channels_first``
            ((channels, rows, cols)); null takes Keras's ``image_data_format``.
    """

    # Whether the layer's colour operations need RGB images (three channels).
    RGB: ClassVar[bool] = False
    # The bounds of the layer's random factors, by field.
    FACTOR_BOUNDS: ClassVar[dict[str, Bounds]] = {}

    data_format: DataFormat = None

    @field_validator("*")
    @classmethod
    def _factor_within_bounds(cls, value: Any, info: ValidationInfo) -> Any:
        bounds = cls.FACTOR_BOUNDS.get(info.field_name)
        return value if bounds is None else bounds.check(value, info.field_name)

    def output_shape(self, input_shape: Shape) -> Shape:
        channels_first = self.data_format == "channels_first"
        layout = "channels, rows, cols" if channels_first else "rows, cols, channels"
        require_rank(input_shape, 3, self.type, f" (batch, {layout})")
        channels = input_shape[0] if channels_first else input_shape[-1]
        if self.RGB and channels not in (None, 3):
            raise ShapeError(f"{self.type} works on RGB images, with 3 channels, but its input "
                             f"{format_shape(input_shape)} has {channels}",
                             hint="give it colour images, or leave it out for grayscale ones")
        return tuple(input_shape)


class SizedImageLayer(ImageLayer):
    """A layer whose output images have a fixed size.

    Args:
        height: the rows of the output images.
        width: the columns of the output images.
    """

    height: PositiveInt
    width: PositiveInt

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = list(super().output_shape(input_shape))
        rows = 1 if self.data_format == "channels_first" else 0
        shape[rows:rows + 2] = [self.height, self.width]
        return tuple(shape)


class Resizing(SizedImageLayer):
    """Resizes images to ``height`` x ``width``.

    Args:
        interpolation: ``bilinear``, ``nearest``, ``bicubic``, ``area``, ``lanczos3`` or ``lanczos5``.
        crop_to_aspect_ratio: crop the largest centred window of the output's aspect ratio first,
            so that images are not distorted.
        pad_to_aspect_ratio: pad to the output's aspect ratio first, so that images are not distorted.
        fill_mode: what the padding is filled with: ``constant`` (``fill_value``), the only mode.
        fill_value: the padding value.
        antialias: filter with an anti-aliasing kernel when downsampling.
    """

    type: Literal["Resizing"]
    interpolation: Literal["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"] = "bilinear"
    crop_to_aspect_ratio: bool = False
    pad_to_aspect_ratio: bool = False
    fill_mode: Literal["constant"] = "constant"
    fill_value: float = 0.0
    antialias: bool = False

    @model_validator(mode="after")
    def _crop_or_pad(self) -> "Resizing":
        if self.crop_to_aspect_ratio and self.pad_to_aspect_ratio:
            raise ValueError("crop_to_aspect_ratio and pad_to_aspect_ratio exclude each other; choose one")
        return self


class CenterCrop(SizedImageLayer):
    """Crops the centre of each image to ``height`` x ``width`` (a smaller image is resized up to it)."""

    type: Literal["CenterCrop"]


class RandomCrop(SizedImageLayer):
    """Crops a random ``height`` x ``width`` window in training (an image that is not larger is resized).

    In inference Keras 3 passes the images through uncropped, so the layers after it must take
    both sizes (as convolutions and global pooling do; Flatten and Dense do not).

    Args:
        seed: seed of the random windows.
    """

    type: Literal["RandomCrop"]
    seed: Optional[Seed] = None


class RandomImageLayer(ImageLayer):
    """What the random augmentations share.

    Args:
        seed: seed of the random draws.
    """

    seed: Optional[Seed] = None


class RandomFlip(RandomImageLayer):
    """Flips images at random in training.

    Args:
        mode: ``horizontal`` (left-right), ``vertical`` (upside down) or ``horizontal_and_vertical``.
    """

    type: Literal["RandomFlip"]
    mode: Literal["horizontal", "vertical", "horizontal_and_vertical"] = "horizontal_and_vertical"


class Geometric(RandomImageLayer):
    """What the random geometric transformations share.

    Args:
        fill_mode: how points outside the image are filled: ``reflect``, ``wrap``, ``constant``
            (``fill_value``) or ``nearest``.
        interpolation: ``bilinear`` or ``nearest``.
        fill_value: the value of ``fill_mode: constant``.
    """

    fill_mode: FillMode = "reflect"
    interpolation: Interpolation = "bilinear"
    fill_value: float = 0.0


class RandomRotation(Geometric):
    """Rotates images by a random angle in training.

    Args:
        factor: the angle as a fraction of a full turn: 0.1 draws from [-10%, 10%] of 2 pi; a pair
            [lower, upper] draws from that range. Within [-1, 1].
    """

    FACTOR_BOUNDS = {"factor": Bounds(-1, 1)}

    type: Literal["RandomRotation"]
    factor: Factor


class RandomZoom(Geometric):
    """Zooms images in or out at random in training.

    Args:
        height_factor: the vertical zoom as a fraction: 0.2 draws from [-20%, +20%], negative zooms in
            (a pair [lower, upper] for a range); each number in (-1, 1].
        width_factor: the horizontal zoom, likewise; null keeps the aspect ratio (zooms as height).
    """

    FACTOR_BOUNDS = dict.fromkeys(("height_factor", "width_factor"), Bounds(-1, 1, each=True, low_open=True))

    type: Literal["RandomZoom"]
    height_factor: Factor
    width_factor: Optional[Factor] = None


class RandomTranslation(Geometric):
    """Shifts images by a random offset in training.

    Args:
        height_factor: the vertical shift as a fraction of the height: 0.2 draws from [-20%, +20%]
            (a pair [lower, upper] for a range); each number in [-1, 1].
        width_factor: the horizontal shift as a fraction of the width, likewise.
    """

    FACTOR_BOUNDS = dict.fromkeys(("height_factor", "width_factor"), Bounds(-1, 1, each=True))

    type: Literal["RandomTranslation"]
    height_factor: Factor
    width_factor: Factor


class RandomShear(Geometric):
    """Shears images at random in training.

    Args:
        x_factor: the horizontal shear, drawn from a pair [lower, upper] within [0, 1]. (Keras also
            takes one number f for [-f, f], but writes it into a saved model as that pair, which it
            then refuses to load; so only 0 is taken as a number.)
        y_factor: the vertical shear, likewise.
    """

    FACTOR_BOUNDS = dict.fromkeys(("x_factor", "y_factor"), Bounds(0, 1, each=True))

    type: Literal["RandomShear"]
    x_factor: Factor = 0.0
    y_factor: Factor = 0.0

    @field_validator("x_factor", "y_factor")
    @classmethod
    def _loadable(cls, value: Factor, info: ValidationInfo) -> Factor:
        if not isinstance(value, list) and value != 0:
            raise ValueError(f"{info.field_name}: {value:g} would be saved as [{-value:g}, {value:g}], which Keras "
                             f"cannot load back (runs could not resume or be exported); give a pair within [0, 1], "
                             f"e.g. [0, {value:g}]")
        return value


class RandomPerspective(RandomImageLayer):
    """Applies a random perspective transformation in training.

    Args:
        factor: the probability of transforming an image, within [0, 1] (a pair: drawn from it).
        scale: how far the corners may move, as a fraction of the image, in [0, 1].
        interpolation: ``bilinear`` or ``nearest``.
        fill_value: the value of points outside the image.
    """

    FACTOR_BOUNDS = {"factor": Bounds(0, 1)}

    type: Literal["RandomPerspective"]
    factor: Factor = 1.0
    scale: Annotated[float, Field(ge=0, le=1)] = 1.0
    interpolation: Interpolation = "bilinear"
    fill_value: float = 0.0


class RandomElasticTransform(RandomImageLayer):
    """Distorts images with a random elastic deformation in training.

    Args:
        factor: the probability of transforming an image, within [0, 1] (a pair: drawn from it).
        scale: the strength of the distortion as a fraction of the image, within [0, 1] (or a pair).
        interpolation: ``bilinear`` or ``nearest``.
        fill_mode: ``reflect``, ``wrap``, ``constant``, ``nearest`` or ``mirror``.
        fill_value: the value of ``fill_mode: constant``.
        value_range: the range of the pixel values, [low, high].
    """

    FACTOR_BOUNDS = dict.fromkeys(("factor", "scale"), Bounds(0, 1))

    type: Literal["RandomElasticTransform"]
    factor: Factor = 1.0
    scale: Factor = 1.0
    interpolation: Interpolation = "bilinear"
    fill_mode: Literal["reflect", "wrap", "constant", "nearest", "mirror"] = "reflect"
    fill_value: float = 0.0
    value_range: ValueRange = [0, 255]


class ColourLayer(RandomImageLayer):
    """A random change of the pixel values.

    Args:
        value_range: the range of the pixel values, [low, high]: [0, 255] or [0, 1] as the images come.
    """

    FACTOR_BOUNDS = {"factor": Bounds(-1, 1)}

    value_range: ValueRange = [0, 255]


class RandomContrast(ColourLayer):
    """Changes the contrast of each image by a random factor in training.

    Args:
        factor: the contrast changes by a factor drawn from [1 - factor, 1 + factor] (a pair:
            [1 - lower, 1 + upper]); within [0, 1].
    """

    FACTOR_BOUNDS = {"factor": Bounds(0, 1)}

    type: Literal["RandomContrast"]
    factor: Factor


class RandomBrightness(ColourLayer):
    """Adds a random brightness to each image in training.

    Args:
        factor: the change as a fraction of the value range, drawn from [-factor, factor] (a pair:
            [lower, upper]); within [-1, 1].
    """

    type: Literal["RandomBrightness"]
    factor: Factor


class RandomHue(ColourLayer):
    """Shifts the hue of RGB images at random in training.

    Args:
        factor: the largest shift as a fraction of the hue circle, within [0, 1] (or a pair).
    """

    FACTOR_BOUNDS = {"factor": Bounds(0, 1)}
    RGB = True

    type: Literal["RandomHue"]
    factor: Factor


class RandomSaturation(ColourLayer):
    """Changes the saturation of RGB images at random in training.

    Args:
        factor: the saturation factor's range, within [-1, 1] (or a pair): 0.5 draws from [0, 0.5].
    """

    RGB = True

    type: Literal["RandomSaturation"]
    factor: Factor


class RandomSharpness(ColourLayer):
    """Sharpens or blurs images at random in training.

    Args:
        factor: the sharpness factor's range, within [0, 1] (or a pair): 0 blurs, 1 sharpens fully.
    """

    FACTOR_BOUNDS = {"factor": Bounds(0, 1)}

    type: Literal["RandomSharpness"]
    factor: Factor


class RandomColorDegeneration(ColourLayer):
    """Blends RGB images with their grayscale versions at random in training.

    Args:
        factor: the blend factor's range, within [-1, 1] (or a pair).
    """

    RGB = True

    type: Literal["RandomColorDegeneration"]
    factor: Factor


class RandomPosterization(ColourLayer):
    """Reduces the bits per colour channel at random in training.

    Args:
        factor: the largest number of bits kept, an int within [1, 8] (or a pair of ints).
    """

    FACTOR_BOUNDS = {"factor": Bounds(1, 8)}

    type: Literal["RandomPosterization"]
    factor: Union[int, Annotated[list[int], Field(min_length=2, max_length=2)]]


class RandomInvert(ColourLayer):
    """Inverts images (``high - x`` in the value range) at random in training.

    Args:
        factor: the probability of inverting an image, within [0, 1] (a pair: drawn from it).
    """

    FACTOR_BOUNDS = {"factor": Bounds(0, 1)}

    type: Literal["RandomInvert"]
    factor: Factor = 1.0


class RandomGrayscale(RandomImageLayer):
    """Turns images to grayscale at random in training (keeping their channels).

    Args:
        factor: the probability of turning an image gray, in [0, 1].
    """

    type: Literal["RandomGrayscale"]
    factor: Annotated[float, Field(ge=0, le=1)] = 0.5


class RandomGaussianBlur(ColourLayer):
    """Blurs images with a Gaussian kernel at random in training.

    Args:
        factor: the probability of blurring an image, within [0, 1] (a pair: drawn from it).
        kernel_size: the odd size of the kernel, or an odd [rows, cols] pair.
        sigma: the standard deviation of the kernel, within [0, 1] (a pair: drawn from it).
    """

    FACTOR_BOUNDS = dict.fromkeys(("factor", "sigma"), Bounds(0, 1))

    type: Literal["RandomGaussianBlur"]
    factor: Factor = 1.0
    kernel_size: Union[PositiveInt, Annotated[list[PositiveInt], Field(min_length=2, max_length=2)]] = 3
    sigma: Factor = 1.0

    @field_validator("kernel_size")
    @classmethod
    def _odd(cls, value: Union[int, list[int]]) -> Union[int, list[int]]:
        if any(size % 2 == 0 for size in (value if isinstance(value, list) else [value])):
            raise ValueError(f"kernel_size must be odd, found {value}")
        return value


class RandomErasing(ColourLayer):
    """Fills a random rectangle of each image with a value or noise, in training.

    Args:
        factor: the probability of erasing in an image, within [0, 1] (a pair: drawn from it).
        scale: the erased area as a fraction of the image, drawn from this [lower, upper] pair
            within [0, 1] (or from [0, scale]).
        fill_value: the value filled in, one number or one per RGB channel; null fills Gaussian noise.
    """

    FACTOR_BOUNDS = dict.fromkeys(("factor", "scale"), Bounds(0, 1))

    type: Literal["RandomErasing"]
    factor: Factor = 1.0
    scale: Factor = [0.02, 0.33]
    fill_value: Union[float, Annotated[list[float], Field(min_length=3, max_length=3)], None] = None


class RandomColorJitter(RandomImageLayer):
    """Changes brightness, contrast, saturation and hue at random in training (each when its factor is set).

    Args:
        value_range: the range of the pixel values, [low, high].
        brightness_factor: RandomBrightness's factor, within [-1, 1].
        contrast_factor: RandomContrast's factor, within [0, 1].
        saturation_factor: RandomSaturation's factor, within [-1, 1].
        hue_factor: RandomHue's factor, within [0, 1].
    """

    FACTOR_BOUNDS = {**dict.fromkeys(("brightness_factor", "saturation_factor"), Bounds(-1, 1)),
                     **dict.fromkeys(("contrast_factor", "hue_factor"), Bounds(0, 1))}

    type: Literal["RandomColorJitter"]
    value_range: ValueRange = [0, 255]
    brightness_factor: Optional[Factor] = None
    contrast_factor: Optional[Factor] = None
    saturation_factor: Optional[Factor] = None
    hue_factor: Optional[Factor] = None

    def output_shape(self, input_shape: Shape) -> Shape:
        shape = super().output_shape(input_shape)
        # Keras builds the hue and saturation layers without the data_format: they take the last axis as RGB.
        if (self.saturation_factor is not None or self.hue_factor is not None) and shape[-1] not in (None, 3):
            raise ShapeError(f"RandomColorJitter's hue and saturation take the last axis as the RGB channels, "
                             f"whatever the data_format, but its input {format_shape(shape)} has {shape[-1]} there",
                             hint="give it channels_last RGB images, or leave out hue_factor and saturation_factor")
        return shape


class Solarization(ImageLayer):
    """Inverts the pixels above a random threshold, after adding a random value, in training only.

    Args:
        addition_factor: the added value as a fraction of the value range, drawn from [0, factor]
            (a pair: [lower, upper]); each number in [0, 1].
        threshold_factor: the threshold as a fraction of the value range, drawn likewise.
        value_range: the range of the pixel values, [low, high].
        seed: seed of the random draws.
    """

    FACTOR_BOUNDS = dict.fromkeys(("addition_factor", "threshold_factor"), Bounds(0, 1, each=True))

    type: Literal["Solarization"]
    addition_factor: Factor = 0.0
    threshold_factor: Factor = 0.0
    value_range: ValueRange = [0, 255]
    seed: Optional[Seed] = None


class AutoContrast(ImageLayer):
    """Stretches each image's values to fill the value range (in training and inference).

    Args:
        value_range: the range of the pixel values, [low, high].
    """

    type: Literal["AutoContrast"]
    value_range: ValueRange = [0, 255]


class ContrastLimitedAdaptiveHistogramEqualization(ImageLayer):
    """Contrast-limited adaptive histogram equalization (CLAHE), tile by tile (in training and inference).

    Args:
        value_range: the range of the pixel values, [low, high].
        clip_limit: the contrast limit of each tile's histogram; 0 or less: no limit.
        tile_grid_size: the [rows, cols] of the tile grid.
    """

    type: Literal["ContrastLimitedAdaptiveHistogramEqualization"]
    value_range: ValueRange = [0, 255]
    clip_limit: float = 4.0
    tile_grid_size: Annotated[list[PositiveInt], Field(min_length=2, max_length=2)] = [8, 8]


class Policy(RandomImageLayer):
    """The arguments of the augmentation policies that chain several operations.

    Args:
        value_range: the range of the pixel values, [low, high].
        factor: the strength of each operation, within [0, 1] (or a pair).
        interpolation: ``bilinear`` or ``nearest``.
    """

    FACTOR_BOUNDS = {"factor": Bounds(0, 1)}

    value_range: ValueRange = [0, 255]
    factor: Factor
    interpolation: Interpolation = "bilinear"


class AugMix(Policy):
    """AugMix: mixes several chains of random augmentations of each image, in training.

    Args:
        num_chains: the number of augmentation chains mixed.
        chain_depth: the largest number of operations in a chain.
        alpha: the concentration of the Dirichlet and Beta distributions of the mixing weights.
        all_ops: include the operations that may overlap with test-set corruptions (brightness,
            colour, contrast, sharpness).
    """

    type: Literal["AugMix"]
    num_chains: PositiveInt = 3
    chain_depth: PositiveInt = 3
    factor: Factor = 0.3
    alpha: Annotated[float, Field(gt=0)] = 1.0
    all_ops: bool = True


class RandAugment(Policy):
    """RandAugment: applies ``num_ops`` operations drawn at random to each image, in training.

    Args:
        num_ops: the number of operations applied in sequence.
    """

    type: Literal["RandAugment"]
    num_ops: PositiveInt = 2
    factor: Factor = 0.5


class CutMix(RandomImageLayer):
    """CutMix: pastes a random patch of another image of the batch into each image, in training.

    Inside a model it mixes the images only, not their labels (Keras mixes labels when it is given
    them with the images, in a data pipeline).

    Args:
        factor: the Beta distribution's parameter of the patch size, within [0, 1] (or a pair).
    """

    FACTOR_BOUNDS = {"factor": Bounds(0, 1)}

    type: Literal["CutMix"]
    factor: Factor = 1.0


class MixUp(RandomImageLayer):
    """MixUp: blends each image with another image of the batch, in training.

    Inside a model it mixes the images only, not their labels (Keras mixes labels when it is given
    them with the images, in a data pipeline).

    Args:
        alpha: the parameter of the Beta distribution of the blend weights.
    """

    type: Literal["MixUp"]
    alpha: Annotated[float, Field(gt=0)] = 0.2


class MaxNumBoundingBoxes(ImageLayer):
    """Pads or cuts bounding boxes to ``max_number`` per image; images pass unchanged.

    nnconf models carry images, not bounding boxes, so in a model this layer changes nothing.

    Args:
        max_number: the number of boxes per image.
        fill_value: the value of padded boxes.
    """

    type: Literal["MaxNumBoundingBoxes"]
    max_number: PositiveInt
    fill_value: int = -1
