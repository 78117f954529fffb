// OpenCV DNN (ONNX networks) and cv::FaceDetectorYN behind the C ABI; every entry point runs
// through `guarded`, and nothing is left owned by the caller when one fails.
#include "likeness_opencv.h"
#include "guarded.hpp"

#include <opencv2/dnn.hpp>
#include <opencv2/objdetect.hpp>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

struct lcv_net {
    cv::dnn::Net net;
};

struct lcv_yunet {
    cv::Ptr<cv::FaceDetectorYN> detector;
    cv::Size size;
};

namespace {

float *copy_out(const cv::Mat &m) {
    const size_t n = m.total();
    auto *data = static_cast<float *>(std::malloc((n == 0 ? 1 : n) * sizeof(float)));
    if (data == nullptr) throw std::bad_alloc();
    cv::Mat source = m.isContinuous() ? m : m.clone();
    if (n > 0) std::memcpy(data, source.ptr<float>(), n * sizeof(float));
    return data;
}

} // namespace

extern "C" {

int lcv_net_load(const char *path, lcv_net **out, char *err, size_t errlen) {
    if (out == nullptr || path == nullptr) return LCV_ERR_ARGUMENT;
    *out = nullptr;
    return guarded(err, errlen, LCV_ERR_RUNTIME, [&]() -> int {
        auto *holder = new lcv_net{cv::dnn::readNetFromONNX(path)};
        if (holder->net.empty()) {
            delete holder;
            set_error(err, errlen, "OpenCV loaded an empty network");
            return LCV_ERR_RUNTIME;
        }
        holder->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        holder->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        *out = holder;
        return LCV_OK;
    });
}

void lcv_net_free(lcv_net *net) { delete net; }

int lcv_net_output_names(lcv_net *net, char *buffer, size_t length, char *err, size_t errlen) {
    if (net == nullptr || buffer == nullptr || length == 0) return LCV_ERR_ARGUMENT;
    buffer[0] = '\0';
    return guarded(err, errlen, LCV_ERR_RUNTIME, [&]() -> int {
        std::string joined;
        for (const auto &name : net->net.getUnconnectedOutLayersNames()) {
            if (!joined.empty()) joined += '\n';
            joined += name;
        }
        set_error(buffer, length, joined.c_str());
        return LCV_OK;
    });
}

int lcv_net_forward(lcv_net *net, const float *input, const int *shape, int ndims,
                    const char *const *names, int count, float **outputs, size_t *lengths, int *shapes,
                    char *err, size_t errlen) {
    if (net == nullptr || input == nullptr || shape == nullptr || ndims < 1 || ndims > 8 || count < 1 ||
        outputs == nullptr || lengths == nullptr || shapes == nullptr) {
        set_error(err, errlen, "invalid forward arguments");
        return LCV_ERR_ARGUMENT;
    }
    for (int i = 0; i < count; ++i) {
        outputs[i] = nullptr;
        lengths[i] = 0;
    }
    const int status = guarded(err, errlen, LCV_ERR_RUNTIME, [&]() -> int {
        const cv::Mat blob(ndims, shape, CV_32F, const_cast<float *>(input));
        net->net.setInput(blob);
        std::vector<cv::String> wanted;
        for (int i = 0; i < count; ++i) wanted.emplace_back(names != nullptr && names[i] != nullptr ? names[i] : "");
        std::vector<cv::Mat> results;
        if (count == 1 && wanted[0].empty()) {
            results.push_back(net->net.forward());
        } else {
            net->net.forward(results, wanted);
        }
        if (static_cast<int>(results.size()) != count) {
            set_error(err, errlen, "the network returned a different number of outputs");
            return LCV_ERR_RUNTIME;
        }
        for (int i = 0; i < count; ++i) {
            if (results[i].depth() != CV_32F) {
                set_error(err, errlen, "an output is not float32");
                return LCV_ERR_RUNTIME;
            }
            for (int d = 0; d < 4; ++d) shapes[i * 4 + d] = d < results[i].dims ? results[i].size[d] : 0;
            outputs[i] = copy_out(results[i]);
            lengths[i] = results[i].total();
        }
        return LCV_OK;
    });
    if (status != LCV_OK) {
        for (int i = 0; i < count; ++i) {
            std::free(outputs[i]);
            outputs[i] = nullptr;
            lengths[i] = 0;
        }
    }
    return status;
}

void lcv_floats_free(float *values) { std::free(values); }

int lcv_yunet_create(const char *path, int width, int height, float score_threshold, float nms_threshold, int top_k,
                     lcv_yunet **out, char *err, size_t errlen) {
    if (out == nullptr || path == nullptr) return LCV_ERR_ARGUMENT;
    *out = nullptr;
    if (width <= 0 || height <= 0) {
        set_error(err, errlen, "invalid input size");
        return LCV_ERR_ARGUMENT;
    }
    return guarded(err, errlen, LCV_ERR_RUNTIME, [&]() -> int {
        const cv::Size size(width, height);
        auto detector = cv::FaceDetectorYN::create(path, "", size, score_threshold, nms_threshold, top_k);
        if (detector.empty()) {
            set_error(err, errlen, "OpenCV could not create the YuNet detector");
            return LCV_ERR_RUNTIME;
        }
        *out = new lcv_yunet{detector, size};
        return LCV_OK;
    });
}

void lcv_yunet_free(lcv_yunet *detector) { delete detector; }

int lcv_yunet_detect(lcv_yunet *detector, const uint8_t *bgr, int width, int height, size_t stride,
                     float **faces, int *count, char *err, size_t errlen) {
    if (faces == nullptr || count == nullptr) return LCV_ERR_ARGUMENT;
    *faces = nullptr;
    *count = 0;
    if (detector == nullptr || bgr == nullptr || width <= 0 || height <= 0 || stride < static_cast<size_t>(width) * 3) {
        set_error(err, errlen, "invalid image buffer");
        return LCV_ERR_ARGUMENT;
    }
    return guarded(err, errlen, LCV_ERR_RUNTIME, [&]() -> int {
        const cv::Mat img(height, width, CV_8UC3, const_cast<uint8_t *>(bgr), stride);
        const cv::Size size(width, height);
        if (size != detector->size) {
            detector->detector->setInputSize(size);
            detector->size = size;
        }
        cv::Mat found;
        detector->detector->detect(img, found);
        if (!found.empty() && (found.cols != 15 || found.type() != CV_32F)) {
            set_error(err, errlen, "YuNet returned an unexpected result shape");
            return LCV_ERR_RUNTIME;
        }
        if (!found.empty()) {
            *faces = copy_out(found);
            *count = found.rows;
        }
        return LCV_OK;
    });
}

} // extern "C"
