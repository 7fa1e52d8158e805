"""Carbon impact assessments of planned trainings, and the policy that gates them.

:mod:`~wattprint.assess.spec` reads a plan file, :mod:`~wattprint.assess.assessment`
builds the assessment (estimate, cleanest zone and time, alternatives — pure),
:mod:`~wattprint.assess.render` writes Markdown and HTML, and
:mod:`~wattprint.assess.policy` checks plans against the project's ``[policy]``.
"""
