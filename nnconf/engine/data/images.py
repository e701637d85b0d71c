"""``data.source: images``: a folder with one subfolder of images per class, read from disk while training.

The source lists the files and checks each one's header; the samples are its file paths, which the
tf.data pipeline decodes and resizes batch by batch (as ``keras.utils.image_dataset_from_directory``
does), so memory does not grow with the number of images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnconf.config.model import Config
from nnconf.engine.data.base import Raw, Request, single_names
from nnconf.engine.data.errors import Where, quoted
from nnconf.engine.data.files import unreachable
from nnconf.engine.data.folders import AT, list_classes, resolve_folder

# What keras.utils.image_dataset_from_directory reads, by file name.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
# What tf.io.decode_image decodes, by content.
DECODABLE = ("BMP", "GIF", "JPEG", "PNG")
CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
# Damaged images named in a message; the rest are counted.
_SHOWN = 3
# A JPEG ends with this marker; a file cut short lacks it (allowing some bytes of padding after it).
_JPEG_END, _JPEG_TAIL = b"\xff\xd9", 1024


def read(request: Request) -> Raw:
    config, where = request.config, request.where
    data = config.data
    input_name, output_name = single_names(config, request.inference, where)
    height, width, channels = geometry(config, request.inference.input_shapes[input_name], where)
    folder = resolve_folder(data.path, request.base_dir, where, generate=data.generate)
    listing = list_classes(folder, IMAGE_EXTENSIONS, "image", where)
    check_images(listing.paths, where)
    reader = {"read": "image", "image_size": [height, width], "channels": channels}
    return Raw({input_name: listing.paths}, {output_name: listing.labels}, readers={input_name: reader},
               classes={output_name: listing.classes})


def geometry(config: Config, input_shape: tuple, where: Where) -> tuple[int, int, int]:
    """Height, width and channels of the images: as the data section says, else as the model input is."""
    data = config.data
    shape = tuple(input_shape)
    image_like = len(shape) == 3 and None not in shape
    if data.image_size is not None:
        height, width = data.image_size
    elif image_like:
        height, width = shape[0], shape[1]
    else:
        raise where.error(("data",), f"the model input {_shown(shape)} is no [height, width, channels] shape, so "
                          "it does not say what size to make the images", hint="set data.image_size: [height, width]")
    if data.color_mode is not None:
        channels = CHANNELS[data.color_mode]
    elif image_like and shape[2] in CHANNELS.values():
        channels = shape[2]
    else:
        raise where.error(("data",), f"the model input {_shown(shape)} does not say whether the images are "
                          "grayscale (1 channel), rgb (3) or rgba (4)", hint="set data.color_mode")
    return height, width, channels


def _shown(shape: tuple) -> str:
    return "[" + ", ".join("null" if d is None else str(d) for d in shape) + "]"


def check_images(paths: np.ndarray, where: Where) -> None:
    """Every image opens and is one TensorFlow decodes, before training: damaged ones are named by path."""
    bad = [(path, problem) for path in paths if (problem := image_problem(Path(path)))]
    if not bad:
        return
    shown = "; ".join(f"{quoted(path)} ({problem})" for path, problem in bad[:_SHOWN])
    more = f"; and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
    count = "1 image" if len(bad) == 1 else f"{len(bad)} images"
    raise where.error(AT, f"{count} of {len(paths)} cannot be read: {shown}{more}",
                      hint="replace or remove the damaged files")


def image_problem(path: Path) -> str | None:
    """Why ``path`` is no image TensorFlow can decode, or None. Reads its header and checks its structure
    (PNG chunks' checksums, a JPEG's end), without decoding its pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with open(path, "rb") as stream:
            try:
                with Image.open(stream) as image:
                    kind = image.format
                    image.verify()
            except UnidentifiedImageError:
                return "not an image file" if path.stat().st_size else "an empty file"
            except Image.DecompressionBombError:
                return "too many pixels to decode safely"
            except Exception:  # Pillow reports damage with many exception types: they all mean the same here
                return f"a damaged {kind} file" if kind else "a damaged image file"
            if kind not in DECODABLE:
                return f"a {kind} image; TensorFlow decodes only {', '.join(DECODABLE)}"
            if kind == "JPEG":
                stream.seek(max(stream.seek(0, 2) - _JPEG_TAIL, 0))
                if _JPEG_END not in stream.read():
                    return "a JPEG file cut short"
    except OSError as error:
        return unreachable(path, "file", error).removeprefix(f"the file {quoted(path)} ")
    return None
