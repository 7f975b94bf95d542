#include "CWordsmithKernels.h"

#include <stdlib.h>
#include <string.h>

// Generic versions: the compiler vectorizes these for the baseline target.
static float dot_generic(const float *a, const float *b, int n) {
    float s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static void ns_update_generic(float g, float *u, float *e, const float *x, int n) {
    for (int i = 0; i < n; i++) {
        float ui = u[i];
        e[i] += g * ui;
        u[i] = ui + g * x[i];
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("avx2,fma")))
static float dot_avx2(const float *a, const float *b, int n) {
    __m256 acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_hadd_ps(s, s);
    s = _mm_hadd_ps(s, s);
    float r = _mm_cvtss_f32(s);
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}

__attribute__((target("avx2,fma")))
static void ns_update_avx2(float g, float *u, float *e, const float *x, int n) {
    __m256 gv = _mm256_set1_ps(g);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 uv = _mm256_loadu_ps(u + i);
        _mm256_storeu_ps(e + i, _mm256_fmadd_ps(gv, uv, _mm256_loadu_ps(e + i)));
        _mm256_storeu_ps(u + i, _mm256_fmadd_ps(gv, _mm256_loadu_ps(x + i), uv));
    }
    for (; i < n; i++) {
        float ui = u[i];
        e[i] += g * ui;
        u[i] = ui + g * x[i];
    }
}

__attribute__((target("avx512f")))
static float dot_avx512(const float *a, const float *b, int n) {
    __m512 acc = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
    if (i < n) {  // the tail, masked
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

__attribute__((target("avx512f")))
static void ns_update_avx512(float g, float *u, float *e, const float *x, int n) {
    __m512 gv = _mm512_set1_ps(g);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 uv = _mm512_loadu_ps(u + i);
        _mm512_storeu_ps(e + i, _mm512_fmadd_ps(gv, uv, _mm512_loadu_ps(e + i)));
        _mm512_storeu_ps(u + i, _mm512_fmadd_ps(gv, _mm512_loadu_ps(x + i), uv));
    }
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 uv = _mm512_maskz_loadu_ps(m, u + i);
        _mm512_mask_storeu_ps(e + i, m, _mm512_fmadd_ps(gv, uv, _mm512_maskz_loadu_ps(m, e + i)));
        _mm512_mask_storeu_ps(u + i, m, _mm512_fmadd_ps(gv, _mm512_maskz_loadu_ps(m, x + i), uv));
    }
}
#define WS_X86 1
#endif

// Softmax and cross-entropy row kernels, one instantiation per instruction set.
#define WS_LANES 4  // SSE2 width: wider generic vectors would change the calling convention
#define WS_ATTR
#define WS_NAME(x) generic_##x
#define WS_FEW_ROWS 3  // 3 x 4 accumulators of the 16 vector registers
#include "softmax_impl.h"
#include "few_rows_impl.h"
#include "adam_impl.h"
#undef WS_LANES
#undef WS_ATTR
#undef WS_NAME
#undef WS_FEW_ROWS
#ifdef WS_X86
#define WS_LANES 8
#define WS_ATTR __attribute__((target("avx2,fma")))
#define WS_NAME(x) avx2_##x
#define WS_FEW_ROWS 3
#include "softmax_impl.h"
#include "few_rows_impl.h"
#include "adam_impl.h"
#undef WS_LANES
#undef WS_ATTR
#undef WS_NAME
#undef WS_FEW_ROWS
#define WS_LANES 16
#define WS_ATTR __attribute__((target("avx512f,avx512dq")))
#define WS_NAME(x) avx512_##x
#define WS_FEW_ROWS 6  // 6 x 4 accumulators of the 32 vector registers
#include "softmax_impl.h"
#include "few_rows_impl.h"
#include "adam_impl.h"
#undef WS_LANES
#undef WS_ATTR
#undef WS_NAME
#undef WS_FEW_ROWS
#endif

typedef float (*row_max_fn)(const float *, int);
typedef double (*exp_sum_fn)(const float *, float, int);
typedef double (*exp_shifted_fn)(const float *, float *, float, int);
typedef void (*scaled_exp_fn)(const float *, float *, float, float, float, int, int);
typedef void (*gemm_few_rows_fn)(const float *, int, int, int, const float *, int, int, float *, int);
static gemm_few_rows_fn gemm_few_rows_impl;
typedef void (*lstm_cell_fn)(const float *, const float *, float *, float *, float *, float *, int, int);
typedef void (*gru_cell_fn)(const float *, const float *, const float *, float *, float *, int, int);
static lstm_cell_fn lstm_cell_impl;
static gru_cell_fn gru_cell_impl;
typedef void (*adam_fn)(float *, const float *, float *, float *, int, const ws_adam_params *);
static adam_fn adam_impl;
static row_max_fn row_max_impl;
static exp_sum_fn exp_sum_impl;
static exp_shifted_fn exp_shifted_impl;
static scaled_exp_fn scaled_exp_impl;

