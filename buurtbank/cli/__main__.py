"""`python -m buurtbank.cli ...` is the `buurtbank` command."""

import sys

from buurtbank.cli.main import main

sys.exit(main())
