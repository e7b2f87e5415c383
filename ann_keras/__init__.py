"""ann-keras: the experiments of "Training Artificial Neural Networks" in Keras 3, with Keras Tuner."""

__version__ = "0.1.0"
