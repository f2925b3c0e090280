"""The `buurtbank` command, one module per command group.

- main.py      the parser and `main` (the console script `buurtbank`; `python -m buurtbank.cli` runs it too)
- serve.py     `buurtbank serve`, `buurtbank worker`
- database.py  `buurtbank migrate`, `buurtbank antennas load`
- admin.py     `buurtbank admin create`
- demo.py      `buurtbank demo`
- match.py     `buurtbank match`
- ledger.py    `buurtbank ledger check`
- stats.py     `buurtbank stats`
"""

from buurtbank.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
