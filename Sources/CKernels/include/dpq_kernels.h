// Direct convolution kernels for CPUs with AVX-512, chosen at run time (dpq_have_avx512).
// DPQNN's Conv2D calls them for stride-1, unpadded convolutions whose output channels are a
// multiple of 16 (LeNet's 5x5 layers); everything else, and CPUs without AVX-512, take the
// im2col + OpenBLAS path. Every output element is a sequential sum over its reduction index in
// a fixed order, so results do not depend on how the caller splits the work over threads.
#ifndef DPQ_KERNELS_H
#define DPQ_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU (and the OS) run AVX-512F code, else 0.
int dpq_have_avx512(void);

/// Geometry of a stride-1, unpadded convolution over NCHW input.
typedef struct {
  int channels, height, width;        // C, H, W of one input image
  int out_channels, kernel_h, kernel_w;
  int out_h, out_w;                   // H - kh + 1, W - kw + 1
} dpq_conv_shape;

/// Packs weight [O][C*kh*kw] into wt [C*kh*kw][O] (the layout both kernels read).
void dpq_conv_pack_weight(const float *weight, float *wt, const dpq_conv_shape *s);

/// y[n][o][p] = bias[o] + sum_k wt[k][o] x[n][k-window at p] for images first..first+count-1.
/// `bias` may be NULL. `scratch` holds out_h*out_w*out_channels floats.
void dpq_conv_forward_avx512(const float *x, const float *wt, const float *bias, float *y,
                             int first, int count, const dpq_conv_shape *s, float *scratch);

/// The forward pass fused with ReLU and 2 x 2, stride-2 max pooling (out_h and out_w even):
/// pooled[n][o][q] = max(0, max over the window of q of (conv + bias)), and indices[n][o][q] the
/// position in the convolution's output plane of that maximum (the first in row-major order on
/// ties), or -1 where the maximum is not positive (no gradient passes). `scratch` holds
/// P*O + 2*Q*O floats (P = out_h*out_w, Q = P/4).
void dpq_conv_forward_relu_pool_avx512(const float *x, const float *wt, const float *bias, float *pooled,
                                       int *indices, int first, int count, const dpq_conv_shape *s,
                                       float *scratch);

/// gy[n][o][indices[n][o][q]] = gpooled[n][o][q] where the index is not -1, zero elsewhere, for
/// images first..first+count-1: the fused op's gradient at the convolution's output.
void dpq_conv_unpool(const float *gpooled, const int *indices, float *gy, int first, int count, const dpq_conv_shape *s);

/// The same gradient written transposed, gyt[n][p][o] (the weight-gradient kernel's layout).
void dpq_conv_unpool_transposed(const float *gpooled, const int *indices, float *gyt, int first, int count,
                                const dpq_conv_shape *s);

/// gyt[n][p][o] = gy[n][o][p] for images first..first+count-1 (the weight gradient's layout).
void dpq_conv_transpose_output(const float *gy, float *gyt, int first, int count, const dpq_conv_shape *s);

/// dwt[k][o] (+)= sum over images 0..images-1 and positions p of x[n][k-window at p] gyt[n][p][o],
/// for k in k_begin..k_end-1 (dwt overwritten when accumulate is 0), one sequential sum per
/// element in image and position order; images go in chunks of `chunk` (cache blocking only).
void dpq_conv_weight_grad_avx512(const float *x, const float *gyt, float *dwt, int images, int chunk,
                                 int k_begin, int k_end, int accumulate, const dpq_conv_shape *s);

/// cols[k][p] = sum_o weight[o][k] gy[image][o][p]: the input gradient's columns for one image
/// (weight in its own [O][C*kh*kw] layout), for col2im to add onto the image.
void dpq_conv_input_columns_avx512(const float *weight, const float *gy, float *cols, int image,
                                   const dpq_conv_shape *s);

/// Writes image `image` of dx from its columns cols[k][p] (as dpq_conv_input_columns_avx512
/// leaves them): each input element the sum of its patch elements' columns in patch order,
/// exactly the additions of a col2im onto zeros. Needs width <= 16; dx need not be zeroed.
void dpq_conv_col2im_avx512(const float *cols, float *dx, int image, const dpq_conv_shape *s);

/// db[o] = sum over images and positions of gyt[n][p][o] (images in order, positions in order).
void dpq_conv_bias_grad(const float *gyt, float *db, int images, const dpq_conv_shape *s);

/// dw[o][k] = dwt[k][o] (the weight gradient back in the weight's layout).
void dpq_conv_unpack_weight(const float *dwt, float *dw, const dpq_conv_shape *s);

/// SGD with momentum, PyTorch's update (SGD.swift): d = g + wd p; b = first ? d : mu b + damp d;
/// p -= lr (nesterov ? d + mu b : b).
void dpq_sgd_momentum_update(float *value, const float *grad, float *buf, long count, float lr, float wd, float mu,
                             float damp, int first, int nesterov);

/// Adam, PyTorch's update (Adam.swift): g += wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g g;
/// p -= step_size m / (sqrt(v) / correction2_root + eps).
void dpq_adam_update(float *value, const float *grad, float *m, float *v, long count, float step_size, float wd,
                     float b1, float one_minus_b1, float b2, float one_minus_b2, float correction2_root, float eps);

/// 1 when no value is NaN or infinite.
int dpq_all_finite(const float *values, long count);

#ifdef __cplusplus
}
#endif
#endif
