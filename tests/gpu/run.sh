#!/usr/bin/env bash
# The GPU checks on a machine with an NVIDIA GPU: CPU/GPU parity (test_gpu), the
# kernels' arithmetic (test_gpu_math) and the benchmarks on the GPU beside the CPU in the same run.
#
#   tests/gpu/run.sh [RESULTS]                    build here (the Debian packages of
#                                                 packaging/install-deps.sh, nvcc, cuDNN) and run
#   tests/gpu/run.sh --bundle FILE.tar.xz         build here and pack the binaries with the
#                                                 libraries they need, for a GPU machine that lacks
#                                                 them (x86-64, glibc ≥ 2.36, NVIDIA driver, cuDNN 9)
#   tests/gpu/run.sh --from-bundle FILE.tar.xz [RESULTS]
#                                                 unpack such a bundle and run (there)
#
# RESULTS (default gpu-results/) receives device.txt, test_gpu.txt, test_gpu_math.txt and one
# file per benchmark; docs/performance.md ("GPU") says how to read them. The seed-size target
# (2560² slices, 128 slices, W = 16, I = 1: refresh ≤ 0.3 s; TomoGAN ≤ 30 ms per 2560² slice)
# is the `bench-stream-seed` and `bench-tomogan` output.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build="$repo/build-gpu"

build_here() {
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTOMOLIVE_ENABLE_CUDA=ON >/dev/null
  cmake --build "$build" -j"$(nproc)" --target tomolive-cli test_gpu test_gpu_math tomolive_gpu ||
    { echo "build failed: is the GPU plugin configured (nvcc and cuDNN found)?" >&2; exit 1; }
}

# Runs every check with binaries in $1/{bin,plugins} and writes to $2.
run_checks() {
  local bin=$1/bin plugin=$1/plugins/libtomolive_gpu.so results=$2
  mkdir -p "$results"
  export TOMOLIVE_GPU_PLUGIN=$plugin
  export TOMOLIVE_MODEL=$repo/resources/models/tomogan.h5
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
  { nvidia-smi -L 2>&1 || echo "nvidia-smi not available"; nproc; } | tee "$results/device.txt"
  local status=0
  "$bin/test_gpu_math" 2>&1 | tee "$results/test_gpu_math.txt" || status=1
  "$bin/test_gpu" 2>&1 | tee "$results/test_gpu.txt" || status=1
  if grep -q "SKIP   : TestGpu::initTestCase" "$results/test_gpu.txt"; then
    echo "no CUDA device answered: see $results/test_gpu.txt" >&2
    return 1
  fi
  local cli=$bin/tomolive-cli
  # Projector throughput (each call uploads and downloads its stacks), CPU and GPU.
  "$cli" bench projector --backend cpu --sizes 1024,2560 --slices 16 --repeats 3 \
    | tee "$results/bench-projector-cpu.md"
  "$cli" bench projector --backend cuda --sizes 1024,2560 --slices 16 --repeats 5 \
    | tee "$results/bench-projector-cuda.md"
  # The seed's full size on the GPU, and the CPU on the same problem for the ratio.
  "$cli" bench stream --backend cuda --size 2560 --slices 128 --projections 1536 \
    --windows 16,32,64 --iterations 1,5 --repeats 5 | tee "$results/bench-stream-seed-cuda.md"
  "$cli" bench stream --backend cpu --size 2560 --slices 128 --projections 1536 \
    --windows 16 --iterations 1 --repeats 3 | tee "$results/bench-stream-seed-cpu.md"
  # TomoGAN: oneDNN rows (CPU) and cuDNN rows in every precision.
  "$cli" bench tomogan --backend cuda --sizes 1024,2560 --repeats 5 \
    | tee "$results/bench-tomogan.md"
  return $status
}

case "${1:-}" in
  --bundle)
    out=${2:?"--bundle FILE.tar.xz"}
    build_here
    stage=$(mktemp -d)
    mkdir -p "$stage/bin" "$stage/plugins" "$stage/lib"
    cp "$build/app/tomolive-cli" "$build/tests/test_gpu" "$build/tests/test_gpu_math" "$stage/bin/"
    cp "$build/plugins/libtomolive_gpu.so" "$stage/plugins/"
    # Every library the binaries load except glibc, the C++ runtime and CUDA's own (the GPU
    # machine has newer ones of those).
    for f in "$stage"/bin/* "$stage/plugins/libtomolive_gpu.so"; do
      ldd "$f" | awk '/=> \// {print $3}'
    done | sort -u | grep -Ev '/(libc|libm|libdl|librt|libpthread|libresolv|libstdc\+\+|libgcc_s|ld-linux[^/]*|libcudnn[^/]*|libcuda[^/]*)\.so' \
      | xargs -r -I{} cp -L {} "$stage/lib/"
    tar -C "$stage" -cJf "$out" bin plugins lib
    rm -rf "$stage"
    ls -la "$out"
    ;;
  --from-bundle)
    bundle=${2:?"--from-bundle FILE.tar.xz [RESULTS]"}
    results=${3:-$repo/gpu-results}
    unpacked=$(mktemp -d)
    tar -C "$unpacked" -xJf "$bundle"
    # cuDNN from the CUDA toolkit or from the Python packages (nvidia-cudnn-cu13), whichever exists.
    cudnn=""
    for dir in /usr/local/cuda/lib64 /usr/local/cuda/lib \
      "$(python3 -c 'import nvidia.cudnn; print(list(nvidia.cudnn.__path__)[0] + "/lib")' 2>/dev/null || true)"; do
      if [ -n "$dir" ] && [ -d "$dir" ]; then cudnn="$cudnn$dir:"; fi
    done
    export LD_LIBRARY_PATH="$unpacked/lib:${cudnn}${LD_LIBRARY_PATH:-}"
    run_checks "$unpacked" "$results"
    ;;
  *)
    results=${1:-$repo/gpu-results}
    build_here
    mkdir -p "$build/bin"
    ln -sf ../app/tomolive-cli ../tests/test_gpu ../tests/test_gpu_math "$build/bin/"
    run_checks "$build" "$results"
    ;;
esac
