// PNG and JPEG decoding and PNG encoding over Debian's libpng and libjpeg-turbo.
// libpng and libjpeg report errors by longjmp, which Swift cannot catch, so each call that can
// fail runs inside one C function here that sets the jump point and returns an error text.
#ifndef DPQ_IMAGE_CODECS_SHIM_H
#define DPQ_IMAGE_CODECS_SHIM_H

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>
#include <jpeglib.h>

/// A decoded image: rows of width * channels samples, 8 or 16 bits (16-bit samples native-endian).
typedef struct {
  int width, height, channels, bit_depth;
  unsigned char *pixels;   // malloc'd; free with dpq_image_free
} dpq_image;

static inline void dpq_image_free(dpq_image *image) {
  free(image->pixels);
  image->pixels = NULL;
}

// ---- PNG ----

typedef struct {
  const unsigned char *data;
  size_t size, offset;
  jmp_buf jump;
  char *error;
  size_t error_size;
} dpq_png_state;

static inline void dpq_png_error(png_structp png, png_const_charp message) {
  dpq_png_state *s = (dpq_png_state *)png_get_error_ptr(png);
  snprintf(s->error, s->error_size, "%s", message);
  longjmp(s->jump, 1);
}

static inline void dpq_png_warning(png_structp png, png_const_charp message) { (void)png; (void)message; }

static inline void dpq_png_read(png_structp png, png_bytep out, png_size_t length) {
  dpq_png_state *s = (dpq_png_state *)png_get_io_ptr(png);
  if (length > s->size - s->offset) png_error(png, "the file ends inside the image data (truncated)");
  memcpy(out, s->data + s->offset, length);
  s->offset += length;
}

/// Decodes a PNG held in memory. Palette and low-bit grey expand to 8 bits, transparency chunks
/// to an alpha channel; 16-bit samples stay 16-bit. Returns 0, or -1 with `error` filled.
/// `max_pixels` refuses an image whose declared size is larger before anything is allocated.
static inline int dpq_png_decode(const unsigned char *data, size_t size, size_t max_pixels,
                                 dpq_image *out, char *error, size_t error_size) {
  dpq_png_state s = {data, size, 0};
  s.error = error; s.error_size = error_size;
  out->pixels = NULL;
  if (size < 8 || png_sig_cmp(data, 0, 8) != 0) { snprintf(error, error_size, "not a PNG file"); return -1; }
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s, dpq_png_error, dpq_png_warning);
  if (!png) { snprintf(error, error_size, "out of memory"); return -1; }
  png_infop info = png_create_info_struct(png);
  unsigned char *volatile pixels = NULL;
  png_bytep *volatile rows = NULL;
  if (!info || setjmp(s.jump)) {
    free(pixels); free(rows);
    png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    if (!info) snprintf(error, error_size, "out of memory");
    return -1;
  }
  png_set_read_fn(png, &s, dpq_png_read);
  png_read_info(png, info);
  png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
  if ((size_t)width * height > max_pixels) png_error(png, "the image is larger than dpq decodes");
  png_set_expand(png);                 // palette -> RGB, grey < 8 bits -> 8 bits, tRNS -> alpha
  if (png_get_bit_depth(png, info) == 16) {
    const uint16_t probe = 1;          // PNG stores 16-bit samples big-endian
    if (*(const unsigned char *)&probe == 1) png_set_swap(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  int channels = png_get_channels(png, info), depth = png_get_bit_depth(png, info);
  size_t row_bytes = png_get_rowbytes(png, info);
  pixels = (unsigned char *)malloc(row_bytes * height);
  rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
  if (!pixels || !rows) png_error(png, "out of memory");
  for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + y * row_bytes;
  png_read_image(png, rows);
  png_read_end(png, NULL);
  free(rows);
  png_destroy_read_struct(&png, &info, NULL);
  out->width = (int)width; out->height = (int)height;
  out->channels = channels; out->bit_depth = depth; out->pixels = pixels;
  return 0;
}

typedef struct { unsigned char *data; size_t size, capacity; int failed; } dpq_png_buffer;

static inline void dpq_png_write(png_structp png, png_bytep data, png_size_t length) {
  dpq_png_buffer *b = (dpq_png_buffer *)png_get_io_ptr(png);
  if (b->size + length > b->capacity) {
    size_t capacity = b->capacity ? b->capacity * 2 : 4096;
    while (capacity < b->size + length) capacity *= 2;
    unsigned char *grown = (unsigned char *)realloc(b->data, capacity);
    if (!grown) png_error(png, "out of memory");
    b->data = grown; b->capacity = capacity;
  }
  memcpy(b->data + b->size, data, length);
  b->size += length;
}

static inline void dpq_png_flush(png_structp png) { (void)png; }

/// Encodes 8-bit samples (1 grey, 3 RGB or 4 RGBA channels) as PNG into a malloc'd buffer.
static inline int dpq_png_encode(const unsigned char *pixels, int width, int height, int channels,
                                 unsigned char **out, size_t *out_size, char *error, size_t error_size) {
  dpq_png_state s = {NULL, 0, 0};
  s.error = error; s.error_size = error_size;
  dpq_png_buffer buffer = {NULL, 0, 0, 0};
  int type = channels == 1 ? PNG_COLOR_TYPE_GRAY : channels == 3 ? PNG_COLOR_TYPE_RGB
           : channels == 4 ? PNG_COLOR_TYPE_RGBA : -1;
  if (type < 0) { snprintf(error, error_size, "PNG needs 1, 3 or 4 channels, not %d", channels); return -1; }
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s, dpq_png_error, dpq_png_warning);
  if (!png) { snprintf(error, error_size, "out of memory"); return -1; }
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(s.jump)) {
    free(buffer.data);
    png_destroy_write_struct(&png, info ? &info : NULL);
    if (!info) snprintf(error, error_size, "out of memory");
    return -1;
  }
  png_set_write_fn(png, &buffer, dpq_png_write, dpq_png_flush);
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * width * channels));
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  *out = buffer.data; *out_size = buffer.size;
  return 0;
}

