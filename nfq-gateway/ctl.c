/*
 * potemkin-ctl: ask the running gateway over its control socket.  One
 * request line, one JSON line back; without --json the gateway renders the
 * answer for people and this prints it.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/potemkin/gateway.sock"
#define REQUEST_MAX 512

static const char usage_text[] =
    "usage: potemkin-ctl [-s socket] [--json] command [args]\n"
    "commands:\n"
    "  status                  the gateway in a few lines\n"
    "  stats                   every counter\n"
    "  vms                     live clones and the ones being made\n"
    "  universes               universes and their clones\n"
    "  hosts                   VMM hosts: state, live clones, capacity\n"
    "  flows [N]               the first N cached flows (50)\n"
    "  bind ADDR [TYPE]        make a clone for a farm address now\n"
    "  infected VM [REASON]    mark a clone infected\n"
    "  freeze VM               preserve a clone for analysis, then reclaim it\n"
    "  teardown VM             reclaim a clone\n"
    "  reload                  reload the policy; wait and say whether it took\n";

static _Noreturn void
usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

/*
 * The string value of a top-level key in the gateway's reply, unescaped.
 * The gateway writes the reply, so a flat search for the key is enough.
 */
static char *
json_string(const char *reply, const char *key)
{
	char pat[64], *out, *o;
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(reply, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	if ((out = o = malloc(strlen(p) + 1)) == NULL)
		err(1, "malloc");
	while (*p && *p != '"') {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		switch (*++p) {
		case 'n': *o++ = '\n'; p++; break;
		case 't': *o++ = '\t'; p++; break;
		case 'u': {
			unsigned v = 0;

			if (sscanf(p + 1, "%4x", &v) == 1 && v < 0x80) {
				*o++ = (char)v;
				p += 5;
			} else {
				*o++ = '?';
				p++;
			}
			break;
		}
		case '\0': break;
		default: *o++ = *p++; break;
		}
	}
	*o = '\0';
	return out;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		errx(1, "%s: socket path too long", path);
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		err(1, "%s%s", path, errno == ENOENT || errno == ECONNREFUSED ?
		    " (is potemkin-gateway running?)" : "");
	return fd;
}

static char *
read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	if (buf == NULL)
		err(1, "malloc");
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap && (buf = realloc(buf, cap *= 2)) == NULL)
			err(1, "realloc");
	}
	if (n < 0)
		err(1, "reading the reply");
	buf[len] = '\0';
	return buf;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_SOCKET;
	char req[REQUEST_MAX], *reply, *text;
	bool json = false, ok;
	size_t len = 0;
	int ch, fd;

	while ((ch = getopt_long(argc, argv, "+hjs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': path = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (optind == argc)
		usage(2);
	len = (size_t)snprintf(req, sizeof(req), "%s", json ? "" : "text");
	for (int i = optind; i < argc; i++) {
		if (strpbrk(argv[i], " \t\r\n") || len + strlen(argv[i]) + 2 >= sizeof(req))
			errx(2, "argument '%.40s' is too long or holds white space", argv[i]);
		len += (size_t)snprintf(req + len, sizeof(req) - len, "%s%s",
		    len ? " " : "", argv[i]);
	}
	req[len++] = '\n';
	fd = connect_to(path);
	if (write(fd, req, len) != (ssize_t)len)
		err(1, "sending the request");
	shutdown(fd, SHUT_WR);
	reply = read_all(fd);
	close(fd);
	if (*reply == '\0')
		errx(1, "the gateway closed the connection without a reply");
	ok = strncmp(reply, "{\"ok\":true", 10) == 0;
	if (json) {
		fputs(reply, stdout);
	} else if (ok) {
		if ((text = json_string(reply, "text")) != NULL)
			fputs(text, stdout);
		free(text);
	} else {
		/* A refused reload's errors, as the policy checker prints them. */
		if ((text = json_string(reply, "text")) != NULL)
			fputs(text, stderr);
		free(text);
		text = json_string(reply, "error");
		warnx("%s", text ? text : reply);
		free(text);
	}
	free(reply);
	return ok ? 0 : 1;
}
