// Resizing and affine warps for crops and face alignment, done by OpenCV so that they match the
// Python references (cv2.resize, cv2.warpAffine) to the bit.
#include "likeness_opencv.h"
#include "guarded.hpp"

#include <opencv2/imgproc.hpp>

namespace {

bool valid(const uint8_t *bgr, int width, int height, size_t stride, int out_width, int out_height, const uint8_t *out) {
    return bgr != nullptr && out != nullptr && width > 0 && height > 0 && out_width > 0 && out_height > 0 &&
           stride >= static_cast<size_t>(width) * 3;
}

} // namespace

extern "C" {

int lcv_resize(const uint8_t *bgr, int width, int height, size_t stride, int out_width, int out_height,
               uint8_t *out, char *err, size_t errlen) {
    if (!valid(bgr, width, height, stride, out_width, out_height, out)) {
        set_error(err, errlen, "invalid image buffer");
        return LCV_ERR_ARGUMENT;
    }
    return guarded(err, errlen, LCV_ERR_RUNTIME, [&]() -> int {
        const cv::Mat src(height, width, CV_8UC3, const_cast<uint8_t *>(bgr), stride);
        cv::Mat dst(out_height, out_width, CV_8UC3, out);
        cv::resize(src, dst, dst.size(), 0, 0, cv::INTER_LINEAR);
        if (dst.data != out) {
            set_error(err, errlen, "resize reallocated its output");
            return LCV_ERR_RUNTIME;
        }
        return LCV_OK;
    });
}

int lcv_warp_affine(const uint8_t *bgr, int width, int height, size_t stride, const double *m,
                    int out_width, int out_height, uint8_t *out, char *err, size_t errlen) {
    if (!valid(bgr, width, height, stride, out_width, out_height, out) || m == nullptr) {
        set_error(err, errlen, "invalid image buffer");
        return LCV_ERR_ARGUMENT;
    }
    return guarded(err, errlen, LCV_ERR_RUNTIME, [&]() -> int {
        const cv::Mat src(height, width, CV_8UC3, const_cast<uint8_t *>(bgr), stride);
        const cv::Mat matrix(2, 3, CV_64F, const_cast<double *>(m));
        cv::Mat dst(out_height, out_width, CV_8UC3, out);
        cv::warpAffine(src, dst, matrix, dst.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
        if (dst.data != out) {
            set_error(err, errlen, "warpAffine reallocated its output");
            return LCV_ERR_RUNTIME;
        }
        return LCV_OK;
    });
}

} // extern "C"
