// Direct convolution kernels with AVX-512 intrinsics (see include/dpq_kernels.h). The functions
// carry their own target attribute, so the rest of the package stays baseline x86-64 and the
// caller picks them at run time with dpq_have_avx512().
// As in elementwise.c: no multiply and add fused into one rounding unless the source says so.
#pragma STDC FP_CONTRACT OFF
#include "dpq_kernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define DPQ_AVX512 __attribute__((target("avx512f")))
#define DPQ_INLINE static inline __attribute__((always_inline))
#endif

int dpq_have_avx512(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
  return 0;
#endif
}

static int patch_size(const dpq_conv_shape *s) { return s->channels * s->kernel_h * s->kernel_w; }

/// Offset of patch element k = (c, ki, kj) from the window's top-left corner in one image.
static int *window_offsets(const dpq_conv_shape *s) {
  int K = patch_size(s);
  int *off = malloc(sizeof(int) * (size_t)(K > 0 ? K : 1));
  int k = 0;
  for (int c = 0; c < s->channels; c++)
    for (int ki = 0; ki < s->kernel_h; ki++)
      for (int kj = 0; kj < s->kernel_w; kj++) off[k++] = (c * s->height + ki) * s->width + kj;
  return off;
}

/// Offset of output position p's window corner in one image.
static int *position_offsets(const dpq_conv_shape *s) {
  int P = s->out_h * s->out_w;
  int *off = malloc(sizeof(int) * (size_t)(P > 0 ? P : 1));
  for (int p = 0; p < P; p++) off[p] = (p / s->out_w) * s->width + p % s->out_w;
  return off;
}

void dpq_conv_pack_weight(const float *weight, float *wt, const dpq_conv_shape *s) {
  int K = patch_size(s), O = s->out_channels;
  for (int o = 0; o < O; o++)
    for (int k = 0; k < K; k++) wt[(size_t)k * O + o] = weight[(size_t)o * K + k];
}

void dpq_conv_unpack_weight(const float *dwt, float *dw, const dpq_conv_shape *s) {
  int K = patch_size(s), O = s->out_channels;
  for (int o = 0; o < O; o++)
    for (int k = 0; k < K; k++) dw[(size_t)o * K + k] = dwt[(size_t)k * O + o];
}


void dpq_conv_unpool(const float *gpooled, const int *indices, float *gy, int first, int count, const dpq_conv_shape *s) {
  int O = s->out_channels, P = s->out_h * s->out_w, Q = (s->out_h / 2) * (s->out_w / 2);
  for (int n = first; n < first + count; n++)
    for (int o = 0; o < O; o++) {
      const float *g = gpooled + ((size_t)n * O + o) * Q;
      const int *at = indices + ((size_t)n * O + o) * Q;
      float *d = gy + ((size_t)n * O + o) * P;
      memset(d, 0, sizeof(float) * (size_t)P);
      for (int q = 0; q < Q; q++)
        if (at[q] >= 0) d[at[q]] = g[q];
    }
}

void dpq_conv_unpool_transposed(const float *gpooled, const int *indices, float *gyt, int first, int count,
                                const dpq_conv_shape *s) {
  int O = s->out_channels, P = s->out_h * s->out_w, Q = (s->out_h / 2) * (s->out_w / 2);
  for (int n = first; n < first + count; n++) {
    float *d = gyt + (size_t)n * P * O;
    memset(d, 0, sizeof(float) * (size_t)P * O);
    for (int o = 0; o < O; o++) {
      const float *g = gpooled + ((size_t)n * O + o) * Q;
      const int *at = indices + ((size_t)n * O + o) * Q;
      for (int q = 0; q < Q; q++)
        if (at[q] >= 0) d[(size_t)at[q] * O + o] = g[q];
    }
  }
}

#define BIAS_BODY                                                                          \
  int P = s->out_h * s->out_w, O = s->out_channels;                                        \
  for (int o = 0; o < O; o++) db[o] = 0;                                                   \
  for (int n = 0; n < images; n++)                                                         \
    for (int p = 0; p < P; p++) {                                                          \
      const float *g = gyt + ((size_t)n * P + p) * O;                                      \
      for (int o = 0; o < O; o++) db[o] += g[o];                                           \
    }

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static void bias_grad_avx512(const float *gyt, float *db, int images,
                                                                const dpq_conv_shape *s) { BIAS_BODY }
