"""``python -m nucleus_convert.cli``: the same as the ``nucleus-convert`` command."""

from nucleus_convert.cli import main

main()
