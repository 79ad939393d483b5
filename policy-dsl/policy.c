/* SPDX-License-Identifier: ISC */
/*
 * libpolicy's front door: load (parse, check, compile) and the questions
 * the gateway asks of a loaded program.
 */
#include "pol_int.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * What a file that is no policy is, or NULL when it may be one: a capture
 * given where the policy goes must say so, not "too large" or a screenful
 * of syntax errors.  Text has no NUL and few control bytes.
 */
const char *
pol_not_text(const char *buf, size_t len)
{
	static const struct { uint8_t magic[4]; const char *what; } caps[] = {
		{ { 0xd4, 0xc3, 0xb2, 0xa1 }, "a pcap capture" },
		{ { 0xa1, 0xb2, 0xc3, 0xd4 }, "a pcap capture" },
		{ { 0x4d, 0x3c, 0xb2, 0xa1 }, "a pcap capture" },
		{ { 0xa1, 0xb2, 0x3c, 0x4d }, "a pcap capture" },
		{ { 0x0a, 0x0d, 0x0d, 0x0a }, "a pcapng capture" },
	};
	size_t ctl = 0, head = len < 4096 ? len : 4096;

	for (size_t i = 0; len >= 4 && i < sizeof(caps) / sizeof(caps[0]); i++)
		if (memcmp(buf, caps[i].magic, 4) == 0)
			return caps[i].what;
	if (memchr(buf, '\0', len) != NULL)
		return "binary data";
	for (size_t i = 0; i < head; i++) {
		unsigned char c = (unsigned char)buf[i];

		ctl += (c < 0x20 && strchr("\t\n\v\f\r", c) == NULL) || c == 0x7f;
	}
	return ctl * 32 > head ? "binary data" : NULL;
}

int
pol_load_buf(const char *name, const char *buf, size_t len, FILE *errs,
    struct pol_program **out)
{
	struct pol_diags d = { .name = name };
	struct pol_ast ast;
	int nerr;

	pol_ast_init(&ast);
	if (len > POL_MAX_FILE) {
		pol_diag(&d, false, 1, 1, "file too large (%zu bytes, at most %u)", len,
		    POL_MAX_FILE);
	} else if (pol_parse(buf, len, &d, &ast) == 0) {
		pol_check(&ast, &d);
		if (d.nerr == 0 && pol_compile(&ast, out) < 0)
			pol_diag(&d, false, 1, 1, "out of memory compiling the policy");
	}
	pol_diags_print(&d, errs);
	nerr = d.nerr + (d.lost && d.nerr == 0);
	pol_diags_free(&d);
	pol_ast_free(&ast);	/* empty when pol_compile took it */
	return nerr;
}

/* pol_load_buf for a file's contents: what is not text is one line. */
static int
load_text(const char *name, const char *buf, size_t len, FILE *errs,
    struct pol_program **out)
{
	const char *what = pol_not_text(buf, len);

	if (what == NULL)
		return pol_load_buf(name, buf, len, errs, out);
	if (errs)
		fprintf(errs, "%s: not a policy: %s\n", name, what);
	return 1;
}