#endif
static void bias_grad_base(const float *gyt, float *db, int images, const dpq_conv_shape *s) { BIAS_BODY }

void dpq_conv_bias_grad(const float *gyt, float *db, int images, const dpq_conv_shape *s) {
#if defined(__x86_64__)
  if (dpq_have_avx512()) { bias_grad_avx512(gyt, db, images, s); return; }
#endif
  bias_grad_base(gyt, db, images, s);
}

#if defined(__x86_64__)

/// out[c][r] = in[r][c] + (bias ? bias[c] : 0) for an R x C matrix, 16 rows at a time by gathers.
DPQ_INLINE DPQ_AVX512 void transpose_add(const float *in, float *out, const float *bias, int R, int C) {
  __m512i lanes = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                     _mm512_set1_epi32(C));
  int r0 = 0;
  for (; r0 + 16 <= R; r0 += 16)
    for (int c = 0; c < C; c++) {
      __m512 v = _mm512_i32gather_ps(lanes, in + (size_t)r0 * C + c, 4);
      if (bias) v = _mm512_add_ps(v, _mm512_set1_ps(bias[c]));
      _mm512_storeu_ps(out + (size_t)c * R + r0, v);
    }
  for (int c = 0; c < C; c++) {
    float b = bias ? bias[c] : 0.0f;
    for (int r = r0; r < R; r++) out[(size_t)c * R + r] = in[(size_t)r * C + c] + b;
  }
}

/// NP output positions x OB vectors of 16 output channels: out[j][16b..] = sum_k x[pos j + koff[k]] w[k][16b..].
DPQ_INLINE DPQ_AVX512 void forward_block(const float *xi, const int *pos, const int *koff, int K, const float *w,
                                         int O, float *out, const int NP, const int OB) {
  __m512 acc[12][4];
  const float *xp[12];
  for (int j = 0; j < NP; j++) {
    xp[j] = xi + pos[j];
    for (int b = 0; b < OB; b++) acc[j][b] = _mm512_setzero_ps();
  }
  for (int k = 0; k < K; k++) {
    const float *wk = w + (size_t)k * O;
    __m512 wv[4];
    for (int b = 0; b < OB; b++) wv[b] = _mm512_loadu_ps(wk + 16 * b);
    int off = koff[k];
    for (int j = 0; j < NP; j++) {
      __m512 v = _mm512_set1_ps(xp[j][off]);
      for (int b = 0; b < OB; b++) acc[j][b] = _mm512_fmadd_ps(v, wv[b], acc[j][b]);
    }
  }
  for (int j = 0; j < NP; j++)
    for (int b = 0; b < OB; b++) _mm512_storeu_ps(out + (size_t)j * O + 16 * b, acc[j][b]);
}

#define FORWARD_TAIL(OBV)                                                                 \
  switch (np) {                                                                           \
  case 1: forward_block(xi, pos + p0, koff, K, w, O, out, 1, OBV); break;                 \
  case 2: forward_block(xi, pos + p0, koff, K, w, O, out, 2, OBV); break;                 \
  case 3: forward_block(xi, pos + p0, koff, K, w, O, out, 3, OBV); break;                 \
  case 4: forward_block(xi, pos + p0, koff, K, w, O, out, 4, OBV); break;                 \
  case 5: forward_block(xi, pos + p0, koff, K, w, O, out, 5, OBV); break;                 \
  case 6: forward_block(xi, pos + p0, koff, K, w, O, out, 6, OBV); break;                 \
  case 7: forward_block(xi, pos + p0, koff, K, w, O, out, 7, OBV); break;                 \
  case 8: forward_block(xi, pos + p0, koff, K, w, O, out, 8, OBV); break;                 \
  case 9: forward_block(xi, pos + p0, koff, K, w, O, out, 9, OBV); break;                 \
  case 10: forward_block(xi, pos + p0, koff, K, w, O, out, 10, OBV); break;               \
  case 11: forward_block(xi, pos + p0, koff, K, w, O, out, 11, OBV); break;               \
  default: forward_block(xi, pos + p0, koff, K, w, O, out, 12, OBV); break;               \
  }

