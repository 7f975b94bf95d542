// Row kernels of softmax and cross-entropy and the recurrent cells' gates, written once with vector extensions and compiled
// for several instruction sets: kernels.c includes this file once per set, defining
//   WS_LANES   floats per vector
//   WS_ATTR    the function attribute (e.g. __attribute__((target("avx2,fma")))), or empty
//   WS_NAME(x) the per-set name of x
// exp is a Cephes-style polynomial (~2 ulp); the Swift side reaches it through VectorMath.expShifted.

typedef float WS_NAME(vf) __attribute__((vector_size(WS_LANES * 4)));
typedef int WS_NAME(vi) __attribute__((vector_size(WS_LANES * 4)));
#define VF WS_NAME(vf)
#define VI WS_NAME(vi)

// Lanes where `m` is set take `a`, the others `b` (m comes from a vector comparison).
WS_ATTR static inline VF WS_NAME(select)(VI m, VF a, VF b) {
    return (VF)(((VI)a & m) | ((VI)b & ~m));
}

WS_ATTR static inline VF WS_NAME(exp)(VF x) {
    const float lo = -87.33654f, hi = 88.72284f;
    const VF zero = (VF){0};
    VF xc = WS_NAME(select)(x < lo, zero + lo, x);
    xc = WS_NAME(select)(xc > hi, zero + hi, xc);
    // n = round(x log2 e) with the 1.5·2^23 trick; x = n ln2 + r.
    const float magic = 12582912.0f;
    VF shifted = xc * 1.44269504f + magic;
    VF n = shifted - magic;
    VF r = xc - n * 0.693359375f;
    r = r + n * 2.1219444e-4f;
    VF p = r * 1.9875691500e-4f + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    VI bits = (VI)shifted - 0x4B400000;
    VF scale = (VF)((bits + 127) << 23);
    VF result = p * scale;
    result = WS_NAME(select)(x < lo, zero, result);  // underflow (and -inf) -> exactly 0
    result = WS_NAME(select)(x > hi, zero + __builtin_inff(), result);
    return WS_NAME(select)(x != x, x, result);  // NaN stays NaN
}

WS_ATTR static inline VF WS_NAME(load)(const float *p) {
    VF v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

WS_ATTR static inline void WS_NAME(store)(float *p, VF v) { __builtin_memcpy(p, &v, sizeof v); }

// The last n % WS_LANES elements, padded with `fill`.
WS_ATTR static inline VF WS_NAME(load_tail)(const float *p, int count, float fill) {
    float buf[WS_LANES];
    for (int i = 0; i < WS_LANES; i++) buf[i] = i < count ? p[i] : fill;
    return WS_NAME(load)(buf);
}

// count (1...WS_LANES) elements: a plain load when the vector is full, else padded with 0.
WS_ATTR static inline VF WS_NAME(load_n)(const float *p, int count) {
    return count == WS_LANES ? WS_NAME(load)(p) : WS_NAME(load_tail)(p, count, 0);
}

WS_ATTR static inline void WS_NAME(store_n)(float *p, VF v, int count) {
    if (count == WS_LANES) { WS_NAME(store)(p, v); return; }
    for (int i = 0; i < count; i++) p[i] = v[i];
}

WS_ATTR static inline float WS_NAME(hsum)(VF v) {
    float s = 0;
    for (int i = 0; i < WS_LANES; i++) s += v[i];
    return s;
}

WS_ATTR static float WS_NAME(row_max)(const float *x, int n) {
    VF m = (VF){0} - __builtin_inff();
    int i = 0;
    for (; i + WS_LANES <= n; i += WS_LANES) {
        VF v = WS_NAME(load)(x + i);
        m = WS_NAME(select)(v > m, v, m);
    }
    if (i < n) {
        VF v = WS_NAME(load_tail)(x + i, n - i, -__builtin_inff());
        m = WS_NAME(select)(v > m, v, m);
    }
    float r = m[0];
    for (int k = 1; k < WS_LANES; k++) r = m[k] > r ? m[k] : r;
    return r;
}

// dst[i] = exp(x[i] + shift) unless dst is NULL; returns Σ exp(x[i] + shift) in Float64,
// partial sums flushed every 1024 elements. dst may equal x. Always inlined, so the callers
// below each get a copy with the store decided at compile time.
WS_ATTR static inline __attribute__((always_inline)) double WS_NAME(exp_sum_store)(const float *x, float *dst,
                                                                                   float shift, int n) {
    double total = 0;
    VF acc = (VF){0};
    int i = 0;
    for (; i + WS_LANES <= n; i += WS_LANES) {
        VF e = WS_NAME(exp)(WS_NAME(load)(x + i) + shift);
        if (dst) WS_NAME(store)(dst + i, e);
        acc += e;
        if ((i & 1023) == 1024 - WS_LANES) { total += WS_NAME(hsum)(acc); acc = (VF){0}; }
    }
    if (i < n) {
        VF e = WS_NAME(exp)(WS_NAME(load_tail)(x + i, n - i, -__builtin_inff()) + shift);
        if (dst) WS_NAME(store_n)(dst + i, e, n - i);
        acc += e;  // padded lanes are exp(-inf) = 0
    }
    return total + WS_NAME(hsum)(acc);
}

// Σ exp(x[i] + shift) (cross-entropy: the scores stay as they are for backward).
WS_ATTR static double WS_NAME(exp_sum)(const float *x, float shift, int n) {
    return WS_NAME(exp_sum_store)(x, 0, shift, n);
}

// dst[i] = exp(x[i] + shift), returning their sum: softmax writes the values and needs the
// sum, in one pass.
WS_ATTR static double WS_NAME(exp_shifted)(const float *x, float *dst, float shift, int n) {
    return WS_NAME(exp_sum_store)(x, dst, shift, n);
}

// dst[i] = (accumulate ? dst[i] : 0) + scale · (exp(x[i] + shift) - offset); dst may equal x.
WS_ATTR static void WS_NAME(scaled_exp)(const float *x, float *dst, float shift, float scale, float offset,
                                        int accumulate, int n) {
    int i = 0;
    for (; i + WS_LANES <= n; i += WS_LANES) {
        VF v = (WS_NAME(exp)(WS_NAME(load)(x + i) + shift) - offset) * scale;
        if (accumulate) v += WS_NAME(load)(dst + i);
        WS_NAME(store)(dst + i, v);
    }
    if (i < n) {
        VF v = (WS_NAME(exp)(WS_NAME(load_tail)(x + i, n - i, 0) + shift) - offset) * scale;
        for (int k = 0; i + k < n; k++) dst[i + k] = accumulate ? dst[i + k] + v[k] : v[k];
    }
}

WS_ATTR static inline VF WS_NAME(sigmoid)(VF x) { return 1.0f / (1.0f + WS_NAME(exp)(-x)); }

// Cephes' tanhf: an odd polynomial below |x| = 0.625, 1 - 2 / (e^2|x| + 1) above (~2 ulp).
WS_ATTR static inline VF WS_NAME(tanh)(VF x) {
    VF z = x * x;
    VF small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z
                 + 1.33314422036e-1f) * z - 3.33332819422e-1f) * z * x + x;
    VF ax = WS_NAME(select)(x < 0.0f, -x, x);
    VF large = 1.0f - 2.0f / (WS_NAME(exp)(ax + ax) + 1.0f);
    large = WS_NAME(select)(x < 0.0f, -large, large);
    return WS_NAME(select)(ax < 0.625f, small, large);
}

