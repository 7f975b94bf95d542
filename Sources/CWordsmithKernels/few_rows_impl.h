// c += a · b for a with few rows: the recurrent layers' per-step product h W_hhᵀ, where each
// core has 5-10 rows of the batch. A BLAS packs b (the whole 800 x 200 weight, 640 KB) on
// every call, which costs several times the arithmetic at this size; here b is read in place
// (the caller passes W_hhᵀ, transposed once per sequence) and each row's sums run in registers.
// Like softmax_impl.h (included first: load, store, load_n, store_n), kernels.c includes this
// once per instruction set, with
//   WS_LANES, WS_ATTR, WS_NAME  as there
//   WS_FEW_ROWS                 rows per register tile (by 4 vectors of columns)
//
// Each c[r][j] is Σ_p a[r][p]·b[p][j] summed in order of p from zero, then added to c: the
// order of OpenBLAS's kernels, so with fused multiply-adds the results match its sgemm's.

#define VF WS_NAME(vf)

// Columns j..j+width of rows r0..r0+rows (rows <= WS_FEW_ROWS), width a multiple of WS_LANES
// up to 4 vectors, or (tail) fewer than WS_LANES columns.
WS_ATTR static inline __attribute__((always_inline)) void WS_NAME(few_rows_tile)(
    const float *a, int lda, int rows, int k, const float *b, int ldb, float *c, int ldc, int vectors, int tail) {
    VF acc[WS_FEW_ROWS][4];
#pragma clang loop unroll(full)
    for (int r = 0; r < WS_FEW_ROWS; r++)
#pragma clang loop unroll(full)
        for (int v = 0; v < 4; v++) acc[r][v] = (VF){0};
    for (int p = 0; p < k; p++) {
        const float *bp = b + (long)p * ldb;
        VF bv[4];
#pragma clang loop unroll(full)
        for (int v = 0; v < 4; v++)
            if (v < vectors) bv[v] = tail ? WS_NAME(load_n)(bp, tail) : WS_NAME(load)(bp + v * WS_LANES);
#pragma clang loop unroll(full)
        for (int r = 0; r < WS_FEW_ROWS; r++) {
            if (r < rows) {
                float s = a[(long)r * lda + p];
#pragma clang loop unroll(full)
                for (int v = 0; v < 4; v++)
                    if (v < vectors) acc[r][v] += bv[v] * s;
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        float *cr = c + (long)r * ldc;
        for (int v = 0; v < vectors; v++) {
            if (tail) WS_NAME(store_n)(cr, WS_NAME(load_n)(cr, tail) + acc[r][v], tail);
            else WS_NAME(store)(cr + v * WS_LANES, WS_NAME(load)(cr + v * WS_LANES) + acc[r][v]);
        }
    }
}

// c[r][j] += Σ_p a[r][p]·b[p][j] for r < m, j < n, p < k (row-major, leading dimensions lda,
// ldb, ldc).
WS_ATTR static void WS_NAME(gemm_few_rows)(const float *a, int lda, int m, int k, const float *b, int ldb, int n,
                                           float *c, int ldc) {
    for (int r0 = 0; r0 < m; r0 += WS_FEW_ROWS) {
        int rows = m - r0 < WS_FEW_ROWS ? m - r0 : WS_FEW_ROWS;
        const float *ar = a + (long)r0 * lda;
        float *cr = c + (long)r0 * ldc;
        int j = 0;
        // Full tiles of 4 vectors: the constant count lets the compiler keep them in registers.
        for (; j + 4 * WS_LANES <= n; j += 4 * WS_LANES)
            WS_NAME(few_rows_tile)(ar, lda, rows, k, b + j, ldb, cr + j, ldc, 4, 0);
        for (; j + WS_LANES <= n; j += WS_LANES)
            WS_NAME(few_rows_tile)(ar, lda, rows, k, b + j, ldb, cr + j, ldc, 1, 0);
        if (j < n) WS_NAME(few_rows_tile)(ar, lda, rows, k, b + j, ldb, cr + j, ldc, 1, n - j);
    }
}

#undef VF
