#include "CWordsmithKernels.h"

// Dropout masks from xoshiro256** (Blackman and Vigna), one draw per element in order, as the
// code before the speed-ups drew them in Swift: the same seed gives the same masks, so training
// runs of the two versions differ only by float rounding. Each draw needs the previous state,
// so one call is a serial loop (2.3 ns per element measured while the other core trained);
// Generator.fillDropoutMask runs parts of a long mask on all cores, each from a jump ahead
// (xoshiro_jump.c). It keeps the state in registers, and the output mix and the store run
// alongside the next draw. The step repeats Generator.Xoshiro256.next() in Random.swift;
// RandomTests checks the two agree draw by draw.
void ws_xoshiro_dropout_mask(unsigned long long state[4], float *mask, const float *x, float *out, long long n,
                             unsigned threshold, float keep) {
    unsigned long long s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];
    for (long long i = 0; i < n; i++) {
        unsigned long long r = s1 * 5;
        r = (r << 7 | r >> 57) * 9;  // xoshiro256**'s output: rotl(s1·5, 7)·9
        unsigned long long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = s3 << 45 | s3 >> 19;
        float m = (unsigned)(r >> 40) < threshold ? 0.0f : keep;
        mask[i] = m;
        if (x) out[i] = x[i] * m;
    }
    state[0] = s0;
    state[1] = s1;
    state[2] = s2;
    state[3] = s3;
}
