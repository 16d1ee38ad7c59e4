/* multipart/form-data parsing (RFC 7578): what browsers send, fed whole
 * and in every split, and each class of hostile body with its error. */
#include "t.h"

#include "multipart.h"

#define CT	"multipart/form-data; boundary=----WebKitFormBoundaryAbC123"
#define B	"----WebKitFormBoundaryAbC123"

/* Everything the callbacks saw, as "[name|filename|content]" runs. */
struct seen {
	char	out[64 * 1024];
	size_t	n;
	int	begins, ends, stop_at;
};

static void
put(struct seen *s, const void *p, size_t n)
{
	if (s->n + n < sizeof(s->out)) {
		memcpy(s->out + s->n, p, n);
		s->n += n;
		s->out[s->n] = '\0';
	}
}

static int
on_begin(void *ctx, const struct multipart_part *p)
{
	struct seen *s = ctx;

	put(s, "[", 1);
	put(s, p->name, p->namelen);
	if (p->is_file) {
		put(s, "|", 1);
		put(s, p->filename, p->filenamelen);
	}
	put(s, "|", 1);
	return ++s->begins == s->stop_at;
}

static int
on_data(void *ctx, const struct multipart_part *p, const unsigned char *d,
    size_t n)
{
	(void)p;
	put(ctx, d, n);
	return 0;
}

static int
on_end(void *ctx, const struct multipart_part *p)
{
	struct seen *s = ctx;

	if (p->too_large)
		put(s, "!", 1);
	put(s, "]", 1);
	s->ends++;
	return 0;
}

/* Parses body fed in pieces of step bytes (0: whole). */
static enum multipart_err
run(const char *ct, const char *body, size_t len, size_t step,
    const struct multipart_limits *lim, struct seen *s)
{
	struct multipart_handler h = { on_begin, on_data, on_end, s };
	struct multipart *m = malloc(sizeof(*m));
	enum multipart_err e;
	size_t i, k;

	s->n = 0;
	s->out[0] = '\0';
	s->begins = s->ends = 0;
	if ((e = multipart_init(m, ct, lim, &h)) != MULTIPART_OK)
		goto out;
	if (step == 0)
		step = len ? len : 1;
	for (i = 0; i < len; i += k) {
		k = len - i < step ? len - i : step;
		if ((e = multipart_feed(m, (const unsigned char *)body + i, k)))
			goto out;
	}
	e = multipart_finish(m);
out:
	free(m);
	return e;
}

static enum multipart_err
run_s(const char *body, struct seen *s)
{
	return run(CT, body, strlen(body), 0, NULL, s);
}

static const char browser[] =
	"--" B "\r\n"
	"Content-Disposition: form-data; name=\"what\"\r\n\r\n"
	"a van\r\nwith\r-- a plate\r\n"
	"--" B "\r\n"
	"Content-Disposition: form-data; name=\"file\"; filename=\"ad.jpg\"\r\n"
	"Content-Type: image/jpeg\r\n\r\n"
	"\xff\xd8\xff\r\n--" "----WebKitFormBoundaryAbC12\r\n\r\r\n-\x00z"
	"\r\n"
	"--" B "\r\n"
	"Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n"
	"Content-Type: application/octet-stream\r\n\r\n"
	"\r\n"
	"--" B "--\r\n";

static const char browser_seen[] =
	"[what|a van\r\nwith\r-- a plate]"
	"[file|ad.jpg|\xff\xd8\xff\r\n------WebKitFormBoundaryAbC12\r\n\r\r\n-";

TEST(parses_what_browsers_send)
{
	static struct seen s;
	size_t len = sizeof(browser) - 1;

	CHECK(run(CT, browser, len, 0, NULL, &s) == MULTIPART_OK);
	CHECK(s.begins == 3 && s.ends == 3);
	CHECK(s.n > sizeof(browser_seen) &&
	    memcmp(s.out, browser_seen, sizeof(browser_seen) - 1) == 0);
	CHECK(memcmp(s.out + sizeof(browser_seen) - 1, "\0z][file||]", 11)
	    == 0);
}

