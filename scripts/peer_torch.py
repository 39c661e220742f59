"""Peer benchmark: a folder of photos through a plain PyTorch AnimeGANv2, written the way its port is.

The generator is the widely used PyTorch port's layout (``block_a`` ... ``out_layer``; GroupNorm with one
group, reflection pads), so it loads that port's ``.pt`` state dicts as they are, such as
``../shared/reference/animegan_v2/generator-random.pt``. PIL decodes each photo, torch runs it (default
threads, ``torch.inference_mode``), PIL encodes the PNG; one photo at a time. It imports nothing from
animegan on purpose: ``animegan bench`` runs it in a fresh process as the PyTorch peer, where torch is
installed (``--torch-python`` names an interpreter that has it).

    python scripts/peer_torch.py WEIGHTS.pt PHOTOS_DIR OUT_DIR [--align-corners]
"""

import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

SUFFIXES = {".jpg", ".jpeg", ".png"}


class ConvNormLReLU(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel_size=3, stride=1, padding=1, groups=1, bias=False):
        super().__init__(
            nn.ReflectionPad2d(padding),
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, padding=0, groups=groups, bias=bias),
            nn.GroupNorm(num_groups=1, num_channels=out_ch, affine=True),
            nn.LeakyReLU(0.2, inplace=True),
        )


class InvertedResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, expansion_ratio=2):
        super().__init__()
        self.use_res_connect = in_ch == out_ch
        bottleneck = int(round(in_ch * expansion_ratio))
        self.layers = nn.Sequential(
            ConvNormLReLU(in_ch, bottleneck, kernel_size=1, padding=0),
            ConvNormLReLU(bottleneck, bottleneck, groups=bottleneck, bias=True),
            nn.Conv2d(bottleneck, out_ch, kernel_size=1, padding=0, bias=False),
            nn.GroupNorm(num_groups=1, num_channels=out_ch, affine=True),
        )

    def forward(self, x):
        out = self.layers(x)
        return x + out if self.use_res_connect else out


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.block_a = nn.Sequential(
            ConvNormLReLU(3, 32, kernel_size=7, padding=3),
            ConvNormLReLU(32, 64, stride=2, padding=(0, 1, 0, 1)),
            ConvNormLReLU(64, 64),
        )
        self.block_b = nn.Sequential(ConvNormLReLU(64, 128, stride=2, padding=(0, 1, 0, 1)), ConvNormLReLU(128, 128))
        self.block_c = nn.Sequential(
            ConvNormLReLU(128, 128),
            InvertedResBlock(128, 256, 2),
            InvertedResBlock(256, 256, 2),
            InvertedResBlock(256, 256, 2),
            InvertedResBlock(256, 256, 2),
            ConvNormLReLU(256, 128),
        )
        self.block_d = nn.Sequential(ConvNormLReLU(128, 128), ConvNormLReLU(128, 128))
        self.block_e = nn.Sequential(ConvNormLReLU(128, 64), ConvNormLReLU(64, 64), ConvNormLReLU(64, 32, kernel_size=7, padding=3))
        self.out_layer = nn.Sequential(nn.Conv2d(32, 3, kernel_size=1, stride=1, padding=0, bias=False), nn.Tanh())

    def forward(self, x, align_corners=False):
        out = self.block_a(x)
        half_size = out.size()[-2:]
        out = self.block_c(self.block_b(out))
        if align_corners:
            out = F.interpolate(out, half_size, mode="bilinear", align_corners=True)
        else:
            out = F.interpolate(out, scale_factor=2, mode="bilinear", align_corners=False)
        out = self.block_d(out)
        if align_corners:
            out = F.interpolate(out, x.size()[-2:], mode="bilinear", align_corners=True)
        else:
            out = F.interpolate(out, scale_factor=2, mode="bilinear", align_corners=False)
        return self.out_layer(self.block_e(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", help="a state dict in the port's layout (.pt)")
    parser.add_argument("photos", help="folder of photos")
    parser.add_argument("out", help="folder for the PNG results")
    parser.add_argument("--align-corners", action="store_true", help="the port's align_corners=True resizes")
    args = parser.parse_args()
    net = Generator().eval()
    net.load_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with torch.inference_mode():
        for path in sorted(p for p in Path(args.photos).iterdir() if p.suffix.lower() in SUFFIXES):
            rgb = np.asarray(Image.open(path).convert("RGB"), np.float32) / 127.5 - 1.0
            x = torch.from_numpy(rgb).permute(2, 0, 1)[None]
            y = net(x, align_corners=args.align_corners)[0].permute(1, 2, 0).numpy()
            Image.fromarray(np.rint(np.clip((y + 1.0) * 127.5, 0, 255)).astype(np.uint8)).save(out / f"{path.stem}.png")


if __name__ == "__main__":
    main()
