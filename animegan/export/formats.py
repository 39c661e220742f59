"""Export names the CLI offers as choices, kept free of heavy imports so building the parser stays instant."""

FORMATS = ("savedmodel", "tflite", "onnx")
QUANTIZATIONS = ("none", "float16", "dynamic", "int8")
CALIBRATION_METHODS = ("percentile", "minmax")  # onnx int8: animegan.export.onnx_quantize
