// dlib behind a C ABI. No C++ exception may cross into Swift: each entry point runs its body
// through `guarded`, which turns every exception into a status code and a message.
#include "likeness_dlib.h"

#include <dlib/dnn.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <cstring>
#include <new>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int);

using namespace dlib;

// The network of dlib's dlib_face_recognition_resnet_model_v1 (dnn_face_recognition_ex.cpp);
// the serialized weights only load into exactly this type.
namespace face_net {
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual = add_prev1<block<N, BN, 1, tag1<SUBNET>>>;

template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<block<N, BN, 2, tag1<SUBNET>>>>>>;

template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<con<N, 3, 3, 1, 1, relu<BN<con<N, 3, 3, stride, stride, SUBNET>>>>>;

template <int N, typename SUBNET> using ares = relu<residual<block, N, affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block, N, affine, SUBNET>>;

template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;

using net_type = loss_metric<fc_no_bias<128, avg_pool_everything<
    alevel0<alevel1<alevel2<alevel3<alevel4<
    max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2,
    input_rgb_image_sized<150>>>>>>>>>>>>>;
} // namespace face_net

struct ldl_image { matrix<rgb_pixel> pixels; };
struct ldl_detector { frontal_face_detector detector; };
struct ldl_shape_model { shape_predictor predictor; };
struct ldl_recognizer { face_net::net_type net; };

namespace {

void set_error(char *err, size_t errlen, const char *message) {
    if (err == nullptr || errlen == 0) return;
    std::strncpy(err, message, errlen - 1);
    err[errlen - 1] = '\0';
}

template <typename Body>
int guarded(char *err, size_t errlen, int failure, Body body) {
    try {
        body();
        return LDL_OK;
    } catch (const std::bad_alloc &) {
        set_error(err, errlen, "out of memory");
        return LDL_ERR_MEMORY;
    } catch (const serialization_error &e) {
        set_error(err, errlen, e.what());
        return LDL_ERR_MODEL;
    } catch (const std::exception &e) {
        set_error(err, errlen, e.what());
        return failure;
    } catch (...) {
        set_error(err, errlen, "unknown C++ exception");
        return failure;
    }
}

rectangle to_rect(const ldl_detection &d) { return rectangle(d.left, d.top, d.right, d.bottom); }

full_object_detection to_shape(const ldl_detection &box, const double *points, int parts) {
    std::vector<point> pts;
    pts.reserve(static_cast<size_t>(parts));
    for (int i = 0; i < parts; ++i) {
        // dlib stores parts as integer points; predictions are rounded the same way.
        pts.emplace_back(static_cast<long>(std::lround(points[2 * i])),
                         static_cast<long>(std::lround(points[2 * i + 1])));
    }
    return full_object_detection(to_rect(box), pts);
}

} // namespace

extern "C" {

void ldl_set_blas_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }

int ldl_image_from_bgr(const uint8_t *bgr, int width, int height, size_t stride, ldl_image **out,
                       char *err, size_t errlen) {
    if (out == nullptr) return LDL_ERR_ARGUMENT;
    *out = nullptr;
    if (bgr == nullptr || width <= 0 || height <= 0 || stride < static_cast<size_t>(width) * 3) {
        set_error(err, errlen, "invalid image buffer");
        return LDL_ERR_ARGUMENT;
    }
    return guarded(err, errlen, LDL_ERR_RUNTIME, [&] {
        auto image = std::make_unique<ldl_image>();
        image->pixels.set_size(height, width);
        for (int y = 0; y < height; ++y) {
            const uint8_t *row = bgr + static_cast<size_t>(y) * stride;
            for (int x = 0; x < width; ++x) {
                image->pixels(y, x) = rgb_pixel(row[3 * x + 2], row[3 * x + 1], row[3 * x]);
            }
        }
        *out = image.release();
    });
}

void ldl_image_free(ldl_image *image) { delete image; }

int ldl_detector_create(ldl_detector **out, char *err, size_t errlen) {
    if (out == nullptr) return LDL_ERR_ARGUMENT;
    *out = nullptr;
    return guarded(err, errlen, LDL_ERR_RUNTIME, [&] {
        auto detector = std::make_unique<ldl_detector>();
        detector->detector = get_frontal_face_detector();
        *out = detector.release();
    });
}

void ldl_detector_free(ldl_detector *detector) { delete detector; }

int ldl_detect(ldl_detector *detector, const ldl_image *image, int upsample, double adjust_threshold,
               ldl_detection *out, size_t capacity, size_t *count, char *err, size_t errlen) {
    if (detector == nullptr || image == nullptr || count == nullptr || upsample < 0 || upsample > 4 ||
        (out == nullptr && capacity > 0)) {
        set_error(err, errlen, "invalid detector arguments");
        return LDL_ERR_ARGUMENT;
    }
    return guarded(err, errlen, LDL_ERR_RUNTIME, [&] {
        // Mirrors dlib's Python binding: upsample with pyramid_up, then map the boxes back
        // with the pyramid's rect_down, so boxes match face_recognition's to the pixel.
        std::vector<rect_detection> found;
        pyramid_down<2> pyramid;
        if (upsample > 0) {
            matrix<rgb_pixel> scaled;
            pyramid_up(image->pixels, scaled, pyramid);
            for (int i = 1; i < upsample; ++i) pyramid_up(scaled, pyramid);
            detector->detector(scaled, found, adjust_threshold);
            for (auto &d : found) d.rect = pyramid.rect_down(d.rect, static_cast<unsigned int>(upsample));
        } else {
            detector->detector(image->pixels, found, adjust_threshold);
        }
        *count = found.size();
        for (size_t i = 0; i < found.size() && i < capacity; ++i) {
            out[i].left = found[i].rect.left();
            out[i].top = found[i].rect.top();
            out[i].right = found[i].rect.right();
            out[i].bottom = found[i].rect.bottom();
            out[i].score = found[i].detection_confidence;
        }
    });
}

