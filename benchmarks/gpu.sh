#!/usr/bin/env bash
# The GPU benchmark in one command (≤ 8 minutes on one H100/H200): model step of the five variants at batch 16 and 32
# in bf16, eager and torch.compile'd, with MFU; the loader against the step rate on an ICBHI-sized synthetic corpus;
# one epoch (≈ 200 steps) of full-size SoftFiLM through metafilm.train.fit. One JSON line per result on stdout.
#   benchmarks/gpu.sh                 # on a GPU machine, after `make install`
#   benchmarks/gpu.sh --tiny          # tiny model, 3-patient corpus, CPU, < 60 s (what the test runs)
#   benchmarks/gpu.sh --set train.compile=true --parts train    # any option of benchmarks/gpu_bench.py
# Progress and warnings go to stderr; PYTHON picks the interpreter (default: the repo's .venv, else python3).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export TQDM_DISABLE=1
exec "$PY" "$ROOT/benchmarks/gpu_bench.py" "$@"
