/*
 * A reference TCP echo server in C: one thread, epoll, level-triggered,
 * non-blocking sockets, TCP_NODELAY, one recv and one send per message.
 *
 *     echo_server            (prints the bound loopback port, serves forever)
 *
 * bench_echo.py runs it as the "c-epoll" row: the most a single-threaded
 * server can get out of this machine's kernel and load generator, so the
 * Python servers' numbers can be read against a ceiling (benchmark only).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void add_watch(int ep, int fd) {
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

static void accept_all(int ep, int listener) {
    int one = 1;
    for (;;) {
        int conn = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
        if (conn < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return;
            if (errno == EMFILE || errno == ENFILE) return; /* keep serving the open ones */
            die("accept4");
        }
        setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        add_watch(ep, conn);
    }
}

/* Echo what has arrived; close on end of stream or error. */
static void echo_once(int fd, char *buf, size_t size) {
    ssize_t got = recv(fd, buf, size, 0);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (got <= 0) {
        close(fd); /* closing also removes it from the epoll set */
        return;
    }
    ssize_t off = 0;
    while (off < got) {
        ssize_t sent = send(fd, buf + off, (size_t)(got - off), MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EINTR) continue; /* 64-byte messages: never in practice */
            close(fd);
            return;
        }
        off += sent;
    }
}

int main(void) {
    int one = 1;
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (listener < 0) die("socket");
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(listener, 4096) < 0) die("listen");
    if (getsockname(listener, (struct sockaddr *)&addr, &len) < 0) die("getsockname");
    printf("%d\n", ntohs(addr.sin_port));
    fflush(stdout);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    add_watch(ep, listener);
    static char buf[65536];
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listener)
                accept_all(ep, listener);
            else
                echo_once(fd, buf, sizeof buf);
        }
    }
}
