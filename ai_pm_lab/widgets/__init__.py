"""Interactive widgets: thin views over the package's plain functions; each keeps its latest result in ``.state``."""
