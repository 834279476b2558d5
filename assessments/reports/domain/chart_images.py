"""The report's charts as PNG images, for the Word document (Word cannot show our SVG, and
nothing installed rasterises SVG): drawn with Pillow from the same geometry as the SVG charts.
Pure: takes the chart dicts of ``results.domain.charts.area_chart`` and ``charts.radar_chart``.
"""

import io
from functools import cache

from PIL import Image, ImageDraw, ImageFont

SCALE = 2  # pixels per SVG unit: sharp when Word shows the image at about 16 cm
INK = "#101828"
MUTED = "#667085"
TRACK = "#eef1f6"
GRID = "#d0d5dd"


@cache
def font(size: int, bold: bool = False) -> ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, size * SCALE)
    except OSError:  # no DejaVu on this machine: Pillow's own font, still legible
        return ImageFont.load_default(size * SCALE)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def bars_png(chart: dict) -> bytes:
    """Area bars: title, track, bar in the colour of its band, score (or why there is none)."""
    left, bar_width = 200, chart["bar_width"]
    width, height = (left + bar_width + 50) * SCALE, max(chart["height"], 1) * SCALE
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for row in chart["rows"]:
        top = (row["y"] + 6) * SCALE
        bottom = top + 20 * SCALE
        draw.text((0, top + 10 * SCALE), row["title"], fill=INK, font=font(13), anchor="lm")
        track = (left * SCALE, top, (left + bar_width) * SCALE, bottom)
        draw.rounded_rectangle(track, radius=4 * SCALE, fill=TRACK)
        if row["width"]:
            bar = (left * SCALE, top, (left + row["width"]) * SCALE, bottom)
            draw.rounded_rectangle(bar, radius=4 * SCALE, fill=row["fill"])
        if row["score"] is None:
            at = ((left + 10) * SCALE, top + 10 * SCALE)
            draw.text(at, row["empty_label"], fill=MUTED, font=font(12), anchor="lm")
        else:
            at = ((left + bar_width + 10) * SCALE, top + 10 * SCALE)
            draw.text(at, f"{row['score']:.0f}", fill=INK, font=font(13, bold=True), anchor="lm")
    return png(image)


def _points(polygon: str, shift: float) -> list[tuple[float, float]]:
    pairs = (point.split(",") for point in polygon.split())
    return [((float(x) + shift) * SCALE, float(y) * SCALE) for x, y in pairs]


def radar_png(radar: dict) -> bytes:
    """The radar: rings for levels 1-4, spokes with area titles, the required level dashed
    in grey (drawn as a thin outline), the achieved level filled in blue."""
    pad = 110  # room for the labels left and right of the square
    size = radar["size"]
    image = Image.new("RGBA", ((size + 2 * pad) * SCALE, size * SCALE), "white")
    draw = ImageDraw.Draw(image)
    centre = ((radar["centre"] + pad) * SCALE, radar["centre"] * SCALE)
    for ring in radar["rings"]:
        draw.polygon(_points(ring, pad), outline=GRID, width=SCALE)
    for spoke in radar["spokes"]:
        end = ((spoke["x"] + pad) * SCALE, spoke["y"] * SCALE)
        draw.line([centre, end], fill=GRID, width=SCALE)
        anchor = {"start": "lm", "end": "rm", "middle": "mm"}[spoke["anchor"]]
        label = ((spoke["label_x"] + pad) * SCALE, spoke["label_y"] * SCALE)
        colour = MUTED if spoke["unknown"] else INK
        draw.text(label, spoke["title"], fill=colour, font=font(12), anchor=anchor)
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).polygon(_points(radar["achieved"], pad), fill=(29, 78, 216, 48))
    image = Image.alpha_composite(image, overlay)
    draw = ImageDraw.Draw(image)
    required = _points(radar["required"], pad)
    draw.line([*required, required[0]], fill=radar["fills"]["required"], width=2 * SCALE)
    achieved = _points(radar["achieved"], pad)
    draw.line([*achieved, achieved[0]], fill=radar["fills"]["achieved"], width=2 * SCALE)
    return png(image.convert("RGB"))
