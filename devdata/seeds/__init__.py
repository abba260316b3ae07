"""Each domain's share of the demo consortium, called by devdata/demo.py: seed_demo()."""
