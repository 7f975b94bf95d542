// Adam's element-wise update, compiled once per instruction set like softmax_impl.h (and
// included right after it, whose load/store helpers it uses). The scalar loop it replaces ran
// one sqrt and one division per element; vectors make the update memory-bound again.
//   g' = g·scale + l2·x;  m = b1·m + (1-b1)·g';  v = b2·v + (1-b2)·g'²
//   x = x·decay - step·m / (√v / bc2_root + eps)

#define VF WS_NAME(vf)

// No fused multiply-adds: every instruction set (and the scalar formula) rounds the same.
WS_ATTR static inline VF WS_NAME(adam_lanes)(VF x, VF g, VF *m, VF *v, const ws_adam_params *p) {
#pragma clang fp contract(off)
    VF gi = g * p->grad_scale + p->l2 * x;
    VF mi = p->beta1 * *m + (1 - p->beta1) * gi;
    VF vi = p->beta2 * *v + (1 - p->beta2) * gi * gi;
    *m = mi;
    *v = vi;
    return x * p->decay - p->step_size * mi / (__builtin_elementwise_sqrt(vi) / p->bc2_root + p->eps);
}

WS_ATTR static void WS_NAME(adam_update)(float *x, const float *g, float *m, float *v, int n, const ws_adam_params *p) {
    int i = 0;
    for (; i + WS_LANES <= n; i += WS_LANES) {
        VF mv = WS_NAME(load)(m + i), vv = WS_NAME(load)(v + i);
        VF xv = WS_NAME(adam_lanes)(WS_NAME(load)(x + i), WS_NAME(load)(g + i), &mv, &vv, p);
        WS_NAME(store)(m + i, mv);
        WS_NAME(store)(v + i, vv);
        WS_NAME(store)(x + i, xv);
    }
    if (i < n) {  // the tail, through a padded vector so it rounds exactly like the body
        int r = n - i;
        VF mv = WS_NAME(load_tail)(m + i, r, 0), vv = WS_NAME(load_tail)(v + i, r, 0);
        VF xv = WS_NAME(adam_lanes)(WS_NAME(load_tail)(x + i, r, 0), WS_NAME(load_tail)(g + i, r, 0), &mv, &vv, p);
        for (int k = 0; k < r; k++) { m[i + k] = mv[k]; v[i + k] = vv[k]; x[i + k] = xv[k]; }
    }
}

#undef VF
