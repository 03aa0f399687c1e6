"""Measuring the bot, never part of it: benchmarks, calibration and conversation suites.

``jenabot bench search`` (``search``), ``bench dialogue`` (``dialogue``), ``bench nlu`` (``nlu``) and
``jenabot calibrate`` (``calibrate``) share the query sets (``querysets``), cached per-query scores
(``scoring``) and rank metrics (``metrics``); the end-to-end tests judge conversations with the same
``suites`` as the dialogue benchmark.
"""
