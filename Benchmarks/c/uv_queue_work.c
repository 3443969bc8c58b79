/* executor workload on libuv's own thread pool: N trivial calls submitted with uv_queue_work, their
 * completions (after_work, on the loop thread) counted; one JSON line like the other anchors.
 * The pool's thread start-up is inside the timed region, as in the other executor runs.
 * Build: cc -O2 -o uv_queue_work uv_queue_work.c -luv      Run: ./uv_queue_work [N]
 * UV_THREADPOOL_SIZE sets the pool size (libuv's default: 4). */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

static long done_count, total;
static long results_sum;

typedef struct { uv_work_t req; long input, output; } call_t;

static void work(uv_work_t *req) { call_t *c = (call_t *)req; c->output = c->input; }

static void after_work(uv_work_t *req, int status) {
    call_t *c = (call_t *)req;
    if (status == 0) results_sum += c->output;
    done_count++;
}

int main(int argc, char **argv) {
    total = argc > 1 ? atol(argv[1]) : 20000;
    uv_loop_t *loop = uv_default_loop();
    call_t *calls = calloc((size_t)total, sizeof(call_t));
    uint64_t start = uv_hrtime();
    for (long i = 0; i < total; i++) {
        calls[i].input = i;
        uv_queue_work(loop, &calls[i].req, work, after_work);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    double seconds = (double)(uv_hrtime() - start) / 1e9;
    if (done_count != total || results_sum != total * (total - 1) / 2) { fprintf(stderr, "wrong results\n"); return 1; }
    const char *size = getenv("UV_THREADPOOL_SIZE");
    printf("{\"impl\":\"c\",\"workload\":\"executor\",\"n\":%ld,\"seconds\":%f,\"ns_per_op\":%.1f,\"threads\":%s}\n",
           total, seconds, seconds * 1e9 / (double)total, size ? size : "4");
    free(calls);
    return 0;
}
