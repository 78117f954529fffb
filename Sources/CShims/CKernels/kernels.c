#include "likeness_kernels.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define LK_X86 1
#endif

// Declared here rather than through cblas.h, whose location differs between BLAS builds.
enum { LK_ROW_MAJOR = 101, LK_NO_TRANS = 111, LK_TRANS = 112 };
extern void cblas_sgemm(int order, int transa, int transb, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float beta, float *c, int ldc);

static float half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            exp = 127 - 15 + 1;
            while ((mant & 0x400) == 0) { mant <<= 1; exp--; }
            bits = sign | (exp << 23) | ((mant & 0x3FF) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000 | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    const int exp = (int)((x >> 23) & 0xFF) - 127 + 15;
    uint32_t mant = x & 0x7FFFFF;
    if (((x >> 23) & 0xFF) == 0xFF) return sign | 0x7C00 | (mant ? 0x200 : 0);
    if (exp >= 31) return sign | 0x7C00;
    if (exp <= 0) {
        if (exp < -10) return sign;
        mant |= 0x800000;
        const int shift = 14 - exp;
        uint32_t half = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return sign | (uint16_t)half;
    }
    uint32_t half = ((uint32_t)exp << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;  // round to nearest even
    return sign | (uint16_t)half;
}

// ---- portable versions ----

static void dot_f32_portable(const float *q, const float *rows, size_t n, size_t dim, float *out) {
    for (size_t i = 0; i < n; ++i) {
        const float *r = rows + i * dim;
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        size_t j = 0;
        for (; j + 4 <= dim; j += 4) {
            a0 += q[j] * r[j];
            a1 += q[j + 1] * r[j + 1];
            a2 += q[j + 2] * r[j + 2];
            a3 += q[j + 3] * r[j + 3];
        }
        for (; j < dim; ++j) a0 += q[j] * r[j];
        out[i] = (a0 + a1) + (a2 + a3);
    }
}

static void dot_f16_portable(const float *q, const uint16_t *rows, size_t n, size_t dim, float *out) {
    for (size_t i = 0; i < n; ++i) {
        const uint16_t *r = rows + i * dim;
        float acc = 0;
        for (size_t j = 0; j < dim; ++j) acc += q[j] * half_to_float(r[j]);
        out[i] = acc;
    }
}

static void dot_i8_portable(const int8_t *q, float qs, const int8_t *rows, const float *scales, size_t n, size_t dim,
                            float *out) {
    for (size_t i = 0; i < n; ++i) {
        const int8_t *r = rows + i * dim;
        int32_t acc = 0;
        for (size_t j = 0; j < dim; ++j) acc += (int32_t)q[j] * (int32_t)r[j];
        out[i] = (float)acc * qs * scales[i];
    }
}

#ifdef LK_X86
// ---- AVX2 + FMA + F16C versions ----

__attribute__((target("avx2,fma"))) static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

__attribute__((target("avx2,fma"))) static void dot_f32_avx2(const float *q, const float *rows, size_t n, size_t dim,
                                                             float *out) {
    for (size_t i = 0; i < n; ++i) {
        const float *r = rows + i * dim;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        size_t j = 0;
        for (; j + 32 <= dim; j += 32) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), _mm256_loadu_ps(r + j), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j + 8), _mm256_loadu_ps(r + j + 8), a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j + 16), _mm256_loadu_ps(r + j + 16), a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j + 24), _mm256_loadu_ps(r + j + 24), a3);
        }
        for (; j + 8 <= dim; j += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), _mm256_loadu_ps(r + j), a0);
        float acc = hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
        for (; j < dim; ++j) acc += q[j] * r[j];
        out[i] = acc;
    }
}

__attribute__((target("avx2,fma,f16c"))) static void dot_f16_avx2(const float *q, const uint16_t *rows, size_t n,
                                                                  size_t dim, float *out) {
    for (size_t i = 0; i < n; ++i) {
        const uint16_t *r = rows + i * dim;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        size_t j = 0;
        for (; j + 16 <= dim; j += 16) {
            __m256 r0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + j)));
            __m256 r1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(r + j + 8)));
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), r0, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j + 8), r1, a1);
        }
        float acc = hsum256(_mm256_add_ps(a0, a1));
        for (; j < dim; ++j) acc += q[j] * half_to_float(r[j]);
        out[i] = acc;
    }
}

