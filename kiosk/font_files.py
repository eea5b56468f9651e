"""Where Debian (and other distributions) install the fonts the kiosk draws with: one table for the
screen (kiosk/ui/fonts.py) and for text drawn as pictures on receipts (kiosk/text_fonts.py).

Each entry is (regular, bold); an empty bold means the face has one weight (bold is synthesised).
"""

DEJAVU = (  # fonts-dejavu-core: Latin, Cyrillic, Arabic, and €, ✓, ◐
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
)
CJK = (  # fonts-wqy-microhei (5 MB) first; Noto Sans CJK where a system has it
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", ""),
    ("/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc", ""),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", ""),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", ""),
)
