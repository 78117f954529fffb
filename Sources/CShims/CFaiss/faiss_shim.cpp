// FAISS behind a C ABI; no C++ exception may cross into Swift.
#include "likeness_faiss.h"

#include <faiss/AutoTune.h>
#include <faiss/Index.h>
#include <faiss/IndexIDMap.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <cstdlib>
#include <stdexcept>

#include <cstring>
#include <memory>
#include <new>

// Swift's bundled clang ships no omp.h, so the one function we need is declared here.
extern "C" void omp_set_num_threads(int);

struct lfs_index {
    std::unique_ptr<faiss::Index> index;
};

namespace {

void set_error(char *err, size_t errlen, const char *message) {
    if (err == nullptr || errlen == 0) return;
    std::strncpy(err, message, errlen - 1);
    err[errlen - 1] = '\0';
}

template <typename Body>
int guarded(char *err, size_t errlen, Body body) {
    try {
        body();
        return LFS_OK;
    } catch (const std::bad_alloc &) {
        set_error(err, errlen, "out of memory");
        return LFS_ERR_MEMORY;
    } catch (const std::exception &e) {
        set_error(err, errlen, e.what());
        return LFS_ERR_FAISS;
    } catch (...) {
        set_error(err, errlen, "unknown C++ exception");
        return LFS_ERR_FAISS;
    }
}

} // namespace

extern "C" {

void lfs_set_threads(int n) { omp_set_num_threads(n < 1 ? 1 : n); }

int lfs_create(int dimension, const char *description, lfs_index **out, char *err, size_t errlen) {
    if (out == nullptr) return LFS_ERR_ARGUMENT;
    *out = nullptr;
    if (dimension <= 0 || description == nullptr) {
        set_error(err, errlen, "invalid dimension or description");
        return LFS_ERR_ARGUMENT;
    }
    return guarded(err, errlen, [&] {
        auto wrapper = std::make_unique<lfs_index>();
        wrapper->index.reset(faiss::index_factory(dimension, description, faiss::METRIC_INNER_PRODUCT));
        *out = wrapper.release();
    });
}

void lfs_free(lfs_index *index) { delete index; }

int lfs_is_trained(const lfs_index *index) { return index != nullptr && index->index->is_trained ? 1 : 0; }

int64_t lfs_count(const lfs_index *index) { return index == nullptr ? 0 : index->index->ntotal; }

int lfs_train(lfs_index *index, int64_t n, const float *vectors, char *err, size_t errlen) {
    if (index == nullptr || vectors == nullptr || n <= 0) {
        set_error(err, errlen, "invalid training arguments");
        return LFS_ERR_ARGUMENT;
    }
    return guarded(err, errlen, [&] { index->index->train(n, vectors); });
}

int lfs_add(lfs_index *index, int64_t n, const float *vectors, char *err, size_t errlen) {
    if (index == nullptr || (vectors == nullptr && n > 0) || n < 0) {
        set_error(err, errlen, "invalid add arguments");
        return LFS_ERR_ARGUMENT;
    }
    if (!index->index->is_trained) {
        set_error(err, errlen, "the index must be trained before vectors are added");
        return LFS_ERR_ARGUMENT;
    }
    return guarded(err, errlen, [&] { index->index->add(n, vectors); });
}

int lfs_set_parameter(lfs_index *index, const char *name, double value, char *err, size_t errlen) {
    if (index == nullptr || name == nullptr) {
        set_error(err, errlen, "invalid parameter arguments");
        return LFS_ERR_ARGUMENT;
    }
    return guarded(err, errlen, [&] { faiss::ParameterSpace().set_index_parameter(index->index.get(), name, value); });
}

int lfs_search(const lfs_index *index, int64_t n, const float *queries, int64_t k, float *scores,
               int64_t *labels, char *err, size_t errlen) {
    if (index == nullptr || queries == nullptr || scores == nullptr || labels == nullptr || n <= 0 || k <= 0) {
        set_error(err, errlen, "invalid search arguments");
        return LFS_ERR_ARGUMENT;
    }
    return guarded(err, errlen, [&] { index->index->search(n, queries, k, scores, labels); });
}

int lfs_read_file(const char *path, int *dimension, int64_t *count, float **vectors, int64_t **labels,
                  int *is_inner_product, char *err, size_t errlen) {
    if (path == nullptr || dimension == nullptr || count == nullptr || vectors == nullptr || labels == nullptr ||
        is_inner_product == nullptr) {
        set_error(err, errlen, "missing argument");
        return LFS_ERR_ARGUMENT;
    }
    *vectors = nullptr;
    *labels = nullptr;
    float *v = nullptr;
    int64_t *l = nullptr;
    int status = guarded(err, errlen, [&] {
        std::unique_ptr<faiss::Index> index(faiss::read_index(path));
        const faiss::Index *storage = index.get();
        const decltype(faiss::IndexIDMap::id_map) *ids = nullptr;
        // IndexIDMap2 derives from IndexIDMap: both keep the caller's ids beside a plain index.
        if (auto *mapped = dynamic_cast<const faiss::IndexIDMap *>(index.get())) {
            storage = mapped->index;
            ids = &mapped->id_map;
        }
        const int64_t n = storage->ntotal;
        const int d = storage->d;
        if (d <= 0 || n < 0 || (ids != nullptr && int64_t(ids->size()) != n)) {
            throw std::runtime_error("inconsistent index: its id map and its vectors disagree");
        }
        // malloc, so that lfs_release frees whatever this allocated.
        v = static_cast<float *>(std::malloc(sizeof(float) * size_t(n > 0 ? n : 1) * size_t(d)));
        l = static_cast<int64_t *>(std::malloc(sizeof(int64_t) * size_t(n > 0 ? n : 1)));
        if (v == nullptr || l == nullptr) throw std::bad_alloc();
        if (n > 0) storage->reconstruct_n(0, n, v);
        for (int64_t i = 0; i < n; i++) l[i] = ids != nullptr ? (*ids)[size_t(i)] : i;
        *dimension = d;
        *count = n;
        *is_inner_product = storage->metric_type == faiss::METRIC_INNER_PRODUCT ? 1 : 0;
    });
    if (status != LFS_OK) {
        std::free(v);
        std::free(l);
        return status;
    }
    *vectors = v;
    *labels = l;
    return LFS_OK;
}

void lfs_release(void *buffer) { std::free(buffer); }

} // extern "C"
