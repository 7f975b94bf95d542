// GFLOP/s of a BLAS library's cblas_sgemm on the translation model's matrix products
// (640 tokens, d_model 256, ff 1024, 7,322 target words): the forward (x · Wᵀ), the input
// gradient (g · W) and the weight gradient (gᵀ · x) shapes, row-major as Wordsmith calls them.
// Built and run by benchmarks/gemm-shapes; the library is loaded with dlopen, as Wordsmith does.
// With "split" after the thread count, each product is cut into one block of C per thread
// along its longer side, each block a one-thread call on its own thread (what Wordsmith does
// with OpenBLAS); otherwise the library's own threads run the whole product.
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s LIBRARY THREADS [split]\n", argv[0]); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
    if (!lib) { fprintf(stderr, "error: cannot load %s: %s\n", argv[1], dlerror()); return 1; }
    sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
    if (!sgemm) { fprintf(stderr, "error: %s has no cblas_sgemm\n", argv[1]); return 1; }
    // OpenBLAS and BLIS each have their own way to set the thread count.
    set_threads_fn set_threads = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
    if (!set_threads) set_threads = (set_threads_fn)dlsym(lib, "bli_thread_set_num_threads");
    int threads = atoi(argv[2]), split = argc > 3 && argv[3][0] == 's';
    if (set_threads) set_threads(split ? 1 : threads);
    if (!split) threads = 1;  // one call, threaded by the library

    static const int shapes[][5] = {  // M, N, K, A transposed, B transposed
        {640, 256, 256, 0, 1}, {640, 1024, 256, 0, 1}, {640, 256, 1024, 0, 1}, {640, 7322, 256, 0, 1},
        {640, 256, 256, 0, 0}, {640, 256, 1024, 0, 0}, {640, 1024, 256, 0, 0}, {640, 256, 7322, 0, 0},
        {256, 256, 640, 1, 0}, {1024, 256, 640, 1, 0}, {256, 1024, 640, 1, 0}, {7322, 256, 640, 1, 0},
    };
    const size_t size = (size_t)7322 * 1024;
    float *a = malloc(size * sizeof(float)), *b = malloc(size * sizeof(float)), *c = malloc(size * sizeof(float));
    if (!a || !b || !c) { fprintf(stderr, "error: out of memory\n"); return 1; }
    for (size_t i = 0; i < size; i++) { a[i] = (float)(i % 7) * 0.1f; b[i] = (float)(i % 5) * 0.1f; }

    double total_seconds = 0, total_flops = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
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
