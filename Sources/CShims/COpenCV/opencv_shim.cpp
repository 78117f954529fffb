// OpenCV behind a C ABI. No C++ exception may cross into Swift (it would abort the process),
// so each entry point runs its body through `guarded`.
#include "likeness_opencv.h"
#include "guarded.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/core/utils/logger.hpp>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include <jpeglib.h>

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

// libjpeg reports a fatal error by calling error_exit, which must not return: it jumps back
// to the setjmp in decode_jpeg_bgr with the message kept. Warnings (a premature end of data,
// say) are not printed; the image decodes as OpenCV's would.
struct JpegErrors {
    jpeg_error_mgr base;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

extern "C" void jpeg_failed(j_common_ptr cinfo) {
    auto *errors = reinterpret_cast<JpegErrors *>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, errors->message);
    std::longjmp(errors->jump, 1);
}

extern "C" void jpeg_silent(j_common_ptr) {}

enum JpegResult { JPEG_DONE, JPEG_NOT_HANDLED, JPEG_FAILED, JPEG_NO_MEMORY };

// Decodes a JPEG of 1 or 3 components straight into BGR rows with the same libjpeg(-turbo)
// that OpenCV's imdecode uses (it asks for RGB and then swaps every pixel's bytes, a pass that
// cost as much as 3.5% of a busy server's CPU, and copies rows twice more). The pixels are
// the same bit for bit (JPEGDecodingTests compares both on every JPEG of ../shared/faces).
// CMYK and YCCK files are left to OpenCV. Only plain C data lives across the setjmp, so the
// longjmp skips no destructor.
JpegResult decode_jpeg_bgr(const uint8_t *bytes, size_t length, uint8_t **out, int *width, int *height, char *err,
                           size_t errlen) {
    jpeg_decompress_struct cinfo;
    JpegErrors errors;
    uint8_t *volatile data = nullptr;
    cinfo.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = jpeg_failed;
    errors.base.output_message = jpeg_silent;
    errors.message[0] = 0;
    if (setjmp(errors.jump)) {
        jpeg_destroy_decompress(&cinfo);
        std::free(data);
        set_error(err, errlen, errors.message[0] ? errors.message : "the JPEG could not be decoded");
        return JPEG_FAILED;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, bytes, static_cast<unsigned long>(length));
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.num_components != 1 && cinfo.num_components != 3) {
        jpeg_destroy_decompress(&cinfo);
        return JPEG_NOT_HANDLED;
    }
    cinfo.out_color_space = JCS_EXT_BGR;
    jpeg_start_decompress(&cinfo);
    const size_t stride = static_cast<size_t>(cinfo.output_width) * 3;
    data = static_cast<uint8_t *>(std::malloc(stride * cinfo.output_height > 0 ? stride * cinfo.output_height : 1));
    if (data == nullptr) {
        jpeg_destroy_decompress(&cinfo);
        return JPEG_NO_MEMORY;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = data + stride * cinfo.output_scanline;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    // No jpeg_finish_decompress: it reads on past the last scan and fails on junk there, which
    // imdecode never reads either (it stops after the last row).
    *width = static_cast<int>(cinfo.output_width);
    *height = static_cast<int>(cinfo.output_height);
    jpeg_destroy_decompress(&cinfo);
    *out = data;
    return JPEG_DONE;
}

// The arguments both decoders take: out cleared, a buffer that cv::Mat can describe.
int check_arguments(const uint8_t *bytes, size_t length, lcv_image *out, char *err, size_t errlen) {
    if (out == nullptr) return LCV_ERR_ARGUMENT;
    *out = lcv_image{nullptr, 0, 0, 0};
    if (bytes == nullptr || length == 0 || length > static_cast<size_t>(INT32_MAX)) {
        set_error(err, errlen, "empty or oversized buffer");
        return LCV_ERR_ARGUMENT;
    }
    return LCV_OK;
}

// The decoded image, upright, into out (a malloc'ed copy of its rows).
int deliver(cv::Mat img, int orientation, lcv_image *out) {
    orient(img, orientation);
    const size_t stride = static_cast<size_t>(img.cols) * 3;
    auto *data = static_cast<uint8_t *>(std::malloc(stride * static_cast<size_t>(img.rows)));
    if (data == nullptr) throw std::bad_alloc();
    for (int y = 0; y < img.rows; ++y) std::memcpy(data + stride * y, img.ptr<uint8_t>(y), stride);
    *out = lcv_image{data, img.cols, img.rows, stride};
    return LCV_OK;
}

} // namespace

extern "C" {

void lcv_set_threads(int n) { cv::setNumThreads(n < 1 ? 1 : n); }

void lcv_quiet_logs(void) { cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT); }

int lcv_decode(const uint8_t *bytes, size_t length, int orientation, lcv_image *out, char *err,
               size_t errlen) {
    if (int rc = check_arguments(bytes, length, out, err, errlen); rc != LCV_OK) return rc;
    if (length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
        uint8_t *data = nullptr;
        int width = 0, height = 0;
        switch (decode_jpeg_bgr(bytes, length, &data, &width, &height, err, errlen)) {
        case JPEG_DONE:
            if (orientation <= 1) {
                *out = lcv_image{data, width, height, static_cast<size_t>(width) * 3};
                return LCV_OK;
            }
            {
                int rc = guarded(err, errlen, LCV_ERR_DECODE, [&]() -> int {
                    return deliver(cv::Mat(height, width, CV_8UC3, data), orientation, out);
                });
                std::free(data);
                return rc;
            }
        case JPEG_FAILED: return LCV_ERR_DECODE;
        case JPEG_NO_MEMORY:
            set_error(err, errlen, "out of memory");
            return LCV_ERR_DECODE;
        case JPEG_NOT_HANDLED: break;
        }
    }
    return lcv_decode_opencv(bytes, length, orientation, out, err, errlen);
}

int lcv_decode_opencv(const uint8_t *bytes, size_t length, int orientation, lcv_image *out, char *err, size_t errlen) {
    if (int rc = check_arguments(bytes, length, out, err, errlen); rc != LCV_OK) return rc;
    return guarded(err, errlen, LCV_ERR_DECODE, [&]() -> int {
        const cv::Mat encoded(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t *>(bytes));
        cv::Mat img = cv::imdecode(encoded, cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
        if (img.empty() || img.type() != CV_8UC3) {
            set_error(err, errlen, "the image could not be decoded");
            return LCV_ERR_DECODE;
        }
        return deliver(img, orientation, out);
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
