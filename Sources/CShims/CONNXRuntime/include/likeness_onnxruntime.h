#ifndef LIKENESS_ONNXRUNTIME_H
#define LIKENESS_ONNXRUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A small C surface over ONNX Runtime's C API: one session per model, safe to run from
 * several threads at once. Every function returns 0 or an error code, with a message in err. */

enum {
    LORT_OK = 0,
    LORT_ERR_ARGUMENT = 1,
    LORT_ERR_RUNTIME = 2,
    LORT_ERR_UNAVAILABLE = 3,
};

typedef struct lort_session lort_session;

/* Whether the runtime library answers (its API version is one this shim speaks). */
int lort_available(char *err, size_t errlen);

/* The same, and on the first call in the process, the runtime's set-up: with pool_threads > 1
 * and spin == 0, one process-wide intra-op pool of that many threads that every non-spinning
 * session of more than one thread shares; sessions of one thread run in their caller. A later
 * call, or lort_available, keeps what the first one chose. */
int lort_initialise(int pool_threads, int spin, char *err, size_t errlen);

/* spin != 0: the session has a pool of its own whose idle threads spin between operators while a
 * run lasts, and stop at its end. Otherwise a session of more than one thread uses the shared
 * pool where lort_initialise made one. */
int lort_session_create(const char *path, int intra_op_threads, int spin, lort_session **out, char *err, size_t errlen);
/* The same from a model held in memory (ONNX Runtime copies what it needs). */
int lort_session_create_from_bytes(const void *data, size_t length, int intra_op_threads, int spin, lort_session **out,
                                   char *err, size_t errlen);
void lort_session_free(lort_session *session);

/* Output names, newline-separated, into buf. */
int lort_output_names(const lort_session *session, char *buf, size_t buflen, char *err, size_t errlen);

/* Runs one float input of `ndim` dims; for each of `count` outputs (NULL name: the first
 * output) returns a malloc'ed copy of its floats (free with lort_floats_free), its element
 * count, and up to 4 dims in shapes[4*i ...] (0 past the last dim). */
int lort_run(lort_session *session, const float *input, const int64_t *shape, size_t ndim,
             const char *const *output_names, size_t count,
             float **outputs, size_t *lengths, int64_t *shapes, char *err, size_t errlen);

void lort_floats_free(float *values);

#ifdef __cplusplus
}
#endif

#endif
