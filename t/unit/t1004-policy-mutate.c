/* SPDX-License-Identifier: ISC */
/*
 * The checker never crashes or hangs, whatever it is fed: thousands of
 * mutations of the golden inputs and the examples -- tokens deleted,
 * duplicated and swapped, random bytes, truncation, lines shuffled -- each
 * loaded, and when it loads, dumped, reloaded and decided on.  Every message
 * must be located inside the file.  Run under SANITIZE=1 in CI; a hang is
 * caught by an alarm.
 *
 * POL_MUTATE_SEED picks another seed; POL_MUTATE_N the mutations per file.
 */
#include "policy-dsl/pol_int.h"
#include "t/lib/tap.h"

#include <glob.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct text {
	char *s;
	size_t len;
};

/* Token boundaries of src, from the library's own tokenizer. */
struct toks {
	size_t *start, *len;
	size_t n;
};

static void
tokenize(const struct text *src, struct toks *t)
{
	size_t pos = 0;

	t->n = 0;
	t->start = calloc(src->len + 1, sizeof(size_t));
	t->len = calloc(src->len + 1, sizeof(size_t));
	while (pos < src->len) {
		enum pol_tok type;
		size_t n = pol_token(src->s + pos, src->len - pos, &type);

		if (type != TK_SPACE) {
			t->start[t->n] = pos;
			t->len[t->n++] = n;
		}
		pos += n;
	}
}

static void
append(struct text *out, const char *s, size_t n)
{
	memcpy(out->s + out->len, s, n);
	out->len += n;
}

/* Rebuild src with token i replaced by token j's text (or nothing). */
static void
with_token(const struct text *src, const struct toks *t, size_t i, const char *rep,
    size_t replen, bool twice, struct text *out)
{
	out->len = 0;
	append(out, src->s, t->start[i]);
	append(out, rep, replen);
	if (twice) {
		append(out, " ", 1);
		append(out, src->s + t->start[i], t->len[i]);
	}
	append(out, src->s + t->start[i] + t->len[i], src->len - t->start[i] - t->len[i]);
}

static const char *const words[] = {
	"{", "}", "farm", "any", "port", "proto", "tcp", "/", "!", "-", ",",
	"99999", "0", "10.0.0.0/8", "198.51.100.0/24", "500ms", "596h", "S/SA",
	"inbound", "outbound", "limit", "via", "\n", "#", "\xff", "scanner",
	"per", "type", "hosts", "bind", "reflect", "within",
};

static void
mutate(const struct text *src, const struct toks *t, struct text *out)
{
	size_t i = t->n ? rnd() % t->n : 0, j = t->n ? rnd() % t->n : 0;
	const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];

	switch (t->n ? rnd() % 8 : 6) {
	case 0:		/* delete a token */
		with_token(src, t, i, "", 0, false, out);
		break;
	case 1:		/* duplicate a token */
		with_token(src, t, i, src->s + t->start[i], t->len[i], true, out);
		break;
	case 2:		/* another token's text in its place */
		with_token(src, t, i, src->s + t->start[j], t->len[j], false, out);
		break;
	case 3:		/* a word of the language in its place */
		with_token(src, t, i, w, strlen(w), false, out);
		break;
	case 4: {	/* swap two tokens */
		size_t a = i < j ? i : j, b = i < j ? j : i;

		out->len = 0;
		if (a == b) {
			append(out, src->s, src->len);
			break;
		}
		append(out, src->s, t->start[a]);
		append(out, src->s + t->start[b], t->len[b]);
		append(out, src->s + t->start[a] + t->len[a],
		    t->start[b] - t->start[a] - t->len[a]);
		append(out, src->s + t->start[a], t->len[a]);
		append(out, src->s + t->start[b] + t->len[b],
		    src->len - t->start[b] - t->len[b]);
		break;
	}
	case 5:		/* truncate */
		out->len = 0;
		append(out, src->s, src->len ? rnd() % src->len : 0);
		break;
	default:	/* random bytes over random places */
		out->len = 0;
		append(out, src->s, src->len);
		for (int k = 0, n = 1 + (int)(rnd() % 8); k < n && out->len; k++)
			out->s[rnd() % out->len] = (char)rnd();
		break;
	}
}

