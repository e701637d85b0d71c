"""Audio layers: MelSpectrogram and STFTSpectrogram, which turn waveforms into spectrograms."""

from typing import Literal, Optional

from pydantic import model_validator

from nnconf.config.base import NonNegativeFloat, PositiveFloat, PositiveInt
from nnconf.config.layers.base import DataFormat, Layer, Shape, ShapeError, conv_length, format_shape, require_rank

# The window functions by name that need no parameter (scipy.signal.get_window's).
Window = Literal["hann", "hamming", "blackman", "bartlett", "boxcar", "triang", "flattop", "parzen", "bohman",
                 "blackmanharris", "nuttall", "barthann", "cosine", "tukey", "taylor", "lanczos"]


class MelSpectrogram(Layer):
    """Turns each waveform, (samples,), into a mel-scaled power spectrogram, (num_mel_bins, frames):
    a short-time Fourier transform of centred frames, mapped onto mel bins and (by default) to decibels.

    Args:
        fft_length: the FFT size of each frame.
        sequence_stride: the samples between the starts of two frames.
        sequence_length: the samples in each frame, at most ``fft_length``; null: ``fft_length``.
        window: ``hann``, ``hamming``, or null for none.
        sampling_rate: the samples per second of the waveforms.
        num_mel_bins: the mel bins of the output.
        min_freq: the lowest frequency of the mel bins, in Hz.
        max_freq: the highest frequency of the mel bins, in Hz; null: half the sampling rate.
        power_to_db: convert the powers to decibels.
        top_db: with ``power_to_db``: the decibels kept below the maximum.
        mag_exp: the exponent of the magnitudes: 1 for amplitude, 2 for power.
        min_power: with ``power_to_db``: the smallest power, to avoid the logarithm of zero.
        ref_power: with ``power_to_db``: the power of 0 dB.
    """

    type: Literal["MelSpectrogram"]
    fft_length: PositiveInt = 2048
    sequence_stride: PositiveInt = 512
    sequence_length: Optional[PositiveInt] = None
    window: Optional[Literal["hann", "hamming"]] = "hann"
    sampling_rate: PositiveInt = 16000
    num_mel_bins: PositiveInt = 128
    min_freq: NonNegativeFloat = 20.0
    max_freq: Optional[PositiveFloat] = None
    power_to_db: bool = True
    top_db: PositiveFloat = 80.0
    mag_exp: PositiveFloat = 2.0
    min_power: PositiveFloat = 1e-10
    ref_power: PositiveFloat = 1.0

    @model_validator(mode="after")
    def _frames_fit_the_fft(self) -> "MelSpectrogram":
        if self.sequence_length is not None and self.sequence_length > self.fft_length:
            raise ValueError(f"sequence_length ({self.sequence_length}) must not exceed fft_length "
                             f"({self.fft_length})")
        return self

    def output_shape(self, input_shape: Shape) -> Shape:
        require_rank(input_shape, 1, self.type, " (batch, samples)")
        samples = input_shape[0]
        if samples is None:
            return (self.num_mel_bins, None)
        if (samples + 1) % self.sequence_stride == 0:
            # Keras infers one frame more than it computes here: the layers after it would be built wrong.
            raise ShapeError(f"MelSpectrogram infers {samples // self.sequence_stride + 2} frames for {samples} "
                             f"samples but computes {samples // self.sequence_stride + 1}, as Keras 3 counts "
                             f"one too many where samples + 1 is a multiple of sequence_stride "
                             f"({self.sequence_stride})", field="sequence_stride",
                             hint="change sequence_stride or the number of samples by one")
        return (self.num_mel_bins, (samples + self.sequence_stride + 1) // self.sequence_stride)


class STFTSpectrogram(Layer):
    """Turns waveforms of one or more channels, (samples, channels), into spectrograms by a short-time
    Fourier transform computed as a convolution with Fourier kernels (``real_kernel``, ``imag_kernel``,
    trainable like any kernel).

    Args:
        mode: what each frequency bin holds: ``log`` (log power), ``magnitude``, ``psd`` (power),
            ``real``, ``imag``, ``angle`` (phase), or ``stft`` (real and imaginary parts, twice the bins).
        frame_length: the samples in each frame.
        frame_step: the samples between the starts of two frames, at most ``frame_length``; null:
            half the frame length.
        fft_length: the FFT size, at least ``frame_length``; null: the next power of two.
        window: the window function by name, or null for none.
        periodic: use the periodic form of the window (for spectral analysis) rather than the symmetric one.
        scaling: ``density`` (power spectral density), ``spectrum``, or null for none.
        padding: ``valid`` or ``same``, of the frames over the samples.
        expand_dims: keep the channels apart, as a last axis (time, bins, channels), instead of
            stacking their bins on one axis.
        data_format: ``channels_last`` ((samples, channels)) or ``channels_first`` ((channels, samples));
            null takes Keras's ``image_data_format``.
    """

    type: Literal["STFTSpectrogram"]
    mode: Literal["log", "magnitude", "psd", "real", "imag", "angle", "stft"] = "log"
    frame_length: PositiveInt = 256
    frame_step: Optional[PositiveInt] = None
    fft_length: Optional[PositiveInt] = None
    window: Optional[Window] = "hann"
    periodic: bool = False
    scaling: Optional[Literal["density", "spectrum"]] = "density"
    padding: Literal["valid", "same"] = "valid"
    expand_dims: bool = False
    data_format: DataFormat = None

    @model_validator(mode="after")
    def _frames_fit(self) -> "STFTSpectrogram":
        if self.frame_step is not None and self.frame_step > self.frame_length:
            raise ValueError(f"frame_step ({self.frame_step}) must not exceed frame_length ({self.frame_length})")
        if self.fft_length is not None and self.fft_length < self.frame_length:
            raise ValueError(f"fft_length ({self.fft_length}) must be at least frame_length ({self.frame_length})")
        return self

    def bins(self) -> int:
        """Frequency bins per channel: half the FFT size plus one."""
        fft_length = self.fft_length or 2 ** (self.frame_length - 1).bit_length()
        return fft_length // 2 + 1

    def output_shape(self, input_shape: Shape) -> Shape:
        channels_first = self.data_format == "channels_first"
        require_rank(input_shape, 2, self.type, " (batch, channels, samples)" if channels_first
                     else " (batch, samples, channels)")
        samples, channels = (input_shape[1], input_shape[0]) if channels_first else input_shape
        step = self.frame_step or self.frame_length // 2
        frames = conv_length(samples, self.frame_length, step, self.padding)
        if frames is not None and frames <= 0:
            raise ShapeError(f"STFTSpectrogram frames of {self.frame_length} samples do not fit into the "
                             f"{samples} samples of its input {format_shape(input_shape)}", field="frame_length",
                             hint="use shorter frames, or padding: same")
        bins = self.bins() * (2 if self.mode == "stft" else 1)
        if self.expand_dims:
            return (channels, frames, bins) if channels_first else (frames, bins, channels)
        stacked = None if channels is None else bins * channels
        return (stacked, frames) if channels_first else (frames, stacked)

    def weight_shapes(self, input_shape: Shape) -> dict[str, Shape]:
        self.output_shape(input_shape)
        kernel = (self.frame_length, 1, self.bins())
        kernels = {}
        if self.mode != "imag":
            kernels["real_kernel"] = kernel
        if self.mode != "real":
            kernels["imag_kernel"] = kernel
        return kernels
