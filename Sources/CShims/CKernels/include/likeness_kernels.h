// Scan kernels for the exact vector index: inner products of one query against many rows in
// float32, float16 and int8, a fast checksum for snapshots, and BLAS sgemm for batches.
// AVX2/FMA/F16C versions are chosen at run time when the CPU has them; portable C otherwise.
#ifndef LIKENESS_KERNELS_H
#define LIKENESS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// out[i] = dot(query, rows + i * dim) for i < n.
void lk_dot_f32(const float *query, const float *rows, size_t n, size_t dim, float *out);
/// As lk_dot_f32 with rows stored as IEEE half floats.
void lk_dot_f16(const float *query, const uint16_t *rows, size_t n, size_t dim, float *out);
/// out[i] = query_scale * row_scales[i] * dot(query, rows + i * dim), in int32 arithmetic.
void lk_dot_i8(const int8_t *query, float query_scale, const int8_t *rows, const float *row_scales,
               size_t n, size_t dim, float *out);

void lk_f32_to_f16(const float *in, uint16_t *out, size_t n);
/// Symmetric quantisation: out = round(in / scale), scale = max|in| / 127. Returns the scale.
float lk_f32_to_i8(const float *in, int8_t *out, size_t n);

/// A 64-bit checksum of `length` bytes (not cryptographic; for detecting corruption).
uint64_t lk_checksum64(const void *data, size_t length, uint64_t seed);

/// C = A (m x k, row-major) * B^T (n x k, row-major): the scores of m queries against n rows.
void lk_scores_gemm(const float *queries, size_t m, const float *rows, size_t n, size_t dim, float *out);

/// Reads `length` bytes sequentially and folds them into a value (so the reads cannot be
/// optimised away): the machine's read bandwidth, the floor under any scan.
uint64_t lk_read_all(const void *data, size_t length);

/// Which implementation the dot kernels use: "avx2" or "portable".
const char *lk_kernel_name(void);

#ifdef __cplusplus
}
#endif
#endif