// ---- JPEG ----

typedef struct {
  struct jpeg_error_mgr manager;
  jmp_buf jump;
} dpq_jpeg_error;

static inline void dpq_jpeg_exit(j_common_ptr info) {
  dpq_jpeg_error *e = (dpq_jpeg_error *)info->err;
  longjmp(e->jump, 1);
}

// Counts warnings (level -1) without printing them; a truncated stream is one.
static inline void dpq_jpeg_quiet(j_common_ptr info, int level) {
  if (level < 0) info->err->num_warnings++;
}

/// Decodes a baseline or progressive JPEG held in memory with libjpeg's defaults (the slow
/// integer IDCT and fancy upsampling, which Pillow also uses). Grey files give 1 channel,
/// colour files 3; CMYK and other colour spaces are refused. Returns 0, or -1 with `error`.
/// A file that ends early is refused rather than padded with grey as libjpeg would.
static inline int dpq_jpeg_decode(const unsigned char *data, size_t size, size_t max_pixels,
                                  dpq_image *out, char *error, size_t error_size) {
  struct jpeg_decompress_struct info;
  dpq_jpeg_error e;
  unsigned char *volatile pixels = NULL;
  out->pixels = NULL;
  info.err = jpeg_std_error(&e.manager);
  e.manager.error_exit = dpq_jpeg_exit;
  e.manager.emit_message = dpq_jpeg_quiet;
  if (setjmp(e.jump)) {
    char message[JMSG_LENGTH_MAX];
    (*info.err->format_message)((j_common_ptr)&info, message);
    snprintf(error, error_size, "%s", message);
    free(pixels);
    jpeg_destroy_decompress(&info);
    return -1;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data, (unsigned long)size);
  jpeg_read_header(&info, TRUE);
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    snprintf(error, error_size, "CMYK JPEG images are not supported (convert to RGB)");
    jpeg_destroy_decompress(&info);
    return -1;
  }
  info.out_color_space = info.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  if ((size_t)info.image_width * info.image_height > max_pixels) {
    snprintf(error, error_size, "the image is larger than dpq decodes");
    jpeg_destroy_decompress(&info);
    return -1;
  }
  jpeg_start_decompress(&info);
  size_t row_bytes = (size_t)info.output_width * info.output_components;
  pixels = (unsigned char *)malloc(row_bytes * info.output_height);
  if (!pixels) {
    snprintf(error, error_size, "out of memory");
    jpeg_destroy_decompress(&info);
    return -1;
  }
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = pixels + row_bytes * info.output_scanline;
    jpeg_read_scanlines(&info, &row, 1);
  }
  // libjpeg warns (JWRN_JPEG_EOF) and fills with grey when the data ends early.
  long warnings = info.err->num_warnings;
  jpeg_finish_decompress(&info);
  int width = (int)info.output_width, height = (int)info.output_height, channels = info.output_components;
  jpeg_destroy_decompress(&info);
  if (warnings > 0) {
    snprintf(error, error_size, "corrupt or truncated JPEG data");
    free(pixels);
    return -1;
  }
  out->width = width; out->height = height; out->channels = channels; out->bit_depth = 8;
  out->pixels = pixels;
  return 0;
}

#endif
