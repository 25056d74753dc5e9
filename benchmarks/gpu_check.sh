#!/usr/bin/env bash
# One-shot GPU check, for whoever has a CUDA machine: run it once, in well under 8 minutes, and paste
# its lines into docs/benchmarks.md. Nothing in the project depends on it.
#
#   benchmarks/gpu_check.sh                       # needs .venv (make install) and one CUDA GPU
#   GPU_CHECK_DEVICE=cpu benchmarks/gpu_check.sh  # the same steps on the CPU (a dry run of the script)
#
# It prints one line per check:
#   1. the population benchmark on the GPU (member-trials per second, K = 5, 35 and 1,000);
#   2. one budgeted trial of the digits study (the quarter-width DCGAN, FID in a classifier's features);
#   3. one CIFAR-10-shaped DCGAN trial (32x32x3) on synthetic images written here (no download);
#   4. a 4-trial study with `resources: {gpu: 0.25}`: Ray packs the four on one GPU.
# and exits non-zero, with one line saying which check failed, when one does.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
[ -x "$PY" ] || { echo "gpu_check: no $PY; run 'make install' first (or set PYTHON)" >&2; exit 2; }
if [ "$DEVICE" = cuda ] && ! "$PY" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
  echo "gpu_check: torch sees no CUDA device (torch.cuda.is_available() is False); nothing was run" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
failed=()

check() {  # check NAME SECONDS COMMAND...: run it with a time limit, print its last line as the result
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS out
  if out=$(timeout "$limit" "$@" 2>"$tmp/$name.err"); then
    printf '%-12s %4ds  %s\n' "$name" $((SECONDS - t0)) "$(tail -n 1 <<<"$out")"
  else
    printf '%-12s %4ds  FAILED: %s\n' "$name" $((SECONDS - t0)) "$(tail -n 1 "$tmp/$name.err")"
    failed+=("$name")
  fi
}

cat >"$tmp/summary.py" <<'PY'
import json, sys  # the last line of `ganstudy trial --json`, as one line
r = json.loads(sys.stdin.read().splitlines()[-1])
print(f"{r['status']}, {r['score_name']} {r['score']:.4g}, {r['grad_calls']} grad calls, "
      f"{r['wall_time_s']:.1f} s of training")
PY
cat >"$tmp/study_summary.py" <<'PY'
import json, pathlib, sys  # the final report of each trial of a study's grid
rows = [json.loads(p.read_text().splitlines()[-1]) for p in pathlib.Path(sys.argv[1]).glob("trial_*/result.json")]
ok = sum(r["status"] == "ok" for r in rows)
print(f"{ok}/{len(rows)} trials ok, {sys.argv[2]} GPU each, best energy {min(r['score'] for r in rows):.4g}")
PY

"$PY" -c "import torch; d = torch.cuda.get_device_name(0) if '$DEVICE' == 'cuda' else 'cpu'; \
print(f'gpu_check: torch {torch.__version__}, CUDA {torch.version.cuda}, device {d}')"

# 1. populations on the device: every line of the benchmark
if "$PY" benchmarks/bench_population.py --device "$DEVICE" --iterations 10 --rounds 2 >"$tmp/bench.out" 2>"$tmp/bench.err"; then
  sed 's/^/population   /' "$tmp/bench.out"
else
  echo "population   FAILED: $(tail -n 1 "$tmp/bench.err")"; failed+=(population)
fi

# 2. one budgeted digits trial
check digits 180 bash -c "'$PY' -m study.cli trial studies/digits.yaml --set device=$DEVICE --set max_grad_calls=1200 \
  --set eval_samples=1000 --json 2>/dev/null | '$PY' '$tmp/summary.py'"

# 3. a CIFAR-10-shaped DCGAN trial on synthetic images
"$PY" -c "from pathlib import Path; from tests.image_files import write_cifar10; write_cifar10(Path('$tmp/cifar'), per_batch=400)"
cat >"$tmp/cifar.yaml" <<YAML
name: cifar-shaped
trial: {dataset: cifar10, data_root: $tmp/cifar, arch: dcgan, loss: wgan, optimizer: adam, regularizer: gp,
        batch_size: 64, iterations: 1000000, max_grad_calls: 600, budget_evals: 1, eval_samples: 1000,
        eval_extractor: classifier}
YAML
check cifar-dcgan 180 bash -c "'$PY' -m study.cli trial '$tmp/cifar.yaml' --set device=$DEVICE --json 2>/dev/null \
  | '$PY' '$tmp/summary.py'"

# 4. four trials sharing one GPU through Ray's fractional resources
gpu=0.25; [ "$DEVICE" = cuda ] || gpu=0
cat >"$tmp/share.yaml" <<YAML
name: share
trial: {dataset: ring8, arch: mlp, width: 64, depth: 2, batch_size: 128, iterations: 1000000,
        max_grad_calls: 3000, budget_evals: 2, device: $DEVICE}
grid: {optimizer: [adam], lr: [1.0e-3, 1.0e-2], seed: [0, 1]}
population: {max_members: 1}
resources: {cpu: 1, gpu: $gpu}
YAML
check study-gpu 240 bash -c "'$PY' -m study.cli run '$tmp/share.yaml' --storage '$tmp/results' >/dev/null 2>&1 \
  && '$PY' '$tmp/study_summary.py' '$tmp/results/share/grid' $gpu"

echo "gpu_check: $((SECONDS - start)) s in all"
if [ ${#failed[@]} -gt 0 ]; then
  echo "gpu_check: failed: ${failed[*]} (the lines above say why)" >&2
  exit 1
fi
