#ifndef CWORDSMITH_KERNELS_H
#define CWORDSMITH_KERNELS_H

/// Dense-vector kernels with runtime CPU dispatch: AVX-512 or AVX2+FMA versions are chosen
/// once at first use when the CPU has them, so the default (baseline x86-64) build still runs
/// everywhere. Swift compiles for SSE2 unless told otherwise. WORDSMITH_KERNELS=generic in the
/// environment keeps the baseline versions.

/// Σ a[i]·b[i]
float ws_dot(const float *a, const float *b, int n);

/// The two updates of a negative-sampling step in one pass: error += g·u; u += g·x.
void ws_ns_update(float g, float *u, float *error, const float *x, int n);

/// Largest of x[0..<n] (n > 0).
float ws_row_max(const float *x, int n);

/// Σ exp(x[i] + shift), accumulated in double.
double ws_exp_sum(const float *x, float shift, int n);

/// dst[i] = (accumulate ? dst[i] : 0) + scale · (exp(x[i] + shift) - offset). dst may be x.
/// With shift = -logsumexp(x) this is the (scaled, label-smoothed) softmax of a row.
void ws_scaled_exp(const float *x, float *dst, float shift, float scale, float offset, int accumulate, int n);

/// Which instruction set the kernels use: "avx512", "avx2" or "generic".
const char *ws_kernel_isa(void);

#endif
