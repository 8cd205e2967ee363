"""meshlint's own annotations (``meshlint.io/...``), each named once: the three it writes on the
objects it generates, and the one it reads to suppress findings."""
from __future__ import annotations

CONVERTED_FROM = "meshlint.io/converted-from"  # a conversion's replacement: the file and object(s) it replaces (for people; never read back)
GENERATED_FROM = "meshlint.io/generated-from"  # a generated object (a replacement gateway): what it was made from
DRAFT = "meshlint.io/draft"  # a draft for review (a Mixer listchecker rule's AuthorizationPolicy), not a replacement
IGNORE = "meshlint.io/ignore"  # written by users: the codes not to report on the object (suppress.py)
