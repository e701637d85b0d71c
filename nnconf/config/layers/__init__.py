"""Every layer type nnconf accepts, by name, each from the family module that defines it.

A family module is imported the first time one of its types is looked up, so reading a config
creates only the layer classes it uses: creating all of them is a third of a cold ``nnconf lint``.
"""

import importlib
from typing import Iterator, Mapping

from nnconf.config.layers.base import AnyLayer, Layer, Shape, ShapeError

# Families and their types in the order listings show them (tests keep this equal to the classes
# each family module defines).
FAMILIES: dict[str, tuple[str, ...]] = {
    "core": (
        "Dense", "EinsumDense", "Activation", "Dropout", "Flatten", "Embedding", "ReversibleEmbedding", "Masking",
        "Identity",
    ),
    "activations": ("ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"),
    "convolution": (
        "Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
        "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    ),
    "pooling": (
        "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
        "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
        "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
        "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
        "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    ),
    "normalization": (
        "BatchNormalization", "LayerNormalization", "GroupNormalization", "RMSNormalization", "UnitNormalization",
        "SpectralNormalization",
    ),
    "regularization": (
        "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
        "AlphaDropout", "ActivityRegularization",
    ),
    "preprocessing": (
        "Rescaling", "Normalization", "Discretization", "CategoryEncoding", "Hashing", "HashedCrossing",
        "StringLookup", "IntegerLookup", "TextVectorization", "Pipeline",
    ),
    "image": (
        "Resizing", "CenterCrop", "RandomCrop", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
        "RandomShear", "RandomPerspective", "RandomElasticTransform", "RandomContrast", "RandomBrightness",
        "RandomHue", "RandomSaturation", "RandomSharpness", "RandomColorDegeneration", "RandomPosterization",
        "RandomInvert", "RandomGrayscale", "RandomGaussianBlur", "RandomErasing", "RandomColorJitter",
        "Solarization", "AutoContrast", "ContrastLimitedAdaptiveHistogramEqualization",
        "AugMix", "RandAugment", "CutMix", "MixUp", "MaxNumBoundingBoxes",
    ),
    "audio": ("MelSpectrogram", "STFTSpectrogram"),
    "reshaping": (
        "Reshape", "Permute", "RepeatVector", "UpSampling1D", "UpSampling2D", "UpSampling3D",
        "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D",
    ),
    "merging": ("Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Dot"),
    "rnn": (
        "SimpleRNN", "LSTM", "GRU", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Bidirectional", "TimeDistributed",
    ),
    "attention": ("MultiHeadAttention", "GroupQueryAttention", "Attention", "AdditiveAttention"),
    "applications": ("Backbone",),
    "ops": ("Op",),
    "application_layers": ("LayerScale", "CustomScaleLayer"),
}
_FAMILY_OF = {name: family for family, names in FAMILIES.items() for name in names}


class _LayerClasses(Mapping[str, type[Layer]]):
    """Layer classes by type name; looking one up imports its family."""

    def __getitem__(self, name: str) -> type[Layer]:
        family = importlib.import_module(f"{__name__}.{_FAMILY_OF[name]}")
        return getattr(family, name)

    def __contains__(self, name: object) -> bool:
        return name in _FAMILY_OF

    def __iter__(self) -> Iterator[str]:
        return iter(_FAMILY_OF)

    def __len__(self) -> int:
        return len(_FAMILY_OF)


LAYER_CLASSES: Mapping[str, type[Layer]] = _LayerClasses()

__all__ = ["AnyLayer", "FAMILIES", "LAYER_CLASSES", "Layer", "Shape", "ShapeError"]