/* Every message must be "name:line:col: ..." with line and col in range. */
static bool
located(const char *msgs, int lines)
{
	const char *p = msgs;

	while (*p) {
		int line, col, n = 0;
		const char *nl = strchr(p, '\n');

		if (sscanf(p, "m:%d:%d: %n", &line, &col, &n) != 2 || n == 0 ||
		    line < 1 || line > lines + 1 || col < 1)
			return false;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return true;
}

static int nloaded, nfailed, nbadloc, nbadrt;

static void
feed(const struct text *m)
{
	struct pol_program *p = NULL, *q = NULL;
	char *msgs = NULL, *d1 = NULL, *d2 = NULL;
	size_t msglen, n1, n2;
	FILE *f = open_memstream(&msgs, &msglen);
	int lines = 1;

	for (size_t i = 0; i < m->len; i++)
		lines += m->s[i] == '\n';
	if (pol_load_buf("m", m->s, m->len, f, &p) != 0) {
		fclose(f);
		nfailed++;
		if (msglen == 0 || !located(msgs, lines)) {
			if (nbadloc++ == 0)
				diag("unlocated or missing message for:\n%.*s\n---\n%s",
				    (int)m->len, m->s, msgs);
		}
		free(msgs);
		return;
	}
	fclose(f);
	free(msgs);
	nloaded++;
	f = open_memstream(&d1, &n1);
	pol_dump(p, f);
	fclose(f);
	if (pol_load_buf("d", d1, n1, NULL, &q) == 0) {
		f = open_memstream(&d2, &n2);
		pol_dump(q, f);
		fclose(f);
		if (n1 != n2 || memcmp(d1, d2, n1) != 0 || !pol_prog_equal(p, q))
			nbadrt++;
	} else {
		nbadrt++;
	}
	for (int i = 0; i < 16; i++) {
		struct pol_packet pkt;
		struct pol_decision d;

		memset(&pkt, 0, sizeof(pkt));
		pkt.dir = (uint8_t)(rnd() & 1);
		pkt.proto = (uint8_t)rnd();
		pkt.src = (uint32_t)rnd();
		pkt.dst = (uint32_t)rnd();
		pkt.dport = (uint16_t)rnd();
		pol_eval(p, &pkt, NULL, &d);
	}
	free(d1);
	free(d2);
	pol_free(p);
	pol_free(q);
}

static void
on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "Bail out! the checker hangs\n";

	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

int
main(void)
{
	const char *seed = getenv("POL_MUTATE_SEED"), *per = getenv("POL_MUTATE_N");
	int n = per ? atoi(per) : 150, files = 0, total = 0;
	glob_t g;

	rng = seed ? strtoull(seed, NULL, 0) : 0x5eed5eedu;
	if (rng == 0)
		rng = 1;
	note("seed %llu (POL_MUTATE_SEED), %d mutations per file", (unsigned long long)rng, n);
	signal(SIGALRM, on_alarm);
	alarm(120);
	if (glob("t/policy/*.in", 0, NULL, &g) != 0)
		bail_out("run from the top of the tree: t/policy not found");
	glob("etc/potemkin/*.policy", GLOB_APPEND, NULL, &g);
	glob("bench/*.policy", GLOB_APPEND, NULL, &g);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		struct text src = { malloc(POL_MAX_FILE), 0 }, out;
		struct toks t;

		if (f == NULL)
			bail_out("cannot open %s", g.gl_pathv[i]);
		src.len = fread(src.s, 1, POL_MAX_FILE, f);
		fclose(f);
		tokenize(&src, &t);
		out.s = malloc(src.len * 2 + 64);
		for (int k = 0; k < n; k++, total++) {
			mutate(&src, &t, &out);
			feed(&out);
		}
		free(out.s);
		free(src.s);
		free(t.start);
		free(t.len);
		files++;
	}
	globfree(&g);
	ok(files >= 50, "mutated %d files", files);
	ok(total >= 5000, "%d mutations fed to the checker without a crash or a hang", total);
	note("%d loaded, %d refused", nloaded, nfailed);
	ok(nloaded > 0 && nfailed > 0, "some mutants load, some are refused");
	is(nbadloc, 0, "every refused mutant got located messages");
	is(nbadrt, 0, "every mutant that loads round-trips through dump");
	return done_testing();
}