DPQ_AVX512 void dpq_conv_forward_avx512(const float *x, const float *wt, const float *bias, float *y,
                                        int first, int count, const dpq_conv_shape *s, float *scratch) {
  int K = patch_size(s), O = s->out_channels, P = s->out_h * s->out_w;
  int image = s->channels * s->height * s->width;
  int *koff = window_offsets(s), *pos = position_offsets(s);
  int OB = O % 64 == 0 ? 4 : (O % 32 == 0 ? 2 : 1);
  int NP = OB == 4 ? 6 : 12;
  for (int n = first; n < first + count; n++) {
    const float *xi = x + (size_t)n * image;
    for (int o0 = 0; o0 < O; o0 += 16 * OB) {
      const float *w = wt + o0;
      for (int p0 = 0; p0 < P; p0 += NP) {
        int np = P - p0 < NP ? P - p0 : NP;
        float *out = scratch + (size_t)p0 * O + o0;
        if (OB == 4) { FORWARD_TAIL(4) } else if (OB == 2) { FORWARD_TAIL(2) } else { FORWARD_TAIL(1) }
      }
    }
    // [P][O] -> [O][P], adding the bias after the sum (as the im2col path does)
    transpose_add(scratch, y + (size_t)n * O * P, bias, P, O);
  }
  free(koff);
  free(pos);
}

/// KB patch elements x OB vectors of 16 output channels, summed over the positions of images
/// first..last-1: acc[kk][16b..] += x[n][pos p + koff[kk]] gyt[n][p][16b..].
DPQ_INLINE DPQ_AVX512 void weight_block(const float *x, int image, const float *gyt, const int *pos, const int *koff,
                                        int P, int O, int first, int last, float *dwt, int zero,
                                        const int KB, const int OB) {
  __m512 acc[12][4];
  int ko[12];
  for (int kk = 0; kk < KB; kk++) {
    ko[kk] = koff[kk];
    for (int b = 0; b < OB; b++)
      acc[kk][b] = zero ? _mm512_setzero_ps() : _mm512_loadu_ps(dwt + (size_t)kk * O + 16 * b);
  }
  for (int n = first; n < last; n++) {
    const float *xi = x + (size_t)n * image;
    const float *g = gyt + (size_t)n * P * O;
    for (int p = 0; p < P; p++) {
      const float *xp = xi + pos[p];
      __m512 gv[4];
      for (int b = 0; b < OB; b++) gv[b] = _mm512_loadu_ps(g + (size_t)p * O + 16 * b);
      for (int kk = 0; kk < KB; kk++) {
        __m512 v = _mm512_set1_ps(xp[ko[kk]]);
        for (int b = 0; b < OB; b++) acc[kk][b] = _mm512_fmadd_ps(v, gv[b], acc[kk][b]);
      }
    }
  }
  for (int kk = 0; kk < KB; kk++)
    for (int b = 0; b < OB; b++) _mm512_storeu_ps(dwt + (size_t)kk * O + 16 * b, acc[kk][b]);
}

#define WEIGHT_TAIL(OBV)                                                                                   \
  switch (kb) {                                                                                            \
  case 1: weight_block(x, image, gyt + o0, pos, koff + k0, P, O, n0, n1, d, zero, 1, OBV); break;          \
  case 2: weight_block(x, image, gyt + o0, pos, koff + k0, P, O, n0, n1, d, zero, 2, OBV); break;          \
  case 3: weight_block(x, image, gyt + o0, pos, koff + k0, P, O, n0, n1, d, zero, 3, OBV); break;          \
  case 4: weight_block(x, image, gyt + o0, pos, koff + k0, P, O, n0, n1, d, zero, 4, OBV); break;          \
  case 5: weight_block(x, image, gyt + o0, pos, koff + k0, P, O, n0, n1, d, zero, 5, OBV); break;          \
  case 6: weight_block(x, image, gyt + o0, pos, koff + k0, P, O, n0, n1, d, zero, 6, OBV); break;          \
  case 7: weight_block(x, image, gyt + o0, pos, koff + k0, P, O, n0, n1, d, zero, 7, OBV); break;          \
  case 8: weight_block(x, image, gyt + o0, pos, koff + k0, P, O, n0, n1, d, zero, 8, OBV); break;          \
  case 9: weight_block(x, image, gyt + o0, pos, koff + k0, P, O, n0, n1, d, zero, 9, OBV); break;          \
  case 10: weight_block(x, image, gyt + o0, pos, koff + k0, P, O, n0, n1, d, zero, 10, OBV); break;        \
  case 11: weight_block(x, image, gyt + o0, pos, koff + k0, P, O, n0, n1, d, zero, 11, OBV); break;        \
  default: weight_block(x, image, gyt + o0, pos, koff + k0, P, O, n0, n1, d, zero, 12, OBV); break;        \
  }

