#include "CWordsmithKernels.h"

#include <stdint.h>
#include <string.h>

typedef unsigned long long u64;  // the header's word type (uint64_t is unsigned long here)

// Jumping xoshiro256** ahead by k draws without making them, so that the two halves of a
// dropout mask can be drawn on two cores and still be the serial stream's draws.
//
// The state update is linear over GF(2): state' = T·state for a 256x256 bit matrix T. With
// p(x) the characteristic polynomial of T, T^k = (x^k mod p)(T) (Cayley-Hamilton), so a jump
// is a degree < 256 polynomial j: T^k·s = Σ j_i·T^i·s, 256 steps and XORs. Polynomials of
// degree < 256 are four words, bit i of word w the coefficient of x^(64w+i).

// The state update without the output: Generator.Xoshiro256.next() in Random.swift.
static inline void step(u64 s[4]) {
    u64 t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3] << 45 | s[3] >> 19;
}

int ws_xoshiro_characteristic_polynomial(u64 low[4]) {
    // Berlekamp-Massey on 512 bits of one state bit gives that sequence's minimal polynomial:
    // T's characteristic polynomial when that is primitive, as xoshiro256's is (its period
    // is 2^256 - 1). The degree is checked; the caller's tests check jumps against steps.
    enum { N = 512 };
    uint8_t seq[N], c[N + 1] = {1}, b[N + 1] = {1}, t[N + 1];
    u64 s[4] = {1, 2, 3, 4};
    for (int i = 0; i < N; i++) {
        seq[i] = s[0] & 1;
        step(s);
    }
    int l = 0, m = 1;
    for (int n = 0; n < N; n++) {
        uint8_t d = seq[n];
        for (int i = 1; i <= l; i++) d ^= c[i] & seq[n - i];
        if (!d) {
            m++;
            continue;
        }
        memcpy(t, c, sizeof c);
        for (int i = 0; i + m <= N; i++) c[i + m] ^= b[i];
        if (2 * l <= n) {
            l = n + 1 - l;
            memcpy(b, t, sizeof b);
            m = 1;
        } else {
            m++;
        }
    }
    if (l != 256 || !c[256]) return 0;
    // c(x) = Σ c_i x^i is the reversed characteristic polynomial: p(x) = x^256 + Σ c_i x^(256-i).
    memset(low, 0, 4 * sizeof low[0]);
    for (int i = 1; i <= 256; i++)
        if (c[i]) low[(256 - i) >> 6] |= 1ULL << ((256 - i) & 63);
    return 1;
}

// r = r·x mod p (p = x^256 + low).
static inline void times_x(u64 r[4], const u64 low[4]) {
    u64 carry = r[3] >> 63;
    r[3] = r[3] << 1 | r[2] >> 63;
    r[2] = r[2] << 1 | r[1] >> 63;
    r[1] = r[1] << 1 | r[0] >> 63;
    r[0] <<= 1;
    u64 mask = 0 - carry;
    for (int w = 0; w < 4; w++) r[w] ^= low[w] & mask;
}

// r = a·b mod p, by Horner over a's bits (r may alias a or b).
static void multiply(const u64 a[4], const u64 b[4], const u64 low[4], u64 r[4]) {
    u64 acc[4] = {0};
    for (int i = 255; i >= 0; i--) {
        times_x(acc, low);
        u64 mask = 0 - (a[i >> 6] >> (i & 63) & 1);
        for (int w = 0; w < 4; w++) acc[w] ^= b[w] & mask;
    }
    memcpy(r, acc, sizeof acc);
}

void ws_xoshiro_jump_polynomial(const u64 low[4], unsigned long long k, unsigned long long jump[4]) {
    u64 r[4] = {1, 0, 0, 0};
    int top = 63;
    while (top > 0 && !(k >> top & 1)) top--;
    for (int bit = top; bit >= 0; bit--) {
        multiply(r, r, low, r);
        if (k >> bit & 1) times_x(r, low);
    }
    memcpy(jump, r, sizeof r);
}

void ws_xoshiro_jump(unsigned long long state[4], const unsigned long long jump[4]) {
    u64 s[4], acc[4] = {0};
    memcpy(s, state, sizeof s);
    for (int i = 0; i < 256; i++) {
        u64 mask = 0 - (jump[i >> 6] >> (i & 63) & 1);
        for (int w = 0; w < 4; w++) acc[w] ^= s[w] & mask;
        step(s);
    }
    memcpy(state, acc, sizeof acc);
}
