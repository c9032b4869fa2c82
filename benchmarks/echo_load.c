/* Closed-loop TCP echo load generator for benchmarks/bench_echo.py.
 *
 * usage: echo_load HOST PORT CONNECTIONS SECONDS MSGSIZE [WARMUP_SECONDS]
 *
 * Opens CONNECTIONS connections; each one sends a MSGSIZE-byte message,
 * waits for the whole echo, records the round-trip latency and sends the
 * next one.  Measuring starts after the warm-up, and not before every
 * connection has had an answer: until a server has accepted them all, it
 * serves fewer connections than asked (a thread-per-connection server under
 * load can take seconds to drain its listen queue).  When measuring starts
 * it prints  measuring ready_s=T  (T: seconds from the first connect until
 * every connection had an answer); then it counts round trips for SECONDS
 * and prints one line:
 *   requests=N seconds=S rps=R p50_us=A p99_us=B errors=E ready_s=T
 * It gives up (exit status 1) if some connection has no answer after 60 s.
 * Latencies go into a 1-microsecond histogram (up to 10 s) for exact
 * percentiles without storing samples.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HIST_MAX 10000000 /* microseconds */

typedef struct {
    int fd;
    size_t sent, received;
    double started;
    int answered; /* has had at least one whole echo */
} conn_t;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t *hist;
static char *msg, *rbuf;
static size_t msgsize;
static long long requests, errors;
static int measuring;

static void send_some(conn_t *c) {
    while (c->sent < msgsize) {
        ssize_t n = send(c->fd, msg + c->sent, msgsize - c->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN) return;
            errors++;
            return;
        }
        c->sent += (size_t)n;
    }
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s HOST PORT CONNECTIONS SECONDS MSGSIZE [WARMUP]\n", argv[0]);
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]), nconn = atoi(argv[3]);
    double seconds = atof(argv[4]), warmup = argc > 6 ? atof(argv[6]) : 1.0;
    msgsize = (size_t)atoi(argv[5]);
    msg = malloc(msgsize);
    rbuf = malloc(65536);
    memset(msg, 'x', msgsize);
    hist = calloc(HIST_MAX + 1, sizeof(uint32_t));
    conn_t *conns = calloc((size_t)nconn, sizeof(conn_t));
    int ep = epoll_create1(0);

    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, host, &sa.sin_addr);
    for (int i = 0; i < nconn; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
            perror("connect");
            return 1;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        conns[i].fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    double t0 = now(), measure_start = t0 + warmup, end = 0, ready_s = -1;
    int answered = 0;
    for (int i = 0; i < nconn; i++) {
        conns[i].started = now();
        send_some(&conns[i]);
    }
    struct epoll_event events[1024];
    for (;;) {
        double t = now();
        if (!measuring && t >= measure_start && answered == nconn) {
            measuring = 1;
            requests = 0;
            end = t + seconds;
            printf("measuring ready_s=%.3f\n", ready_s);
            fflush(stdout);
        }
        if (measuring && t >= end) break;
        if (!measuring && t - t0 > 60) {
            fprintf(stderr, "only %d of %d connections had an answer after 60 s\n", answered, nconn);
            return 1;
        }
        int n = epoll_wait(ep, events, 1024, 100);
        for (int i = 0; i < n; i++) {
            conn_t *c = events[i].data.ptr;
            for (;;) {
                ssize_t r = recv(c->fd, rbuf, 65536, 0);
                if (r < 0) {
                    if (errno != EAGAIN) errors++;
                    break;
                }
                if (r == 0) {
                    errors++;
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    break;
                }
                c->received += (size_t)r;
                if (c->received >= msgsize) {
                    double done = now();
                    if (!c->answered) {
                        c->answered = 1;
                        if (++answered == nconn) ready_s = done - t0;
                    }
                    if (measuring) {
                        long us = (long)((done - c->started) * 1e6);
                        if (us > HIST_MAX) us = HIST_MAX;
                        hist[us]++;
                        requests++;
                    }
                    c->received -= msgsize;
                    c->sent = 0;
                    c->started = done;
                    send_some(c);
                }
            }
        }
    }
    long long total = 0, p50 = -1, p99 = -1;
    for (long i = 0; i <= HIST_MAX; i++) total += hist[i];
    long long acc = 0;
    for (long i = 0; i <= HIST_MAX; i++) {
        acc += hist[i];
        if (p50 < 0 && acc * 100 >= total * 50) p50 = i;
        if (p99 < 0 && acc * 100 >= total * 99) { p99 = i; break; }
    }
    printf("requests=%lld seconds=%.3f rps=%.1f p50_us=%lld p99_us=%lld errors=%lld ready_s=%.3f\n", requests,
           seconds, requests / seconds, p50, p99, errors, ready_s);
    return 0;
}
