#ifndef CWORDSMITH_KERNELS_H
#define CWORDSMITH_KERNELS_H

/// Dense-vector kernels with runtime CPU dispatch: AVX-512 or AVX2+FMA versions are chosen
/// once at first use when the CPU has them, so the default (baseline x86-64) build still runs
/// everywhere. Swift compiles for SSE2 unless told otherwise. WORDSMITH_KERNELS=generic in the
/// environment keeps the baseline versions; WORDSMITH_KERNELS=avx2 never takes AVX-512.

/// Σ a[i]·b[i]
float ws_dot(const float *a, const float *b, int n);

/// The two updates of a negative-sampling step in one pass: error += g·u; u += g·x.
void ws_ns_update(float g, float *u, float *error, const float *x, int n);

/// Largest of x[0..<n] (n > 0).
float ws_row_max(const float *x, int n);

/// Σ exp(x[i] + shift), accumulated in double.
double ws_exp_sum(const float *x, float shift, int n);

/// dst[i] = exp(x[i] + shift); returns Σ dst[i], accumulated in double. dst may be x.
double ws_exp_shifted(const float *x, float *dst, float shift, int n);

/// dst[i] = (accumulate ? dst[i] : 0) + scale · (exp(x[i] + shift) - offset). dst may be x.
/// With shift = -logsumexp(x) this is the (scaled, label-smoothed) softmax of a row.
void ws_scaled_exp(const float *x, float *dst, float shift, float scale, float offset, int accumulate, int n);

/// c[r][j] += Σ_p a[r][p]·b[p][j] for r < m, j < n, p < k (row-major; lda, ldb, ldc the row
/// strides): a matrix product for a with few rows (a recurrent step's rows on one core), with b
/// read in place instead of packed as a BLAS does. Each sum runs in order of p from zero and
/// is then added to c, as OpenBLAS's kernels do (the same results where both use FMA).
void ws_gemm_few_rows(const float *a, int lda, int m, int k, const float *b, int ldb, int n, float *c, int ldc);

/// One LSTM step, PyTorch's gate order (input, forget, cell, output). gates [batch, 4·hidden]
/// (pre-activation), c [batch, hidden] -> act (activated gates, same layout as gates),
/// h_out = o·tanh(c_out), c_out = f·c + i·g, tanh_c_out = tanh(c_out) (saved for backward).
void ws_lstm_cell(const float *gates, const float *c, float *act, float *h_out, float *c_out, float *tanh_c_out,
                  int batch, int hidden);

/// One GRU step, gate order (reset, update, new): gi, gh [batch, 3·hidden], h [batch, hidden]
/// -> act (r, z, n) and h_out = (1 - z)·n + z·h.
void ws_gru_cell(const float *gi, const float *gh, const float *h, float *act, float *h_out, int batch, int hidden);

/// The constants of one Adam step (see ws_adam_update).
typedef struct {
    float grad_scale, l2, beta1, beta2, decay, step_size, bc2_root, eps;
} ws_adam_params;

/// Adam's update of n parameters x with gradients g and moments m, v, in place:
/// g' = g·grad_scale + l2·x; m = β1·m + (1-β1)·g'; v = β2·v + (1-β2)·g'²;
/// x = x·decay - step_size·m / (√v / bc2_root + eps).
void ws_adam_update(float *x, const float *g, float *m, float *v, int n, const ws_adam_params *params);

/// Inverted dropout with the masks drawn element by element from xoshiro256** (Generator in
/// Random.swift), whose four state words `state` are advanced by n draws: draw i gives
/// u = (xoshiro256**() >> 40), mask[i] = u < threshold ? 0 : keep, and out[i] = x[i]·mask[i]
/// when x is not NULL. threshold = ⌈p·2²⁴⌉ drops with probability p: exactly the rule
/// `nextUnitFloat() < p` of the code before the speed-ups, so its masks are reproduced.
void ws_xoshiro_dropout_mask(unsigned long long state[4], float *mask, const float *x, float *out, long long n,
                             unsigned threshold, float keep);

/// Jumping xoshiro256** ahead (xoshiro_jump.c). The characteristic polynomial of its state
/// update, x^256 + low: returns 1, or 0 if it could not be found (then there are no jumps).
int ws_xoshiro_characteristic_polynomial(unsigned long long low[4]);
/// The jump by k draws: x^k mod (x^256 + low), for ws_xoshiro_jump.
void ws_xoshiro_jump_polynomial(const unsigned long long low[4], unsigned long long k, unsigned long long jump[4]);
/// Moves `state` to where k draws would take it, for the k of `jump` (about 1 µs).
void ws_xoshiro_jump(unsigned long long state[4], const unsigned long long jump[4]);

/// Which instruction set the kernels use: "avx512", "avx2" or "generic".
const char *ws_kernel_isa(void);

#endif
