"""Peer benchmark: a folder of photos through an ONNX generator with ONNX Runtime, written the plain way.

What a user of ONNX Runtime would write without animegan: PIL decodes each photo, one
``InferenceSession`` with its DEFAULT session options (all cores, every graph optimization) runs it, PIL
encodes the PNG; one photo at a time, nothing overlapped. It imports nothing from animegan on purpose
(``animegan bench`` runs it in a fresh process as the ONNX Runtime peer). Photos must have H and W that
are multiples of the model's stride (the bench gives it 512x512 photos).

    python scripts/peer_onnxruntime.py MODEL.onnx PHOTOS_DIR OUT_DIR
"""

import argparse
from pathlib import Path

import numpy as np
import onnxruntime
from PIL import Image

SUFFIXES = {".jpg", ".jpeg", ".png"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="an NHWC float32 [-1, 1] generator (animegan export --format onnx)")
    parser.add_argument("photos", help="folder of photos")
    parser.add_argument("out", help="folder for the PNG results")
    args = parser.parse_args()
    session = onnxruntime.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in Path(args.photos).iterdir() if p.suffix.lower() in SUFFIXES):
        rgb = np.asarray(Image.open(path).convert("RGB"), np.float32) / 127.5 - 1.0
        y = session.run(None, {name: rgb[None]})[0][0]
        Image.fromarray(np.rint(np.clip((y + 1.0) * 127.5, 0, 255)).astype(np.uint8)).save(out / f"{path.stem}.png")


if __name__ == "__main__":
    main()
