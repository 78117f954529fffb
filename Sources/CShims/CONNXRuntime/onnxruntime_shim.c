#include "likeness_onnxruntime.h"

#include <onnxruntime_c_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lort_session {
    OrtSession *session;
    char *input_name;
    char **output_names;
    size_t output_count;
};

static const OrtApi *api;
static OrtEnv *env;
static char init_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
/* The first caller's set-up (lort_initialise), read once by initialise(). */
static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;
static int setup_chosen;
static int pool_threads;
static int pool_spin;

static void set_error(char *err, size_t errlen, const char *message) {
    if (err != NULL && errlen > 0) snprintf(err, errlen, "%s", message);
}

/* A status nobody needs (freeing a name cannot fail in a way that matters): released. */
static void release(OrtStatus *status) {
    if (status != NULL) api->ReleaseStatus(status);
}

/* Takes a status: 0 if NULL (success), else copies its message and releases it. */
static int check(OrtStatus *status, char *err, size_t errlen) {
    if (status == NULL) return LORT_OK;
    set_error(err, errlen, api->GetErrorMessage(status));
    api->ReleaseStatus(status);
    return LORT_ERR_RUNTIME;
}

static void initialise(void) {
    const OrtApiBase *base = OrtGetApiBase();
    /* A header of API version N works with any library at least that new. */
    api = base != NULL ? base->GetApi(ORT_API_VERSION) : NULL;
    if (api == NULL) {
        snprintf(init_error, sizeof init_error, "ONNX Runtime %s does not offer API version %d",
                 base != NULL ? base->GetVersionString() : "?", ORT_API_VERSION);
        return;
    }
    OrtStatus *status = NULL;
    /* Spinning sessions keep pools of their own (see session_create): no shared pool then. */
    if (pool_threads > 1 && !pool_spin) {
        /* One pool for every model: a lone request's detection and embedding find its threads
         * awake from each other's pass, where per-session pools each sleep between requests
         * (bench/ort_pools.py, quiet machine: 5.6 -> 5.0 ms for YuNet + MobileFaceNet on 2
         * cores; in the server within noise), and the process keeps fewer threads. */
        OrtThreadingOptions *threading = NULL;
        status = api->CreateThreadingOptions(&threading);
        if (status == NULL) status = api->SetGlobalIntraOpNumThreads(threading, pool_threads);
        if (status == NULL) status = api->SetGlobalInterOpNumThreads(threading, 1);
        if (status == NULL) status = api->SetGlobalSpinControl(threading, pool_spin ? 1 : 0);
        if (status == NULL) status = api->CreateEnvWithGlobalThreadPools(ORT_LOGGING_LEVEL_ERROR, "likeness", threading, &env);
        if (threading != NULL) api->ReleaseThreadingOptions(threading);
    } else {
        status = api->CreateEnv(ORT_LOGGING_LEVEL_ERROR, "likeness", &env);
    }
    if (status != NULL) {
        snprintf(init_error, sizeof init_error, "%s", api->GetErrorMessage(status));
        api->ReleaseStatus(status);
        env = NULL;
    }
}

int lort_initialise(int threads, int spin, char *err, size_t errlen) {
    pthread_mutex_lock(&setup_lock);
    if (!setup_chosen) {
        setup_chosen = 1;
        pool_threads = threads;
        pool_spin = spin;
    }
    pthread_mutex_unlock(&setup_lock);
    return lort_available(err, errlen);
}

int lort_available(char *err, size_t errlen) {
    pthread_mutex_lock(&setup_lock);
    setup_chosen = 1;
    pthread_mutex_unlock(&setup_lock);
    pthread_once(&once, initialise);
    if (api == NULL || env == NULL) {
        set_error(err, errlen, init_error[0] ? init_error : "ONNX Runtime is not available");
        return LORT_ERR_UNAVAILABLE;
    }
    return LORT_OK;
}

static char *copy_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *out = malloc(n);
    if (out != NULL) memcpy(out, s, n);
    return out;
}

void lort_session_free(lort_session *s) {
    if (s == NULL) return;
    if (s->session != NULL) api->ReleaseSession(s->session);
    free(s->input_name);
    for (size_t i = 0; i < s->output_count; i++) free(s->output_names[i]);
    free(s->output_names);
    free(s);
}

