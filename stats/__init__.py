"""The analysts' statistics, one feature home (set out like polar's feature folders):

- rules/       pure rules, importing nothing from persistence or HTTP: windows, backgrounds, bounded
               contributions (max-flow Lipschitz extensions), OpenDP noise, the figures and the accountant
- queries.py   the aggregation queries one release needs
- tables.py    the releases table (and indexes.py, the statistics' indexes on other tables)
- repository.py  every query on the releases table
- service.py   the use cases: release a window, read releases, the privacy report
- endpoints.py, schemas.py, charts.py   HTTP: routes, response models (the OpenAPI schema), PNG charts
The command `buurtbank stats` is in buurtbank/cli/stats.py; the scheduler's job (scheduler/jobs.py,
`stats_release`) calls service.release_closed_windows.
"""
