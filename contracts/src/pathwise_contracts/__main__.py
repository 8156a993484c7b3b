"""``python -m pathwise_contracts``: same commands as ``pathwise contracts``."""

from pathwise_contracts.cli import main

raise SystemExit(main())
