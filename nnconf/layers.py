"""Layer classes, named and used as Keras's: ``Dense(64, activation="relu")``, ``Conv2D(32, 3)``.

Each class is nnconf's schema of the Keras layer of the same name, with Keras's arguments and
defaults. Made in Python, a layer is checked at once (a wrong argument raises ``ConfigError`` with
the findings ``nnconf validate`` gives), its ``type`` is its class, and its required arguments may
be given by position, in Keras's order. A layer family's classes load when one of them is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnconf.config.layers import FAMILIES, LAYER_CLASSES, Layer

__all__ = ["Layer", *(name for names in FAMILIES.values() for name in names)]

if TYPE_CHECKING:
    from nnconf.config.layers.core import (
        Dense, EinsumDense, Activation, Dropout, Flatten, Embedding, ReversibleEmbedding, Masking, Identity
    )
    from nnconf.config.layers.activations import ReLU, LeakyReLU, PReLU, ELU, Softmax
    from nnconf.config.layers.convolution import (
        Conv1D, Conv2D, Conv3D, SeparableConv1D, SeparableConv2D, DepthwiseConv1D, DepthwiseConv2D, Conv1DTranspose,
        Conv2DTranspose, Conv3DTranspose
    )
    from nnconf.config.layers.pooling import (
        MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D,
        AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D, AdaptiveMaxPooling1D,
        AdaptiveMaxPooling2D, AdaptiveMaxPooling3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
        GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
    )
    from nnconf.config.layers.normalization import (
        BatchNormalization, LayerNormalization, GroupNormalization, RMSNormalization, UnitNormalization,
        SpectralNormalization
    )
    from nnconf.config.layers.regularization import (
        SpatialDropout1D, SpatialDropout2D, SpatialDropout3D, GaussianNoise, GaussianDropout, AlphaDropout,
        ActivityRegularization
    )
    from nnconf.config.layers.preprocessing import (
        Rescaling, Normalization, Discretization, CategoryEncoding, Hashing, HashedCrossing, StringLookup,
        IntegerLookup, TextVectorization, Pipeline
    )
    from nnconf.config.layers.image import (
        Resizing, CenterCrop, RandomCrop, RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomShear,
        RandomPerspective, RandomElasticTransform, RandomContrast, RandomBrightness, RandomHue, RandomSaturation,
        RandomSharpness, RandomColorDegeneration, RandomPosterization, RandomInvert, RandomGrayscale,
        RandomGaussianBlur, RandomErasing, RandomColorJitter, Solarization, AutoContrast,
        ContrastLimitedAdaptiveHistogramEqualization, AugMix, RandAugment, CutMix, MixUp, MaxNumBoundingBoxes
    )
    from nnconf.config.layers.audio import MelSpectrogram, STFTSpectrogram
    from nnconf.config.layers.reshaping import (
        Reshape, Permute, RepeatVector, UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D,
        ZeroPadding3D, Cropping1D, Cropping2D, Cropping3D
    )
    from nnconf.config.layers.merging import Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, Dot
    from nnconf.config.layers.rnn import (
        SimpleRNN, LSTM, GRU, RNN, ConvLSTM1D, ConvLSTM2D, ConvLSTM3D, Bidirectional, TimeDistributed
    )
    from nnconf.config.layers.attention import MultiHeadAttention, GroupQueryAttention, Attention, AdditiveAttention
    from nnconf.config.layers.applications import Backbone


# The recurrent cells an RNN layer holds (no layer types of their own), loaded when first used.
CELLS = ("SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells")


def __getattr__(name: str) -> type:
    if name in LAYER_CLASSES:
        return LAYER_CLASSES[name]
    if name in CELLS:
        from nnconf.config.layers.cells import CELL_CLASSES

        return CELL_CLASSES[name]
    raise AttributeError(f"module 'nnconf.layers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
