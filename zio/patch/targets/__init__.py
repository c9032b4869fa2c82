"""One module per patch target; each lists what it replaces in ``REPLACES`` and patches in ``apply()``."""
