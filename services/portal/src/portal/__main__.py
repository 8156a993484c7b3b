"""Run the portal: ``python -m portal``."""

from portal.app import run

run()
