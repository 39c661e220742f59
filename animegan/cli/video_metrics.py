"""``animegan video-metrics INPUT OUTPUT``: how much a stylized video flickers, against its input's floor.

Prints the warping error E_warp (Lai et al., ECCV 2018; see ``animegan.inference.warp_error``) of
OUTPUT and of INPUT, whose own E_warp is the floor that flow errors, lighting and compression leave,
and with ``--reference`` (e.g. the same video stylized with ``--no-temporal``) the mean PSNR of OUTPUT
against it, which says how far blending moved the frames from the per-frame style.
"""

from __future__ import annotations


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "video-metrics",
        help="measure a stylized video's flicker (warping error) against its input",
        description="Warping error E_warp of OUTPUT and of INPUT (the floor), both along the optical flow of "
        "INPUT's frames; with --reference, OUTPUT's mean PSNR against that video. The videos must have the "
        "same frame size; frames past the shortest are not measured.",
    )
    parser.add_argument("input", metavar="INPUT", help="the video that was stylized")
    parser.add_argument("output", metavar="OUTPUT", help="the stylized video")
    parser.add_argument(
        "--reference", metavar="VIDEO", help="another result of INPUT to compare OUTPUT with, e.g. a per-frame one"
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    from animegan.inference.warp_error import video_metrics

    videos = {"output": args.output}
    if args.reference:
        videos["reference"] = args.reference
    metrics = video_metrics(args.input, videos, reference="reference" if args.reference else None)
    floor = metrics.e_warp["input"]
    print(f"pairs of frames       {metrics.pairs}")
    print(f"E_warp input (floor)  {floor:.6f}")
    for name in videos:
        value = metrics.e_warp[name]
        print(f"E_warp {name:<15}{value:.6f}  ({value - floor:+.6f} above the floor)")
    if args.reference:
        reference = metrics.e_warp["reference"] - floor
        if reference > 0:
            print(f"excess kept           {100 * (metrics.e_warp['output'] - floor) / reference:.1f} % of the reference's")
        print(f"PSNR vs reference     {metrics.psnr['output']:.2f} dB (mean over frames)")
    return 0