/// out[c][r] = in[r][c] for an R x C matrix of 32-bit integers (see transpose_add).
DPQ_INLINE DPQ_AVX512 void transpose_int(const int *in, int *out, int R, int C) {
  __m512i lanes = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                     _mm512_set1_epi32(C));
  int r0 = 0;
  for (; r0 + 16 <= R; r0 += 16)
    for (int c = 0; c < C; c++)
      _mm512_storeu_si512((void *)(out + (size_t)c * R + r0), _mm512_i32gather_epi32(lanes, in + (size_t)r0 * C + c, 4));
  for (int c = 0; c < C; c++)
    for (int r = r0; r < R; r++) out[(size_t)c * R + r] = in[(size_t)r * C + c];
}

DPQ_AVX512 void dpq_conv_forward_relu_pool_avx512(const float *x, const float *wt, const float *bias, float *pooled,
                                                  int *indices, int first, int count, const dpq_conv_shape *s,
                                                  float *scratch) {
  int K = patch_size(s), O = s->out_channels, P = s->out_h * s->out_w, OW = s->out_w;
  int PW = s->out_w / 2, Q = (s->out_h / 2) * PW;
  int image = s->channels * s->height * s->width;
  int *koff = window_offsets(s), *pos = position_offsets(s);
  int OB = O % 64 == 0 ? 4 : (O % 32 == 0 ? 2 : 1);
  int NP = OB == 4 ? 6 : 12;
  float *poolT = scratch + (size_t)P * O;           // [Q][O]
  int *indexT = (int *)(poolT + (size_t)Q * O);      // [Q][O]
  const __m512 zero = _mm512_setzero_ps();
  for (int n = first; n < first + count; n++) {
    const float *xi = x + (size_t)n * image;
    for (int o0 = 0; o0 < O; o0 += 16 * OB) {
      const float *w = wt + o0;
      for (int p0 = 0; p0 < P; p0 += NP) {
        int np = P - p0 < NP ? P - p0 : NP;
        float *out = scratch + (size_t)p0 * O + o0;
        if (OB == 4) { FORWARD_TAIL(4) } else if (OB == 2) { FORWARD_TAIL(2) } else { FORWARD_TAIL(1) }
      }
    }
    // bias, ReLU, then the 2 x 2 maximum (the first in row-major order on ties, as MaxPool2D);
    // a window whose maximum is not positive passes no gradient (index -1), as ReLU's would not
    for (int q = 0; q < Q; q++) {
      int p00 = (q / PW) * 2 * OW + (q % PW) * 2;
      int at[4] = {p00, p00 + 1, p00 + OW, p00 + OW + 1};
      for (int o = 0; o < O; o += 16) {
        __m512 b = bias ? _mm512_loadu_ps(bias + o) : zero;
        // max(v, 0) is ReLU, NaN included (vmaxps returns the second operand then)
        __m512 best = _mm512_max_ps(_mm512_add_ps(_mm512_loadu_ps(scratch + (size_t)at[0] * O + o), b), zero);
        __m512i where = _mm512_set1_epi32(at[0]);
        for (int i = 1; i < 4; i++) {
          __m512 v = _mm512_max_ps(_mm512_add_ps(_mm512_loadu_ps(scratch + (size_t)at[i] * O + o), b), zero);
          __mmask16 greater = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
          best = _mm512_mask_blend_ps(greater, best, v);
          where = _mm512_mask_blend_epi32(greater, where, _mm512_set1_epi32(at[i]));
        }
        __mmask16 positive = _mm512_cmp_ps_mask(best, zero, _CMP_GT_OQ);
        _mm512_storeu_ps(poolT + (size_t)q * O + o, best);
        _mm512_storeu_si512((void *)(indexT + (size_t)q * O + o), _mm512_mask_blend_epi32(positive, _mm512_set1_epi32(-1), where));
      }
    }
    transpose_add(poolT, pooled + (size_t)n * O * Q, NULL, Q, O);
    transpose_int(indexT, indices + (size_t)n * O * Q, Q, O);
  }
  free(koff);
  free(pos);
}

