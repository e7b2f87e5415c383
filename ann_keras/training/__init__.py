"""One training of one model, one job per module, in the order the data takes:

- feeding, batches: the training images and labels as batches, augmented in
  the input pipeline (tf.data on TensorFlow, a portable stream elsewhere);
- optimizers: the optimiser, schedule and loss a spec's [params] name;
- callbacks: what runs during Keras's fit (lookahead, progress, the paper's
  per-epoch test accuracy and recomputed batch-norm statistics);
- evaluation: loss and accuracy on every split, test-time augmentation;
- fitting: the whole training, from building the model to its numbers;
- devices: where it trains (CPU threads, GPUs, several at once);
- tensorboard_logs: the event files TensorBoard reads.

Nothing is imported here, so that `devices` or `tensorboard_logs` can be
used without starting Keras.
"""
