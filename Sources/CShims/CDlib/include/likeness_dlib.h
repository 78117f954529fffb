// C interface over dlib's HOG face detector, 5-point shape predictor, face chips and the
// ResNet face recognizer. Every function catches all C++ exceptions and reports them as a
// non-zero status with a message in `err` (always NUL-terminated when errlen > 0).
#ifndef LIKENESS_DLIB_H
#define LIKENESS_DLIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    LDL_OK = 0,
    LDL_ERR_ARGUMENT = 1,
    LDL_ERR_MODEL = 2,
    LDL_ERR_RUNTIME = 3,
    LDL_ERR_MEMORY = 4,
};

typedef struct ldl_image ldl_image;          // an RGB image in dlib's layout
typedef struct ldl_detector ldl_detector;    // HOG frontal face detector
typedef struct ldl_shape_model ldl_shape_model;
typedef struct ldl_recognizer ldl_recognizer;

typedef struct {
    // Inclusive dlib rectangle, in image coordinates, possibly outside the image.
    long left, top, right, bottom;
    double score;
} ldl_detection;

/// Caps the BLAS threads dlib's DNN uses; call once at start-up.
void ldl_set_blas_threads(int n);

/// Copies a packed 8-bit BGR buffer (row stride in bytes) into a new dlib RGB image.
int ldl_image_from_bgr(const uint8_t *bgr, int width, int height, size_t stride,
                       ldl_image **out, char *err, size_t errlen);
void ldl_image_free(ldl_image *image);

int ldl_detector_create(ldl_detector **out, char *err, size_t errlen);
void ldl_detector_free(ldl_detector *detector);
/// Runs the detector after upsampling `upsample` times (as dlib's Python binding does) and
/// writes up to `capacity` detections; `*count` receives the number found, which may exceed
/// `capacity`, so callers can retry with a larger buffer.
int ldl_detect(ldl_detector *detector, const ldl_image *image, int upsample, double adjust_threshold,
               ldl_detection *out, size_t capacity, size_t *count, char *err, size_t errlen);

int ldl_shape_model_load(const char *path, ldl_shape_model **out, char *err, size_t errlen);
void ldl_shape_model_free(ldl_shape_model *model);
/// Number of landmarks the model predicts.
int ldl_shape_model_parts(const ldl_shape_model *model);
/// Predicts landmarks inside `box`; writes parts * 2 doubles (x0, y0, x1, y1, ...).
int ldl_predict_shape(const ldl_shape_model *model, const ldl_image *image, ldl_detection box,
                      double *points, size_t capacity, char *err, size_t errlen);

int ldl_recognizer_load(const char *path, ldl_recognizer **out, char *err, size_t errlen);
void ldl_recognizer_free(ldl_recognizer *recognizer);
/// Extracts the aligned face chip (size x size, padding as in dlib's get_face_chip_details)
/// for the box and landmarks, as packed RGB into `chip_rgb` (size*size*3 bytes); may be NULL.
int ldl_face_chip(const ldl_image *image, ldl_detection box, const double *points, int parts,
                  int size, double padding, uint8_t *chip_rgb, char *err, size_t errlen);
/// Embeds `count` packed RGB 150x150 chips; writes count * 128 floats, not normalised.
int ldl_embed_chips(ldl_recognizer *recognizer, const uint8_t *chips_rgb, size_t count,
                    float *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
