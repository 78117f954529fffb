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

/// Decodes an encoded image (JPEG, PNG, WebP, BMP, ...) to 8-bit BGR, then applies the EXIF
/// orientation `orientation` (1-8; anything else means upright). OpenCV's own EXIF handling
/// is switched off so that the caller decides.
int lcv_decode(const uint8_t *bytes, size_t length, int orientation, lcv_image *out,
               char *err, size_t errlen);
void lcv_image_free(lcv_image *image);

/// Encodes packed BGR to the format named by `ext` (".jpg", ".png", ...); for tests and
/// stored face crops. The result is owned: release with lcv_buffer_free.
int lcv_encode(const uint8_t *bgr, int width, int height, size_t stride, const char *ext, int quality,
               uint8_t **out, size_t *out_length, char *err, size_t errlen);
void lcv_buffer_free(uint8_t *buffer);

#ifdef __cplusplus
}
#endif
#endif
