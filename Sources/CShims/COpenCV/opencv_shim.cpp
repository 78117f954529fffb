// OpenCV behind a C ABI. No C++ exception may cross into Swift (it would abort the process),
// so each entry point runs its body through `guarded`.
#include "likeness_opencv.h"
#include "guarded.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/core/utils/logger.hpp>

#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace {

// The EXIF orientations, as OpenCV itself applies them in imread.
void orient(cv::Mat &img, int orientation) {
    switch (orientation) {
    case 2: cv::flip(img, img, 1); break;
    case 3: cv::flip(img, img, -1); break;
    case 4: cv::flip(img, img, 0); break;
    case 5: cv::transpose(img, img); break;
    case 6: cv::transpose(img, img); cv::flip(img, img, 1); break;
    case 7: cv::transpose(img, img); cv::flip(img, img, -1); break;
    case 8: cv::transpose(img, img); cv::flip(img, img, 0); break;
    default: break;
    }
}

} // namespace

extern "C" {

void lcv_set_threads(int n) { cv::setNumThreads(n < 1 ? 1 : n); }

void lcv_quiet_logs(void) { cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT); }

int lcv_decode(const uint8_t *bytes, size_t length, int orientation, lcv_image *out, char *err,
               size_t errlen) {
    if (out == nullptr) return LCV_ERR_ARGUMENT;
    *out = lcv_image{nullptr, 0, 0, 0};
    if (bytes == nullptr || length == 0 || length > static_cast<size_t>(INT32_MAX)) {
        set_error(err, errlen, "empty or oversized buffer");
        return LCV_ERR_ARGUMENT;
    }
    return guarded(err, errlen, LCV_ERR_DECODE, [&]() -> int {
        const cv::Mat encoded(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t *>(bytes));
        cv::Mat img = cv::imdecode(encoded, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
        if (img.empty() || img.type() != CV_8UC3) {
            set_error(err, errlen, "the image could not be decoded");
            return LCV_ERR_DECODE;
        }
        orient(img, orientation);
        const size_t stride = static_cast<size_t>(img.cols) * 3;
        auto *data = static_cast<uint8_t *>(std::malloc(stride * static_cast<size_t>(img.rows)));
        if (data == nullptr) throw std::bad_alloc();
        for (int y = 0; y < img.rows; ++y) std::memcpy(data + stride * y, img.ptr<uint8_t>(y), stride);
        *out = lcv_image{data, img.cols, img.rows, stride};
        return LCV_OK;
    });
}

void lcv_image_free(lcv_image *image) {
    if (image == nullptr) return;
    std::free(image->data);
    image->data = nullptr;
}

int lcv_encode(const uint8_t *bgr, int width, int height, size_t stride, const char *ext, int quality,
               uint8_t **out, size_t *out_length, char *err, size_t errlen) {
    if (out == nullptr || out_length == nullptr) return LCV_ERR_ARGUMENT;
    *out = nullptr;
    *out_length = 0;
    if (bgr == nullptr || ext == nullptr || width <= 0 || height <= 0 || stride < static_cast<size_t>(width) * 3) {
        set_error(err, errlen, "invalid image buffer");
        return LCV_ERR_ARGUMENT;
    }
    return guarded(err, errlen, LCV_ERR_RUNTIME, [&]() -> int {
        const cv::Mat img(height, width, CV_8UC3, const_cast<uint8_t *>(bgr), stride);
        std::vector<uint8_t> buffer;
        std::vector<int> params;
        if (quality > 0) params = {cv::IMWRITE_JPEG_QUALITY, quality};
        if (!cv::imencode(ext, img, buffer, params)) {
            set_error(err, errlen, "the image could not be encoded");
            return LCV_ERR_RUNTIME;
        }
        auto *data = static_cast<uint8_t *>(std::malloc(buffer.size()));
        if (data == nullptr) throw std::bad_alloc();
        std::memcpy(data, buffer.data(), buffer.size());
        *out = data;
        *out_length = buffer.size();
        return LCV_OK;
    });
}

void lcv_buffer_free(uint8_t *buffer) { std::free(buffer); }

} // extern "C"