typedef float (*dot_fn)(const float *, const float *, int);
typedef void (*update_fn)(float, float *, float *, const float *, int);
static dot_fn dot_impl;
static update_fn update_impl;
static const char *isa = "generic";

// Chosen before main() runs, so the pointers are never written while threads read them.
__attribute__((constructor))
static void choose_kernels(void) {
    dot_impl = dot_generic;
    update_impl = ns_update_generic;
    row_max_impl = generic_row_max;
    exp_sum_impl = generic_exp_sum;
    exp_shifted_impl = generic_exp_shifted;
    scaled_exp_impl = generic_scaled_exp;
    gemm_few_rows_impl = generic_gemm_few_rows;
    lstm_cell_impl = generic_lstm_cell;
    gru_cell_impl = generic_gru_cell;
    adam_impl = generic_adam_update;
#ifdef WS_X86
    // WORDSMITH_KERNELS=generic keeps the baseline versions, =avx2 skips AVX-512 (CI tests
    // each set this way on its AVX-512 machine).
    const char *forced = getenv("WORDSMITH_KERNELS");
    if (forced && strcmp(forced, "generic") == 0) return;
    int allow512 = !(forced && strcmp(forced, "avx2") == 0);
    __builtin_cpu_init();
    if (allow512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
        dot_impl = dot_avx512;
        update_impl = ns_update_avx512;
        row_max_impl = avx512_row_max;
        exp_sum_impl = avx512_exp_sum;
        exp_shifted_impl = avx512_exp_shifted;
        scaled_exp_impl = avx512_scaled_exp;
        gemm_few_rows_impl = avx512_gemm_few_rows;
        lstm_cell_impl = avx512_lstm_cell;
        gru_cell_impl = avx512_gru_cell;
        adam_impl = avx512_adam_update;
        isa = "avx512";
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        dot_impl = dot_avx2;
        update_impl = ns_update_avx2;
        row_max_impl = avx2_row_max;
        exp_sum_impl = avx2_exp_sum;
        exp_shifted_impl = avx2_exp_shifted;
        scaled_exp_impl = avx2_scaled_exp;
        gemm_few_rows_impl = avx2_gemm_few_rows;
        lstm_cell_impl = avx2_lstm_cell;
        gru_cell_impl = avx2_gru_cell;
        adam_impl = avx2_adam_update;
        isa = "avx2";
    }
#endif
}

float ws_dot(const float *a, const float *b, int n) { return dot_impl(a, b, n); }
void ws_ns_update(float g, float *u, float *e, const float *x, int n) { update_impl(g, u, e, x, n); }
const char *ws_kernel_isa(void) { return isa; }

float ws_row_max(const float *x, int n) { return row_max_impl(x, n); }
double ws_exp_sum(const float *x, float shift, int n) { return exp_sum_impl(x, shift, n); }
double ws_exp_shifted(const float *x, float *dst, float shift, int n) { return exp_shifted_impl(x, dst, shift, n); }
void ws_scaled_exp(const float *x, float *dst, float shift, float scale, float offset, int accumulate, int n) {
    scaled_exp_impl(x, dst, shift, scale, offset, accumulate, n);
}
void ws_gemm_few_rows(const float *a, int lda, int m, int k, const float *b, int ldb, int n, float *c, int ldc) {
    gemm_few_rows_impl(a, lda, m, k, b, ldb, n, c, ldc);
}
void ws_lstm_cell(const float *gates, const float *c, float *act, float *h_out, float *c_out, float *tanh_c_out,
                  int batch, int hidden) {
    lstm_cell_impl(gates, c, act, h_out, c_out, tanh_c_out, batch, hidden);
}
void ws_gru_cell(const float *gi, const float *gh, const float *h, float *act, float *h_out, int batch, int hidden) {
    gru_cell_impl(gi, gh, h, act, h_out, batch, hidden);
}
void ws_adam_update(float *x, const float *g, float *m, float *v, int n, const ws_adam_params *params) {
    adam_impl(x, g, m, v, n, params);
}
