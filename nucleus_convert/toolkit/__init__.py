"""The writer toolkit: what every format's reader and writer needs, public so that third-party
plugins use the very same pieces as the built-in formats.

Import from here (``from nucleus_convert.toolkit import confined, place_image``); the
submodules are where each piece lives and is documented.

**Atomic destination** (:mod:`.destination`). :func:`nucleus_convert.write` already wraps every
writer in :func:`atomic_destination`: the writer is handed ``dst``, a path that does not exist
yet inside a temporary sibling folder, and what it creates there appears at the user's
destination whole, or not at all. Use :func:`atomic_destination` (and
:func:`check_destination`) only for output written outside that call.

**Path confinement** (:mod:`.paths`). Every output path built from a name the writer does not
control (a reference id, a source file name, a subset) goes through :func:`confined`, which
refuses with an ``OutputError`` naming the record an absolute name, a ``..`` that climbs out,
a NUL byte, a backslash, a part over :data:`MAX_NAME_BYTES` bytes, or a symlink out of the
destination. :func:`unsafe_name_reason` says why a name would be refused, without raising, so a
writer can map the name instead and report it.

**Safe file names** (:class:`SafeNames`). File names derived from reference ids: unsafe
characters replaced, a short hash added when a name changed or clashes, never reused.

**Image placement** (:mod:`.images`). :func:`place_image` copies or symlinks an item's image
next to the labels (``images`` option: one of :data:`IMAGE_MODES`), only from a regular local
file (:func:`regular_local_file`), and returns the reason it could not, for the loss report.

**JSON lines** (:mod:`.files`). :class:`JsonlWriter` writes one compact JSON value a line,
buffered; :func:`iter_jsonl` and :func:`load_json` read, raising ``InputError`` with the line.
:func:`is_remote` tells a URL from a local path.

**Loss recording** (:mod:`.losses`). A writer declares once what it carries with
:class:`Carries`; a :class:`FieldLedger` counts every record kind it has no place for and every
field holding a value it cannot write, under the model's kinds (:data:`RECORD_KINDS`) and
fields (:func:`record_fields`). :func:`drop_metadata` is the one spelling of metadata keys a
format cannot hold (``metadata.<key>``); :func:`loss_row_problem` checks a row names the model.

**Input limits** (:mod:`.limits`). Readers check untrusted input before they allocate or
call native code: :func:`open_image` opens a PNG or image only when its header's size is
within the ``max_pixels`` limit (:func:`max_pixels_option`, default Pillow's
decompression-bomb limit) and turns every decoder error into one ``InputError`` line;
:func:`json_value_problem` bounds the nesting (:data:`MAX_DEPTH`) and integer size of
free-form values; :func:`count_problem` bounds counts a header declares;
:func:`file_name_problem` refuses names that cannot name a file.

**On-error policy** (:mod:`.on_error`). Readers declare ``on_error`` with
:func:`on_error_option` and follow it with :class:`OnError`: raise the located ``InputError``,
or record the malformed record in the loss report and go on.

Importing the toolkit loads neither numpy nor Pillow.
"""

from __future__ import annotations

from nucleus_convert.toolkit.destination import atomic_destination, check_destination
from nucleus_convert.toolkit.files import (
    JsonlWriter,
    SafeNames,
    is_remote,
    iter_jsonl,
    load_json,
)
from nucleus_convert.toolkit.images import IMAGE_MODES, place_image, regular_local_file
from nucleus_convert.toolkit.limits import (
    MAX_DEPTH,
    count_problem,
    file_name_problem,
    json_value_problem,
    max_pixels_option,
    open_image,
    pixels_problem,
)
from nucleus_convert.toolkit.losses import (
    RECORD_KINDS,
    SKIPPED_KIND,
    Carries,
    FieldLedger,
    drop_metadata,
    holds_value,
    loss_row_problem,
    metadata_field,
    record_fields,
)
from nucleus_convert.toolkit.on_error import (
    ON_ERROR_MODES,
    OnError,
    SkipRecord,
    on_error_option,
)
from nucleus_convert.toolkit.paths import MAX_NAME_BYTES, confined, unsafe_name_reason

__all__ = [
    "IMAGE_MODES",
    "MAX_DEPTH",
    "MAX_NAME_BYTES",
    "ON_ERROR_MODES",
    "RECORD_KINDS",
    "SKIPPED_KIND",
    "Carries",
    "FieldLedger",
    "JsonlWriter",
    "OnError",
    "SafeNames",
    "SkipRecord",
    "atomic_destination",
    "check_destination",
    "confined",
    "count_problem",
    "drop_metadata",
    "file_name_problem",
    "holds_value",
    "is_remote",
    "iter_jsonl",
    "json_value_problem",
    "load_json",
    "loss_row_problem",
    "max_pixels_option",
    "metadata_field",
    "on_error_option",
    "open_image",
    "pixels_problem",
    "place_image",
    "record_fields",
    "regular_local_file",
    "unsafe_name_reason",
]
