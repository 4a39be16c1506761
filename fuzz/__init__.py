"""Structure-aware fuzzing of every nucleus-convert reader (issue 17, part 5).

The harness itself does not import ``nucleus_convert``: it builds seed trees, mutates one file
of a tree per input, and hands the tree to :mod:`fuzz.server`, a separate process that has the
readers imported and forks one child per input, under a memory cap (``RLIMIT_AS``) and a time
limit. Each outcome is classified (:mod:`fuzz.outcome`): ``ok``, ``error`` (the project's own
``NucleusConvertError``, one line) or a crash class: an other exception type and where it was
raised, a death by signal, a hang, or memory exhaustion.

Run it with ``python -m fuzz`` (``./project.sh fuzz``).
"""