TEST(gives_the_same_parts_however_the_body_is_split)
{
	static struct seen whole, piece;
	size_t len = sizeof(browser) - 1, step;

	CHECK(run(CT, browser, len, 0, NULL, &whole) == MULTIPART_OK);
	for (step = 1; step <= len; step++) {
		CHECK(run(CT, browser, len, step, NULL, &piece) ==
		    MULTIPART_OK);
		CHECK(piece.n == whole.n &&
		    memcmp(piece.out, whole.out, whole.n) == 0);
	}
}

TEST(reads_the_boundary_from_content_type)
{
	char b[MAX_BOUNDARY + 1];
	size_t n;
	char long71[128];

	CHECK(multipart_boundary("multipart/form-data; boundary=abc", b, &n)
	    == MULTIPART_OK && n == 3 && memcmp(b, "abc", 3) == 0);
	CHECK(multipart_boundary("Multipart/Form-Data;boundary=\"a b:c\"",
	    b, &n) == MULTIPART_OK && n == 5);
	CHECK(multipart_boundary("multipart/form-data; charset=x; "
	    "BOUNDARY=z", b, &n) == MULTIPART_OK && n == 1);
	CHECK(multipart_boundary("application/x-www-form-urlencoded", b, &n)
	    == MULTIPART_E_TYPE);
	CHECK(multipart_boundary("multipart/form-dataX; boundary=a", b, &n)
	    == MULTIPART_E_TYPE);
	CHECK(multipart_boundary(NULL, b, &n) == MULTIPART_E_TYPE);
	CHECK(multipart_boundary("multipart/form-data", b, &n) ==
	    MULTIPART_E_BOUNDARY);
	CHECK(multipart_boundary("multipart/form-data; boundary=", b, &n) ==
	    MULTIPART_E_BOUNDARY);
	CHECK(multipart_boundary("multipart/form-data; boundary=a; "
	    "boundary=a", b, &n) == MULTIPART_E_BOUNDARY);
	CHECK(multipart_boundary("multipart/form-data; boundary=\"a \"", b,
	    &n) == MULTIPART_E_BOUNDARY);
	CHECK(multipart_boundary("multipart/form-data; boundary=a\rb", b, &n)
	    == MULTIPART_E_BOUNDARY);
	CHECK(multipart_boundary("multipart/form-data; boundary=\"ab", b, &n)
	    == MULTIPART_E_BOUNDARY);
	memset(long71, 'x', sizeof(long71));
	memcpy(long71, "multipart/form-data; boundary=", 30);
	long71[30 + MAX_BOUNDARY] = '\0';
	CHECK(multipart_boundary(long71, b, &n) == MULTIPART_OK &&
	    n == MAX_BOUNDARY);
	long71[30 + MAX_BOUNDARY + 1] = '\0';
	long71[30 + MAX_BOUNDARY] = 'x';
	CHECK(multipart_boundary(long71, b, &n) == MULTIPART_E_BOUNDARY);
}

TEST(refuses_a_preamble_and_junk_after_a_boundary)
{
	static struct seen s;

	CHECK(run_s("hello\r\n--" B "\r\n", &s) == MULTIPART_E_SYNTAX);
	CHECK(run_s("--" B "XX", &s) == MULTIPART_E_SYNTAX);
	CHECK(run_s("--" B " \r\n", &s) == MULTIPART_E_SYNTAX);
	/* A boundary at the start of a line inside a part ends it; what
	 * follows must then be CRLF or "--". */
	CHECK(run_s("--" B "\r\nContent-Disposition: form-data; name=a\r\n"
	    "\r\nx\r\n--" B "trailing\r\n--" B "--", &s) ==
	    MULTIPART_E_SYNTAX);
	CHECK(s.begins == 1 && s.ends == 1);
}