// One LSTM step's gates and state for `batch` rows of `hidden` units (see ws_lstm_cell).
WS_ATTR static void WS_NAME(lstm_cell)(const float *gates, const float *c, float *act, float *h_out, float *c_out,
                                       float *tanh_c_out, int batch, int hidden) {
    for (int r = 0; r < batch; r++) {
        const float *g = gates + (long)r * 4 * hidden;
        float *a = act + (long)r * 4 * hidden;
        long o = (long)r * hidden;
        for (int j = 0; j < hidden; j += WS_LANES) {
            int k = hidden - j < WS_LANES ? hidden - j : WS_LANES;
            VF i = WS_NAME(sigmoid)(WS_NAME(load_n)(g + j, k));
            VF f = WS_NAME(sigmoid)(WS_NAME(load_n)(g + hidden + j, k));
            VF n = WS_NAME(tanh)(WS_NAME(load_n)(g + 2 * hidden + j, k));
            VF u = WS_NAME(sigmoid)(WS_NAME(load_n)(g + 3 * hidden + j, k));
            VF cn = f * WS_NAME(load_n)(c + o + j, k) + i * n;
            VF tc = WS_NAME(tanh)(cn);
            WS_NAME(store_n)(a + j, i, k);
            WS_NAME(store_n)(a + hidden + j, f, k);
            WS_NAME(store_n)(a + 2 * hidden + j, n, k);
            WS_NAME(store_n)(a + 3 * hidden + j, u, k);
            WS_NAME(store_n)(c_out + o + j, cn, k);
            WS_NAME(store_n)(h_out + o + j, u * tc, k);
            WS_NAME(store_n)(tanh_c_out + o + j, tc, k);
        }
    }
}

// One GRU step's gates and state (see ws_gru_cell).
WS_ATTR static void WS_NAME(gru_cell)(const float *gi, const float *gh, const float *h, float *act, float *h_out,
                                      int batch, int hidden) {
    for (int b = 0; b < batch; b++) {
        const float *x = gi + (long)b * 3 * hidden, *y = gh + (long)b * 3 * hidden;
        float *a = act + (long)b * 3 * hidden;
        long o = (long)b * hidden;
        for (int j = 0; j < hidden; j += WS_LANES) {
            int k = hidden - j < WS_LANES ? hidden - j : WS_LANES;
            VF r = WS_NAME(sigmoid)(WS_NAME(load_n)(x + j, k) + WS_NAME(load_n)(y + j, k));
            VF z = WS_NAME(sigmoid)(WS_NAME(load_n)(x + hidden + j, k) + WS_NAME(load_n)(y + hidden + j, k));
            VF n = WS_NAME(tanh)(WS_NAME(load_n)(x + 2 * hidden + j, k) + r * WS_NAME(load_n)(y + 2 * hidden + j, k));
            WS_NAME(store_n)(a + j, r, k);
            WS_NAME(store_n)(a + hidden + j, z, k);
            WS_NAME(store_n)(a + 2 * hidden + j, n, k);
            WS_NAME(store_n)(h_out + o + j, n + z * (WS_NAME(load_n)(h + o + j, k) - n), k);
        }
    }
}

#undef VF
#undef VI