/* From a file (path) or from memory (data, length): the rest is the same. */
static int session_create(const char *path, const void *data, size_t length, int intra_op_threads, int spin, lort_session **out,
                          char *err, size_t errlen) {
    if ((path == NULL && (data == NULL || length == 0)) || out == NULL) {
        set_error(err, errlen, "invalid session arguments");
        return LORT_ERR_ARGUMENT;
    }
    *out = NULL;
    int rc = lort_available(err, errlen);
    if (rc != LORT_OK) return rc;

    lort_session *s = calloc(1, sizeof *s);
    if (s == NULL) {
        set_error(err, errlen, "out of memory");
        return LORT_ERR_RUNTIME;
    }
    OrtSessionOptions *options = NULL;
    OrtAllocator *allocator = NULL;
    rc = check(api->CreateSessionOptions(&options), err, errlen);
    /* A spinning session keeps a pool of its own: ONNX Runtime stops a session's spinning at the
     * end of each run (force_spinning_stop), while the shared pool's threads kept spinning after
     * it, into the next request's core (bench/ab.py, 2 cores: c=1 p50 0.86-0.92x and c=4
     * throughput 1.03-1.05x against the shared pool without spinning; with the shared pool
     * spinning, c=4 lost 10%). */
    int shared = intra_op_threads > 1 && pool_threads > 1 && !pool_spin && !spin;
    if (rc == LORT_OK && shared) rc = check(api->DisablePerSessionThreads(options), err, errlen);
    if (rc == LORT_OK && !shared)
        rc = check(api->SetIntraOpNumThreads(options, intra_op_threads > 0 ? intra_op_threads : 1), err, errlen);
    if (rc == LORT_OK) rc = check(api->SetInterOpNumThreads(options, 1), err, errlen);
    /* Without spin (LIKENESS_ORT_SPIN=0) idle intra-op threads sleep. With it (the default; only
     * the wide sessions, used by a request alone in the server, ask for it) they spin
     * between operators while a run lasts (a futex wake-up per operator costs more than these
     * small models' operators take: bench/ort_threads.py) and stop when it ends. */
    if (rc == LORT_OK)
        rc = check(api->AddSessionConfigEntry(options, "session.intra_op.allow_spinning", spin ? "1" : "0"), err, errlen);
    if (rc == LORT_OK && spin) rc = check(api->AddSessionConfigEntry(options, "session.force_spinning_stop", "1"), err, errlen);
    if (rc == LORT_OK) rc = check(api->SetSessionGraphOptimizationLevel(options, ORT_ENABLE_ALL), err, errlen);
    if (rc == LORT_OK) {
        rc = path != NULL ? check(api->CreateSession(env, path, options, &s->session), err, errlen)
                          : check(api->CreateSessionFromArray(env, data, length, options, &s->session), err, errlen);
    }
    if (rc == LORT_OK) rc = check(api->GetAllocatorWithDefaultOptions(&allocator), err, errlen);

    size_t inputs = 0;
    if (rc == LORT_OK) rc = check(api->SessionGetInputCount(s->session, &inputs), err, errlen);
    if (rc == LORT_OK && inputs != 1) {
        set_error(err, errlen, "the model must take exactly one input");
        rc = LORT_ERR_ARGUMENT;
    }
    if (rc == LORT_OK) {
        char *name = NULL;
        rc = check(api->SessionGetInputName(s->session, 0, allocator, &name), err, errlen);
        if (rc == LORT_OK) {
            s->input_name = copy_string(name);
            release(api->AllocatorFree(allocator, name));
        }
    }
    size_t outputs = 0;
    if (rc == LORT_OK) rc = check(api->SessionGetOutputCount(s->session, &outputs), err, errlen);
    if (rc == LORT_OK) {
        s->output_names = calloc(outputs > 0 ? outputs : 1, sizeof(char *));
        if (s->output_names == NULL) {
            set_error(err, errlen, "out of memory");
            rc = LORT_ERR_RUNTIME;
        }
    }
    for (size_t i = 0; rc == LORT_OK && i < outputs; i++) {
        char *name = NULL;
        rc = check(api->SessionGetOutputName(s->session, i, allocator, &name), err, errlen);
        if (rc == LORT_OK) {
            s->output_names[i] = copy_string(name);
            s->output_count = i + 1;
            release(api->AllocatorFree(allocator, name));
        }
    }
    if (options != NULL) api->ReleaseSessionOptions(options);
    if (rc == LORT_OK && (s->input_name == NULL || s->output_count == 0)) {
        set_error(err, errlen, "the model has no usable input or output");
        rc = LORT_ERR_ARGUMENT;
    }
    if (rc != LORT_OK) {
        lort_session_free(s);
        return rc;
    }
    *out = s;
    return LORT_OK;
}

int lort_session_create(const char *path, int intra_op_threads, int spin, lort_session **out, char *err, size_t errlen) {
    if (path == NULL) {
        set_error(err, errlen, "invalid session arguments");
        return LORT_ERR_ARGUMENT;
    }
    return session_create(path, NULL, 0, intra_op_threads, spin, out, err, errlen);
}

