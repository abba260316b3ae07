"""Development data: the synthetic demo consortium and the scale generator, with their commands
(`seed_demo`, `load_scale`, `demo_totp`). Installed only in DEMO_MODE and never shipped in the
image, like Zulip's development-only data app: production cannot seed or bulk-load by mistake.
"""
