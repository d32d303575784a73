"""Pre- and post-processing for tests/real_models: the one place where inputs are made.

Every input is written as .npy and read unchanged by both engines, so onnxedge and onnxruntime-node
see identical bytes. Needs only Debian packages: python3-numpy, python3-pil, fonts-dejavu-core and
espeak-ng (scripts/setup.sh installs them).
"""
import os
import subprocess
import wave

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# ---- YOLOX-nano ------------------------------------------------------------------------------
YOLOX_SIZE = 416


def yolox_input(image_path):
    """YOLOX's own preprocessing: keep the aspect ratio, resize into 416x416, pad with 114 at the
    bottom/right, BGR, CHW, float 0..255 (no mean/std). Returns (input, scale)."""
    im = Image.open(image_path).convert("RGB")
    w, h = im.size
    r = min(YOLOX_SIZE / w, YOLOX_SIZE / h)
    nw, nh = int(round(w * r)), int(round(h * r))
    resized = np.asarray(im.resize((nw, nh), Image.BILINEAR))
    canvas = np.full((YOLOX_SIZE, YOLOX_SIZE, 3), 114, np.uint8)
    canvas[:nh, :nw] = resized
    x = canvas[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32)
    return np.ascontiguousarray(x), r


def yolox_detect(raw, score_threshold=0.3, iou_threshold=0.45):
    """Decodes the raw [1, 3549, 85] output (grid offsets and log sizes per stride 8/16/32),
    scores = objectness * class probability, then class-wise NMS. Returns [(class, score, box)]."""
    out = raw[0].astype(np.float64)
    grids, strides = [], []
    for s in (8, 16, 32):
        n = YOLOX_SIZE // s
        yv, xv = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        grids.append(np.stack([xv, yv], -1).reshape(-1, 2))
        strides.append(np.full((n * n, 1), s))
    grid, stride = np.concatenate(grids), np.concatenate(strides)
    xy = (out[:, :2] + grid) * stride
    wh = np.exp(out[:, 2:4]) * stride
    boxes = np.concatenate([xy - wh / 2, xy + wh / 2], 1)
    scores = out[:, 4:5] * out[:, 5:]
    cls = scores.argmax(1)
    conf = scores[np.arange(len(cls)), cls]
    keep = []
    for c in np.unique(cls[conf > score_threshold]):
        idx = np.where((cls == c) & (conf > score_threshold))[0]
        idx = idx[np.argsort(-conf[idx])]
        while len(idx):
            i = idx[0]
            keep.append((int(c), float(conf[i]), boxes[i]))
            b = boxes[idx[1:]]
            lo = np.maximum(b[:, :2], boxes[i, :2])
            hi = np.minimum(b[:, 2:], boxes[i, 2:])
            inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
            area = lambda q: (q[..., 2] - q[..., 0]) * (q[..., 3] - q[..., 1])  # noqa: E731
            iou = inter / (area(b) + area(boxes[i]) - inter)
            idx = idx[1:][iou <= iou_threshold]
    return keep


# ---- PaddleOCR (PP-OCRv4 det/rec, mobile v2.0 angle classifier) -------------------------------
OCR_LINES = ["onnxedge 2026", "Real models 42"]


def render_text(lines, width=480, height=160, size=40):
    """Black DejaVu Sans text on white, one line per entry: an RGB uint8 array [H, W, 3].
    W and H are multiples of 32 so the detector takes the page without resizing."""
    im = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, size)
    y = 20
    for line in lines:
        draw.text((24, y), line, font=font, fill=(0, 0, 0))
        y += size + 30
    return np.asarray(im)


def ocr_det_input(rgb):
    """PaddleOCR's DB detector preprocessing: BGR, /255, ImageNet mean/std, CHW."""
    bgr = rgb[:, :, ::-1].astype(np.float32) / 255
    x = (bgr - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225],
                                                                        np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None].astype(np.float32))


def _components(mask):
    """4-connected components of a boolean mask: a list of (ys, xs) index arrays."""
    label = np.zeros(mask.shape, np.int32)
    comps = []
    h, w = mask.shape
    for sy, sx in zip(*np.nonzero(mask)):
        if label[sy, sx]:
            continue
        label[sy, sx] = len(comps) + 1
        stack, ys, xs = [(sy, sx)], [], []
        while stack:
            y, x = stack.pop()
            ys.append(y)
            xs.append(x)
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not label[ny, nx]:
                    label[ny, nx] = len(comps) + 1
                    stack.append((ny, nx))
        comps.append((np.array(ys), np.array(xs)))
    return comps


