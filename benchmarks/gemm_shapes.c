// GFLOP/s of a BLAS library's cblas_sgemm on the translation model's matrix products
// (640 tokens, d_model 256, ff 1024, 7,322 target words): the forward (x · Wᵀ), the input
// gradient (g · W) and the weight gradient (gᵀ · x) shapes, row-major as Wordsmith calls them.
// Built and run by benchmarks/gemm-shapes; the library is loaded with dlopen, as Wordsmith does.
#include <dlfcn.h>
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

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s LIBRARY THREADS\n", argv[0]); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
    if (!lib) { fprintf(stderr, "error: cannot load %s: %s\n", argv[1], dlerror()); return 1; }
    sgemm_fn sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
    if (!sgemm) { fprintf(stderr, "error: %s has no cblas_sgemm\n", argv[1]); return 1; }
    // OpenBLAS and BLIS each have their own way to set the thread count.
    set_threads_fn set_threads = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
    if (!set_threads) set_threads = (set_threads_fn)dlsym(lib, "bli_thread_set_num_threads");
    if (set_threads) set_threads(atoi(argv[2]));

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
        int lda = ta ? m : k, ldb = tb ? k : n;
        int opa = ta ? TRANS : NO_TRANS, opb = tb ? TRANS : NO_TRANS;
        for (int w = 0; w < 3; w++) sgemm(ROW_MAJOR, opa, opb, m, n, k, 1, a, lda, b, ldb, 0, c, n);
        int reps = 0;
        double start = seconds(), elapsed;
        do {
            sgemm(ROW_MAJOR, opa, opb, m, n, k, 1, a, lda, b, ldb, 0, c, n);
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