DPQ_AVX512 void dpq_conv_transpose_output(const float *gy, float *gyt, int first, int count, const dpq_conv_shape *s) {
  int P = s->out_h * s->out_w, O = s->out_channels;
  for (int n = first; n < first + count; n++)
    transpose_add(gy + (size_t)n * O * P, gyt + (size_t)n * O * P, NULL, O, P);
}

/// KB patch elements x NV vectors of 16 output positions of one image: out[k][16v..] = sum_o w[o][k] gy[o][16v..].
DPQ_INLINE DPQ_AVX512 void input_block(const float *w, int K, const float *gy, int O, int P, float *out,
                                       __mmask16 last, const int KB, const int NV) {
  __m512 acc[6][4];
  for (int kk = 0; kk < KB; kk++)
    for (int v = 0; v < NV; v++) acc[kk][v] = _mm512_setzero_ps();
  for (int o = 0; o < O; o++) {
    const float *g = gy + (size_t)o * P;
    __m512 gv[4];
    for (int v = 0; v < NV; v++) gv[v] = v + 1 < NV ? _mm512_loadu_ps(g + 16 * v) : _mm512_maskz_loadu_ps(last, g + 16 * v);
    const float *wo = w + (size_t)o * K;
    for (int kk = 0; kk < KB; kk++) {
      __m512 c = _mm512_set1_ps(wo[kk]);
      for (int v = 0; v < NV; v++) acc[kk][v] = _mm512_fmadd_ps(c, gv[v], acc[kk][v]);
    }
  }
  for (int kk = 0; kk < KB; kk++)
    for (int v = 0; v < NV; v++) {
      if (v + 1 < NV) _mm512_storeu_ps(out + (size_t)kk * P + 16 * v, acc[kk][v]);
      else _mm512_mask_storeu_ps(out + (size_t)kk * P + 16 * v, last, acc[kk][v]);
    }
}

#define INPUT_TAIL(NVV)                                                                      \
  switch (kb) {                                                                              \
  case 1: input_block(weight + k0, K, g + p0, O, P, cols + k0 * P + p0, m, 1, NVV); break;  \
  case 2: input_block(weight + k0, K, g + p0, O, P, cols + k0 * P + p0, m, 2, NVV); break;  \
  case 3: input_block(weight + k0, K, g + p0, O, P, cols + k0 * P + p0, m, 3, NVV); break;  \
  case 4: input_block(weight + k0, K, g + p0, O, P, cols + k0 * P + p0, m, 4, NVV); break;  \
  case 5: input_block(weight + k0, K, g + p0, O, P, cols + k0 * P + p0, m, 5, NVV); break;  \
  default: input_block(weight + k0, K, g + p0, O, P, cols + k0 * P + p0, m, 6, NVV); break; \
  }

DPQ_AVX512 void dpq_conv_input_columns_avx512(const float *weight, const float *gy, float *cols, int image,
                                              const dpq_conv_shape *s) {
  int K = patch_size(s), O = s->out_channels, P = s->out_h * s->out_w;
  const float *g = gy + (size_t)image * O * P;
  for (int p0 = 0; p0 < P; p0 += 64) {
    int np = P - p0 < 64 ? P - p0 : 64;
    int nv = (np + 15) / 16;
    __mmask16 m = (__mmask16)(np % 16 == 0 ? 0xFFFF : ((1u << (np % 16)) - 1));
    for (int k0 = 0; k0 < K; k0 += 6) {
      int kb = K - k0 < 6 ? K - k0 : 6;
      if (nv == 4) { INPUT_TAIL(4) } else if (nv == 3) { INPUT_TAIL(3) } else if (nv == 2) { INPUT_TAIL(2) } else { INPUT_TAIL(1) }
    }
  }
}