def ocr_boxes(prob, threshold=0.3, unclip_ratio=1.5, min_area=50):
    """DB post-processing with axis-aligned boxes: threshold the probability map, take each
    connected region, and grow its bounding box by area * ratio / perimeter (DB's unclip).
    Returns [(x0, y0, x1, y1)] sorted top to bottom."""
    p = prob[0, 0]
    boxes = []
    for ys, xs in _components(p > threshold):
        if len(ys) < min_area:
            continue
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        w, h = x1 - x0, y1 - y0
        d = w * h * unclip_ratio / (2 * (w + h))
        boxes.append((max(0, int(x0 - d)), max(0, int(y0 - d)),
                      min(p.shape[1], int(np.ceil(x1 + d))), min(p.shape[0], int(np.ceil(y1 + d)))))
    return sorted(boxes, key=lambda b: b[1])


def _norm_rec(rgb_crop, height, width, max_width=None):
    """PaddleOCR's rec/cls resize: height fixed, width by aspect ratio (capped at max_width),
    BGR, (x/255 - 0.5) / 0.5, right-padded with zeros to `width`."""
    h, w = rgb_crop.shape[:2]
    rw = int(np.ceil(height * w / h))
    if max_width:
        rw = min(rw, max_width)
    im = Image.fromarray(rgb_crop).resize((rw, height), Image.BILINEAR)
    x = (np.asarray(im)[:, :, ::-1].astype(np.float32) / 255 - 0.5) / 0.5
    out = np.zeros((3, height, width), np.float32)
    out[:, :, :rw] = x.transpose(2, 0, 1)
    return out


def ocr_rec_input(rgb, boxes):
    """One batch of text-line crops for the recogniser, height 48, padded to the widest."""
    crops = [rgb[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes]
    width = max(int(np.ceil(48 * c.shape[1] / c.shape[0])) for c in crops)
    return np.stack([_norm_rec(c, 48, width) for c in crops])


def ocr_cls_input(rgb, box):
    """The angle classifier's batch: the first line upright and turned by 180 degrees."""
    x0, y0, x1, y1 = box
    crop = rgb[y0:y1, x0:x1]
    turned = crop[::-1, ::-1].copy()
    return np.stack([_norm_rec(crop, 48, 192, 192), _norm_rec(turned, 48, 192, 192)])


def ctc_decode(prob, keys_path):
    """Greedy CTC: argmax per step, merge repeats, drop blank (0). Class i > 0 is line i - 1 of
    the dictionary, and the last class is a space (PaddleOCR's use_space_char)."""
    with open(keys_path, encoding="utf-8") as f:
        chars = [line.rstrip("\n") for line in f] + [" "]
    texts = []
    for seq in prob.argmax(-1):
        out, prev = [], 0
        for c in seq:
            if c != prev and c != 0:
                out.append(chars[c - 1])
            prev = c
        texts.append("".join(out))
    return texts


# ---- Silero VAD v5 -----------------------------------------------------------------------------
VAD_RATE = 16000
VAD_CHUNK = 512      # samples per call at 16 kHz
VAD_CONTEXT = 64     # tail of the previous chunk prepended to each call (silero's OnnxWrapper)
VAD_TEXT = "onnxedge hears speech"
VAD_SILENCE_CHUNKS = 16  # 0.5 s


def espeak(text, path):
    """Speech from espeak-ng, resampled from its 22050 Hz to 16 kHz (linear): float32 [-1, 1]."""
    subprocess.run(["espeak-ng", "-w", path, text], check=True)
    with wave.open(path) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32768
    t = np.arange(int(len(pcm) * VAD_RATE / rate)) / VAD_RATE
    return np.interp(t, np.arange(len(pcm)) / rate, pcm).astype(np.float32)


def vad_chunks(speech):
    """Silence (seeded noise at -60 dBFS) + speech + silence, cut into 512-sample chunks, each with
    the 64 samples before it in front: a list of [1, 576] arrays, and per chunk whether it is
    speech ('s') or silence ('-')."""
    rng = np.random.RandomState(7)
    silence = lambda: (rng.randn(VAD_SILENCE_CHUNKS * VAD_CHUNK) * 1e-3).astype(np.float32)  # noqa
    n_speech = -(-len(speech) // VAD_CHUNK)
    speech = np.pad(speech, (0, n_speech * VAD_CHUNK - len(speech)))
    audio = np.concatenate([silence(), speech, silence()])
    kinds = "-" * VAD_SILENCE_CHUNKS + "s" * n_speech + "-" * VAD_SILENCE_CHUNKS
    padded = np.concatenate([np.zeros(VAD_CONTEXT, np.float32), audio])
    chunks = [padded[i * VAD_CHUNK:(i + 1) * VAD_CHUNK + VAD_CONTEXT][None].copy()
              for i in range(len(kinds))]
    return chunks, kinds


# ---- ISNet (imgly background removal, "small") --------------------------------------------------
def isnet_input(image_path):
    """imgly's preprocessing: bilinear resize to 1024x1024, RGB, (x - 128) / 256, CHW."""
    im = Image.open(image_path).convert("RGB").resize((1024, 1024), Image.BILINEAR)
    x = (np.asarray(im).astype(np.float32) - 128) / 256
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def save(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, array)
    return path