TEST(refuses_a_cut_body)
{
	static struct seen s;

	CHECK(run_s("", &s) == MULTIPART_E_TRUNCATED);
	CHECK(run_s("--" B "\r\nContent-Disposition: form-data; name=a\r\n"
	    "\r\nhalf a val", &s) == MULTIPART_E_TRUNCATED);
	CHECK(run_s("--" B "\r\nContent-Disp", &s) == MULTIPART_E_TRUNCATED);
	CHECK(run_s("--" B "\r\nContent-Disposition: form-data; name=a\r\n"
	    "\r\nv\r\n--" B, &s) == MULTIPART_E_TRUNCATED);
}

TEST(bounds_a_part_header_block)
{
	static struct seen s;
	static char body[120 * 1024];
	size_t n;

	n = (size_t)snprintf(body, sizeof(body), "--" B "\r\n"
	    "Content-Disposition: form-data; name=a\r\nX-Junk: ");
	memset(body + n, 'j', 100 * 1024);
	n += 100 * 1024;
	memcpy(body + n, "\r\n\r\nv\r\n--" B "--", 11 + sizeof(B) - 1);
	n += 11 + sizeof(B) - 1;
	CHECK(run(CT, body, n, 0, NULL, &s) == MULTIPART_E_HEADER_SIZE);
	CHECK(s.begins == 0);
}

TEST(bounds_the_number_of_parts)
{
	static struct seen s;
	static char body[200 * 1024];
	size_t n = 0;
	int i;

	for (i = 0; i < 1000; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "--" B "\r\n"
		    "Content-Disposition: form-data; name=p%d\r\n\r\nv\r\n", i);
	n += (size_t)snprintf(body + n, sizeof(body) - n, "--" B "--");
	CHECK(run(CT, body, n, 0, NULL, &s) == MULTIPART_E_TOO_MANY);
	CHECK(s.begins == MAX_PARTS);
}

TEST(bounds_a_field_and_marks_a_file_over_its_limit)
{
	static struct seen s;
	struct multipart_limits lim = { 10, 4, 5 };
	const char *f = "--" B "\r\nContent-Disposition: form-data; name=a\r\n"
	    "\r\n12345\r\n--" B "--";

	CHECK(run(CT, f, strlen(f), 0, &lim, &s) == MULTIPART_E_FIELD_SIZE);
	lim.field_bytes = 5;
	CHECK(run(CT, f, strlen(f), 1, &lim, &s) == MULTIPART_OK);
	f = "--" B "\r\nContent-Disposition: form-data; name=f; filename=x\r\n"
	    "\r\n12345\r\n--" B "\r\nContent-Disposition: form-data; "
	    "name=f; filename=y\r\n\r\n123456\r\n--" B "\r\n"
	    "Content-Disposition: form-data; name=t\r\n\r\nkept\r\n--" B "--";
	CHECK(run(CT, f, strlen(f), 0, &lim, &s) == MULTIPART_OK);
	CHECK(strcmp(s.out, "[f|x|12345][f|y|12345!][t|kept]") == 0);
	CHECK(run(CT, f, strlen(f), 1, &lim, &s) == MULTIPART_OK);
	CHECK(strcmp(s.out, "[f|x|12345][f|y|12345!][t|kept]") == 0);
}

TEST(refuses_malformed_part_headers)
{
	struct multipart_part p;
	static const char *bad[] = {
		"",
		"Content-Type: text/plain\r\n",
		"Content-Disposition: attachment; name=a\r\n",
		"Content-Disposition: form-data\r\n",
		"Content-Disposition: form-data; name=\"\"\r\n",
		"Content-Disposition: form-data; name=\"a\r\n",
		"Content-Disposition: form-data; name=a; name=b\r\n",
		"Content-Disposition: form-data; name=a; filename=x; "
		    "filename=y\r\n",
		"Content-Disposition: form-data; name=a\r\n"
		    "Content-Disposition: form-data; name=b\r\n",
		"Content-Disposition: form-data;\r\n name=a\r\n",
		"Content-Disposition: form-data; name=a\n",
		"Content-Disposition: form-data; name=a\nX: y\r\n",
		"Content-Disposition: form-data; name=a; x\r\n",
		"no colon\r\n",
		": empty\r\n",
		"Content-Disposition: form-data; "
		    "name=a23456789012345678901234567890123\r\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0, sizeof(p));
		if (multipart_headers(bad[i], strlen(bad[i]), &p) !=
		    MULTIPART_E_HEADER) {
			t_ok = 0;
			fprintf(stderr, "accepted: %s\n", bad[i]);
		}
	}
}