__attribute__((target("avx2"))) static void dot_i8_avx2(const int8_t *q, float qs, const int8_t *rows,
                                                        const float *scales, size_t n, size_t dim, float *out) {
    for (size_t i = 0; i < n; ++i) {
        const int8_t *r = rows + i * dim;
        __m256i acc = _mm256_setzero_si256();
        size_t j = 0;
        for (; j + 16 <= dim; j += 16) {
            // Widen to int16, multiply pairs and add to int32: exact for int8 inputs.
            __m256i qv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q + j)));
            __m256i rv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(r + j)));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(qv, rv));
        }
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
        int32_t total = _mm_cvtsi128_si32(s);
        for (; j < dim; ++j) total += (int32_t)q[j] * (int32_t)r[j];
        out[i] = (float)total * qs * scales[i];
    }
}

static int have_avx2(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return cached;
}
#else
static int have_avx2(void) { return 0; }
#endif

const char *lk_kernel_name(void) { return have_avx2() ? "avx2" : "portable"; }

void lk_dot_f32(const float *query, const float *rows, size_t n, size_t dim, float *out) {
#ifdef LK_X86
    if (have_avx2()) { dot_f32_avx2(query, rows, n, dim, out); return; }
#endif
    dot_f32_portable(query, rows, n, dim, out);
}

void lk_dot_f16(const float *query, const uint16_t *rows, size_t n, size_t dim, float *out) {
#ifdef LK_X86
    if (have_avx2()) { dot_f16_avx2(query, rows, n, dim, out); return; }
#endif
    dot_f16_portable(query, rows, n, dim, out);
}

void lk_dot_i8(const int8_t *query, float query_scale, const int8_t *rows, const float *row_scales, size_t n,
               size_t dim, float *out) {
#ifdef LK_X86
    if (have_avx2()) { dot_i8_avx2(query, query_scale, rows, row_scales, n, dim, out); return; }
#endif
    dot_i8_portable(query, query_scale, rows, row_scales, n, dim, out);
}

void lk_f32_to_f16(const float *in, uint16_t *out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = float_to_half(in[i]);
}

float lk_f32_to_i8(const float *in, int8_t *out, size_t n) {
    float max = 0;
    for (size_t i = 0; i < n; ++i) max = fmaxf(max, fabsf(in[i]));
    const float scale = max > 0 ? max / 127.0f : 1.0f;
    for (size_t i = 0; i < n; ++i) {
        long v = lroundf(in[i] / scale);
        out[i] = (int8_t)(v > 127 ? 127 : (v < -127 ? -127 : v));
    }
    return scale;
}

// Four independent multiply-rotate lanes over 8-byte words, in the manner of xxHash64: fast
// enough to check a 2 GB snapshot at memory speed.
static const uint64_t P1 = 0x9E3779B185EBCA87ULL, P2 = 0xC2B2AE3D27D4EB4FULL, P3 = 0x165667B19E3779F9ULL;
static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t round64(uint64_t acc, uint64_t input) { return rotl(acc + input * P2, 31) * P1; }

uint64_t lk_checksum64(const void *data, size_t length, uint64_t seed) {
    const uint8_t *p = (const uint8_t *)data;
    uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    size_t i = 0;
    for (; i + 32 <= length; i += 32) {
        uint64_t w[4];
        memcpy(w, p + i, 32);
        v1 = round64(v1, w[0]);
        v2 = round64(v2, w[1]);
        v3 = round64(v3, w[2]);
        v4 = round64(v4, w[3]);
    }
    uint64_t h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18) + (uint64_t)length;
    for (; i < length; ++i) h = rotl(h ^ (p[i] * P3), 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

void lk_scores_gemm(const float *queries, size_t m, const float *rows, size_t n, size_t dim, float *out) {
    cblas_sgemm(LK_ROW_MAJOR, LK_NO_TRANS, LK_TRANS, (int)m, (int)n, (int)dim, 1.0f, queries, (int)dim, rows,
                (int)dim, 0.0f, out, (int)n);
}

uint64_t lk_read_all(const void *data, size_t length) {
    const uint64_t *p = (const uint64_t *)data;
    const size_t words = length / 8;
    uint64_t a = 0, b = 0, c = 0, d = 0;
    size_t i = 0;
    for (; i + 4 <= words; i += 4) {
        a ^= p[i];
        b ^= p[i + 1];
        c ^= p[i + 2];
        d ^= p[i + 3];
    }
    for (; i < words; ++i) a ^= p[i];
    return a ^ b ^ c ^ d;
}
