// GFLOP/s of a BLAS library's cblas_sgemm on a model's matrix products, row-major as Wordsmith
// calls them: the forward (x · Wᵀ), the input gradient (g · W) and the weight gradient (gᵀ · x)
// shapes of the translation model (640 tokens, d_model 256, ff 1024, 7,322 target words) or,
// with "lm", of the language model's output layer (700 tokens, 200 features, 33,278 words).
// Built and run by benchmarks/gemm-shapes; the library is loaded with dlopen, as Wordsmith does.
// With "split", each product is cut into one block of C per thread along its longer side, each
// block a one-thread call on its own thread (what Wordsmith does with OpenBLAS); otherwise the
// library's own threads run the whole product. "peak" first measures the cores' FMA peak: each
// thread runs independent fused multiply-adds on registers only, the best any product can do.
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <immintrin.h>

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                         const float *, int, float, float *, int);
typedef void (*set_threads_fn)(int);
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static sgemm_fn sgemm;

typedef struct { int m, n, k, ta, tb, lda, ldb, ldc; const float *a, *b; float *c; } block;

static void *run_block(void *p) {
    block *j = p;
    sgemm(ROW_MAJOR, j->ta ? TRANS : NO_TRANS, j->tb ? TRANS : NO_TRANS, j->m, j->n, j->k, 1, j->a, j->lda,
          j->b, j->ldb, 0, j->c, j->ldc);
    return NULL;
}

// C = op(A)·op(B), on `threads` threads (1: one call). Edges at multiples of 16, as Wordsmith.
static void product(int threads, int m, int n, int k, int ta, int tb, const float *a, const float *b, float *c) {
    int lda = ta ? m : k, ldb = tb ? k : n, along_m = m >= n, length = along_m ? m : n;
    block blocks[64];
    pthread_t ids[64];
    if (threads > 64) threads = 64;
    for (int p = 0; p < threads; p++) {
        int lo = p == 0 ? 0 : (length * p / threads + 8) / 16 * 16;
        int hi = p == threads - 1 ? length : (length * (p + 1) / threads + 8) / 16 * 16;
        if (hi > length) hi = length;
        if (lo > hi) lo = hi;
        blocks[p] = along_m
            ? (block){hi - lo, n, k, ta, tb, lda, ldb, n, ta ? a + lo : a + (size_t)lo * lda, b, c + (size_t)lo * n}
            : (block){m, hi - lo, k, ta, tb, lda, ldb, n, a, tb ? b + (size_t)lo * ldb : b + lo, c + lo};
    }
    for (int p = 1; p < threads; p++) pthread_create(&ids[p], NULL, run_block, &blocks[p]);
    run_block(&blocks[0]);
    for (int p = 1; p < threads; p++) pthread_join(ids[p], NULL);
}

// Twelve independent accumulators hide the FMA latency on two FMA ports; each iteration is
// 12 vector FMAs of 16 (AVX-512) or 8 (AVX2) lanes, 2 FLOPs per lane.
#define FMA12(fma, a, b, c) \
    a##0 = fma(a##0, b, c); a##1 = fma(a##1, b, c); a##2 = fma(a##2, b, c); a##3 = fma(a##3, b, c); \
    a##4 = fma(a##4, b, c); a##5 = fma(a##5, b, c); a##6 = fma(a##6, b, c); a##7 = fma(a##7, b, c); \
    a##8 = fma(a##8, b, c); a##9 = fma(a##9, b, c); a##10 = fma(a##10, b, c); a##11 = fma(a##11, b, c);

static const long peak_iterations = 100000000;
static volatile float peak_sink;

__attribute__((target("avx512f"))) static void *fma_avx512(void *unused) {
    (void)unused;
    __m512 b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    // Distinct starting values, or the compiler folds the twelve chains into one.
#define START(w, i) w(1.0f + (i) * 1e-3f)
    __m512 a0 = START(_mm512_set1_ps, 0), a1 = START(_mm512_set1_ps, 1), a2 = START(_mm512_set1_ps, 2),
           a3 = START(_mm512_set1_ps, 3), a4 = START(_mm512_set1_ps, 4), a5 = START(_mm512_set1_ps, 5),
           a6 = START(_mm512_set1_ps, 6), a7 = START(_mm512_set1_ps, 7), a8 = START(_mm512_set1_ps, 8),
           a9 = START(_mm512_set1_ps, 9), a10 = START(_mm512_set1_ps, 10), a11 = START(_mm512_set1_ps, 11);
    for (long i = 0; i < peak_iterations; i++) { FMA12(_mm512_fmadd_ps, a, b, c) }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
    peak_sink = _mm512_reduce_add_ps(s);
    return NULL;
}

