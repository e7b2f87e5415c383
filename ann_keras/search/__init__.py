"""The search: one run's stages (runner), the Keras Tuner search (tuning), one seeded
training (training), and where they run (devices, distributed workers, the run-folder lock)."""
