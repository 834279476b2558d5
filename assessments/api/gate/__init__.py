"""The CI gate: start a probe run through the API, wait, judge it, say so (and in JUnit XML).

Needs only ``requests`` and the standard library, so ``scaleready-gate`` runs in any CI image;
nothing here imports Django (import-linter's pure-code contract says so).
"""