int lort_session_create_from_bytes(const void *data, size_t length, int intra_op_threads, int spin, lort_session **out,
                                   char *err, size_t errlen) {
    return session_create(NULL, data, length, intra_op_threads, spin, out, err, errlen);
}

int lort_output_names(const lort_session *s, char *buf, size_t buflen, char *err, size_t errlen) {
    if (s == NULL || buf == NULL || buflen == 0) {
        set_error(err, errlen, "invalid arguments");
        return LORT_ERR_ARGUMENT;
    }
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < s->output_count; i++) {
        int n = snprintf(buf + used, buflen - used, "%s%s", i > 0 ? "\n" : "", s->output_names[i]);
        if (n < 0 || (size_t)n >= buflen - used) {
            set_error(err, errlen, "output names do not fit");
            return LORT_ERR_ARGUMENT;
        }
        used += (size_t)n;
    }
    return LORT_OK;
}

void lort_floats_free(float *values) { free(values); }

int lort_run(lort_session *s, const float *input, const int64_t *shape, size_t ndim,
             const char *const *output_names, size_t count,
             float **outputs, size_t *lengths, int64_t *shapes, char *err, size_t errlen) {
    if (s == NULL || input == NULL || shape == NULL || ndim == 0 || ndim > 8 || count == 0 || count > 64 ||
        outputs == NULL || lengths == NULL || shapes == NULL) {
        set_error(err, errlen, "invalid run arguments");
        return LORT_ERR_ARGUMENT;
    }
    size_t elements = 1;
    for (size_t i = 0; i < ndim; i++) {
        if (shape[i] <= 0) {
            set_error(err, errlen, "invalid input shape");
            return LORT_ERR_ARGUMENT;
        }
        elements *= (size_t)shape[i];
    }
    const char *names[64];
    for (size_t i = 0; i < count; i++) {
        outputs[i] = NULL;
        lengths[i] = 0;
        for (size_t d = 0; d < 4; d++) shapes[4 * i + d] = 0;
        names[i] = output_names != NULL && output_names[i] != NULL ? output_names[i] : s->output_names[0];
    }

    OrtMemoryInfo *memory = NULL;
    OrtValue *in = NULL;
    OrtValue *results[64] = {0};
    int rc = check(api->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &memory), err, errlen);
    if (rc == LORT_OK)
        rc = check(api->CreateTensorWithDataAsOrtValue(memory, (void *)input, elements * sizeof(float), shape, ndim,
                                                       ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &in), err, errlen);
    const char *input_names[1] = {s->input_name};
    const OrtValue *inputs[1] = {in};
    if (rc == LORT_OK) rc = check(api->Run(s->session, NULL, input_names, inputs, 1, names, count, results), err, errlen);

    for (size_t i = 0; rc == LORT_OK && i < count; i++) {
        OrtTensorTypeAndShapeInfo *info = NULL;
        rc = check(api->GetTensorTypeAndShape(results[i], &info), err, errlen);
        ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
        size_t dims = 0, n = 0;
        int64_t d[8] = {0};
        if (rc == LORT_OK) rc = check(api->GetTensorElementType(info, &type), err, errlen);
        if (rc == LORT_OK) rc = check(api->GetDimensionsCount(info, &dims), err, errlen);
        if (rc == LORT_OK && dims > 8) {
            set_error(err, errlen, "an output has more than 8 dimensions");
            rc = LORT_ERR_RUNTIME;
        }
        if (rc == LORT_OK) rc = check(api->GetDimensions(info, d, dims), err, errlen);
        if (rc == LORT_OK) rc = check(api->GetTensorShapeElementCount(info, &n), err, errlen);
        if (info != NULL) api->ReleaseTensorTypeAndShapeInfo(info);
        if (rc == LORT_OK && type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
            set_error(err, errlen, "an output is not float");
            rc = LORT_ERR_RUNTIME;
        }
        float *data = NULL;
        if (rc == LORT_OK) rc = check(api->GetTensorMutableData(results[i], (void **)&data), err, errlen);
        if (rc == LORT_OK) {
            outputs[i] = malloc(n > 0 ? n * sizeof(float) : 1);
            if (outputs[i] == NULL) {
                set_error(err, errlen, "out of memory");
                rc = LORT_ERR_RUNTIME;
            } else {
                if (n > 0) memcpy(outputs[i], data, n * sizeof(float));
                lengths[i] = n;
                for (size_t k = 0; k < dims && k < 4; k++) shapes[4 * i + k] = d[k];
            }
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (results[i] != NULL) api->ReleaseValue(results[i]);
        if (rc != LORT_OK) {
            free(outputs[i]);
            outputs[i] = NULL;
            lengths[i] = 0;
        }
    }
    if (in != NULL) api->ReleaseValue(in);
    if (memory != NULL) api->ReleaseMemoryInfo(memory);
    return rc;
}