TEST(keeps_the_file_name_as_sent_and_ignores_the_declared_type)
{
	struct multipart_part p;
	const char *h = "content-disposition:form-data ; NAME=\"f\" ; "
	    "FileName=\"../../etc/\x1b[31m\xe2\x80\xaegpj.exe\"; x=y\r\n"
	    "Content-Type: image/png\r\nX-Other: 1\r\n";

	memset(&p, 0, sizeof(p));
	CHECK(multipart_headers(h, strlen(h), &p) == MULTIPART_OK);
	CHECK(strcmp(p.name, "f") == 0 && p.is_file);
	CHECK(p.filenamelen == 25 &&
	    memcmp(p.filename, "../../etc/\x1b[31m\xe2\x80\xaegpj.exe", 25)
	    == 0);
}

static const char *
safe(const char *s, size_t outsize)
{
	static char out[300];

	multipart_safe_name((const unsigned char *)s, strlen(s), out,
	    outsize);
	return out;
}

TEST(makes_file_names_safe_to_show_and_create)
{
	CHECK(strcmp(safe("photo.jpg", 256), "photo.jpg") == 0);
	CHECK(strcmp(safe("../../etc/passwd", 256), "passwd") == 0);
	CHECK(strcmp(safe("C:\\Users\\x\\scan.pdf", 256), "scan.pdf") == 0);
	CHECK(strcmp(safe("..", 256), "_.") == 0);
	CHECK(strcmp(safe(".bashrc", 256), "_bashrc") == 0);
	CHECK(strcmp(safe("-rf", 256), "_rf") == 0);
	CHECK(strcmp(safe("a\x1b[31mb\tc", 256), "a_[31mb_c") == 0);
	CHECK(strcmp(safe("inv\xe2\x80\xae" "fdp.exe", 256), "inv_fdp.exe")
	    == 0);
	CHECK(strcmp(safe("\xe2\x81\xa6x\xe2\x80\x8b" "", 256), "_x_") == 0);
	CHECK(strcmp(safe("bad\xff\xc3" "utf8", 256), "bad__utf8") == 0);
	CHECK(strcmp(safe("x$(id)`y`|z", 256), "x_(id)_y__z") == 0);
	CHECK(strcmp(safe("caf\xc3\xa9.txt", 256), "caf\xc3\xa9.txt") == 0);
	CHECK(strcmp(safe("", 256), "file") == 0);
	CHECK(strcmp(safe("dir/", 256), "file") == 0);
	/* Cut on a character boundary, never in the middle of one. */
	CHECK(strcmp(safe("ab\xc3\xa9", 4), "ab") == 0);
	CHECK(strcmp(safe("abcdefgh", 4), "abc") == 0);
}

TEST(stops_when_a_callback_says_so)
{
	static struct seen s;

	s.stop_at = 2;
	CHECK(run(CT, browser, sizeof(browser) - 1, 7, NULL, &s) ==
	    MULTIPART_E_ABORTED);
	CHECK(s.begins == 2);
	s.stop_at = 0;
}

int
main(void)
{
	RUN(parses_what_browsers_send);
	RUN(gives_the_same_parts_however_the_body_is_split);
	RUN(reads_the_boundary_from_content_type);
	RUN(refuses_a_preamble_and_junk_after_a_boundary);
	RUN(refuses_a_cut_body);
	RUN(bounds_a_part_header_block);
	RUN(bounds_the_number_of_parts);
	RUN(bounds_a_field_and_marks_a_file_over_its_limit);
	RUN(refuses_malformed_part_headers);
	RUN(keeps_the_file_name_as_sent_and_ignores_the_declared_type);
	RUN(makes_file_names_safe_to_show_and_create);
	RUN(stops_when_a_callback_says_so);
	return T_DONE();
}
