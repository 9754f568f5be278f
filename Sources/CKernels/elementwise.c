// Elementwise loops of the optimizers and the trainer's finiteness check, compiled twice: for
// AVX-512 and for the baseline, picked at run time. No multiply and add is fused into one
// rounding (the pragma below: the package sets no compiler flags, so that other packages can
// depend on it), so each loop performs exactly the operations of its Swift original, in the same
// order, and the results are bit for bit the same at any vector width.
#pragma STDC FP_CONTRACT OFF
#include "dpq_kernels.h"

// sqrt without errno, so the loop can vectorise (the value is the same correctly rounded root).
#if defined(__has_builtin) && __has_builtin(__builtin_elementwise_sqrt)
#define DPQ_SQRTF(x) __builtin_elementwise_sqrt(x)
#else
#define DPQ_SQRTF(x) __builtin_sqrtf(x)
#endif

#include <stdint.h>
#include <string.h>

#define SGD_BODY                                                                           \
  for (long i = 0; i < count; i++) {                                                       \
    float d = grad[i] + wd * value[i];                                                     \
    float b = first ? d : mu * buf[i] + damp * d;                                          \
    buf[i] = b;                                                                            \
    value[i] -= lr * (nesterov ? d + mu * b : b);                                          \
  }

#define ADAM_BODY                                                                          \
  for (long i = 0; i < count; i++) {                                                       \
    float g = grad[i] + wd * value[i];                                                     \
    m[i] = b1 * m[i] + one_minus_b1 * g;                                                   \
    v[i] = b2 * v[i] + one_minus_b2 * g * g;                                               \
    value[i] -= step_size * m[i] / (DPQ_SQRTF(v[i]) / correction2_root + eps);       \
  }

#define FINITE_BODY                                                                        \
  uint32_t exponent = 0;                                                                   \
  for (long i = 0; i < count; i++) {                                                       \
    uint32_t bits;                                                                         \
    memcpy(&bits, values + i, 4);                                                          \
    bits &= 0x7f800000u;                                                                   \
    exponent = bits > exponent ? bits : exponent;                                          \
  }                                                                                        \
  return exponent != 0x7f800000u;

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static void sgd_avx512(float *value, const float *grad, float *buf, long count,
                                                          float lr, float wd, float mu, float damp, int first,
                                                          int nesterov) { SGD_BODY }
__attribute__((target("avx512f"))) static void adam_avx512(float *value, const float *grad, float *m, float *v, long count,
                                                           float step_size, float wd, float b1, float one_minus_b1,
                                                           float b2, float one_minus_b2, float correction2_root,
                                                           float eps) { ADAM_BODY }
__attribute__((target("avx512f"))) static int finite_avx512(const float *values, long count) { FINITE_BODY }
#endif

static void sgd_base(float *value, const float *grad, float *buf, long count, float lr, float wd, float mu,
                     float damp, int first, int nesterov) { SGD_BODY }
static void adam_base(float *value, const float *grad, float *m, float *v, long count, float step_size, float wd,
                      float b1, float one_minus_b1, float b2, float one_minus_b2, float correction2_root,
                      float eps) { ADAM_BODY }
static int finite_base(const float *values, long count) { FINITE_BODY }

static int avx512(void) {
  static int known = -1;
  if (known < 0) known = dpq_have_avx512();
  return known;
}

void dpq_sgd_momentum_update(float *value, const float *grad, float *buf, long count, float lr, float wd, float mu,
                             float damp, int first, int nesterov) {
#if defined(__x86_64__)
  if (avx512()) { sgd_avx512(value, grad, buf, count, lr, wd, mu, damp, first, nesterov); return; }
#endif
  sgd_base(value, grad, buf, count, lr, wd, mu, damp, first, nesterov);
}

void dpq_adam_update(float *value, const float *grad, float *m, float *v, long count, float step_size, float wd,
                     float b1, float one_minus_b1, float b2, float one_minus_b2, float correction2_root, float eps) {
#if defined(__x86_64__)
  if (avx512()) {
    adam_avx512(value, grad, m, v, count, step_size, wd, b1, one_minus_b1, b2, one_minus_b2, correction2_root, eps);
    return;
  }
#endif
  adam_base(value, grad, m, v, count, step_size, wd, b1, one_minus_b1, b2, one_minus_b2, correction2_root, eps);
}

int dpq_all_finite(const float *values, long count) {
#if defined(__x86_64__)
  if (avx512()) return finite_avx512(values, count);
#endif
  return finite_base(values, count);
}
