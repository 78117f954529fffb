// C interface over Debian's static FAISS (no C API compiled in), for the approximate index
// types: HNSW, IVF-Flat, IVF-PQ and anything else index_factory can build. Inner-product
// metric throughout. Every function catches all C++ exceptions and returns a status.
#ifndef LIKENESS_FAISS_H
#define LIKENESS_FAISS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { LFS_OK = 0, LFS_ERR_ARGUMENT = 1, LFS_ERR_FAISS = 2, LFS_ERR_MEMORY = 3 };

typedef struct lfs_index lfs_index;

/// Pins FAISS's OpenMP threads (its spin-waiting threads oversubscribe small machines).
void lfs_set_threads(int n);

/// Builds an empty index from an index_factory description such as "HNSW32", "IVF1024,Flat"
/// or "IVF1024,PQ64".
int lfs_create(int dimension, const char *description, lfs_index **out, char *err, size_t errlen);
void lfs_free(lfs_index *index);

int lfs_is_trained(const lfs_index *index);
int64_t lfs_count(const lfs_index *index);
int lfs_train(lfs_index *index, int64_t n, const float *vectors, char *err, size_t errlen);
/// Adds n vectors; FAISS labels them ntotal, ntotal + 1, ...
int lfs_add(lfs_index *index, int64_t n, const float *vectors, char *err, size_t errlen);
/// Sets a search parameter by name ("efSearch", "nprobe", ...), as FAISS's ParameterSpace does.
int lfs_set_parameter(lfs_index *index, const char *name, double value, char *err, size_t errlen);
/// Searches n queries; writes n * k scores and labels (label -1 where fewer than k were found).
int lfs_search(const lfs_index *index, int64_t n, const float *queries, int64_t k, float *scores,
               int64_t *labels, char *err, size_t errlen);

/// Reads every vector of a FAISS index file (faiss.write_index), for imports: the stored
/// vectors, decoded (exact for flat indexes, approximate for quantized ones), and their labels
/// (an IndexIDMap's ids, else positions 0..n-1). On success *vectors holds n * *dimension floats
/// and *labels n ids, both to be released with lfs_release; on failure both are NULL.
int lfs_read_file(const char *path, int *dimension, int64_t *count, float **vectors, int64_t **labels,
                  int *is_inner_product, char *err, size_t errlen);
void lfs_release(void *buffer);

#ifdef __cplusplus
}
#endif
#endif
