#pragma once
// TOMOLIVE_HD marks functions compiled for both the GPU kernels (nvcc) and the host (g++), so the
// kernels' per-thread arithmetic can be checked on a machine without a GPU (tests/test_gpu_math).
#ifdef __CUDACC__
#define TOMOLIVE_HD __host__ __device__
#else
#define TOMOLIVE_HD
#endif