DPQ_AVX512 void dpq_conv_col2im_avx512(const float *cols, float *dx, int image, const dpq_conv_shape *s) {
  int C = s->channels, H = s->height, W = s->width, KH = s->kernel_h, KW = s->kernel_w;
  int OH = s->out_h, OW = s->out_w, P = OH * OW;
  float *d = dx + (size_t)image * C * H * W;
  __mmask16 row = (__mmask16)((1u << OW) - 1), full = (__mmask16)((1u << W) - 1);
  for (int c = 0; c < C; c++)
    for (int iy = 0; iy < H; iy++) {
      // the whole input row at once: patch element (c, ki, kj) at output row oy = iy - ki adds
      // its OW columns at ix = ox + kj (a masked load from kj before them shifts them into place)
      __m512 acc = _mm512_setzero_ps();
      for (int ki = 0; ki < KH; ki++) {
        int oy = iy - ki;
        if (oy < 0 || oy >= OH) continue;
        const float *r = cols + ((size_t)(c * KH + ki) * KW) * P + (size_t)oy * OW;
        for (int kj = 0; kj < KW; kj++)
          acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps((__mmask16)(row << kj), r + (size_t)kj * P - kj));
      }
      _mm512_mask_storeu_ps(d + ((size_t)c * H + iy) * W, full, acc);
    }
}

DPQ_AVX512 void dpq_conv_weight_grad_avx512(const float *x, const float *gyt, float *dwt, int images, int chunk,
                                            int k_begin, int k_end, int accumulate, const dpq_conv_shape *s) {
  int O = s->out_channels, P = s->out_h * s->out_w;
  int image = s->channels * s->height * s->width;
  int *koff = window_offsets(s), *pos = position_offsets(s);
  int OB = O % 64 == 0 ? 4 : (O % 32 == 0 ? 2 : 1);
  int KB = OB == 4 ? 6 : 12;
  if (chunk < 1) chunk = images;
  for (int n0 = 0; n0 < images; n0 += chunk) {
    int n1 = n0 + chunk < images ? n0 + chunk : images;
    int zero = n0 == 0 && !accumulate;
    for (int k0 = k_begin; k0 < k_end; k0 += KB) {
      int kb = k_end - k0 < KB ? k_end - k0 : KB;
      for (int o0 = 0; o0 < O; o0 += 16 * OB) {
        float *d = dwt + (size_t)k0 * O + o0;
        if (OB == 4) { WEIGHT_TAIL(4) } else if (OB == 2) { WEIGHT_TAIL(2) } else { WEIGHT_TAIL(1) }
      }
    }
  }
  free(koff);
  free(pos);
}

#else

void dpq_conv_transpose_output(const float *gy, float *gyt, int first, int count, const dpq_conv_shape *s) {
  int P = s->out_h * s->out_w, O = s->out_channels;
  for (int n = first; n < first + count; n++)
    for (int o = 0; o < O; o++)
      for (int p = 0; p < P; p++) gyt[((size_t)n * P + p) * O + o] = gy[((size_t)n * O + o) * P + p];
}
void dpq_conv_forward_relu_pool_avx512(const float *x, const float *wt, const float *bias, float *pooled,
                                       int *indices, int first, int count, const dpq_conv_shape *s,
                                       float *scratch) { (void)x; (void)wt; (void)bias; (void)pooled; (void)indices; (void)first; (void)count; (void)s; (void)scratch; }
void dpq_conv_col2im_avx512(const float *cols, float *dx, int image, const dpq_conv_shape *s) {
  (void)cols; (void)dx; (void)image; (void)s;
}
void dpq_conv_input_columns_avx512(const float *weight, const float *gy, float *cols, int image,
                                   const dpq_conv_shape *s) { (void)weight; (void)gy; (void)cols; (void)image; (void)s; }
void dpq_conv_forward_avx512(const float *x, const float *wt, const float *bias, float *y,
                             int first, int count, const dpq_conv_shape *s, float *scratch) { (void)x; (void)wt; (void)bias; (void)y; (void)first; (void)count; (void)s; (void)scratch; }
void dpq_conv_weight_grad_avx512(const float *x, const float *gyt, float *dwt, int images, int chunk,
                                 int k_begin, int k_end, int accumulate, const dpq_conv_shape *s) { (void)x; (void)gyt; (void)dwt; (void)images; (void)chunk; (void)k_begin; (void)k_end; (void)accumulate; (void)s; }

#endif
