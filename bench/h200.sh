#!/usr/bin/env bash
# The GPU measurements of the README, on one NVIDIA H200 with Keras on JAX and no TensorFlow installed.
#
#   bench/h200.sh start    install the carried wheels, train cnn-fast's gpu profile (airbench94's network,
#                          10 epochs), then start `tune cnn --profile paper` in a process of its own and
#                          wait for it as long as the call allows
#   bench/h200.sh collect  wait for that search to end; copy its results.json and log to $OUT
#
# Run from the repository root, with the wheels in .whl/ (keras, keras-tuner, kt-legacy, namex, optree,
# jsonschema and its parts) and the CIFAR-10 JPEG tarball in .gpu-data/. Results land in $OUT; the reports
# are written here afterwards with `ann-keras report`.
set -u
STEP=${1:-start}
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false \
       ANN_KERAS_CACHE=/tmp/ann-keras-cache PYTHONUNBUFFERED=1
DATA=.gpu-data/cifar10-jpg.tar.gz
RUNS=/tmp/runs
PAPER_LOG=/tmp/cnn-paper.log
LIMIT_S=${LIMIT_S:-540}      # when `start` stops waiting for the search (the call's own limit is 600 s)
began=$(date +%s)

copy_results() {
    for experiment in cnn-fast cnn; do
        found=$(find "$RUNS/$experiment" -name results.json 2>/dev/null | head -1)
        [ -n "$found" ] && cp "$found" "$OUT/$experiment-results.json"
    done
    cp "$PAPER_LOG" "$OUT/cnn-paper.log" 2>/dev/null
    true
}

wait_for_search() {
    while [ ! -f /tmp/cnn-paper.done ] && [ $(( $(date +%s) - began )) -lt "$1" ]; do sleep 5; done
    tail -n 25 "$PAPER_LOG"
    [ -f /tmp/cnn-paper.done ] && cat /tmp/cnn-paper.done
}

if [ "$STEP" = start ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        .whl/*.whl || exit 1
    nvidia-smi -L
    python3 -c "import jax, keras; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__)"
    python3 -c "import tensorflow" 2>&1 | tail -n 1
    {
        echo "== cnn-fast --profile gpu"
        start=$(date +%s)
        python3 -m ann_keras train cnn-fast --profile gpu --executions 1 --data "$DATA" --backend jax \
            --runs-dir "$RUNS" --reports-dir /tmp/reports --progress none --no-tensorboard
        echo "cnn-fast rc=$? wall seconds: $(( $(date +%s) - start ))"
    } 2>&1 | grep -v "^WARNING\|^I0000\|^E0000" | tee "$OUT/cnn-fast.log"
    # The search outlives this call (its own session); `collect` picks it up.
    setsid nohup bash -c "start=\$(date +%s); python3 -m ann_keras tune cnn --profile paper --data $DATA \
        --backend jax --runs-dir $RUNS --reports-dir /tmp/reports --progress none; \
        echo \"rc=\$? wall seconds: \$(( \$(date +%s) - start ))\" > /tmp/cnn-paper.done" \
        > "$PAPER_LOG" 2>&1 < /dev/null &
    wait_for_search "$LIMIT_S"
    copy_results
else
    wait_for_search "${LIMIT_S}"
    copy_results
fi