__attribute__((target("avx2,fma"))) static void *fma_avx2(void *unused) {
    (void)unused;
    __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a0 = START(_mm256_set1_ps, 0), a1 = START(_mm256_set1_ps, 1), a2 = START(_mm256_set1_ps, 2),
           a3 = START(_mm256_set1_ps, 3), a4 = START(_mm256_set1_ps, 4), a5 = START(_mm256_set1_ps, 5),
           a6 = START(_mm256_set1_ps, 6), a7 = START(_mm256_set1_ps, 7), a8 = START(_mm256_set1_ps, 8),
           a9 = START(_mm256_set1_ps, 9), a10 = START(_mm256_set1_ps, 10), a11 = START(_mm256_set1_ps, 11);
    for (long i = 0; i < peak_iterations; i++) { FMA12(_mm256_fmadd_ps, a, b, c) }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    peak_sink = lanes[0] + lanes[7];
    return NULL;
}

// The FMA peak of `threads` threads running at once, in GFLOP/s.
static void fma_peak(int threads) {
    int wide = __builtin_cpu_supports("avx512f");
    if (!wide && !__builtin_cpu_supports("fma")) { printf("FMA peak: this CPU has no FMA\n"); return; }
    void *(*body)(void *) = wide ? fma_avx512 : fma_avx2;
    pthread_t ids[64];
    if (threads > 64) threads = 64;
    double start = seconds();
    for (int p = 1; p < threads; p++) pthread_create(&ids[p], NULL, body, NULL);
    body(NULL);
    for (int p = 1; p < threads; p++) pthread_join(ids[p], NULL);
    double flops = (double)threads * peak_iterations * 12 * (wide ? 16 : 8) * 2;
    printf("FMA peak (%s, registers only): %.1f GFLOP/s on %d threads\n", wide ? "AVX-512" : "AVX2",
           flops / (seconds() - start) / 1e9, threads);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s LIBRARY THREADS [split] [lm] [peak]\n", argv[0]); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
    if (!lib) { fprintf(stderr, "error: cannot load %s: %s\n", argv[1], dlerror()); return 1; }
    sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
    if (!sgemm) { fprintf(stderr, "error: %s has no cblas_sgemm\n", argv[1]); return 1; }
    // OpenBLAS and BLIS each have their own way to set the thread count.
    set_threads_fn set_threads = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
    if (!set_threads) set_threads = (set_threads_fn)dlsym(lib, "bli_thread_set_num_threads");
    int threads = atoi(argv[2]), split = 0, lm = 0, peak = 0;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "split")) split = 1;
        else if (!strcmp(argv[i], "lm")) lm = 1;
        else if (!strcmp(argv[i], "peak")) peak = 1;
        else { fprintf(stderr, "error: unknown argument %s\n", argv[i]); return 2; }
    }
    if (peak) fma_peak(threads);
    if (set_threads) set_threads(split ? 1 : threads);
    if (!split) threads = 1;  // one call, threaded by the library

    static const int translation_shapes[][5] = {  // M, N, K, A transposed, B transposed
        {640, 256, 256, 0, 1}, {640, 1024, 256, 0, 1}, {640, 256, 1024, 0, 1}, {640, 7322, 256, 0, 1},
        {640, 256, 256, 0, 0}, {640, 256, 1024, 0, 0}, {640, 1024, 256, 0, 0}, {640, 256, 7322, 0, 0},
        {256, 256, 640, 1, 0}, {1024, 256, 640, 1, 0}, {256, 1024, 640, 1, 0}, {7322, 256, 640, 1, 0},
    };
    static const int lm_shapes[][5] = {  // the output layer: scores, input gradient, weight gradient
        {700, 33278, 200, 0, 1}, {700, 200, 33278, 0, 0}, {33278, 200, 700, 1, 0},
    };
    const int (*shapes)[5] = lm ? lm_shapes : translation_shapes;
    size_t count = lm ? sizeof lm_shapes / sizeof lm_shapes[0] : sizeof translation_shapes / sizeof translation_shapes[0];
    const size_t size = lm ? (size_t)700 * 33278 : (size_t)7322 * 1024;
    float *a = malloc(size * sizeof(float)), *b = malloc(size * sizeof(float)), *c = malloc(size * sizeof(float));
    if (!a || !b || !c) { fprintf(stderr, "error: out of memory\n"); return 1; }
    for (size_t i = 0; i < size; i++) { a[i] = (float)(i % 7) * 0.1f; b[i] = (float)(i % 5) * 0.1f; }

    double total_seconds = 0, total_flops = 0;
    for (size_t s = 0; s < count; s++) {
        int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2], ta = shapes[s][3], tb = shapes[s][4];
        for (int w = 0; w < 3; w++) product(threads, m, n, k, ta, tb, a, b, c);
        int reps = 0;
        double start = seconds(), elapsed;
        do {
            product(threads, m, n, k, ta, tb, a, b, c);
            reps++;
            elapsed = seconds() - start;
        } while (elapsed < 0.3);
        double flops = 2.0 * m * n * k;
        total_seconds += elapsed / reps;
        total_flops += flops;
        printf("%5d x %5d x %5d  %c%c  %6.1f GFLOP/s\n", m, n, k, ta ? 'T' : 'N', tb ? 'T' : 'N',
               flops * reps / elapsed / 1e9);
    }
    printf("all shapes once each: %.1f GFLOP/s\n", total_flops / total_seconds / 1e9);
    return 0;
}
