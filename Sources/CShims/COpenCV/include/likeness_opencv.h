// C interface over the parts of OpenCV that Likeness uses. Every function catches all C++
// exceptions and reports them as a non-zero status with a message in `err`.
#ifndef LIKENESS_OPENCV_H
#define LIKENESS_OPENCV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    LCV_OK = 0,
    LCV_ERR_ARGUMENT = 1,
    LCV_ERR_DECODE = 2,
    LCV_ERR_RUNTIME = 3,
    LCV_ERR_MEMORY = 4,
};

typedef struct {
    uint8_t *data;   // packed BGR, `stride` bytes a row; owned: release with lcv_image_free
    int width;
    int height;
    size_t stride;
} lcv_image;

/// Caps OpenCV's own worker threads; call once at start-up.
void lcv_set_threads(int n);

/// Silences OpenCV's own logging to stderr; failures reach the caller as error messages.
void lcv_quiet_logs(void);

/// Decodes an encoded image (JPEG, PNG, WebP, BMP, ...) to 8-bit BGR, then applies the EXIF
/// orientation `orientation` (1-8; anything else means upright). OpenCV's own EXIF handling
/// is switched off so that the caller decides. JPEGs of 1 or 3 components are decoded by
/// libjpeg straight to BGR (the pixels imdecode gives, without its byte swap and copies).
int lcv_decode(const uint8_t *bytes, size_t length, int orientation, lcv_image *out,
               char *err, size_t errlen);
/// The same through cv::imdecode whatever the format: the fallback, and the tests' reference.
int lcv_decode_opencv(const uint8_t *bytes, size_t length, int orientation, lcv_image *out,
                      char *err, size_t errlen);
void lcv_image_free(lcv_image *image);

/// Encodes packed BGR to the format named by `ext` (".jpg", ".png", ...); for tests and
/// stored face crops. The result is owned: release with lcv_buffer_free.
int lcv_encode(const uint8_t *bgr, int width, int height, size_t stride, const char *ext, int quality,
               uint8_t **out, size_t *out_length, char *err, size_t errlen);
void lcv_buffer_free(uint8_t *buffer);

/// Resizes a packed BGR image (bilinear, as cv::resize's INTER_LINEAR) into `out`, which holds
/// out_width * out_height * 3 bytes. A crop is the source pointer offset with its stride.
int lcv_resize(const uint8_t *bgr, int width, int height, size_t stride, int out_width, int out_height,
               uint8_t *out, char *err, size_t errlen);

/// Warps a packed BGR image by the 2x3 affine matrix `m` (row-major, source = inverse of m
/// applied to the destination, as cv::warpAffine), bilinear, black borders, into `out`.
int lcv_warp_affine(const uint8_t *bgr, int width, int height, size_t stride, const double *m,
                    int out_width, int out_height, uint8_t *out, char *err, size_t errlen);

/// An ONNX network loaded by OpenCV DNN. Not thread-safe: callers serialise forward passes.
typedef struct lcv_net lcv_net;

int lcv_net_load(const char *path, lcv_net **out, char *err, size_t errlen);
void lcv_net_free(lcv_net *net);

/// The names of the network's outputs, joined by '\n', into `buffer` (truncated to `length`).
int lcv_net_output_names(lcv_net *net, char *buffer, size_t length, char *err, size_t errlen);

/// Runs the network on one float tensor of shape `shape` (`ndims` dimensions). For each of the
/// `count` outputs named in `names` (a NULL name means the default output), `outputs[i]` gets a
/// malloc'ed copy (release with lcv_floats_free), `lengths[i]` its element count and
/// `shapes[i * 4 ...]` its first four dimensions (0 where absent). On failure nothing is owned.
int lcv_net_forward(lcv_net *net, const float *input, const int *shape, int ndims,
                    const char *const *names, int count, float **outputs, size_t *lengths, int *shapes,
                    char *err, size_t errlen);
void lcv_floats_free(float *values);

/// OpenCV's YuNet face detector (cv::FaceDetectorYN; the 2022mar model for OpenCV 4.6).
typedef struct lcv_yunet lcv_yunet;

/// `width` x `height` is the input size it starts with; a detector whose size never changes
/// afterwards avoids FaceDetectorYN 4.6's dependence on earlier sizes.
int lcv_yunet_create(const char *path, int width, int height, float score_threshold, float nms_threshold, int top_k,
                     lcv_yunet **out, char *err, size_t errlen);
void lcv_yunet_free(lcv_yunet *detector);

/// Detects faces in a packed BGR image. `faces` gets a malloc'ed array of `count` rows of 15
/// floats (x, y, w, h, five landmark x/y pairs, score); release with lcv_floats_free.
int lcv_yunet_detect(lcv_yunet *detector, const uint8_t *bgr, int width, int height, size_t stride,
                     float **faces, int *count, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
