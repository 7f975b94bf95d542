// Dropout masks from the counter-based SplitMix64 stream (CounterStream in Random.swift),
// compiled once per instruction set like softmax_impl.h. The scalar Swift loop spent ~5% of a
// translation step here: two 64-bit multiplies per element, which vectorize (vpmullq on
// AVX-512DQ, emulated with 32-bit multiplies on AVX2 and SSE2).
//   u_i = splitmix64_mix(key + (i + 1)·γ) >> 40           (24 random bits)
//   mask[i] = u_i < threshold ? 0 : keep                   (threshold = ⌈p·2²⁴⌉: u/2²⁴ < p)
// out[i] = x[i]·mask[i] when x is given.

typedef unsigned long long WS_NAME(vq) __attribute__((vector_size(WS_LANES * 4)));
typedef unsigned int WS_NAME(vh) __attribute__((vector_size(WS_LANES * 2)));
typedef int WS_NAME(vhs) __attribute__((vector_size(WS_LANES * 2)));
typedef float WS_NAME(vfh) __attribute__((vector_size(WS_LANES * 2)));

WS_ATTR static void WS_NAME(dropout_mask)(float *mask, const float *x, float *out, long long start, long long n,
                                          unsigned long long key, unsigned threshold, float keep) {
    enum { H = WS_LANES / 2 };  // 64-bit lanes per vector
    const unsigned long long gamma = 0x9E3779B97F4A7C15ull;
    WS_NAME(vq) index;
    for (int l = 0; l < H; l++) index[l] = (unsigned long long)(start + l + 1);
    const WS_NAME(vfh) zero = (WS_NAME(vfh)){0}, kept = zero + keep;
    long long i = 0;
    for (; i + H <= n; i += H) {
        WS_NAME(vq) z = key + index * gamma;
        WS_SPLITMIX64_MIX(z);
        WS_NAME(vh) bits = __builtin_convertvector(z >> 40, WS_NAME(vh));
        WS_NAME(vhs) dropped = bits < threshold;  // all ones where dropped
        WS_NAME(vfh) m = (WS_NAME(vfh))((WS_NAME(vhs))kept & ~dropped);
        __builtin_memcpy(mask + i, &m, sizeof m);
        if (x) {
            WS_NAME(vfh) xv;
            __builtin_memcpy(&xv, x + i, sizeof xv);
            xv *= m;
            __builtin_memcpy(out + i, &xv, sizeof xv);
        }
        index += H;
    }
    for (; i < n; i++) {
        unsigned long long z = key + (unsigned long long)(start + i + 1) * gamma;
        WS_SPLITMIX64_MIX(z);
        mask[i] = (unsigned)(z >> 40) < threshold ? 0 : keep;
        if (x) out[i] = x[i] * mask[i];
    }
}
