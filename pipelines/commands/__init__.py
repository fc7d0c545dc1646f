"""CLI commands, one module each; every module has ``register(app)``."""

COMMAND_MODULES: tuple[str, ...] = (
    "stages", "indices", "regions", "jobs", "demo", "model", "serve", "plan",
)
