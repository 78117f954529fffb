// Shared by this shim's translation units: turns every C++ exception into a status and message.
#ifndef LIKENESS_OPENCV_GUARDED_HPP
#define LIKENESS_OPENCV_GUARDED_HPP

#include "likeness_opencv.h"

#include <opencv2/core.hpp>

#include <cstring>
#include <exception>
#include <new>

namespace {

void set_error(char *err, size_t errlen, const char *message) {
    if (err == nullptr || errlen == 0) return;
    std::strncpy(err, message, errlen - 1);
    err[errlen - 1] = '\0';
}

template <typename Body>
int guarded(char *err, size_t errlen, int failure, Body body) {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        set_error(err, errlen, "out of memory");
        return LCV_ERR_MEMORY;
    } catch (const cv::Exception &e) {
        set_error(err, errlen, e.what());
        return failure;
    } catch (const std::exception &e) {
        set_error(err, errlen, e.what());
        return failure;
    } catch (...) {
        set_error(err, errlen, "unknown C++ exception");
        return failure;
    }
}

} // namespace

#endif
