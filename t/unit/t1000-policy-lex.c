/* SPDX-License-Identifier: ISC */
/* The tokenizer alone (pol_token is pure) and the keyword table. */
#include "policy-dsl/pol_int.h"
#include "t/lib/tap.h"

#include <string.h>

static enum pol_tok
tok(const char *s, size_t *len)
{
	enum pol_tok t;

	*len = pol_token(s, strlen(s), &t);
	return t;
}

#define TOK(s, type, n) do { \
	size_t len_; \
	is(tok(s, &len_), type, "%s: type %s", #s, #type); \
	is(len_, n, "%s: length %d", #s, n); \
} while (0)

int
main(void)
{
	struct pol_lex lx;
	struct pol_tokv t;
	enum pol_tok type;
	size_t len;

	TOK("", TK_EOF, 0);
	TOK("\n", TK_NL, 1);
	TOK(" \t\r x", TK_SPACE, 4);
	TOK("# comment\nfarm", TK_SPACE, 9);
	TOK("farm 1", TK_WORD, 4);
	TOK("per-source x", TK_WORD, 10);
	TOK("icmp-type", TK_WORD, 9);
	TOK("linux_web2-x", TK_WORD, 12);
	TOK("_x", TK_WORD, 2);
	TOK("80 ", TK_NUM, 2);
	TOK("1024-65535", TK_NUM, 4);
	TOK("-", TK_DASH, 1);
	TOK("500ms", TK_DUR, 5);
	TOK("10/1s", TK_NUM, 2);
	TOK("/1s", TK_SLASH, 1);
	TOK("198.51.100.0/24 x", TK_ADDR, 15);
	TOK("198.51.100.7", TK_ADDR, 12);
	TOK("1.2.3.4/x", TK_ADDR, 7);
	TOK("{", TK_LBRACE, 1);
	TOK("}", TK_RBRACE, 1);
	TOK(",", TK_COMMA, 1);
	TOK("!S", TK_BANG, 1);
	TOK("@", TK_BAD, 1);
	TOK("\xc3\xa9", TK_BAD, 1);

	/* A NUL byte is a bad character, not the end of the input. */
	len = pol_token("\0farm", 5, &type);
	is(type, TK_BAD, "NUL is a bad byte");
	is(len, 1, "of length 1");

	is(pol_keyword("inbound", 7), KW_INBOUND, "keyword inbound");
	is(pol_keyword("in", 2), KW_IN, "keyword in (a prefix of inbound)");
	is(pol_keyword("inbounds", 8), KW_NONE, "inbounds is no keyword");
	is(pol_keyword("addresses", 9), KW_ADDRESSES, "first keyword");
	is(pol_keyword("within", 6), KW_WITHIN, "last keyword");
	is(pol_keyword("Farm", 4), KW_NONE, "keywords are case-sensitive");
	ok1(pol_kw_starts_statement(KW_FARM));
	ok1(!pol_kw_starts_statement(KW_PROTO));

	/* Located tokens: lines, columns, first-on-line. */
	const char *src = "farm 10.0.0.0/8\n  inbound\tbind # c\n";

	pol_lex_init(&lx, src, strlen(src));
	pol_lex_next(&lx, &t);
	ok(t.type == TK_WORD && t.kw == KW_FARM && t.line == 1 && t.col == 1 && t.bol,
	    "farm at 1:1, first on its line");
	pol_lex_next(&lx, &t);
	ok(t.type == TK_ADDR && t.col == 6 && !t.bol, "prefix at 1:6");
	pol_lex_next(&lx, &t);
	ok(t.type == TK_NL && t.line == 1, "newline ends line 1");
	pol_lex_next(&lx, &t);
	ok(t.kw == KW_INBOUND && t.line == 2 && t.col == 3 && t.bol, "inbound at 2:3");
	pol_lex_next(&lx, &t);
	ok(t.kw == KW_BIND && t.col == 11, "bind at 2:11 (a tab is one column)");
	pol_lex_next(&lx, &t);
	ok(t.type == TK_NL, "the comment is skipped");
	pol_lex_next(&lx, &t);
	ok(t.type == TK_EOF && t.line == 3, "end of file on line 3");
	pol_lex_next(&lx, &t);
	ok(t.type == TK_EOF, "end of file again");

	ok(strcmp(suggest("inbond", 6, (const char *[]){ "inbound", "outbound" }, 2),
	    "inbound") == 0, "suggests inbound for inbond");
	ok(strcmp(suggest("wbe", 3, (const char *[]){ "web" }, 1), "web") == 0,
	    "a transposition is one step");
	ok(suggest("xyzzy", 5, (const char *[]){ "farm" }, 1) == NULL,
	    "nothing close: no suggestion");
	return done_testing();
}