int
pol_load_fd(const char *name, int fd, FILE *errs, struct pol_program **out)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	int rc, saved;

	/* One byte past the limit is enough to know it is too large. */
	if ((buf = malloc(POL_MAX_FILE + 1)) == NULL)
		goto fail;
	while (len < POL_MAX_FILE + 1 &&
	    (n = read(fd, buf + len, POL_MAX_FILE + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;	/* a policy cut short must not load */
		len += (size_t)n;
	}
	rc = load_text(name, buf, len, errs, out);
	free(buf);
	return rc;
fail:
	saved = errno;
	if (errs)
		fprintf(errs, "%s: %s\n", name, strerror(saved));
	free(buf);
	errno = saved;
	return 1;
}

int
pol_load_file(const char *path, FILE *errs, struct pol_program **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, saved;

	if (fd < 0) {
		saved = errno;
		if (errs)
			fprintf(errs, "%s: %s\n", path, strerror(saved));
		errno = saved;
		return 1;
	}
	rc = pol_load_fd(path, fd, errs, out);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
pol_dump(const struct pol_program *prog, FILE *out)
{
	return pol_print(&prog->ast, out);
}

enum pol_universe
pol_universe_mode(const struct pol_program *prog)
{
	return (enum pol_universe)prog->ast.universe;
}

const struct pol_limits *
pol_limits(const struct pol_program *prog)
{
	return &prog->ast.limits;
}

const struct pol_lifecycle *
pol_lifecycle(const struct pol_program *prog)
{
	return &prog->ast.life;
}

const struct pol_scanner *
pol_scanners(const struct pol_program *prog, size_t *n)
{
	*n = prog->nscan;
	return prog->scan;
}

/* Farms are a handful of prefixes: a scan is as fast as anything. */
bool
pol_in_farm(const struct pol_program *prog, uint32_t addr)
{
	for (size_t i = 0; i < prog->nfarm; i++)
		if (prefix_contains(&prog->farm[i], addr))
			return true;
	return false;
}

const struct prefix *
pol_farm_prefixes(const struct pol_program *prog, size_t *n)
{
	*n = prog->nfarm;
	return prog->farm;
}

int
pol_host_type(const struct pol_program *prog, uint32_t addr)
{
	if (prog->nhm == 0)
		return -1;
	return prog->hm_type[pol_ivt_index(prog->hm_lo, prog->nhm, addr)];
}

const char *
pol_type_name(const struct pol_program *prog, int type)
{
	if (type < 0 || (size_t)type >= prog->ast.ntypes)
		return NULL;
	return prog->ast.types[type].name;
}

size_t
pol_type_count(const struct pol_program *prog)
{
	return prog->ast.ntypes;
}

void
pol_type_where(const struct pol_program *prog, int type, int *line, int *col)
{
	*line = *col = 0;
	if (type >= 0 && (size_t)type < prog->ast.ntypes) {
		*line = prog->ast.types[type].at.line;
		*col = prog->ast.types[type].at.col;
	}
}

bool
pol_type_opens(const struct pol_program *prog, int type, uint8_t proto, uint16_t port)
{
	const uint64_t *bits;

	if (type < 0 || (size_t)type >= prog->ast.ntypes)
		return false;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return false;
	bits = prog->tports + ((size_t)type * 2 + (proto == IPPROTO_UDP)) * 1024;
	return (bits[port / 64] >> (port % 64)) & 1;
}

/* The whole file, at most one byte past the library's limit. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *buf;

	if (f == NULL) {
		warn("cannot open %s", path);
		return NULL;
	}
	if ((buf = malloc(POL_MAX_FILE + 1)) == NULL) {
		warn("cannot read %s", path);
		goto fail;
	}
	*len = fread(buf, 1, POL_MAX_FILE + 1, f);
	if (ferror(f)) {
		warn("cannot read %s", path);
		free(buf);
		buf = NULL;
	}
fail:
	if (f != stdin)
		fclose(f);
	return buf;
}

size_t
pol_rule_count(const struct pol_program *prog, enum pol_dir dir)
{
	return prog->ast.nrules[dir];
}

int
pol_rule_line(const struct pol_program *prog, enum pol_dir dir, size_t i)
{
	return prog->ast.rules[dir][i].line;
}

enum pol_action
pol_rule_action(const struct pol_program *prog, enum pol_dir dir, size_t i)
{
	return (enum pol_action)prog->ast.rules[dir][i].action;
}

bool
pol_rule_asks_scanner(const struct pol_program *prog, enum pol_dir dir, size_t i)
{
	return prog->ast.rules[dir][i].have & PI_BIT(PI_SCANNER);
}

void
pol_rule_print(const struct pol_program *prog, enum pol_dir dir, size_t i, FILE *out)
{
	pol_print_rule(&prog->ast.rules[dir][i], out);
}

/* The rule's normalized text; NULL when out of memory.  Free it. */
static char *
rule_text(const struct pol_program *prog, enum pol_dir dir, size_t i)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (f == NULL)
		return NULL;
	pol_rule_print(prog, dir, i, f);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

int
pol_rule_map(const struct pol_program *old, const struct pol_program *next,
    enum pol_dir dir, int *map)
{
	size_t nold = pol_rule_count(old, dir), nnew = pol_rule_count(next, dir);
	char **text = calloc(nnew + 1, sizeof(*text));
	bool *taken = calloc(nnew + 1, sizeof(*taken));
	int rc = -1;

	if (text == NULL || taken == NULL)
		goto done;
	for (size_t j = 0; j < nnew; j++)
		if ((text[j] = rule_text(next, dir, j)) == NULL)
			goto done;
	for (size_t i = 0; i < nold; i++) {
		char *t = rule_text(old, dir, i);

		if (t == NULL)
			goto done;
		map[i] = -1;
		for (size_t j = 0; j < nnew && map[i] < 0; j++)
			if (!taken[j] && strcmp(t, text[j]) == 0) {
				map[i] = (int)j;
				taken[j] = true;
			}
		free(t);
	}
	rc = 0;
done:
	for (size_t j = 0; text && j < nnew; j++)
		free(text[j]);
	free(text);
	free(taken);
	return rc;
}

struct pol_program *
pol_load_tool(const char *path)
{
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	struct pol_program *prog = NULL;
	size_t len = 0;
	char *buf;
	int nerr;

	if ((buf = slurp(path, &len)) == NULL)
		return NULL;
	/* Not text: its one line says all, with no count after it. */
	if (pol_not_text(buf, len) != NULL) {
		load_text(name, buf, len, stderr, &prog);
		free(buf);
		return NULL;
	}
	nerr = pol_load_buf(name, buf, len, stderr, &prog);
	free(buf);
	if (nerr > 0) {
		warnx("%s: %d error%s", name, nerr, nerr == 1 ? "" : "s");
		return NULL;
	}
	return prog;
}