int ldl_shape_model_load(const char *path, ldl_shape_model **out, char *err, size_t errlen) {
    if (out == nullptr || path == nullptr) return LDL_ERR_ARGUMENT;
    *out = nullptr;
    return guarded(err, errlen, LDL_ERR_MODEL, [&] {
        auto model = std::make_unique<ldl_shape_model>();
        deserialize(path) >> model->predictor;
        *out = model.release();
    });
}

void ldl_shape_model_free(ldl_shape_model *model) { delete model; }

int ldl_shape_model_parts(const ldl_shape_model *model) {
    return model == nullptr ? 0 : static_cast<int>(model->predictor.num_parts());
}

int ldl_predict_shape(const ldl_shape_model *model, const ldl_image *image, ldl_detection box,
                      double *points, size_t capacity, char *err, size_t errlen) {
    if (model == nullptr || image == nullptr || points == nullptr ||
        capacity < 2 * model->predictor.num_parts()) {
        set_error(err, errlen, "invalid shape prediction arguments");
        return LDL_ERR_ARGUMENT;
    }
    return guarded(err, errlen, LDL_ERR_RUNTIME, [&] {
        full_object_detection shape = model->predictor(image->pixels, to_rect(box));
        for (unsigned long i = 0; i < shape.num_parts(); ++i) {
            points[2 * i] = static_cast<double>(shape.part(i).x());
            points[2 * i + 1] = static_cast<double>(shape.part(i).y());
        }
    });
}

int ldl_recognizer_load(const char *path, ldl_recognizer **out, char *err, size_t errlen) {
    if (out == nullptr || path == nullptr) return LDL_ERR_ARGUMENT;
    *out = nullptr;
    return guarded(err, errlen, LDL_ERR_MODEL, [&] {
        auto model = std::make_unique<ldl_recognizer>();
        deserialize(path) >> model->net;
        *out = model.release();
    });
}

void ldl_recognizer_free(ldl_recognizer *recognizer) { delete recognizer; }

int ldl_face_chip(const ldl_image *image, ldl_detection box, const double *points, int parts,
                  int size, double padding, uint8_t *chip_rgb, char *err, size_t errlen) {
    if (image == nullptr || points == nullptr || chip_rgb == nullptr || size <= 0 || size > 1024 ||
        !(parts == 5 || parts == 68) || padding < 0) {
        set_error(err, errlen, "invalid face chip arguments");
        return LDL_ERR_ARGUMENT;
    }
    return guarded(err, errlen, LDL_ERR_RUNTIME, [&] {
        const full_object_detection shape = to_shape(box, points, parts);
        matrix<rgb_pixel> chip;
        extract_image_chip(image->pixels, get_face_chip_details(shape, static_cast<unsigned long>(size), padding), chip);
        for (long y = 0; y < chip.nr(); ++y) {
            for (long x = 0; x < chip.nc(); ++x) {
                uint8_t *p = chip_rgb + (static_cast<size_t>(y) * size + static_cast<size_t>(x)) * 3;
                p[0] = chip(y, x).red;
                p[1] = chip(y, x).green;
                p[2] = chip(y, x).blue;
            }
        }
    });
}

int ldl_embed_chips(ldl_recognizer *recognizer, const uint8_t *chips_rgb, size_t count, float *out,
                    char *err, size_t errlen) {
    if (recognizer == nullptr || chips_rgb == nullptr || out == nullptr || count == 0 || count > 4096) {
        set_error(err, errlen, "invalid embedding arguments");
        return LDL_ERR_ARGUMENT;
    }
    return guarded(err, errlen, LDL_ERR_RUNTIME, [&] {
        const size_t side = 150;
        std::vector<matrix<rgb_pixel>> chips(count);
        for (size_t i = 0; i < count; ++i) {
            chips[i].set_size(side, side);
            const uint8_t *base = chips_rgb + i * side * side * 3;
            for (size_t y = 0; y < side; ++y) {
                for (size_t x = 0; x < side; ++x) {
                    const uint8_t *p = base + (y * side + x) * 3;
                    chips[i](y, x) = rgb_pixel(p[0], p[1], p[2]);
                }
            }
        }
        // dlib's Python binding runs the net in mini-batches of 16; same arithmetic here.
        std::vector<matrix<float, 0, 1>> descriptors = recognizer->net(chips, 16);
        for (size_t i = 0; i < count; ++i) {
            if (descriptors[i].size() != 128) throw std::runtime_error("unexpected descriptor size");
            for (long j = 0; j < 128; ++j) out[i * 128 + static_cast<size_t>(j)] = descriptors[i](j);
        }
    });
}

} // extern "C"
