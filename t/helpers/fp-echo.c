/* SPDX-License-Identifier: ISC */
/*
 * fp-echo: run inside a clone (statically linked, as cage-probe), it answers
 * on one TCP and one UDP port, so that a test can hold the same
 * conversation twice and compare it packet by packet: every TCP read is
 * written back after "echo: ", every UDP datagram likewise; a TCP peer's
 * end of stream is answered by closing.  One TCP connection at a time, for
 * as long as the clone lives.  Usage: fp-echo PORT
 */
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
bound(int type, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, s = socket(AF_INET, type, 0);

	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(s, 4) < 0)) {
		perror("fp-echo");
		exit(1);
	}
	return s;
}

int
main(int argc, char **argv)
{
	struct pollfd p[3];
	char buf[4096], out[4200];
	int port = argc > 1 ? atoi(argv[1]) : 7, conn = -1;

	p[0].fd = bound(SOCK_STREAM, port);
	p[1].fd = bound(SOCK_DGRAM, port);
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		p[0].events = p[1].events = p[2].events = POLLIN;
		p[2].fd = conn;
		if (poll(p, conn >= 0 ? 3 : 2, -1) < 0)
			return 1;
		if (p[1].revents & POLLIN) {
			n = recvfrom(p[1].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (n >= 0) {
				memcpy(out, "echo: ", 6);
				memcpy(out + 6, buf, (size_t)n);
				sendto(p[1].fd, out, (size_t)n + 6, 0, (struct sockaddr *)&from, fl);
			}
		}
		if (conn < 0 && (p[0].revents & POLLIN))
			conn = accept(p[0].fd, NULL, NULL);
		else if (conn >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(conn, buf, sizeof(buf));
			if (n <= 0) {
				close(conn);
				conn = -1;
				continue;
			}
			memcpy(out, "echo: ", 6);
			memcpy(out + 6, buf, (size_t)n);
			if (write(conn, out, (size_t)n + 6) < 0) {
				close(conn);
				conn = -1;
			}
		}
	}
}
